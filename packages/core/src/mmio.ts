/**
 * Register handlers every distributor shares (KVM's vgic-mmio.c): one bit,
 * two bits or one byte per interrupt. Backends build their register tables
 * from these; the INTID range a register word covers is theirs to compute.
 *
 * Guest-controlled input: nothing here throws. An INTID this machine has no
 * slot for reads as zero and ignores writes.
 *
 * `vcpu` is the accessing vCPU (whose banked private interrupts INTIDs 0-31
 * mean); a redistributor passes the vCPU it belongs to.
 */
import {
  CONFIG_EDGE,
  CONFIG_LEVEL,
  CTL_DEBUG,
  CTL_DIST_ENABLE,
  DEBUG_UNLOCKED_DIST_ENABLE,
  FOLD_ACTIVATE,
  FOLD_DEACTIVATE,
  FOLD_UNPEND,
  NONE,
  type Vgic,
} from './vgic.js';
import { isPending } from './oracle.js';
import { dropCallbacks, holdCallbacks, hostListens, notifyHost, releaseCallbacks, type HostNotice } from './notify.js';
import { kickVcpu, queueIrqUnlock } from './queue.js';

export type IrqBitField = 'enabled' | 'pending' | 'active' | 'group';

/** One bit per interrupt for `count` INTIDs from `intid0`, bit i for intid0+i. */
export function readIrqBits(v: Vgic, vcpu: number, intid0: number, count: number, field: IrqBitField): number {
  let value = 0;
  for (let i = 0; i < count; i++) {
    const slot = v.slotOf(intid0 + i, vcpu);
    if (slot === NONE) continue;
    let bit: boolean;
    switch (field) {
      case 'enabled':
        bit = v.enabled[slot] !== 0;
        break;
      case 'pending':
        bit = isPending(v, slot);
        break;
      case 'active':
        bit = v.active[slot] !== 0;
        break;
      case 'group':
        bit = v.group[slot] !== 0;
        break;
    }
    if (bit) value |= 1 << i;
  }
  return value >>> 0;
}

function forEachSetBit(
  v: Vgic,
  vcpu: number,
  intid0: number,
  bits: number,
  fn: (v: Vgic, slot: number, intid: number) => void,
): void {
  let rest = bits >>> 0;
  while (rest !== 0) {
    const i = 31 - Math.clz32(rest & -rest);
    rest &= rest - 1;
    const slot = v.slotOf(intid0 + i, vcpu);
    if (slot !== NONE) fn(v, slot, intid0 + i);
  }
}

/** ISENABLER: enable, then queue if now deliverable. */
export function writeSetEnable(v: Vgic, vcpu: number, intid0: number, bits: number): void {
  forEachSetBit(v, vcpu, intid0, bits, (v, slot) => {
    v.lockIrq(slot);
    v.enabled[slot] = 1;
    queueIrqUnlock(v, slot);
  });
}

/** ICENABLER: disable; a queued interrupt is dropped by the next prune, not here. */
export function writeClearEnable(v: Vgic, vcpu: number, intid0: number, bits: number): void {
  forEachSetBit(v, vcpu, intid0, bits, (v, slot) => {
    v.lockIrq(slot);
    v.enabled[slot] = 0;
    v.unlockIrq(slot);
  });
}

/**
 * Tell the host of a change the guest made to a hardware-mapped interrupt
 * (`host` is its host INTID, read under the irq lock; NONE when the
 * interrupt is not mapped). Called with no lock held.
 */
function toHost(v: Vgic, type: HostNotice, vcpu: number, intid: number, host: number): void {
  if (host !== NONE && hostListens(v, type)) notifyHost(v, type, vcpu, intid, host);
}

/**
 * ISPENDR: set the pending latch and queue. GICv2 SGIs are WI here (they
 * have SPENDSGIR). A hardware-mapped interrupt's host interrupt is made
 * active, as KVM's vgic_mmio_write_spending does, so that it does not fire
 * again before the guest has deactivated this one.
 */
