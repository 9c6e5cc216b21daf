/**
 * The virtual CPU interface over the list registers, as the hardware (and
 * KVM's trap emulation, hyp/vgic-v3-sr.c) works it: acknowledge, priority
 * drop, deactivation, the running priority with binary points, and the
 * vCPU's interrupt outputs. GICv2's GICV_* and GICv3's ICV_* registers are
 * both built on these functions by their backends.
 *
 * Runs on the vCPU's own thread, without the ap_list_lock: the list
 * registers belong to the running vCPU alone. Interrupt slots are touched
 * only under their irq lock.
 */
import { lowestBit } from './bits.js';
import { LINE_WORDS } from './cache-line.js';
import { dropCallbacks, emitTrace, holdCallbacks, hostListens, notifyEoi, notifyHost, notifyLine, releaseCallbacks } from './notify.js';
import { isPending, targetOracle } from './oracle.js';
import { kickVcpu, queueIrqUnlock } from './queue.js';
import type { MaintenanceReason } from './trace.js';
import {
  CONFIG_LEVEL,
  CTL_DEBUG,
  CTL_DIST_ENABLE,
  DEBUG_STALE_LIVE_ACTIVE,
  FOLD_ACTIVATE,
  FOLD_DEACTIVATE,
  LPI_INTID_BASE,
  LR_ACTIVE,
  LR_PENDING,
  NONE,
  VCPU_RUNNING,
  type Vgic,
} from './vgic.js';

/** INTID returned when there is nothing to acknowledge. */
export const SPURIOUS = 1023;
/** GICv2: the highest-priority pending interrupt is Group 1 and GICV_CTLR.AckCtl is 0. */
export const SPURIOUS_GROUP1 = 1022;
/** The running priority of a vCPU with nothing active. */
export const IDLE_PRIORITY = 0xff;

/** The binary point that applies to `grp` (ICC_BPR1 follows BPR0 + 1 when CBPR is set). */
export function binaryPoint(v: Vgic, vcpu: number, grp: number): number {
  if (grp === 0) return v.bpr0[vcpu]! + 1;
  if (v.cbpr[vcpu] !== 0) {
    const b = v.bpr0[vcpu]!;
    return b < 7 ? b + 1 : b;
  }
  return v.bpr1[vcpu]!;
}

/** The group priority of `prio`: the bits above the binary point (KVM's pri_to_pre). */
export function groupPriority(v: Vgic, vcpu: number, prio: number, grp: number): number {
  return prio & ((0xff << binaryPoint(v, vcpu, grp)) & 0xff);
}

/** The running priority: the highest (numerically lowest) active group priority, or 0xff. */
export function highestActivePriority(v: Vgic, vcpu: number): number {
  const base = v.aprBase(vcpu);
  for (let i = 0; i < v.aprWordsUsed; i++) {
    const w = v.apr[base + i]! | v.apr[base + 4 + i]!;
    if (w !== 0) return ((i * 32 + lowestBit(w)) << v.bprMin) & 0xff;
  }
  return IDLE_PRIORITY;
}

/** Set the active-priority bit of group priority `gp` (already masked by the binary point) in group `grp`. */
function markActivePriority(v: Vgic, vcpu: number, gp: number, grp: number): void {
  const ap = gp >> v.bprMin;
  const at = v.aprBase(vcpu) + grp * 4 + (ap >> 5);
  v.apr[at] = (v.apr[at]! | (1 << (ap & 31))) >>> 0;
}

/**
 * Priority drop: clear the highest active priority bit (on a tie, AP1R's, as
 * KVM does) and return the group priority it stood for, or 0xff when none
 * was set — the running priority before the drop, found in the same walk.
 */
