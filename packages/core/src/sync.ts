/**
 * Leaving a vCPU (vgic_sync_hwstate): fold the list registers back into the
 * interrupts, then prune the ap_list.
 *
 * Runs on the vCPU's own thread.
 */
import { apListDel } from './aplist.js';
import { LINE_WORDS } from './cache-line.js';
import { cpuifUpdateLines } from './cpuif.js';
import { dropCallbacks, emitTrace, holdCallbacks, notifyEoi, releaseCallbacks } from './notify.js';
import { targetOracle } from './oracle.js';
import { migrateIrq } from './queue.js';
import {
  CONFIG_EDGE,
  CONFIG_LEVEL,
  CTL_LPI_DROPPED_PENDING,
  FOLD_ACTIVATE,
  FOLD_DEACTIVATE,
  FOLD_UNPEND,
  LR_ACTIVE,
  LR_PENDING,
  NONE,
  VCPU_OUTSIDE,
  type Vgic,
} from './vgic.js';

/**
 * Fold list register `k` back into its interrupt (vgic_v2/v3_fold_lr_state):
 * the active bit always; the pending bit for edge interrupts only (a level
 * interrupt's pending state is its line and its ISPENDR latch). Unlike KVM,
 * the fold leaves a level interrupt's latch alone: the acknowledge ended the
 * one the list register carried (cpuif.ts, consumeLevelLatch), and one set
 * while the interrupt was active is pending again after its deactivation.
 */
export function foldLr(v: Vgic, vcpu: number, k: number): void {
  const lr = v.lrBase(vcpu) + k;
  const slot = v.lrSlot[lr]!;
  let state = v.lrState[lr]!;
  const intid = v.lrIntid[lr]!;
  v.lockIrq(slot);
  if (v.foldChanges[slot] !== 0) state = applyFoldChanges(v, slot, state);
  v.inLr[slot] = NONE;
  v.active[slot] = (state & LR_ACTIVE) !== 0 ? 1 : 0;
  const level = v.config[slot] === CONFIG_LEVEL;
  if (v.sgiSources && intid < 16) {
    foldSgiLr(v, vcpu, lr, slot, state);
  } else if (v.config[slot] === CONFIG_EDGE && (state & LR_PENDING) !== 0) {
    // An edge arrived while this one waited in the LR: the two are one now.
    if (v.pendingLatch[slot] !== 0) v.foldCoalesced[vcpu]!++;
    v.pendingLatch[slot] = 1;
  }
  v.unlockIrq(slot);
  // The guest is done with a level interrupt that asked for EOI maintenance:
  // tell the device side so it can resample its line (kvm_notify_acked_irq).
  if (state === 0 && level && v.lrEoi[lr] !== 0 && v.onEoiNotify !== null) notifyEoi(v, intid, vcpu);
  if (v.tracer !== null) emitTrace(v, { type: 'fold', vcpu, lr: k, intid, state });
}

/**
 * Changes another agent made while the LR was live (ICACTIVER, DIR from
 * another vCPU, ...) win over what the LR says: the state to fold. Caller
 * holds the irq lock.
 */
function applyFoldChanges(v: Vgic, slot: number, state: number): number {
  const f = v.foldChanges[slot]!;
  if ((f & FOLD_DEACTIVATE) !== 0) state &= ~LR_ACTIVE;
  if ((f & FOLD_ACTIVATE) !== 0) state |= LR_ACTIVE;
  if ((f & FOLD_UNPEND) !== 0) {
    // An LPI unmapped while this LR held it pending: that pending state is dropped (lpi.ts, lpiDroppedPending).
    if ((state & LR_PENDING) !== 0 && v.isLpiSlot(slot) && v.lpiLive[slot - v.lpiBase] === 0) Atomics.add(v.header, CTL_LPI_DROPPED_PENDING, 1);
    state &= ~LR_PENDING;
  }
  v.foldChanges[slot] = 0;
  return state;
}

