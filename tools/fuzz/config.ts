/**
 * The machine a fuzz case runs on, and how it is built: exactly as the CLI
 * builds a scenario's machine from its header (`gic`, `vcpus`, `spis`,
 * `lrs`, `mpidr`), so that a failing case printed as a scenario file runs on
 * the same machine under `vgic run` — plus the lock-order checker, on.
 */
import type { Machine } from '@vgic/core';
import type { GuestOps } from '@vgic/core/testing';
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
}

/** Affinities a GICv3 case may give its vCPUs: clusters (Aff1), Aff2, and Aff3. */
const AFFINITIES: readonly number[] = [0x0, 0x1, 0x2, 0xf, 0x100, 0x101, 0x10000, 0x10100, 0x1_0000_0000];

export function configArbitrary(gic: GicVersion): fc.Arbitrary<MachineConfig> {
  const max = gic === 'v2' ? 8 : 6;
  const vcpus = fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 1, max: 4 }) }, { weight: 1, arbitrary: fc.integer({ min: 1, max }) });
  const spis = fc.constantFrom(32, 64, 0, 96);
  // Few list registers make overflow (more interrupts than LRs) common.
  const lrs = fc.constantFrom(1, 2, 4, 16, 3);
  return fc.record({ vcpus, spis, lrs }).chain(({ vcpus: n, spis: s, lrs: l }) => {
    if (gic === 'v2') return fc.constant({ vcpus: n, spis: s, lrs: l, mpidr: null });
    const mpidr = fc.option(fc.shuffledSubarray([...AFFINITIES], { minLength: n, maxLength: n }), { nil: null, freq: 3 });
    return mpidr.map((m) => ({ vcpus: n, spis: s, lrs: l, mpidr: m }));
  });
}

/** The machine for `config`, built as the CLI builds a scenario's (with the lock-order checker on). */
export function buildMachine(gic: GicVersion, config: MachineConfig): Machine {
  const base = { vcpus: config.vcpus, spis: config.spis, lrs: config.lrs, lockCheck: true };
  if (gic === 'v2') return createGicv2(base);
  return createGicv3({ ...base, ...(config.mpidr !== null && { mpidr: config.mpidr }) });
}

export function guestOps(gic: GicVersion): GuestOps {
  return gic === 'v2' ? gicv2Guest : gicv3Guest;
}
