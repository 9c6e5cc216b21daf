/**
 * The per-vCPU ap_list: an intrusive doubly linked list over the slots'
 * `next`/`prev` words, with vCPU k's head a sentinel at index `v.apListHead(k)`.
 *
 * Every function here is called with the list's ap_list_lock held, and
 * checks it under the lock-order checker — but `apListSlots`, which reads a
 * list for inspection when no other thread is inside the engine.
 */
import { apListCmp } from './oracle.js';
import { NONE, type Vgic } from './vgic.js';

export function apListAddTail(v: Vgic, vcpu: number, slot: number): void {
  if (v.lockdep !== null) v.lockdep.assertApListHeld(vcpu, 'apListAddTail');
  const head = v.apListHead(vcpu);
  const last = v.prev[head]!;
  v.next[slot] = head;
  v.prev[slot] = last;
  v.next[last] = slot;
  v.prev[head] = slot;
}

/** Take `slot` off the list that holds it (`apListVcpu` still names that list's vCPU). */
export function apListDel(v: Vgic, slot: number): void {
  if (v.lockdep !== null) v.lockdep.assertListOfHeld(v.apListVcpu[slot]!, slot, 'apListDel');
  const n = v.next[slot]!;
  const p = v.prev[slot]!;
  v.next[p] = n;
  v.prev[n] = p;
  v.next[slot] = NONE;
  v.prev[slot] = NONE;
}

export function apListEmpty(v: Vgic, vcpu: number): boolean {
  if (v.lockdep !== null) v.lockdep.assertApListHeld(vcpu, 'apListEmpty');
  const head = v.apListHead(vcpu);
  return v.next[head] === head;
}

export function apListLength(v: Vgic, vcpu: number): number {
  if (v.lockdep !== null) v.lockdep.assertApListHeld(vcpu, 'apListLength');
  const head = v.apListHead(vcpu);
  let n = 0;
  for (let it = v.next[head]!; it !== head; it = v.next[it]!) n++;
  return n;
}

/**
 * Insertion sort by `apListCmp`. The lists are short (a handful of
 * interrupts), and mostly sorted already from the previous entry.
 */
export function apListSort(v: Vgic, vcpu: number): void {
  if (v.lockdep !== null) v.lockdep.assertApListHeld(vcpu, 'apListSort');
  const head = v.apListHead(vcpu);
  let it = v.next[head]!;
  if (it === head) return;
  it = v.next[it]!;
  while (it !== head) {
    const following = v.next[it]!;
    let p = v.prev[it]!;
    while (p !== head && apListCmp(v, p, it) > 0) p = v.prev[p]!;
    if (p !== v.prev[it]) {
      apListDel(v, it);
      const after = v.next[p]!;
      v.prev[it] = p;
      v.next[it] = after;
      v.prev[after] = it;
      v.next[p] = it;
    }
    it = following;
  }
}

/** The slots on a vCPU's ap_list, in list order (allocates: for inspection, not the hot path). */
export function apListSlots(v: Vgic, vcpu: number): number[] {
  const head = v.apListHead(vcpu);
  const out: number[] = [];
  for (let it = v.next[head]!; it !== head; it = v.next[it]!) out.push(it);
  return out;
}