function dropPriority(v: Vgic, vcpu: number): number {
  const base = v.aprBase(vcpu);
  for (let i = 0; i < v.aprWordsUsed; i++) {
    const ap0 = v.apr[base + i]!;
    const ap1 = v.apr[base + 4 + i]!;
    if ((ap0 | ap1) === 0) continue;
    const c0 = ap0 !== 0 ? lowestBit(ap0) : 32;
    const c1 = ap1 !== 0 ? lowestBit(ap1) : 32;
    let bit = c1;
    if (c0 < c1) {
      v.apr[base + i] = (ap0 & ~(1 << c0)) >>> 0;
      bit = c0;
    } else {
      v.apr[base + 4 + i] = (ap1 & ~(1 << c1)) >>> 0;
    }
    return ((i * 32 + bit) << v.bprMin) & 0xff;
  }
  return IDLE_PRIORITY;
}

function groupEnabled(v: Vgic, vcpu: number, grp: number): boolean {
  return (grp === 0 ? v.grpEn0[vcpu] : v.grpEn1[vcpu]) !== 0;
}

/**
 * A vCPU enables or disables group `grp` at its CPU interface (GICv2's
 * GICC_CTLR.EnableGrp0/1, GICv3's ICC_IGRPEN0/1_EL1). A change makes the
 * vCPU exit and look at its ap_list again — KVM arms the VGrp0/1 enable and
 * disable maintenance interrupts for it — since what its list registers
 * hold was chosen for the old enables: an interrupt of a group just enabled
 * may be waiting on the ap_list behind them. Returns whether it changed.
 */
export function cpuifSetGroupEnable(v: Vgic, vcpu: number, grp: number, on: boolean): boolean {
  const en = grp === 0 ? v.grpEn0 : v.grpEn1;
  const value = on ? 1 : 0;
  if (en[vcpu] === value) return false;
  en[vcpu] = value;
  kickVcpu(v, vcpu);
  cpuifUpdateLines(v, vcpu);
  return true;
}

/**
 * The list register (index within the vCPU) of the highest-priority
 * interrupt that is pending and not active, in an enabled group; -1 if none.
 * Ties go to the lower LR.
 */
export function highestPendingLr(v: Vgic, vcpu: number): number {
  const base = v.lrBase(vcpu);
  const used = v.usedLrs[vcpu * LINE_WORDS]!;
  let best = -1;
  let bestPrio = 0x100;
  for (let k = 0; k < used; k++) {
    const lr = base + k;
    if (v.lrState[lr] !== LR_PENDING) continue;
    if (!groupEnabled(v, vcpu, v.lrGroup[lr]!)) continue;
    const p = v.lrPrio[lr]!;
    if (p < bestPrio) {
      bestPrio = p;
      best = k;
    }
  }
  return best;
}

/** Is LR `k`'s interrupt allowed to interrupt the vCPU now (PMR, running priority)? */
function canSignal(v: Vgic, vcpu: number, k: number): boolean {
  const lr = v.lrBase(vcpu) + k;
  const prio = v.lrPrio[lr]!;
  return prio < v.pmr[vcpu]! && groupPriority(v, vcpu, prio, v.lrGroup[lr]!) < highestActivePriority(v, vcpu);
}

/** The value IAR/HPPIR return for LR `k`: the INTID, with a GICv2 SGI's source in bits 12:10. */
function lrIarValue(v: Vgic, lr: number): number {
  const intid = v.lrIntid[lr]!;
  return v.sgiSources && intid < 16 ? intid | (v.lrSrc[lr]! << 10) : intid;
}

/**
 * The vCPU's virtual IRQ and FIQ outputs changed inputs (list registers, PMR,
 * priorities, group enables). With a line listener or a tracer they are
 * recomputed now, so the change is reported as it happens; with neither,
 * they are only marked stale and recomputed when read (`cpuifLines`) — the
 * round trip of an unobserved vCPU does not pay for outputs nobody looks at.
 */
export function cpuifUpdateLines(v: Vgic, vcpu: number): void {
  if (v.onLine === null && v.tracer === null) {
    // Written only when it changes: a store on every acknowledge and EOI
    // would dirty the line another thread reads it from (cpuifLines).
    if (v.linesStale[vcpu * LINE_WORDS] === 0) v.linesStale[vcpu * LINE_WORDS] = 1;
    return;
  }
  computeLines(v, vcpu);
}