export function writeSetPending(v: Vgic, vcpu: number, intid0: number, bits: number): void {
  forEachSetBit(v, vcpu, intid0, bits, (v, slot, intid) => {
    if (v.sgiSources && intid < 16) return;
    v.lockIrq(slot);
    v.pendingLatch[slot] = 1;
    const host = v.hw[slot] !== 0 ? v.hostIntid[slot]! : NONE;
    queueIrqUnlock(v, slot);
    toHost(v, 'hostActivate', vcpu, intid, host);
  });
}

/**
 * ICPENDR: clear the pending latch (a level line that is high stays
 * pending). If the interrupt sits pending in a running vCPU's list register,
 * that vCPU's fold drops the LR's pending state too. For a hardware-mapped
 * interrupt the host's pending state is cleared as well and, unless the
 * interrupt is active, the host interrupt deactivated — KVM's
 * vgic_hw_irq_cpending, so that ISPENDR followed by ICPENDR cannot leave the
 * physical interrupt masked.
 */
export function writeClearPending(v: Vgic, vcpu: number, intid0: number, bits: number): void {
  forEachSetBit(v, vcpu, intid0, bits, (v, slot, intid) => {
    if (v.sgiSources && intid < 16) return;
    v.lockIrq(slot);
    v.pendingLatch[slot] = 0;
    const owner = v.apListVcpu[slot]!;
    const live = v.inLr[slot] !== NONE;
    if (live) v.foldChanges[slot] = v.foldChanges[slot]! | FOLD_UNPEND;
    const host = v.hw[slot] !== 0 ? v.hostIntid[slot]! : NONE;
    // As KVM, the active state as the distributor knows it: a running
    // vCPU's list register may hold a newer one until its next exit.
    const active = v.active[slot] !== 0;
    v.unlockIrq(slot);
    if (live) kickVcpu(v, owner);
    toHost(v, 'hostClearPending', vcpu, intid, host);
    if (!active) toHost(v, 'hostDeactivate', vcpu, intid, host);
  });
}

/**
 * ISACTIVER/ICACTIVER (vgic_mmio_change_active). An interrupt made active
 * goes on an ap_list (its owner's, or its target's when it is on none). If
 * it sits in a running vCPU's list register, the change is recorded for that
 * vCPU's fold and the vCPU is kicked — KVM halts every vCPU for the same
 * effect. A hardware-mapped interrupt's host interrupt follows
 * (vgic_hw_irq_change_active): made active, or deactivated.
 */
export function writeActive(v: Vgic, vcpu: number, intid0: number, bits: number, active: boolean): void {
  forEachSetBit(v, vcpu, intid0, bits, (v, slot, intid) => {
    v.lockIrq(slot);
    const owner = v.apListVcpu[slot]!;
    const live = v.inLr[slot] !== NONE;
    v.active[slot] = active ? 1 : 0;
    if (active && v.sgiSources && intid < 16) v.activeSrc[slot] = vcpu;
    if (live) {
      const f = v.foldChanges[slot]! & ~(FOLD_ACTIVATE | FOLD_DEACTIVATE);
      v.foldChanges[slot] = f | (active ? FOLD_ACTIVATE : FOLD_DEACTIVATE);
    }
    const host = v.hw[slot] !== 0 ? v.hostIntid[slot]! : NONE;
    if (active) queueIrqUnlock(v, slot);
    else v.unlockIrq(slot);
    if (live) kickVcpu(v, owner);
    toHost(v, active ? 'hostActivate' : 'hostDeactivate', vcpu, intid, host);
  });
}

/** IGROUPR: set each interrupt's group, and re-evaluate where it belongs. */
export function writeGroup(v: Vgic, vcpu: number, intid0: number, count: number, bits: number): void {
  for (let i = 0; i < count; i++) {
    const slot = v.slotOf(intid0 + i, vcpu);
    if (slot === NONE) continue;
    v.lockIrq(slot);
    v.group[slot] = (bits >>> i) & 1;
    queueIrqUnlock(v, slot);
  }
}

