/**
 * The machines scenario files can name in `gic:`, built the way an
 * integrator builds them: the backend packages' factories with default
 * frame bases (QEMU `virt`'s), the scenario's guest RAM as their guest
 * memory.
 */
import type { MachineFactory, ScenarioBackend, ScenarioMachineOptions } from '@vgic/core';
import { createGicv2 } from '@vgic/gicv2';
import { createGicv3 } from '@vgic/gicv3';

/** A scenario's LPI keys as createGicv3 takes them. */
function lpiOptions(o: ScenarioMachineOptions): Record<string, unknown> {
  return {
    ...(o.its && { its: o.its.base === undefined ? true : { base: o.its.base } }),
    ...(o.lpis !== undefined && { lpis: o.lpis }),
    ...(o.ram && { guestMemory: o.ram.map((r) => ({ base: r.base, buffer: r.buffer })) }),
  };
}

export const BACKENDS: Readonly<Record<string, ScenarioBackend>> = {
  v2: (o) => createGicv2({ vcpus: o.vcpus, spis: o.spis, lrs: o.lrs }),
  v3: (o) => createGicv3({ vcpus: o.vcpus, spis: o.spis, lrs: o.lrs, ...(o.mpidr && { mpidr: o.mpidr }), ...lpiOptions(o) }),
};

/** The same factories by GIC version, as `createFromSnapshot` takes them. */
export const FACTORIES: Readonly<Record<string, MachineFactory>> = { v2: createGicv2, v3: createGicv3 };
