/**
 * The machines scenario files can name in `gic:`, built the way an
 * integrator builds them: the backend packages' factories with default
 * frame bases (QEMU `virt`'s), the scenario's guest RAM as their guest
 * memory. GICv3's also names the ITS commands `its:` steps may issue, and
 * issues them (its-steps.ts).
 */
import type { MachineFactory, ScenarioBackend, ScenarioMachineOptions } from '@vgic/core';
import { createGicv2 } from '@vgic/gicv2';
import { createGicv3 } from '@vgic/gicv3';
import { ITS_COMMANDS, issueItsCommand } from './its-steps.js';

/** A scenario's LPI keys as createGicv3 takes them. */
function lpiOptions(o: ScenarioMachineOptions): Record<string, unknown> {
  return {
    ...(o.its && { its: o.its.base === undefined ? true : { base: Number(o.its.base) } }),
    ...(o.lpis !== undefined && { lpis: o.lpis }),
    ...(o.ram && { guestMemory: o.ram.map((r) => ({ base: r.base, buffer: r.buffer })) }),
  };
}

export const BACKENDS: Readonly<Record<string, ScenarioBackend>> = {
  v2: (o) => createGicv2({ vcpus: o.vcpus, spis: o.spis, lrs: o.lrs }),
  v3: Object.assign(
    (o: ScenarioMachineOptions) => createGicv3({ vcpus: o.vcpus, spis: o.spis, lrs: o.lrs, ...(o.mpidr && { mpidr: o.mpidr }), ...lpiOptions(o) }),
    { commands: ITS_COMMANDS, issueCommand: issueItsCommand },
  ),
};

/** The same factories by GIC version, as `createFromSnapshot` takes them. */
export const FACTORIES: Readonly<Record<string, MachineFactory>> = { v2: createGicv2, v3: createGicv3 };