/** Bring a vCPU's outputs up to date if they are stale; a listener hears of a change. */
export function cpuifLines(v: Vgic, vcpu: number): void {
  if (v.linesStale[vcpu * LINE_WORDS] !== 0) computeLines(v, vcpu);
}

/**
 * The outputs: IRQ (or FIQ) asserted while the highest-priority pending LR
 * could be acknowledged. Group 0 signals FIQ when FIQEn is set (always, for
 * GICv3's system-register interface).
 */
function computeLines(v: Vgic, vcpu: number): void {
  v.linesStale[vcpu * LINE_WORDS] = 0;
  let irq = 0;
  let fiq = 0;
  if (v.runState[vcpu * LINE_WORDS] === VCPU_RUNNING) {
    const k = highestPendingLr(v, vcpu);
    if (k >= 0 && canSignal(v, vcpu, k)) {
      if (v.lrGroup[v.lrBase(vcpu) + k] === 0 && v.fiqEn[vcpu] !== 0) fiq = 1;
      else irq = 1;
    }
  }
  if (irq !== v.irqLine[vcpu * LINE_WORDS] || fiq !== v.fiqLine[vcpu * LINE_WORDS]) {
    v.irqLine[vcpu * LINE_WORDS] = irq;
    v.fiqLine[vcpu * LINE_WORDS] = fiq;
    if (v.onLine !== null || v.tracer !== null) notifyLine(v, vcpu, irq !== 0, fiq !== 0);
  }
}

function raiseMaintenance(v: Vgic, vcpu: number, reason: MaintenanceReason): void {
  v.maintenancePending[vcpu] = 1;
  if (v.tracer !== null) emitTrace(v, { type: 'maintenance', vcpu, reason });
}

/**
 * Underflow and no-pending maintenance: when more is queued than the LRs
 * hold, the vCPU must come back for the rest once its LRs run low (at most
 * one valid) or hold nothing pending.
 */
function checkUnderflow(v: Vgic, vcpu: number): void {
  if (v.underflowRequested[vcpu] === 0 || v.maintenancePending[vcpu] !== 0) return;
  const base = v.lrBase(vcpu);
  let valid = 0;
  let pending = 0;
  for (let k = 0; k < v.usedLrs[vcpu * LINE_WORDS]!; k++) {
    const st = v.lrState[base + k]!;
    if (st !== 0) valid++;
    if (st === LR_PENDING) pending++;
  }
  if (valid <= 1) raiseMaintenance(v, vcpu, 'underflow');
  else if (pending === 0) raiseMaintenance(v, vcpu, 'no-pending');
}

/**
 * Acknowledge (IAR): the highest-priority pending LR becomes active, if it
 * beats PMR and the running priority. `groupMask` is the groups this read
 * acknowledges (bit g for group g); an interrupt of another group yields
 * `mismatch` (1023, or GICv2's 1022). Returns the INTID (GICv2 SGIs carry
 * their source in bits 12:10), or 1023.
 */
export function cpuifAck(v: Vgic, vcpu: number, groupMask: number, mismatch: number): number {
  holdCallbacks(v);
  let value: number;
  try {
    value = ack(v, vcpu, groupMask, mismatch);
  } catch (e) {
    dropCallbacks(v);
    throw e;
  }
  releaseCallbacks(v);
  return value;
}

function ack(v: Vgic, vcpu: number, groupMask: number, mismatch: number): number {
  const k = highestPendingLr(v, vcpu);
  let value = SPURIOUS;
  if (k >= 0) {
    const lr = v.lrBase(vcpu) + k;
    const prio = v.lrPrio[lr]!;
    const grp = v.lrGroup[lr]!;
    // canSignal's test, with the group priority kept for the active-priority bit.
    const gp = groupPriority(v, vcpu, prio, grp);
    if (prio < v.pmr[vcpu]! && gp < highestActivePriority(v, vcpu)) {
      if (((groupMask >> grp) & 1) === 0) {
        value = mismatch;
      } else {
        v.lrState[lr] = LR_ACTIVE;
        markActivePriority(v, vcpu, gp, grp);
        const slot = v.lrSlot[lr]!;
        if (v.config[slot] === CONFIG_LEVEL && v.pendingLatch[slot] !== 0) consumeLevelLatch(v, slot);
        value = lrIarValue(v, lr);
        cpuifUpdateLines(v, vcpu);
        if (v.underflowRequested[vcpu] !== 0) checkUnderflow(v, vcpu);
      }
    }
  }
  if (v.tracer !== null) traceAck(v, vcpu, value);
  return value;
}

