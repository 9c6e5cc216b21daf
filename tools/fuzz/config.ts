/**
 * The machine a fuzz case runs on, and how it is built: exactly as the CLI
 * builds a scenario's machine from its header (`gic`, `vcpus`, `spis`,
 * `lrs`, `mpidr`; for the ITS target `its: true`, `lpis` and one `memory`
 * region), so that a failing case printed as a scenario file runs on the
 * same machine under `vgic run` — plus the lock-order checker, on.
 */
import type { Machine } from '@vgic/core';
import type { GuestOps, GuestRam } from '@vgic/core/testing';
import { createGicv2, gicv2Guest } from '@vgic/gicv2';
import { createGicv3, gicv3Guest } from '@vgic/gicv3';
import fc from 'fast-check';

export type GicVersion = 'v2' | 'v3';

export interface MachineConfig {
  vcpus: number;
  /** A multiple of 32. */
  spis: number;
  lrs: number;
  /** GICv3 only: each vCPU's affinity (null: KVM's default). */
  mpidr: number[] | null;
  /** GICv3 only: LPIs, an ITS and guest RAM (the ITS target), or none. */
  its: ItsFuzzConfig | null;
}

/**
 * A machine with an ITS (`its: true`, so the scenario header can say it)
 * and `lpis` LPIs — few, so that MAPTI runs out of them — over the guest RAM
 * FUZZ_RAM describes; and the layout the guest's LPI driver
 * (`GuestOps.lpi`) gives its tables: `devices` devices of `events` events.
 */
export interface ItsFuzzConfig {
  lpis: number;
  devices: number;
  events: number;
}

/** The guest RAM of an ITS case: one region, zeroed, as a scenario's `memory` is. */
export const FUZZ_RAM: { readonly base: number; readonly size: number } = Object.freeze({ base: 0x4000_0000, size: 0x10_0000 });

/** The RAM a machine of `config` is given (null without an ITS). */
export function newRam(config: MachineConfig): GuestRam | null {
  return config.its === null ? null : { base: FUZZ_RAM.base, buffer: new ArrayBuffer(FUZZ_RAM.size) };
}

const itsConfig: fc.Arbitrary<ItsFuzzConfig> = fc.record({
  lpis: fc.constantFrom(16, 64, 8, 256, 8192),
  devices: fc.integer({ min: 1, max: 4 }),
  events: fc.constantFrom(4, 1, 8, 2, 16),
});

/** Affinities a GICv3 case may give its vCPUs: clusters (Aff1), Aff2, and Aff3. */
const AFFINITIES: readonly number[] = [0x0, 0x1, 0x2, 0xf, 0x100, 0x101, 0x10000, 0x10100, 0x1_0000_0000];

/** Machines of one GIC version; with `its` (GICv3 only), each with LPIs, an ITS and guest RAM. */
export function configArbitrary(gic: GicVersion, its = false): fc.Arbitrary<MachineConfig> {
  const max = gic === 'v2' ? 8 : 6;
  const vcpus = fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 1, max: 4 }) }, { weight: 1, arbitrary: fc.integer({ min: 1, max }) });
  const spis = fc.constantFrom(32, 64, 0, 96);
  // Few list registers make overflow (more interrupts than LRs) common.
  const lrs = fc.constantFrom(1, 2, 4, 16, 3);
  return fc.record({ vcpus, spis, lrs }).chain(({ vcpus: n, spis: s, lrs: l }) => {
    if (gic === 'v2') return fc.constant({ vcpus: n, spis: s, lrs: l, mpidr: null, its: null });
    const mpidr = fc.option(fc.shuffledSubarray([...AFFINITIES], { minLength: n, maxLength: n }), { nil: null, freq: 3 });
    return fc.record({ mpidr, its: its ? itsConfig : fc.constant(null) }).map(({ mpidr: m, its: i }) => ({ vcpus: n, spis: s, lrs: l, mpidr: m, its: i }));
  });
}

/** The machine for `config`, built as the CLI builds a scenario's (with the lock-order checker on), over `ram`. */
export function buildMachine(gic: GicVersion, config: MachineConfig, ram: GuestRam | null = newRam(config)): Machine {
  const base = { vcpus: config.vcpus, spis: config.spis, lrs: config.lrs, lockCheck: true };
  if (gic === 'v2') return createGicv2(base);
  const lpis = config.its !== null && ram !== null ? { its: true, lpis: config.its.lpis, guestMemory: [{ base: ram.base, buffer: ram.buffer }] } : {};
  return createGicv3({ ...base, ...(config.mpidr !== null && { mpidr: config.mpidr }), ...lpis });
}

export function guestOps(gic: GicVersion): GuestOps {
  return gic === 'v2' ? gicv2Guest : gicv3Guest;
}
