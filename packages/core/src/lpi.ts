/**
 * LPIs in the engine (GICv3): message-signalled interrupts from INTID 8192
 * up, drawn from the LPI slots of the state buffer (`Vgic.lpiBase` ..
 * `nrSlots` - 1) while they are mapped, with an in-buffer INTID → slot map.
 * KVM allocates a `struct vgic_irq` per LPI (vgic_add_lpi) and frees it when
 * its last reference goes (vgic_put_irq); here a slot is referenced while
 * mapped, and given to another INTID only once it is on no ap_list and in no
 * list register (as KVM's ap_list holds a reference).
 *
 * An LPI is edge-triggered, group 1, without line level; its priority and
 * enable come from the property table in guest memory (`lpiSetConfig`, which
 * the GICv3 backend feeds). Once queued it is a slot like any other: on an
 * ap_list under the same lock order, flushed, folded and pruned by the same
 * code. The lock order with the ITS (lockdep.ts):
 *
 *   its cmd_lock > its_lock > ap_list_lock > LPI map lock > irq_lock
 */
import { apListDel } from './aplist.js';
import { VgicError } from './errors.js';
import { kickVcpu, migrateIrq, queueIrqUnlock, requeue } from './queue.js';
import {
  CONFIG_EDGE,
  CTL_LPI_CURSOR,
  CTL_LPI_DROPPED_PENDING,
  CTL_MSI_COALESCED,
  FOLD_UNPEND,
  LPI_INTID_BASE,
  LPI_INTID_BITS,
  LPI_INTID_SPACE,
  NONE,
  type Vgic,
} from './vgic.js';

export { LPI_INTID_BASE, LPI_INTID_BITS, LPI_INTID_SPACE };

/** A new LPI's priority until its property byte is read (KVM's GICD_INT_DEF_PRI). */
export const LPI_DEFAULT_PRIORITY = 0xa0;

/** The property byte's fields (IHI 0069, 5.1.1): priority in bits 7:2, enable in bit 0. */
export const LPI_PROP_PRIORITY = 0xfc;
export const LPI_PROP_ENABLE = 1;

/** The slot mapped to LPI `intid`, or NONE: lock-free, one atomic load of the map. */
export function lpiSlot(v: Vgic, intid: number): number {
  return v.lpiSlotOf(intid);
}

/** MSIs that found their LPI already pending (one pending state for both), machine-wide. */
export function msiCoalesced(v: Vgic): number {
  return Atomics.load(v.header, CTL_MSI_COALESCED);
}

/**
 * Pending states dropped because their LPI was unmapped before a vCPU took
 * them (KVM's DISCARD of a pending LPI), machine-wide: counted at the last
 * release for a latch, and — for an LPI a list register holds pending — at
 * the fold, if the guest had not acknowledged it by then.
 */
export function lpiDroppedPending(v: Vgic): number {
  return Atomics.load(v.header, CTL_LPI_DROPPED_PENDING);
}

/** Is `slot` an LPI slot that is mapped now? (A quiet look: no lock; for reports and checks.) */
export function lpiMapped(v: Vgic, slot: number): boolean {
  return v.isLpiSlot(slot) && v.lpiLive[slot - v.lpiBase] !== 0;
}

function checkLpiSlot(v: Vgic, slot: number, what: string): void {
  if (typeof slot !== 'number' || !v.isLpiSlot(slot) || !Number.isInteger(slot)) {
    throw new VgicError('INVALID_ARGUMENT', `${what}: ${String(slot)} is not an LPI slot of this machine (slots ${v.lpiBase}..${v.nrSlots - 1})`);
  }
}