/** IPRIORITYR: one byte per interrupt, `width` bytes from `intid0`. */
export function readPriority(v: Vgic, vcpu: number, intid0: number, bytes: number): number {
  let value = 0;
  for (let i = 0; i < bytes; i++) {
    const slot = v.slotOf(intid0 + i, vcpu);
    if (slot !== NONE) value |= v.priority[slot]! << (8 * i);
  }
  return value >>> 0;
}

/** IPRIORITYR write: unimplemented low bits are dropped (5 bits: 0xff becomes 0xf8). Takes effect at the next flush, as in KVM. */
export function writePriority(v: Vgic, vcpu: number, intid0: number, bytes: number, value: number): void {
  for (let i = 0; i < bytes; i++) {
    const slot = v.slotOf(intid0 + i, vcpu);
    if (slot === NONE) continue;
    v.lockIrq(slot);
    v.priority[slot] = (value >>> (8 * i)) & v.priorityMask;
    v.unlockIrq(slot);
  }
}

/** ICFGR: two bits per interrupt, 0b10 for edge-triggered. */
export function readConfig(v: Vgic, vcpu: number, intid0: number, count: number): number {
  let value = 0;
  for (let i = 0; i < count; i++) {
    const slot = v.slotOf(intid0 + i, vcpu);
    if (slot !== NONE && v.config[slot] === CONFIG_EDGE) value |= 2 << (2 * i);
  }
  return value >>> 0;
}

/**
 * ICFGR write: bit 2i+1 chooses edge (1) or level (0). Private interrupts
 * are read-only, as in KVM (SGIs are edge; PPIs level, as the timer needs).
 * `first` is the lowest INTID the caller lets the guest configure.
 */
export function writeConfig(v: Vgic, vcpu: number, intid0: number, count: number, value: number): void {
  for (let i = 0; i < count; i++) {
    const intid = intid0 + i;
    if (intid < 32) continue;
    const slot = v.slotOf(intid, vcpu);
    if (slot === NONE) continue;
    v.lockIrq(slot);
    v.config[slot] = (value >>> (2 * i + 1)) & 1 ? CONFIG_EDGE : CONFIG_LEVEL;
    // A level interrupt whose line is high becomes pending by this change;
    // KVM does not re-evaluate here, which would leave it on no ap_list.
    queueIrqUnlock(v, slot);
  }
}

/**
 * Set an interrupt's routing word and the target the backend computed from
 * it, then re-evaluate: a pending interrupt that had no target is delivered
 * to its new one. (KVM records the new target only; the interrupt then waits
 * until something else queues it.) A queued interrupt moves at its owner's
 * next prune, so the owner is kicked.
 */
export function setRoute(v: Vgic, slot: number, lo: number, hi: number, target: number): void {
  v.lockIrq(slot);
  routeIrqUnlock(v, slot, lo, hi, target);
}

/**
 * routeIrqUnlock — `setRoute` for a caller that holds the irq lock of `slot`
 * already, because the new routing word depends on the old one (a write of
 * one half of GICv3's IROUTER keeps the other; a 1-of-N choice made again
 * keeps the word and changes the target): read and written under one hold
 * of the lock, no concurrent write between them is lost. Returns with every
 * lock dropped.
 */
export function routeIrqUnlock(v: Vgic, slot: number, lo: number, hi: number, target: number): void {
  if (v.lockdep !== null) v.lockdep.assertHeld(slot, 'routeIrqUnlock');
  v.route[slot * 2] = lo >>> 0;
  v.route[slot * 2 + 1] = hi >>> 0;
  v.target[slot] = target;
  const owner = v.apListVcpu[slot]!;
  queueIrqUnlock(v, slot);
  if (owner !== NONE && owner !== target) kickVcpu(v, owner);
}

/**
 * Send SGI `intid` from `source` to `target` (GICD_SGIR, ICC_SGI1R_EL1).
 * GICv2 records the source in the SGI's bitmap. `group` (GICv3's SGI0R vs
 * SGI1R) must match the SGI's group, or nothing is sent; -1 sends regardless.
 * Returns whether the SGI's state changed (false: coalesced or refused).
 */
