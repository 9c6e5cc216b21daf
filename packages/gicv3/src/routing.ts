/**
 * SPI routing by affinity (IHI 0069, GICD_IROUTER<n>).
 *
 * The routing word core keeps per slot holds IROUTER in two halves:
 * `route[slot*2]` = Aff2.Aff1.Aff0 in 23:0 and IRM in bit 31, as the low
 * word of IROUTER; `route[slot*2+1]` = Aff3 in 7:0, as the high word.
 *
 * The target is the vCPU whose affinity matches, or none. Two things go
 * beyond KVM here:
 * - Aff3 takes part in the match (GICD_TYPER.A3V is set). Older KVM drops
 *   it; newer KVM keeps it only when the host GIC has A3V.
 * - IRM = 1 (1-of-N) is implemented, where KVM makes IRM RAZ/WI. The choice
 *   is deterministic: the lowest-numbered vCPU whose CPU interface has the
 *   interrupt's group enabled (ICC_IGRPEN0/1_EL1), or vCPU 0 when none has.
 *   It is made again whenever an input changes — an IROUTER or IGROUPR write,
 *   or a vCPU's IGRPEN write — and not at each delivery, so a stream of
 *   interrupts goes to one vCPU rather than being spread.
 */
import { DEBUG_UNLOCKED_ROUTE_UPDATE, NONE, routeIrqUnlock, type Vgic } from '@vgic/core';
import { vcpuByAffinity, type Topology } from './affinity.js';

/** GICD_IROUTER.Interrupt_Routing_Mode, bit 31 of the low word. */
export const IROUTER_IRM = 0x8000_0000;
/** Writable bits of IROUTER's low word: Aff2.Aff1.Aff0 and IRM (30:24 are RES0). */
export const IROUTER_LO_MASK = 0x80ff_ffff;
/** Writable bits of IROUTER's high word: Aff3 (63:40 are RES0). */
export const IROUTER_HI_MASK = 0xff;

/** The packed affinity (as GICR_TYPER writes it) an IROUTER value names. */
export function routeAffinity(lo: number, hi: number): number {
  return (((hi & 0xff) << 24) | (lo & 0xff_ffff)) >>> 0;
}

/**
 * The 1-of-N choice for group `grp`: the lowest-numbered vCPU whose CPU
 * interface has the group enabled, else vCPU 0.
 */
export function oneOfN(v: Vgic, grp: number): number {
  const en = grp === 0 ? v.grpEn0 : v.grpEn1;
  for (let k = 0; k < v.nrVcpus; k++) if (en[k] !== 0) return k;
  return 0;
}

/** The target an IROUTER value gives an interrupt of group `grp`: a vCPU, or NONE when no affinity matches. */
export function irouterTarget(v: Vgic, t: Topology, lo: number, hi: number, grp: number): number {
  if ((lo & IROUTER_IRM) !== 0) return oneOfN(v, grp);
  return vcpuByAffinity(t, routeAffinity(lo, hi));
}

/** The target of `slot` from its routing word: a private interrupt's own vCPU, an SPI's IROUTER target. */
export function slotTarget(v: Vgic, t: Topology, slot: number): number {
  const own = v.slotVcpu(slot);
  if (own !== NONE) return own;
  return irouterTarget(v, t, v.route[slot * 2]!, v.route[slot * 2 + 1]!, v.group[slot]!);
}

/**
 * A guest write of IROUTER: both words at once (a 64-bit access, single-copy
 * atomic, so the route never passes through a mix of old and new), or one
 * 32-bit half with the other kept. Core's `routeIrqUnlock` re-evaluates the
 * interrupt: beyond KVM, a pending interrupt that had no target is
 * delivered to its new one (KVM records the new target only, and the
 * interrupt waits until something else queues it). The target depends on
 * the interrupt's group, read under the same irq lock.
 */
export function writeIrouter(v: Vgic, t: Topology, slot: number, lo: number, hi: number): void {
  const l = lo & IROUTER_LO_MASK;
  const h = hi & IROUTER_HI_MASK;
  v.lockIrq(slot);
  routeIrqUnlock(v, slot, l, h, irouterTarget(v, t, l, h, v.group[slot]!));
}

/**
 * A 32-bit write of one half of IROUTER keeps the other half — read under
 * the irq lock the write is made under: a write of the other half by
 * another thread, or a 1-of-N choice made again, lands wholly before or
 * after this one, never lost between a read and a write of the word.
 */
export function writeIrouterHalf(v: Vgic, t: Topology, slot: number, high: boolean, value: number): void {
  // Test hook: the half to keep read before the lock is taken, as it once
  // was (a deliberately broken engine, for the stress run to catch).
  const early = (v.debugFlags & DEBUG_UNLOCKED_ROUTE_UPDATE) !== 0;
  const kept = early ? v.route[slot * 2 + (high ? 0 : 1)]! : 0;
  v.lockIrq(slot);
  const other = early ? kept : v.route[slot * 2 + (high ? 0 : 1)]!;
  const l = (high ? other : value) & IROUTER_LO_MASK;
  const h = (high ? value : other) & IROUTER_HI_MASK;
  routeIrqUnlock(v, slot, l, h, irouterTarget(v, t, l, h, v.group[slot]!));
}

/**
 * Make the 1-of-N choice again for the IRM = 1 SPIs of group `grp` (or of
 * both groups, with -1) among INTIDs [first, end): after a vCPU's group
 * enable or an interrupt's group changed. Only interrupts whose choice
 * differs are rerouted. The routing word, the group and the target are read
 * and the new target written under one hold of the irq lock, so an IROUTER
 * write by another thread is never overwritten with the word as it was.
 */
export function rerouteOneOfN(v: Vgic, grp: number, first: number, end: number): void {
  const base = v.nrVcpus * 32 - 32;
  const stop = Math.min(end, v.spiLimit);
  for (let intid = Math.max(first, 32); intid < stop; intid++) {
    const slot = base + intid;
    // Unlocked, a hint only: an interrupt that is not IRM = 1 now and becomes
    // so meanwhile gets its choice from the write that makes it so.
    if ((v.route[slot * 2]! & IROUTER_IRM) === 0) continue;
    v.lockIrq(slot);
    const lo = v.route[slot * 2]!;
    const g = v.group[slot]!;
    const choice = oneOfN(v, g);
    if ((lo & IROUTER_IRM) === 0 || (grp >= 0 && g !== grp) || v.target[slot] === choice) {
      v.unlockIrq(slot);
      continue;
    }
    routeIrqUnlock(v, slot, lo, v.route[slot * 2 + 1]!, choice);
  }
}