/** A slot's state as a new LPI has it: edge, group 1, not pending, disabled, default priority, no target. */
function initLpiSlot(v: Vgic, slot: number, intid: number): void {
  v.intid[slot] = intid;
  v.pendingLatch[slot] = 0;
  v.lineLevel[slot] = 0;
  v.active[slot] = 0;
  v.enabled[slot] = 0;
  v.hw[slot] = 0;
  v.hostIntid[slot] = 0;
  v.config[slot] = CONFIG_EDGE;
  v.group[slot] = 1;
  v.priority[slot] = LPI_DEFAULT_PRIORITY;
  v.sgiSrc[slot] = 0;
  v.activeSrc[slot] = 0;
  v.foldChanges[slot] = 0;
  v.route[slot * 2] = 0;
  v.route[slot * 2 + 1] = 0;
  v.target[slot] = NONE;
}

/**
 * Every LPI unmapped, every LPI slot free (a machine's reset; no other
 * thread inside, every LPI slot off the ap_lists: `resetLinks` first).
 */
export function lpiResetAll(v: Vgic): void {
  v.lpiMap.fill(0);
  v.lpiRefs.fill(0);
  v.lpiLive.fill(0);
  v.header[CTL_LPI_CURSOR] = 0;
  v.header[CTL_MSI_COALESCED] = 0;
  v.header[CTL_LPI_DROPPED_PENDING] = 0;
  for (let s = v.lpiBase; s < v.nrSlots; s++) initLpiSlot(v, s, 0);
}

/**
 * vgic_add_lpi: the slot of LPI `intid` with one more reference — the one
 * it has if it is mapped already — or NONE when `intid` is no LPI INTID
 * (8192..65535) or every slot is taken. A new LPI is edge, group 1, not
 * pending, disabled, at the default priority, with no target, until its
 * property byte is read and its target set. Takes the LPI map lock (and each
 * candidate slot's irq lock, to see it is on no list): the caller may hold
 * the ITS's locks, no ap_list_lock or irq lock.
 */
export function lpiAllocate(v: Vgic, intid: number): number {
  const i = intid - LPI_INTID_BASE;
  if (v.nrLpis === 0 || typeof intid !== 'number' || !Number.isInteger(intid) || i < 0 || i >= LPI_INTID_SPACE) return NONE;
  v.lockLpiMap();
  const mapped = v.lpiMap[i]! - 1;
  if (mapped !== NONE) {
    v.lpiRefs[mapped - v.lpiBase]!++;
    v.unlockLpiMap();
    return mapped;
  }
  const start = v.header[CTL_LPI_CURSOR]!;
  for (let n = 0; n < v.nrLpis; n++) {
    const k = (start + n) % v.nrLpis;
    if (v.lpiRefs[k] !== 0) continue;
    const slot = v.lpiBase + k;
    v.lockIrq(slot);
    // Unmapped, but still on an ap_list or in a list register: a vCPU's
    // prune lets it go (its fold first), as KVM's ap_list reference does.
    if (v.apListVcpu[slot] !== NONE || v.inLr[slot] !== NONE) {
      v.unlockIrq(slot);
      continue;
    }
    initLpiSlot(v, slot, intid);
    v.lpiLive[k] = 1;
    v.unlockIrq(slot);
    v.lpiRefs[k] = 1;
    Atomics.store(v.lpiMap, i, slot + 1);
    v.header[CTL_LPI_CURSOR] = (k + 1) % v.nrLpis;
    v.unlockLpiMap();
    return slot;
  }
  v.unlockLpiMap();
  return NONE;
}

/**
 * vgic_put_irq: one reference fewer. At the last the LPI is unmapped —
 * `lpiSlot` says NONE, its pending state is dropped (an ITS DISCARD removes
 * it; the architecture's DISCARD leaves no interrupt pending), it is
 * disabled — and its slot is free once it is on no ap_list and in no list
 * register. One on an ap_list but in no list register, and not active,
 * leaves that list here and now; one in a list register stays until the
 * vCPU exits, whose fold clears the pending state the list register still
 * holds and whose prune drops it; an active one stays for the guest's EOI
 * to find it. Throws INVALID_STATE for a slot with no reference (a release
 * too many is a bug of the caller).
 *
 * Unlike KVM, which leaves an unmapped LPI on its ap_list for the vCPU's
 * next prune: KVM allocates LPIs as it goes, and one left behind costs it
 * nothing; here the LPI slots are a fixed number, and a vCPU asleep in WFI
 * prunes nothing, so a guest that discards and maps again while one of its
 * vCPUs sleeps would find every slot held by LPIs that no longer exist and
 * its MAPTIs refused.
 */