/** A GICv2 SGI's fold: its active source, and a pending source back among the waiting ones. Caller holds the irq lock. */
function foldSgiLr(v: Vgic, vcpu: number, lr: number, slot: number, state: number): void {
  if ((state & LR_ACTIVE) !== 0) v.activeSrc[slot] = v.lrSrc[lr]!;
  if (v.config[slot] === CONFIG_EDGE && (state & LR_PENDING) !== 0) {
    const bit = 1 << v.lrSrc[lr]!;
    if ((v.sgiSrc[slot]! & bit) !== 0) v.foldCoalesced[vcpu]!++;
    v.sgiSrc[slot] = v.sgiSrc[slot]! | bit;
    v.pendingLatch[slot] = 1;
  }
}

/**
 * vgic_prune_ap_list. Drop what belongs on no list; move what the oracle now
 * routes to another vCPU. A move needs both ap_list_locks, the lower vCPU's
 * first, so the irq and our list lock are dropped, the pair is taken in
 * order, and the oracle is asked again: if the answer changed meanwhile,
 * nothing moves. Either way the list may have changed, so start over.
 * What it reports (prunes, migrations, kicks) is reported once every lock
 * is dropped.
 */
export function pruneApList(v: Vgic, vcpu: number): void {
  holdCallbacks(v);
  try {
    prune(v, vcpu);
  } catch (e) {
    dropCallbacks(v);
    throw e;
  }
  releaseCallbacks(v);
}

function prune(v: Vgic, vcpu: number): void {
  const head = v.apListHead(vcpu);
  retry: for (;;) {
    v.lockApList(vcpu);
    let it = v.next[head]!;
    while (it !== head) {
      const following = v.next[it]!;
      v.lockIrq(it);
      const target = targetOracle(v, it);
      if (target === NONE) {
        apListDel(v, it);
        v.apListVcpu[it] = NONE;
        v.unlockIrq(it);
        if (v.tracer !== null) emitTrace(v, { type: 'prune', vcpu, intid: v.intid[it]! });
        it = following;
        continue;
      }
      if (target === vcpu) {
        v.unlockIrq(it);
        it = following;
        continue;
      }

      v.unlockIrq(it);
      v.unlockApList(vcpu);
      migrateIrq(v, it, vcpu, target);
      continue retry;
    }
    v.unlockApList(vcpu);
    return;
  }
}

/**
 * vgic_sync_hwstate: fold every live list register, then prune. The vCPU is
 * outside afterwards. What the exit reports (folds, EOI notifications,
 * prunes, kicks, the vCPU's lines) is reported once it is complete: a
 * callback never sees a vCPU half-synced, and may enter it again.
 */
export function syncHwState(v: Vgic, vcpu: number): void {
  holdCallbacks(v);
  try {
    sync(v, vcpu);
  } catch (e) {
    dropCallbacks(v);
    throw e;
  }
  releaseCallbacks(v);
}

function sync(v: Vgic, vcpu: number): void {
  const used = v.usedLrs[vcpu * LINE_WORDS]!;
  for (let k = 0; k < used; k++) foldLr(v, vcpu, k);
  v.usedLrs[vcpu * LINE_WORDS] = 0;
  // Stored only when they change: each shares a cache line with other
  // vCPUs' words, which a store takes from their threads.
  if (v.underflowRequested[vcpu] !== 0) v.underflowRequested[vcpu] = 0;
  if (v.maintenancePending[vcpu] !== 0) v.maintenancePending[vcpu] = 0;
  if (v.eoiCount[vcpu] !== 0) v.eoiCount[vcpu] = 0;
  v.runState[vcpu * LINE_WORDS] = VCPU_OUTSIDE;
  // syncHwState holds the callbacks already: prune itself, not pruneApList's second hold.
  prune(v, vcpu);
  cpuifUpdateLines(v, vcpu);
}