function traceAck(v: Vgic, vcpu: number, value: number): void {
  emitTrace(v, { type: 'ack', vcpu, intid: value & 0x3ff, source: (value >> 10) & 7 });
}

/**
 * A level-sensitive interrupt was acknowledged: the pending state a write to
 * ISPENDR gave it ends here, and from now on it is pending only while its
 * line is high. That is the architecture's state machine (IHI 0048B 3.2.4,
 * IHI 0069 4.1), and what QEMU's GIC models do; KVM instead keeps the latch
 * until the list register is empty, and clears it then even if the guest
 * set it again meanwhile — losing that second pending state. We follow the
 * architecture: a guest may read GICD_ISPENDR in its handler, and one that
 * pends the interrupt again while it is active expects it back after its
 * deactivation.
 *
 * The latch belongs to the slot, under its irq lock. The acknowledge looks
 * first without it, which keeps the common case (nothing latched, or an
 * edge interrupt) free of a lock; a latch another thread sets at the same
 * moment may fall on either side of this acknowledge, as it would on hardware.
 */
function consumeLevelLatch(v: Vgic, slot: number): void {
  v.lockIrq(slot);
  if (v.config[slot] === CONFIG_LEVEL) v.pendingLatch[slot] = 0;
  v.unlockIrq(slot);
}

/** HPPIR: the highest-priority pending interrupt's INTID without acknowledging it (PMR not applied). */
export function cpuifHppi(v: Vgic, vcpu: number, groupMask: number, mismatch: number): number {
  const k = highestPendingLr(v, vcpu);
  if (k < 0) return SPURIOUS;
  const lr = v.lrBase(vcpu) + k;
  if (((groupMask >> v.lrGroup[lr]!) & 1) === 0) return mismatch;
  return lrIarValue(v, lr);
}

/** RPR: the running priority. */
export function cpuifRpr(v: Vgic, vcpu: number): number {
  return highestActivePriority(v, vcpu);
}

/** The live LR holding `intid` (and, for GICv2 SGIs, `source`) in the active state; -1 if none. */
function findActiveLr(v: Vgic, vcpu: number, intid: number, source: number): number {
  const base = v.lrBase(vcpu);
  const v2Sgi = v.sgiSources && intid < 16;
  for (let k = 0; k < v.usedLrs[vcpu * LINE_WORDS]!; k++) {
    const lr = base + k;
    if (v.lrIntid[lr] !== intid || (v.lrState[lr]! & LR_ACTIVE) === 0) continue;
    if (v2Sgi && v.lrSrc[lr] !== source) continue;
    return k;
  }
  return -1;
}

/** Deactivate LR `k`: a hardware interrupt is deactivated at the host too; an emptied LR that asked for it raises EOI maintenance. */
function clearActiveLr(v: Vgic, vcpu: number, k: number): void {
  const lr = v.lrBase(vcpu) + k;
  const st = v.lrState[lr]! & ~LR_ACTIVE;
  v.lrState[lr] = st;
  if (v.lrHw[lr] !== 0 || (st === 0 && v.lrEoi[lr] !== 0)) lrDeactivated(v, vcpu, lr, st);
}

/** What a deactivation in LR `lr` asks beyond the LR itself: the host's deactivation, EOI maintenance. */
function lrDeactivated(v: Vgic, vcpu: number, lr: number, st: number): void {
  if (v.lrHw[lr] !== 0) hostDeactivate(v, vcpu, v.lrIntid[lr]!, v.lrHost[lr]!);
  if (st === 0 && v.lrEoi[lr] !== 0) raiseMaintenance(v, vcpu, 'eoi');
}