export function sendSgi(v: Vgic, source: number, target: number, intid: number, group: number): boolean {
  const slot = target * 32 + intid;
  v.lockIrq(slot);
  if (group >= 0 && v.group[slot] !== group) {
    v.unlockIrq(slot);
    return false;
  }
  let changed: boolean;
  if (v.sgiSources) {
    const bit = 1 << source;
    changed = (v.sgiSrc[slot]! & bit) === 0;
    v.sgiSrc[slot] = v.sgiSrc[slot]! | bit;
  } else {
    changed = v.pendingLatch[slot] === 0;
  }
  v.pendingLatch[slot] = 1;
  queueIrqUnlock(v, slot);
  return changed;
}

/** GICv2 CPENDSGIR/SPENDSGIR: one byte per SGI, bit s for source vCPU s. */
export function readSgiSources(v: Vgic, vcpu: number, sgi0: number): number {
  let value = 0;
  for (let i = 0; i < 4; i++) value |= v.sgiSrc[vcpu * 32 + sgi0 + i]! << (8 * i);
  return value >>> 0;
}

export function writeSgiSources(v: Vgic, vcpu: number, sgi0: number, bytes: number, value: number, set: boolean): void {
  for (let i = 0; i < bytes; i++) {
    const bits = (value >>> (8 * i)) & 0xff;
    if (bits === 0) continue;
    const slot = vcpu * 32 + sgi0 + i;
    v.lockIrq(slot);
    const src = set ? v.sgiSrc[slot]! | bits : v.sgiSrc[slot]! & ~bits;
    v.sgiSrc[slot] = src;
    v.pendingLatch[slot] = src !== 0 ? 1 : 0;
    if (set) queueIrqUnlock(v, slot);
    else v.unlockIrq(slot);
  }
}

/** The distributor's group enables, bit g for group g. */
export function distEnable(v: Vgic): number {
  return v.header[CTL_DIST_ENABLE]!;
}

/**
 * Set the distributor's group enables (GICD_CTLR). Interrupts that became
 * deliverable are queued, and every vCPU is kicked (vgic_kick_vcpus). Until
 * the last of them is queued the machine is not whole (the distributor says
 * they are deliverable, no ap_list holds them), so what the queuing reports
 * is reported after that.
 */
export function setDistEnable(v: Vgic, groups: number): void {
  // Test hook: the owners read without the lock — and, as the memory model
  // lets an unlocked read be, as they were before the enable (a
  // deliberately broken engine, for the stress run to catch).
  const stale = (v.header[CTL_DEBUG]! & DEBUG_UNLOCKED_DIST_ENABLE) !== 0 ? v.apListVcpu.slice() : null;
  const before = Atomics.exchange(v.header, CTL_DIST_ENABLE, groups);
  if ((groups & ~before) === 0) return;
  holdCallbacks(v);
  try {
    for (let slot = 0; slot < v.nrSlots; slot++) if (stale === null || stale[slot] === NONE) queueIfOnNoList(v, slot);
    for (let k = 0; k < v.nrVcpus; k++) kickVcpu(v, k);
  } catch (e) {
    dropCallbacks(v);
    throw e;
  }
  releaseCallbacks(v);
}

/**
 * Queue `slot` if it is on no ap_list and now belongs on one. `apListVcpu` is
 * read under the irq lock: a prune on another thread may be taking the
 * interrupt off its list, having judged it targetless while the
 * distributor was still off. Read unlocked, it would still name that list,
 * the interrupt would be skipped here, and the prune would leave it on none
 * — lost. Under the lock, either the prune came first (owner NONE: queued
 * here) or it comes after and sees the distributor enabled (it stays).
 */
function queueIfOnNoList(v: Vgic, slot: number): void {
  v.lockIrq(slot);
  if (v.apListVcpu[slot] !== NONE) {
    v.unlockIrq(slot);
    return;
  }
  queueIrqUnlock(v, slot);
}