export function lpiRelease(v: Vgic, slot: number): void {
  checkLpiSlot(v, slot, 'lpiRelease');
  const k = slot - v.lpiBase;
  v.lockLpiMap();
  const refs = v.lpiRefs[k]!;
  if (refs <= 0) {
    v.unlockLpiMap();
    throw new VgicError('INVALID_STATE', `lpiRelease: LPI slot ${slot} holds no reference`);
  }
  v.lpiRefs[k] = refs - 1;
  if (refs === 1) unmap(v, slot);
  v.unlockLpiMap();
  if (refs === 1) dropFromApList(v, slot);
}

/**
 * Take an unmapped LPI off the ap_list that holds it, unless it is in a
 * list register (its vCPU's sync does that) or active (its EOI does). The
 * ap_list lock comes before the irq lock, so the owner is read first and
 * checked again under both: a slot that left the list meanwhile, or was
 * mapped again, stays as it is.
 */
function dropFromApList(v: Vgic, slot: number): void {
  const owner = v.apListVcpu[slot]!;
  if (owner === NONE) return;
  v.lockApList(owner);
  v.lockIrq(slot);
  if (v.apListVcpu[slot] === owner && v.inLr[slot] === NONE && v.active[slot] === 0 && v.lpiLive[slot - v.lpiBase] === 0) {
    apListDel(v, slot);
    v.apListVcpu[slot] = NONE;
  }
  v.unlockIrq(slot);
  v.unlockApList(owner);
}

/** The last reference is gone: unmap the LPI of `slot`. Caller holds the LPI map lock. */
function unmap(v: Vgic, slot: number): void {
  const k = slot - v.lpiBase;
  Atomics.store(v.lpiMap, v.intid[slot]! - LPI_INTID_BASE, 0);
  v.lockIrq(slot);
  v.lpiLive[k] = 0;
  const live = v.inLr[slot] !== NONE;
  // The list register's own pending state is counted at the fold (sync.ts), if the guest has not taken it by then.
  if (live) v.foldChanges[slot] = v.foldChanges[slot]! | FOLD_UNPEND;
  if (v.pendingLatch[slot] !== 0) Atomics.add(v.header, CTL_LPI_DROPPED_PENDING, 1);
  v.pendingLatch[slot] = 0;
  v.enabled[slot] = 0;
  v.unlockIrq(slot);
}

/**
 * Restore: map LPI `intid` to the `i`th LPI slot with `refs` references, in
 * its new-LPI state (the caller writes the rest). For a machine no other
 * thread is inside, whose LPIs were all unmapped (`lpiResetAll`), each `i`
 * used once. Returns the slot.
 */
export function lpiRestoreMapping(v: Vgic, i: number, intid: number, refs: number): number {
  const slot = v.lpiBase + i;
  initLpiSlot(v, slot, intid);
  v.lpiLive[i] = 1;
  v.lpiRefs[i] = refs;
  Atomics.store(v.lpiMap, intid - LPI_INTID_BASE, slot + 1);
  v.header[CTL_LPI_CURSOR] = (i + 1) % v.nrLpis;
  return slot;
}

/** Unmap every mapped LPI that holds no reference (after a restore whose backend took its references again). */
export function lpiUnmapUnreferenced(v: Vgic): void {
  v.lockLpiMap();
  for (let k = 0; k < v.nrLpis; k++) if (v.lpiLive[k] !== 0 && v.lpiRefs[k] === 0) unmap(v, v.lpiBase + k);
  v.unlockLpiMap();
}