function hostDeactivate(v: Vgic, vcpu: number, intid: number, hostIntid: number): void {
  if (hostListens(v, 'hostDeactivate')) notifyHost(v, 'hostDeactivate', vcpu, intid, hostIntid);
}

/** An EOI's deactivation has no priority to match: DIR's. */
const ANY_PRIORITY = -1;

/**
 * Deactivate an interrupt that is in none of this vCPU's list registers: an
 * active interrupt the flush left on the ap_list (LR overflow), or one active
 * on another vCPU (GICv3 allows any vCPU to deactivate an SPI). This is what
 * KVM does on the "no LR entry" maintenance (EOIcount) and on a trapped DIR.
 * Returns whether anything was deactivated.
 *
 * An EOI (`dropped` the group priority its priority drop cleared, `grp` the
 * group the register serves, -1 for either) deactivates only what an EOI of
 * the same interrupt in a list register would: one of that group whose
 * group priority is the one dropped. Otherwise the guest EOI'd out of order
 * and gets the priority drop alone — whether the interrupt sits in a list
 * register may not change what the guest sees. DIR passes ANY_PRIORITY.
 */
function deactivateOutsideLrs(v: Vgic, vcpu: number, intid: number, source: number, requireOwn: boolean, grp: number, dropped: number): boolean {
  const slot = outsideSlot(v, vcpu, intid);
  if (slot === NONE) return false;
  v.lockIrq(slot);
  const owner = v.apListVcpu[slot]!;
  const k = v.inLr[slot]!;
  // Test hook: the live list register ignored, `active` believed (a deliberately broken engine).
  const live = k !== NONE && (v.header[CTL_DEBUG]! & DEBUG_STALE_LIVE_ACTIVE) === 0;
  const active = live ? liveActive(v, owner, k, slot) : v.active[slot] !== 0;
  // A GICv2 SGI is deactivated only by naming the source of its active
  // instance, as KVM's vgic_v2_deactivate checks.
  const src = k !== NONE ? v.lrSrc[v.lrBase(owner) + k]! : v.activeSrc[slot]!;
  const wrongSource = v.sgiSources && intid < 16 && src !== source;
  const g = v.group[slot]!;
  const outOfOrder = dropped !== ANY_PRIORITY && ((grp >= 0 && g !== grp) || groupPriority(v, vcpu, v.priority[slot]!, g) !== dropped);
  if (!active || (requireOwn && owner !== vcpu) || wrongSource || outOfOrder) {
    v.unlockIrq(slot);
    return false;
  }
  const host = v.hw[slot] !== 0 ? v.hostIntid[slot]! : NONE;
  const level = v.config[slot] === CONFIG_LEVEL && v.hw[slot] === 0;
  v.active[slot] = 0;
  // Live in the owner's list register: its fold must not bring the active
  // state back (and tells the device about a level interrupt itself). A
  // level interrupt's ISPENDR latch ended at its acknowledge; one set since
  // stays (see consumeLevelLatch).
  if (k !== NONE) v.foldChanges[slot] = v.foldChanges[slot]! | FOLD_DEACTIVATE;
  queueIrqUnlock(v, slot);
  if (owner !== NONE && owner !== vcpu) kickVcpu(v, owner);
  if (host !== NONE) hostDeactivate(v, vcpu, intid, host);
  if (level && k === NONE && v.onEoiNotify !== null) notifyEoi(v, intid, vcpu);
  return true;
}

/**
 * The slot an EOI or DIR of `intid` from outside the list registers names.
 * An LPI unmapped (DISCARD) while active stays on the ap_list it is active
 * on, its slot no longer mapped to its INTID — KVM's ap_list keeps a
 * reference to its vgic_irq, and the EOIcount path finds it there — so the
 * guest's end of it must find it there too: the active instance of the
 * INTID on `vcpu`'s list, when it holds one, else what the INTID maps to
 * now. (The walk happens only when the guest ends an LPI that is in none of
 * its list registers.)
 */
