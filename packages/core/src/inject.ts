/**
 * Host injection (KVM_IRQ_LINE, kvm_vgic_inject_irq) and the other line-level
 * operations a VMM performs. The API layer has validated INTID and vCPU.
 */
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
  v.lockIrq(slot);
  if (!validateInjection(v, slot, level)) {
    v.unlockIrq(slot);
    if (v.tracer !== null) traceInject(v, slot, level, false);
    return false;
  }
  // Traced before the queue and kick it causes, in the order they happen.
  if (v.tracer !== null) traceInject(v, slot, level, true);
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

function traceInject(v: Vgic, slot: number, level: boolean, accepted: boolean): void {
  v.tracer?.({ type: 'inject', intid: v.intid[slot]!, vcpu: v.slotVcpu(slot), level, accepted });
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
