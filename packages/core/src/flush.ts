/**
 * Entering a vCPU (vgic_flush_hwstate): the ap_list, sorted, fills the list
 * registers the guest works on.
 *
 * Runs on the vCPU's own thread: its list registers belong to it alone.
 */
import { apListLength, apListSort } from './aplist.js';
import { lowestBit, popcount } from './bits.js';
import { LINE_WORDS } from './cache-line.js';
import { cpuifUpdateLines } from './cpuif.js';
import { dropCallbacks, emitTrace, holdCallbacks, releaseCallbacks } from './notify.js';
import { isPending, targetOracle } from './oracle.js';
import { kickVcpu } from './queue.js';
import type { LrView } from './trace.js';
import { CONFIG_EDGE, CONFIG_LEVEL, LR_ACTIVE, LR_PENDING, NONE, VCPU_RUNNING, type Vgic } from './vgic.js';

/**
 * Fill list register `k` of `vcpu` from `slot` (vgic_v2/v3_populate_lr).
 * Caller holds the vCPU's ap_list_lock and the irq lock.
 */
export function populateLr(v: Vgic, vcpu: number, slot: number, k: number): void {
  if (v.lockdep !== null) {
    v.lockdep.assertApListHeld(vcpu, 'populateLr');
    v.lockdep.assertHeld(slot, 'populateLr');
  }
  const lr = v.lrBase(vcpu) + k;
  const v2Sgi = v.sgiSources && v.intid[slot]! < 16;
  const hw = v.hw[slot]!;
  let state = 0;
  let eoi = 0;
  let src = 0;
  let allowPending = true;

  if (v.active[slot] !== 0) {
    state = LR_ACTIVE;
    if (v2Sgi) {
      src = v.activeSrc[slot]!;
      // Another source waits behind the active one: show it only after
      // this one is EOI'd, which must therefore trap.
      if (v.sgiSrc[slot] !== 0) {
        allowPending = false;
        eoi = 1;
      }
    }
  }
  if (hw !== 0) {
    // The pending state of a hardware interrupt lives with the host: never
    // pending+active. KVM also clears a mapped level interrupt's line_level
    // here and samples the physical line again at fold; this engine has no
    // physical line to sample — the host's own inject() calls are the line —
    // so the level stays as the host last set it.
    if (state !== 0) allowPending = false;
  } else if (v.config[slot] === CONFIG_LEVEL) {
    // EOI maintenance lets the host resample the line; software resampling
    // does not work well with pending+active, so it is not offered.
    eoi = 1;
    if (state !== 0) allowPending = false;
  }
  if (allowPending && isPending(v, slot)) {
    state |= LR_PENDING;
    if (v.config[slot] === CONFIG_EDGE) v.pendingLatch[slot] = 0;
    if (v2Sgi) {
      src = takeSgiSource(v, slot);
      if (v.pendingLatch[slot] !== 0) eoi = 1;
    }
  }
  writeLr(v, lr, slot, state, eoi, src);
  v.inLr[slot] = k;
}

/** The list register's fields, from `slot` and what populateLr decided. */
function writeLr(v: Vgic, lr: number, slot: number, state: number, eoi: number, src: number): void {
  const hw = v.hw[slot]!;
  v.lrSlot[lr] = slot;
  v.lrIntid[lr] = v.intid[slot]!;
  v.lrState[lr] = state;
  v.lrPrio[lr] = v.priority[slot]!;
  v.lrGroup[lr] = v.group[slot]!;
  v.lrHw[lr] = hw;
  v.lrHost[lr] = v.hostIntid[slot]!;
  // With the HW bit the EOI bit is part of the physical INTID field: never both.
  v.lrEoi[lr] = hw !== 0 ? 0 : eoi;
  v.lrSrc[lr] = src;
}

/**
 * A pending GICv2 SGI goes into an LR one source at a time, the lowest
 * first: returns it, and leaves the SGI pending again (its latch set) when
 * other sources wait — they come after this one's EOI, which must trap.
 */
function takeSgiSource(v: Vgic, slot: number): number {
  const sources = v.sgiSrc[slot]!;
  const src = sources === 0 ? 0 : lowestBit(sources);
  const rest = sources & ~(1 << src);
  v.sgiSrc[slot] = rest;
  if (rest !== 0) v.pendingLatch[slot] = 1;
  return src;
}

/** Interrupts a GICv2 SGI stands for in the list registers: one per source, plus the active one. */
function lrEntriesFor(v: Vgic, slot: number): number {
  if (v.sgiSources && v.intid[slot]! < 16 && v.sgiSrc[slot] !== 0) {
    return popcount(v.sgiSrc[slot]!) + v.active[slot]!;
  }
  return isPending(v, slot) || v.active[slot] !== 0 ? 1 : 0;
}

/**
 * vgic_flush_lr_state. Sorted (active first, then pending by priority), the
 * ap_list fills the list registers. Two rules beyond a plain fill:
 *
 * - Multi-source GICv2 SGIs must be seen before anything of lower priority,
 *   so the fill stops at the first interrupt below such an SGI (as KVM does).
 * - Overflow must never starve the guest: when every LR would hold an active
 *   interrupt while a pending one waits, the last LR goes to the pending one
 *   and the lowest-priority active interrupt stays behind on the ap_list
 *   (IHI 0048B 5.2.1: at least one resident pending interrupt). The guest's
 *   EOI of such an interrupt is honoured by `cpuif.ts`.
 *
 * When more is queued than the LRs hold, underflow maintenance is requested.
 * What it reports (a kick, the `flush` event, a change of the vCPU's lines)
 * is reported once the vCPU has fully entered.
 */