function outsideSlot(v: Vgic, vcpu: number, intid: number): number {
  const slot = v.slotOf(intid, vcpu);
  if (intid < LPI_INTID_BASE || v.nrLpis === 0) return slot;
  let found = NONE;
  v.lockApList(vcpu);
  const head = v.apListHead(vcpu);
  for (let s = v.next[head]!; s !== head; s = v.next[s]!) {
    // `active` is only a hint here; the caller looks again under the irq lock.
    // Mapped or not: a DISCARD may be unmapping it meanwhile (its INTID already
    // maps to nothing, or to another slot, while the slot is not yet marked
    // unmapped), and the instance the guest took is the one to end.
    if (v.intid[s] === intid && v.isLpiSlot(s) && v.active[s] !== 0) {
      found = s;
      break;
    }
  }
  v.unlockApList(vcpu);
  return found !== NONE ? found : slot;
}

/**
 * Is the interrupt in list register `k` of its running owner active? The LR
 * holds the truth until the owner's fold (`active` is stale meanwhile), and a
 * change another agent recorded for that fold wins. Caller holds the irq lock.
 *
 * The owner may be another vCPU, running on another thread and changing its
 * list registers without the irq lock (acknowledge, EOI and DIR are the
 * guest's own accesses, served from the LRs). Reading its LR is still sound:
 * - Which interrupt LR `k` holds cannot change while we hold the irq lock:
 *   only the owner's flush (populateLr) and fold change it, both under this
 *   lock. `inLr` says `k` under the same lock.
 * - The state is one byte, written by the owner alone; a read of one byte of
 *   shared memory is never torn, so it gives a state the LR held at some
 *   instant of our critical section, and the owner only moves it pending →
 *   active (acknowledge) → not active (EOI, DIR). We decide as of that
 *   instant: a DIR before the acknowledge finds nothing active, one after
 *   it deactivates.
 * - The decision is recorded under the lock (FOLD_DEACTIVATE, `active`)
 *   and applied by the owner's fold, which takes the lock.
 * The stress run's cross-vCPU deactivations exercise this; with the LR
 * ignored (DEBUG_STALE_LIVE_ACTIVE) they leave interrupts active for good.
 */
function liveActive(v: Vgic, owner: number, k: number, slot: number): boolean {
  if (v.lockdep !== null) v.lockdep.assertHeld(slot, 'liveActive');
  const f = v.foldChanges[slot]!;
  if ((f & FOLD_DEACTIVATE) !== 0) return false;
  if ((f & FOLD_ACTIVATE) !== 0) return true;
  return (v.lrState[v.lrBase(owner) + k]! & LR_ACTIVE) !== 0;
}

/**
 * EOIR: priority drop always; with EOImode 0 also deactivation, if the
 * interrupt's group and priority match the drop. `grp` is the group the
 * register serves, or -1 for one that serves either (GICv2's GICC_EOIR
 * with AckCtl set). An interrupt in no list register is still honoured,
 * under the same match (the hardware counts it in EOIcount and raises "LR
 * entry not present" maintenance; KVM deactivates on the exit that follows
 * — here the INTID written is known, so it is deactivated at once).
 */
export function cpuifEoi(v: Vgic, vcpu: number, intid: number, source: number, grp: number): void {
  if (intid >= 1020 && intid <= 1023) return;
  holdCallbacks(v);
  try {
    eoi(v, vcpu, intid, source, grp);
  } catch (e) {
    dropCallbacks(v);
    throw e;
  }
  releaseCallbacks(v);
}

