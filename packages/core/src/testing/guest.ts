/**
 * What a guest does, said once per GIC version: the conformance suite drives
 * every backend through this interface, so the same behaviour is checked on
 * every version's registers alike.
 *
 * A backend package exports one `GuestOps` value; every operation goes
 * through the machine's public guest surface (register names, MMIO, system
 * registers) exactly as a guest's instructions would.
 */
import type { Machine } from '../machine.js';
import type { LpiGuestOps } from './lpi-guest.js';

export interface GuestOps {
  /** The group ordinary interrupts are put in by this guest (GICv2: 0, GICv3: 1). */
  readonly group: number;
  /** The highest vCPU count the suite may ask for (GICv2: 8). */
  readonly maxVcpus: number;
  /**
   * Bring the machine up as an OS would: distributor enabled for `group`,
   * every vCPU's CPU interface with that group enabled, PMR 0xff, the
   * smallest binary point, and the given EOImode.
   */
  init(m: Machine, options?: { eoiMode?: 0 | 1 }): void;
  enable(m: Machine, intid: number, vcpu?: number): void;
  disable(m: Machine, intid: number, vcpu?: number): void;
  setPriority(m: Machine, intid: number, priority: number, vcpu?: number): void;
  /** SPIs only: edge (true) or level (false). */
  setEdge(m: Machine, intid: number, edge: boolean): void;
  /** Route an SPI to one vCPU (ITARGETSR, IROUTER). */
  route(m: Machine, intid: number, vcpu: number): void;
  /** Route an SPI to no vCPU at all, if the version can (GICv3: an affinity no vCPU has); false if it cannot. */
  routeNowhere(m: Machine, intid: number): boolean;
  /** The group of one interrupt (IGROUPR). */
  setGroup(m: Machine, intid: number, group: number, vcpu?: number): void;
  setPending(m: Machine, intid: number, vcpu?: number): void;
  clearPending(m: Machine, intid: number, vcpu?: number): void;
  setActive(m: Machine, intid: number, vcpu?: number): void;
  clearActive(m: Machine, intid: number, vcpu?: number): void;
  /** Acknowledge on `vcpu` for `group` (default: the guest's group). Returns the INTID (any SGI source bits stripped), or 1023/1022. */
  ack(m: Machine, vcpu: number, group?: number): number;
  /** The raw IAR value (GICv2 SGIs carry the source in bits 12:10). */
  ackRaw(m: Machine, vcpu: number, group?: number): number;
  /** EOI for `group` (default: the guest's group); `raw` is the value IAR returned, when it differs from the INTID. */
  eoi(m: Machine, vcpu: number, intid: number, raw?: number, group?: number): void;
  dir(m: Machine, vcpu: number, intid: number, raw?: number): void;
  setPmr(m: Machine, vcpu: number, pmr: number): void;
  /** The binary point of the guest's group, as the register takes it. */
  setBpr(m: Machine, vcpu: number, bpr: number): void;
  setEoiMode(m: Machine, vcpu: number, mode: 0 | 1): void;
  /** Enable or disable one group at the vCPU's CPU interface. */
  setGroupEnable(m: Machine, vcpu: number, group: number, on: boolean): void;
  runningPriority(m: Machine, vcpu: number): number;
  /** Highest priority pending INTID (HPPIR), or 1023. */
  highestPending(m: Machine, vcpu: number): number;
  /** Send SGI `intid` from `from` to each vCPU in `to`. */
  sendSgi(m: Machine, from: number, to: readonly number[], intid: number): void;
  /** Send SGI `intid` from `from` to every other vCPU. */
  broadcastSgi(m: Machine, from: number, intid: number): void;
  /**
   * Optional: set the distributor's group enables (bit g forwards group g).
   * Without it the suite writes the same bits to the backend's distributor
   * control register (`GicBackend.distributor.control`), which is right for
   * a GICv2 and for a GICv3 with DS=1.
   */
  setDistributorEnable?(m: Machine, groups: number): void;
  /** Register names a random guest may hammer (every frame and system register the version has). */
  readonly fuzzRegisters: readonly string[];
  /** What the guest's LPI driver does, for a version with LPIs (lpi-guest.ts). */
  readonly lpi?: LpiGuestOps;
}
