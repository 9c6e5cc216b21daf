/**
 * The machines scenario files can name in `gic:`, built the way an
 * integrator builds them: the backend packages' factories with default
 * frame bases (QEMU `virt`'s).
 */
import type { MachineFactory, ScenarioBackend } from '@vgic/core';
import { createGicv2 } from '@vgic/gicv2';
import { createGicv3 } from '@vgic/gicv3';

export const BACKENDS: Readonly<Record<string, ScenarioBackend>> = {
  v2: (o) => createGicv2({ vcpus: o.vcpus, spis: o.spis, lrs: o.lrs }),
  v3: (o) => createGicv3({ vcpus: o.vcpus, spis: o.spis, lrs: o.lrs, ...(o.mpidr && { mpidr: o.mpidr }) }),
};

/** The same factories by GIC version, as `createFromSnapshot` takes them. */
export const FACTORIES: Readonly<Record<string, MachineFactory>> = { v2: createGicv2, v3: createGicv3 };