export function flushLrState(v: Vgic, vcpu: number): void {
  holdCallbacks(v);
  try {
    fillLrs(v, vcpu);
  } catch (e) {
    dropCallbacks(v);
    throw e;
  }
  releaseCallbacks(v);
}

function fillLrs(v: Vgic, vcpu: number): void {
  const head = v.apListHead(vcpu);
  const nrLrs = v.nrLrs;
  // Clear the kick before looking at the list: a kick that lands after this
  // is for something this flush may miss, and must survive.
  if (v.shared) Atomics.store(v.kick, vcpu * LINE_WORDS, 0);
  else v.kick[vcpu * LINE_WORDS] = 0;
  v.lockApList(vcpu);

  let multiSgi = false;
  if (v.sgiSources) {
    for (let it = v.next[head]!; it !== head; it = v.next[it]!) {
      if (v.intid[it]! < 16) {
        v.lockIrq(it);
        if (lrEntriesFor(v, it) > 1) multiSgi = true;
        v.unlockIrq(it);
      }
    }
  }
  if (v.next[v.next[head]!] !== head) apListSort(v, vcpu);

  let k = 0;
  let cutPrio = 0x100;
  let leftOver = false;
  let misrouted = false;
  let it = v.next[head]!;
  while (it !== head) {
    if (k === nrLrs) {
      leftOver = true;
      break;
    }
    v.lockIrq(it);
    if (multiSgi && v.priority[it]! > cutPrio) {
      v.unlockIrq(it);
      leftOver = true;
      break;
    }
    if (k === nrLrs - 1 && v.active[it] !== 0) {
      // The last LR, and all before it hold active interrupts (the list is
      // sorted): keep it for a pending interrupt if one waits.
      v.unlockIrq(it);
      const pending = firstDeliverablePending(v, vcpu, v.next[it]!);
      if (pending !== NONE) {
        populateLr(v, vcpu, pending, k++);
        v.unlockIrq(pending);
        leftOver = true;
        break;
      }
      v.lockIrq(it);
    }
    const target = targetOracle(v, it);
    if (target === vcpu) {
      populateLr(v, vcpu, it, k++);
      if (v.sgiSrc[it] !== 0 && v.sgiSources) cutPrio = v.priority[it]!;
    } else if (target !== NONE) {
      // Routed elsewhere since it was queued: only a prune moves it, so the
      // kick that asked for one (cleared above) must stand.
      misrouted = true;
    }
    v.unlockIrq(it);
    it = v.next[it]!;
  }

  v.usedLrs[vcpu * LINE_WORDS] = k;
  // Stored only when it changes (see sync).
  const underflow = leftOver ? 1 : 0;
  if (v.underflowRequested[vcpu] !== underflow) v.underflowRequested[vcpu] = underflow;
  v.runState[vcpu * LINE_WORDS] = VCPU_RUNNING;
  // Other threads add to this list as soon as its lock is dropped: count it now.
  const queued = v.tracer !== null ? apListLength(v, vcpu) : 0;
  v.unlockApList(vcpu);

  if (misrouted) kickVcpu(v, vcpu);
  if (v.tracer !== null) emitTrace(v, { type: 'flush', vcpu, lrs: lrViews(v, vcpu), queued, underflow: leftOver });
  cpuifUpdateLines(v, vcpu);
}

/**
 * The first interrupt from `start` on that is pending, not active, and
 * routed here; returned with its irq lock held, or NONE with no lock held.
 * Caller holds the ap_list_lock.
 */
function firstDeliverablePending(v: Vgic, vcpu: number, start: number): number {
  if (v.lockdep !== null) v.lockdep.assertApListHeld(vcpu, 'firstDeliverablePending');
  const head = v.apListHead(vcpu);
  for (let it = start; it !== head; it = v.next[it]!) {
    if (v.active[it] !== 0) continue;
    v.lockIrq(it);
    if (v.active[it] === 0 && targetOracle(v, it) === vcpu) return it;
    v.unlockIrq(it);
  }
  return NONE;
}

/** The list registers of a vCPU, decoded (allocates: for traces and inspection). */
export function lrViews(v: Vgic, vcpu: number): LrView[] {
  const out: LrView[] = [];
  const base = v.lrBase(vcpu);
  for (let k = 0; k < v.usedLrs[vcpu * LINE_WORDS]!; k++) {
    const lr = base + k;
    out.push({
      lr: k,
      intid: v.lrIntid[lr]!,
      state: v.lrState[lr]!,
      priority: v.lrPrio[lr]!,
      group: v.lrGroup[lr]!,
      hw: v.lrHw[lr] !== 0,
      hostIntid: v.lrHost[lr]!,
      eoi: v.lrEoi[lr] !== 0,
      source: v.lrSrc[lr]!,
    });
  }
  return out;
}
