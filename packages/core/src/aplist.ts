/**
 * The per-vCPU ap_list: an intrusive doubly linked list over the slots'
 * `next`/`prev` words, with vCPU k's head a sentinel at index `v.apListHead(k)`.
 *
 * Every function here is called with the list's ap_list_lock held, and
 * checks it under the lock-order checker — but `apListSlots`, which reads a
 * list for inspection when no other thread is inside the engine.
 */
import { apListKey } from './oracle.js';
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
 * This thread's scratch for `apListSort`: the list's slots and their keys,
 * grown to the longest list sorted yet (so a sort allocates only when a list
 * is longer than any before it). Per thread, as every module's state is; a
 * sort runs to its end before another starts.
 */
let sortSlots = new Int32Array(32);
let sortKeys = new Int32Array(32);

/**
 * Sort the ap_list by `apListKey` (the order `apListCmp` compares): each
 * entry's key is computed once, the keys are insertion-sorted with their
 * slots (stable; the lists are short and mostly sorted already from the
 * previous entry), and the list is relinked only when the order changed.
 */
export function apListSort(v: Vgic, vcpu: number): void {
  if (v.lockdep !== null) v.lockdep.assertApListHeld(vcpu, 'apListSort');
  const head = v.apListHead(vcpu);
  const next = v.next;
  const prev = v.prev;
  let n = 0;
  for (let it = next[head]!; it !== head; it = next[it]!) {
    if (n === sortSlots.length) {
      const slots = new Int32Array(n * 2);
      const keys = new Int32Array(n * 2);
      slots.set(sortSlots);
      keys.set(sortKeys);
      sortSlots = slots;
      sortKeys = keys;
    }
    sortSlots[n] = it;
    sortKeys[n] = apListKey(v, it);
    n++;
  }
  const slots = sortSlots;
  const keys = sortKeys;
  let moved = false;
  for (let i = 1; i < n; i++) {
    const key = keys[i]!;
    if (keys[i - 1]! <= key) continue;
    const slot = slots[i]!;
    let j = i - 1;
    while (j >= 0 && keys[j]! > key) {
      keys[j + 1] = keys[j]!;
      slots[j + 1] = slots[j]!;
      j--;
    }
    keys[j + 1] = key;
    slots[j + 1] = slot;
    moved = true;
  }
  if (!moved) return;
  let p = head;
  for (let i = 0; i < n; i++) {
    const s = slots[i]!;
    next[p] = s;
    prev[s] = p;
    p = s;
  }
  next[p] = head;
  prev[head] = p;
}

/** The slots on a vCPU's ap_list, in list order (allocates: for inspection, not the hot path). */
export function apListSlots(v: Vgic, vcpu: number): number[] {
  const head = v.apListHead(vcpu);
  const out: number[] = [];
  for (let it = v.next[head]!; it !== head; it = v.next[it]!) out.push(it);
  return out;
}