function eoi(v: Vgic, vcpu: number, intid: number, source: number, grp: number): void {
  const dropped = dropPriority(v, vcpu);
  const k = findActiveLr(v, vcpu, intid, source);
  let deactivated = false;
  if (k < 0) {
    deactivated = eoiOutsideLrs(v, vcpu, intid, source, grp, dropped);
  } else if (v.eoiMode[vcpu] === 0) {
    const lr = v.lrBase(vcpu) + k;
    const lrGrp = v.lrGroup[lr]!;
    // A guest that EOIs out of order or in the wrong group gets the priority drop only.
    if ((grp < 0 || lrGrp === grp) && groupPriority(v, vcpu, v.lrPrio[lr]!, lrGrp) === dropped) {
      clearActiveLr(v, vcpu, k);
      deactivated = true;
    }
  }
  if (v.tracer !== null) emitTrace(v, { type: 'eoi', vcpu, intid, deactivated, inLr: k >= 0 });
  cpuifUpdateLines(v, vcpu);
  if (v.underflowRequested[vcpu] !== 0) checkUnderflow(v, vcpu);
}

/** The EOI of an interrupt in none of the vCPU's list registers: counted, honoured (EOImode 0), reported as maintenance. */
function eoiOutsideLrs(v: Vgic, vcpu: number, intid: number, source: number, grp: number, dropped: number): boolean {
  v.eoiCount[vcpu]!++;
  const deactivated = v.eoiMode[vcpu] === 0 && deactivateOutsideLrs(v, vcpu, intid, source, true, grp, dropped);
  raiseMaintenance(v, vcpu, 'lr-entry-not-present');
  return deactivated;
}

/**
 * DIR: deactivation, with EOImode 1 only (with EOImode 0 the write is
 * ignored, as KVM does). An interrupt in none of this vCPU's list registers
 * is deactivated by the trap path — including an SPI active on another vCPU.
 */
export function cpuifDir(v: Vgic, vcpu: number, intid: number, source: number): void {
  if (v.eoiMode[vcpu] === 0 || (intid >= 1020 && intid <= 1023)) return;
  holdCallbacks(v);
  try {
    dir(v, vcpu, intid, source);
  } catch (e) {
    dropCallbacks(v);
    throw e;
  }
  releaseCallbacks(v);
}

function dir(v: Vgic, vcpu: number, intid: number, source: number): void {
  const k = findActiveLr(v, vcpu, intid, source);
  let deactivated = false;
  if (k >= 0) {
    clearActiveLr(v, vcpu, k);
    deactivated = true;
  } else {
    deactivated = deactivateOutsideLrs(v, vcpu, intid, source, false, -1, ANY_PRIORITY);
    if (deactivated) raiseMaintenance(v, vcpu, 'lr-entry-not-present');
  }
  if (v.tracer !== null) emitTrace(v, { type: 'dir', vcpu, intid, deactivated, inLr: k >= 0 });
  cpuifUpdateLines(v, vcpu);
  if (v.underflowRequested[vcpu] !== 0) checkUnderflow(v, vcpu);
}

/**
 * kvm_vgic_vcpu_pending_irq, for WFI: is there an interrupt this vCPU could
 * take (pending, enabled, not active, above PMR)? Looks at the live list
 * registers of a running vCPU and at its ap_list.
 */
export function hasPendingIrq(v: Vgic, vcpu: number): boolean {
  if (v.header[CTL_DIST_ENABLE] === 0) return false;
  const pmr = v.pmr[vcpu]!;
  if (v.runState[vcpu * LINE_WORDS] === VCPU_RUNNING) {
    const base = v.lrBase(vcpu);
    for (let k = 0; k < v.usedLrs[vcpu * LINE_WORDS]!; k++) {
      if (v.lrState[base + k] === LR_PENDING && v.lrPrio[base + k]! < pmr) return true;
    }
  }
  const head = v.apListHead(vcpu);
  let found = false;
  v.lockApList(vcpu);
  for (let it = v.next[head]!; it !== head && !found; it = v.next[it]!) {
    v.lockIrq(it);
    found =
      v.inLr[it] === NONE &&
      v.enabled[it] !== 0 &&
      v.active[it] === 0 &&
      isPending(v, it) &&
      v.priority[it]! < pmr &&
      targetOracle(v, it) === vcpu;
    v.unlockIrq(it);
  }
  v.unlockApList(vcpu);
  return found;
}