/**
 * Retarget an LPI (MAPTI, MAPI, MOVI, MOVALL): `vcpu` is its new target
 * (NONE: none). A pending LPI queued on another vCPU's ap_list and in no
 * list register moves there at once, taking the two ap_list_locks lower vCPU
 * first as prune does. (KVM's update_affinity only sets the target and
 * leaves the move to the old vCPU's next prune, which may be long in coming
 * for a vCPU asleep in WFI; moving now ends in the state that prune would
 * make, sooner.) One in a list register stays until that vCPU exits, whose
 * prune moves it, as in KVM. One on no list is queued if it is now deliverable. The caller
 * may hold the ITS's locks, no ap_list_lock or irq lock.
 */
export function lpiSetTarget(v: Vgic, slot: number, vcpu: number): void {
  checkLpiSlot(v, slot, 'lpiSetTarget');
  if (vcpu !== NONE && (typeof vcpu !== 'number' || vcpu >>> 0 !== vcpu || vcpu >= v.nrVcpus)) {
    throw new VgicError('INVALID_VCPU', `lpiSetTarget: vCPU ${String(vcpu)} does not exist; this machine has vCPUs 0..${v.nrVcpus - 1}`);
  }
  v.lockIrq(slot);
  v.target[slot] = vcpu;
  const owner = v.apListVcpu[slot]!;
  if (owner === NONE) {
    queueIrqUnlock(v, slot);
    return;
  }
  if (owner === vcpu || vcpu === NONE || v.inLr[slot] !== NONE) {
    // Staying, going nowhere (the owner's prune drops it) or live in a
    // list register (the owner's prune moves it once it exits).
    v.unlockIrq(slot);
    return;
  }
  v.unlockIrq(slot);
  // Pruned in the window (no longer on a list): queue it afresh where it now belongs.
  if (!migrateIrq(v, slot, owner, vcpu)) requeue(v, slot);
}

/**
 * An MSI reaches the LPI: set its pending latch and queue it
 * (vgic_its_trigger_msi's second half). False when the slot's LPI is
 * unmapped, or `slot` is no LPI slot: the MSI is dropped. Edge-triggered: a second MSI before the
 * first is taken is the same one.
 */
export function lpiSetPending(v: Vgic, slot: number): boolean {
  const k = slot - v.lpiBase;
  if (!(k >= 0 && k < v.nrLpis)) return false;
  v.lockIrq(slot);
  if (v.lpiLive[k] === 0) {
    v.unlockIrq(slot);
    return false;
  }
  if (v.pendingLatch[slot] !== 0) Atomics.add(v.header, CTL_MSI_COALESCED, 1);
  v.pendingLatch[slot] = 1;
  queueIrqUnlock(v, slot);
  return true;
}

/**
 * The ITS's CLEAR: the LPI is no longer pending. If a running vCPU's list
 * register holds it pending, that vCPU's fold drops the LR's pending state
 * too (as ICPENDR does), and it is kicked to get there.
 */
export function lpiClearPending(v: Vgic, slot: number): void {
  checkLpiSlot(v, slot, 'lpiClearPending');
  v.lockIrq(slot);
  v.pendingLatch[slot] = 0;
  const owner = v.apListVcpu[slot]!;
  const live = v.inLr[slot] !== NONE;
  if (live) v.foldChanges[slot] = v.foldChanges[slot]! | FOLD_UNPEND;
  v.unlockIrq(slot);
  if (live) kickVcpu(v, owner);
}

/**
 * Apply a property-table byte (update_lpi_config): priority = bits 7:2,
 * enable = bit 0. Enabling a pending LPI queues it; disabling one leaves it
 * where it is for its vCPU's prune, as vgic_queue_irq_unlock does. An
 * unmapped LPI is left alone.
 */
export function lpiSetConfig(v: Vgic, slot: number, prop: number): void {
  checkLpiSlot(v, slot, 'lpiSetConfig');
  v.lockIrq(slot);
  if (v.lpiLive[slot - v.lpiBase] === 0) {
    v.unlockIrq(slot);
    return;
  }
  v.priority[slot] = prop & LPI_PROP_PRIORITY;
  v.enabled[slot] = prop & LPI_PROP_ENABLE;
  queueIrqUnlock(v, slot);
}
