/**
 * Host injection (KVM_IRQ_LINE, kvm_vgic_inject_irq) and the other line-level
 * operations a VMM performs. The API layer has validated INTID and vCPU.
 */
import { dropCallbacks, emitTrace, holdCallbacks, releaseCallbacks } from './notify.js';
import { validateInjection } from './oracle.js';
import { queueIrqUnlock } from './queue.js';
import { CONFIG_LEVEL, type Vgic } from './vgic.js';

/**
 * A device line change. Level-triggered: only a change of level counts;
 * edge-triggered: only a rising edge. Returns whether the injection changed
 * anything: false for a dropped one, and for an edge that found the
 * interrupt already pending (coalesced).
 */
export function injectSlot(v: Vgic, slot: number, level: boolean): boolean {
  if (v.tracer !== null) return injectTraced(v, slot, level);
  v.lockIrq(slot);
  if (!validateInjection(v, slot, level)) {
    v.unlockIrq(slot);
    return false;
  }
  return injectUnlock(v, slot, level);
}

/** The injection itself: entered with the irq lock held, returns with every lock dropped. */
function injectUnlock(v: Vgic, slot: number, level: boolean): boolean {
  let changed = true;
  if (v.config[slot] === CONFIG_LEVEL) {
    v.lineLevel[slot] = level ? 1 : 0;
  } else {
    changed = v.pendingLatch[slot] === 0;
    v.pendingLatch[slot] = 1;
  }
  queueIrqUnlock(v, slot);
  return changed;
}

/**
 * A traced injection. The event is known under the irq lock, before the
 * queue and kick it causes; it is held back with them and reported after
 * the locks are dropped, in the order they happened.
 */
function injectTraced(v: Vgic, slot: number, level: boolean): boolean {
  holdCallbacks(v);
  let changed: boolean;
  try {
    v.lockIrq(slot);
    const accepted = validateInjection(v, slot, level);
    emitTrace(v, { type: 'inject', intid: v.intid[slot]!, vcpu: v.slotVcpu(slot), level, accepted });
    if (accepted) {
      changed = injectUnlock(v, slot, level);
    } else {
      v.unlockIrq(slot);
      changed = false;
    }
  } catch (e) {
    dropCallbacks(v);
    throw e;
  }
  releaseCallbacks(v);
  return changed;
}

/**
 * Set the line level without the injection's validation, as userspace does
 * on restore through KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO. Returns whether it changed.
 */
export function setLineLevel(v: Vgic, slot: number, level: boolean): boolean {
  v.lockIrq(slot);
  const before = v.lineLevel[slot]!;
  v.lineLevel[slot] = level ? 1 : 0;
  queueIrqUnlock(v, slot);
  return before !== (level ? 1 : 0);
}

/** kvm_vgic_map_phys_irq: the interrupt's deactivation by the guest now deactivates `hostIntid`. */
export function mapHwSlot(v: Vgic, slot: number, hostIntid: number): void {
  v.lockIrq(slot);
  v.hw[slot] = 1;
  v.hostIntid[slot] = hostIntid;
  v.unlockIrq(slot);
}

export function unmapHwSlot(v: Vgic, slot: number): void {
  v.lockIrq(slot);
  v.hw[slot] = 0;
  v.hostIntid[slot] = 0;
  v.unlockIrq(slot);
}
