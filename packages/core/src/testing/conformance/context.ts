/**
 * What a module of the conformance suite is given: the backend under test,
 * its guest driver, and the suite's helpers for bringing a machine up and
 * driving a guest. Each module (`conformance/*.ts`) registers its tests with
 * `test(id, title, fn)`, so a backend's `skip` list applies to them, and
 * lists its ids for `CONFORMANCE_TESTS`.
 */
import type { VgicErrorCode } from '../../errors.js';
import type { Machine, MachineOptions } from '../../machine.js';
import type { GuestOps } from '../guest.js';

/** The list-register counts a test that depends on them runs with. */
export const LR_COUNTS = [1, 4, 16] as const;
/** The priority mask that lets every priority through. */
export const IDLE = 0xff;
/** The INTID an acknowledge returns when there is nothing to take. */
export const SPURIOUS = 1023;

export interface ConformanceTarget {
  /** Shown in the test names: `GICv2`. */
  name: string;
  /** The backend's machine factory (`createGicv2`). */
  create(options: MachineOptions): Machine;
  guest: GuestOps;
  /** Test ids (or group ids) to skip, from `CONFORMANCE_TESTS`. */
  skip?: readonly string[];
}

/** What an acknowledge returned: the INTID, and the raw IAR value (a GICv2 SGI's source in bits 12:10). */
export interface Taken {
  intid: number;
  raw: number;
}

export interface BootOptions {
  vcpus?: number;
  lrs?: number;
  eoiMode?: 0 | 1;
  /** An LPI capacity (the `lpis` machine option); default none. */
  lpis?: number;
  /** More machine options, the backend's own among them (its translation service, the guest's memory). */
  options?: Record<string, unknown>;
}

export interface SpiOptions {
  prio?: number;
  edge?: boolean;
  to?: number;
}

export interface ConformanceContext {
  readonly target: ConformanceTarget;
  readonly guest: GuestOps;
  /** vCPUs a machine gets unless a test asks for another count. */
  readonly vcpus: number;
  /** The group the guest does not put its interrupts in. */
  readonly other: number;
  /** SPIs of every machine the suite makes (INTIDs 32..32+spis-1). */
  readonly spis: number;
  /** Register a test by id; a skipped id shows as skipped. */
  test(id: string, title: string, fn: () => void): void;
  /** A machine brought up as an OS would; the suite checks its invariants after the test. */
  boot(o?: BootOptions): Machine;
  /** Configure an SPI: trigger, priority, route, then enable. */
  spi(m: Machine, intid: number, o?: SpiOptions): void;
  take(m: Machine, vcpu: number): Taken;
  takeIntid(m: Machine, vcpu: number): number;
  eoi(m: Machine, vcpu: number, t: Taken): void;
  /** EOI, and DIR when the vCPU runs with EOImode 1. */
  finish(m: Machine, vcpu: number, t: Taken, eoiMode: 0 | 1): void;
  /** Take and finish everything `vcpu` has; the INTIDs in the order taken. */
  drain(m: Machine, vcpu: number, eoiMode?: 0 | 1, limit?: number): number[];
  /** The distributor's group enables (bit g forwards group g). */
  setDist(m: Machine, groups: number): void;
  /** The BPR value whose group priority is bits [7:shift] of the guest's group (BPR0 counts one less). */
  bprFor(shift: number): number;
  /** Skip the running test, saying why (what the backend or its guest driver lacks). */
  skip(reason: string): never;
  /** `fn` throws a VgicError with `code` and leaves every byte of `m`'s state as it was. */
  expectError(fn: () => unknown, code: VgicErrorCode, m: Machine): void;
}
