/**
 * Queuing an interrupt on a vCPU's ap_list, under the lock order:
 *
 *   vgic_cpu.ap_list_lock
 *     vgic_irq.irq_lock
 *
 * Always take an ap_list_lock before an irq lock. When two ap_list_locks are
 * needed (prune migrating an interrupt), take the lower vCPU id's first.
 */
import { apListAddTail, apListDel } from './aplist.js';
import { LINE_WORDS } from './cache-line.js';
import { emitTrace, notifyKick } from './notify.js';
import { targetOracle } from './oracle.js';
import { CTL_DEBUG, DEBUG_NO_QUEUE_RECHECK, NONE, VCPU_WFI, type Vgic } from './vgic.js';

/**
 * Ask `vcpu` to exit and look at its ap_list again (kvm_vcpu_kick). A vCPU
 * asleep in WFI on another thread is woken.
 */
export function kickVcpu(v: Vgic, vcpu: number): void {
  if (v.shared) kickShared(v, vcpu);
  else v.kick[vcpu * LINE_WORDS] = 1;
  if (v.onKick !== null || v.tracer !== null) notifyKick(v, vcpu);
}

function kickShared(v: Vgic, vcpu: number): void {
  if (Atomics.load(v.kick, vcpu * LINE_WORDS) === 0) {
    Atomics.store(v.kick, vcpu * LINE_WORDS, 1);
    if (Atomics.load(v.runState, vcpu * LINE_WORDS) === VCPU_WFI) Atomics.notify(v.kick, vcpu * LINE_WORDS);
  }
}

/**
 * queueIrqUnlock — entered with the irq lock of `slot` held; returns with
 * every lock dropped. Returns whether the interrupt was put on an ap_list.
 *
 * Asks the oracle where the interrupt belongs. If it is already on a list,
 * or belongs on none, there is nothing to do (but the target is kicked: it
 * may have EOI'd an earlier edge and would not see this one until it exits).
 * Otherwise the irq lock is dropped to take the target's ap_list_lock first;
 * in that window "someone can do stuff here", so after relocking both we ask
 * again and start over if the answer changed.
 */
export function queueIrqUnlock(v: Vgic, slot: number): boolean {
  if (v.lockdep !== null) v.lockdep.assertHeld(slot, 'queueIrqUnlock');
  for (;;) {
    const vcpu = targetOracle(v, slot);
    if (v.apListVcpu[slot] !== NONE || vcpu === NONE) {
      v.unlockIrq(slot);
      if (vcpu !== NONE) kickVcpu(v, vcpu);
      if (v.lockdep !== null) v.lockdep.assertNoneHeld('queueIrqUnlock');
      return false;
    }
    v.unlockIrq(slot);

    v.lockApList(vcpu);
    v.lockIrq(slot);
    if ((v.apListVcpu[slot] === NONE && targetOracle(v, slot) === vcpu) || queueRegardless(v)) {
      addTailUnlock(v, vcpu, slot);
      return true;
    }
    v.unlockIrq(slot);
    v.unlockApList(vcpu);
    v.lockIrq(slot);
  }
}

/** Only a deliberately broken engine (a test hook) queues what changed in the window. */
function queueRegardless(v: Vgic): boolean {
  return (v.header[CTL_DEBUG]! & DEBUG_NO_QUEUE_RECHECK) !== 0;
}

/** Put `slot` on `vcpu`'s ap_list, drop both locks, kick the vCPU. */
function addTailUnlock(v: Vgic, vcpu: number, slot: number): void {
  apListAddTail(v, vcpu, slot);
  v.apListVcpu[slot] = vcpu;
  v.unlockIrq(slot);
  v.unlockApList(vcpu);
  if (v.lockdep !== null) v.lockdep.assertNoneHeld('queueIrqUnlock');
  if (v.tracer !== null) emitTrace(v, { type: 'queue', intid: v.intid[slot]!, vcpu });
  kickVcpu(v, vcpu);
}

/** Lock `slot` and queue it if it now belongs on a list (after an enable, a route change, ...). */
export function requeue(v: Vgic, slot: number): boolean {
  v.lockIrq(slot);
  return queueIrqUnlock(v, slot);
}

/**
 * Move `slot` from `from`'s ap_list to `to`'s (prune's migration, an LPI's
 * MOVI): both ap_list_locks, the lower vCPU's first, then the irq lock; it
 * moves only if it is still on `from`'s list, in no list register, and the
 * oracle still routes it to `to` — anything may have changed while the
 * caller held no lock. The caller holds none of these locks. Returns whether
 * it moved; the new vCPU is kicked once the locks are dropped.
 */
export function migrateIrq(v: Vgic, slot: number, from: number, to: number): boolean {
  const a = from < to ? from : to;
  const b = from < to ? to : from;
  v.lockApList(a);
  v.lockApList(b);
  v.lockIrq(slot);
  let moved = false;
  if (v.apListVcpu[slot] === from && v.inLr[slot] === NONE && targetOracle(v, slot) === to) {
    apListDel(v, slot);
    v.apListVcpu[slot] = to;
    apListAddTail(v, to, slot);
    moved = true;
  }
  v.unlockIrq(slot);
  v.unlockApList(b);
  v.unlockApList(a);
  if (moved) {
    if (v.tracer !== null) emitTrace(v, { type: 'migrate', intid: v.intid[slot]!, from, to });
    kickVcpu(v, to);
  }
  return moved;
}
