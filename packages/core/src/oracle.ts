/**
 * The small decisions of the engine, one function each, as in the kernel's
 * vgic.c. Each says which lock its caller holds, and checks it under the
 * lock-order checker, as the kernel's lockdep_assert_held does: a check of
 * one branch, nothing at all without lockdep. `isPending` reads fields
 * and needs no lock of its own; the caller decides what its answer is worth.
 */
import { CONFIG_LEVEL, CTL_DIST_ENABLE, NONE, type Vgic } from './vgic.js';


/** irq_is_pending: a level interrupt is pending while its line is high or its latch is set. */
export function isPending(v: Vgic, slot: number): boolean {
  return v.config[slot] === CONFIG_LEVEL
    ? (v.lineLevel[slot]! | v.pendingLatch[slot]!) !== 0
    : v.pendingLatch[slot] !== 0;
}

/** Does the distributor forward pending interrupts of this slot's group? */
export function distGroupEnabled(v: Vgic, slot: number): boolean {
  return ((v.header[CTL_DIST_ENABLE]! >> v.group[slot]!) & 1) !== 0;
}

/**
 * targetOracle — the vCPU whose ap_list this interrupt belongs on, or NONE.
 *
 * Caller holds the irq lock of `slot`: `active`, `apListVcpu` and `target` are only
 * consistent with each other under it.
 *
 * - An active interrupt stays on the vCPU that has it (`apListVcpu`); one that is
 *   on no list yet (made active by a write to ISACTIVER) goes to its target.
 * - A pending and enabled interrupt goes to its configured target, provided
 *   the distributor forwards its group.
 * - Anything else belongs on no ap_list.
 */
export function targetOracle(v: Vgic, slot: number): number {
  if (v.lockdep !== null) v.lockdep.assertHeld(slot, 'targetOracle');
  return decideTarget(v, slot);
}

/**
 * The oracle's answer for a machine no other thread is inside: the
 * invariant checks and reports that run between steps, or after the
 * threads have stopped. It takes and checks no lock.
 */
export function targetOracleQuiescent(v: Vgic, slot: number): number {
  return decideTarget(v, slot);
}

function decideTarget(v: Vgic, slot: number): number {
  if (v.active[slot] !== 0) {
    const owner = v.apListVcpu[slot]!;
    return owner !== NONE ? owner : v.target[slot]!;
  }
  if (v.enabled[slot] !== 0 && isPending(v, slot) && distGroupEnabled(v, slot)) return v.target[slot]!;
  return NONE;
}

/**
 * validateInjection — is this host line change worth acting on?
 * Level-triggered: only a change of line level. Edge-triggered: only a rising edge.
 * Caller holds the irq lock.
 */
export function validateInjection(v: Vgic, slot: number, level: boolean): boolean {
  if (v.lockdep !== null) v.lockdep.assertHeld(slot, 'validateInjection');
  return v.config[slot] === CONFIG_LEVEL ? (v.lineLevel[slot] !== 0) !== level : level;
}

/** 1 if the vCPU whose ap_list holds `slot` has the slot's group enabled at its CPU interface (or it is on no list). Caller holds that ap_list_lock (apListCmp's). */
function vcpuGroupEnabled(v: Vgic, slot: number): number {
  const owner = v.apListVcpu[slot]!;
  if (owner === NONE) return 1;
  return (v.group[slot] === 0 ? v.grpEn0[owner]! : v.grpEn1[owner]!) !== 0 ? 1 : 0;
}

/** Weights of the ap_list sort key's fields: class (2 bits), priority (8 bits), INTID (20 bits). */
const KEY_CLASS = 1 << 28;
const KEY_PRIORITY = 1 << 20;

/**
 * The ap_list order as one number: a slot sorts before another when its key
 * is smaller. Active interrupts first (class 0), then pending and enabled ones
 * — those of a group the vCPU has enabled (1) before the others (2), as KVM
 * sorts since its LR-overflow rework — then the rest (3); within a class by
 * priority (lower value first), then by INTID. Every field is read once, so
 * a sort computes each entry's key once rather than in every comparison.
 * The key stays a small integer (below 2^30) for every INTID of 20 bits.
 *
 * Caller holds the ap_list_lock of the list that holds `slot` (see apListCmp).
 */
export function apListKey(v: Vgic, slot: number): number {
  let cls = 3;
  if (v.active[slot] !== 0) cls = 0;
  else if (v.enabled[slot] !== 0 && isPending(v, slot)) cls = vcpuGroupEnabled(v, slot) !== 0 ? 1 : 2;
  return cls * KEY_CLASS + v.priority[slot]! * KEY_PRIORITY + v.intid[slot]!;
}

/**
 * The ap_list order (`apListKey`): negative when `a` sorts before `b`.
 *
 * Caller holds the ap_list_lock of the list that holds `a` and `b`. The
 * kernel takes both irq locks to compare; we read the fields under the
 * ap_list_lock alone. A field changed meanwhile by another thread only makes
 * the order stale, which is harmless: flush asks the oracle again, under the
 * irq lock, before it puts anything in a list register.
 */
export function apListCmp(v: Vgic, a: number, b: number): number {
  if (v.lockdep !== null) v.lockdep.assertListOfHeld(v.apListVcpu[a]!, a, 'apListCmp');
  return apListKey(v, a) - apListKey(v, b);
}
