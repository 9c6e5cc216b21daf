/**
 * Machines with a GICv3: made here, or opened on a worker thread over the
 * shared buffer another thread made.
 */
import { Machine, VgicError, type MachineHandle, type MachineOptions } from '@vgic/core';
import { createGicv3Backend, type Gicv3BackendOptions } from './backend.js';

export type Gicv3Options = MachineOptions & Gicv3BackendOptions;

/** Only the backend's own options: what `Machine.handle` should carry to another thread. */
function backendOptionsOf(o: Gicv3BackendOptions): Gicv3BackendOptions {
  return {
    ...(o.gicdBase !== undefined && { gicdBase: o.gicdBase }),
    ...(o.gicrBase !== undefined && { gicrBase: o.gicrBase }),
    ...(o.mpidr !== undefined && { mpidr: o.mpidr }),
  };
}

/**
 * A machine with a GICv3 in its reset state. Throws INVALID_CONFIG for
 * options that do not describe one (vCPUs 1..512, an `mpidr` list that is not
 * one unique affinity per vCPU, misaligned or overlapping frames).
 */
export function createGicv3(options: Gicv3Options): Machine {
  return Machine.create(createGicv3Backend(backendOptionsOf(options)), options);
}

/**
 * Open, on another thread, the machine whose `handle` was made with
 * `m.handle(backendOptions)` — the same `gicdBase`, `gicrBase` and `mpidr`
 * the machine was created with.
 */
export function attachGicv3(handle: MachineHandle, options: Pick<MachineOptions, 'lockCheck' | 'locks'> = {}): Machine {
  if (handle.version !== 'v3') {
    throw new VgicError('INVALID_ARGUMENT', `this handle is of a GIC${handle.version} machine; attachGicv3 opens GICv3 machines`);
  }
  const backendOptions = (handle.backendOptions ?? {}) as Gicv3BackendOptions;
  return Machine.attach(createGicv3Backend(backendOptions), handle.buffer, options);
}
