/**
 * GICv2 machines: made fresh (`createGicv2`), or opened over the shared
 * buffer of one another thread made (`attachGicv2`), for vCPUs on worker
 * threads.
 */
import { Machine, VgicError, createMachine, type MachineHandle, type MachineOptions } from '@vgic/core';
import { createGicv2Backend, type Gicv2BackendOptions } from './backend.js';

export type Gicv2Options = MachineOptions & Gicv2BackendOptions;

/** A GICv2 machine in its reset state. */
export function createGicv2(options: Gicv2Options): Machine {
  const { gicdBase, giccBase, ...machine } = options;
  const backendOptions: Gicv2BackendOptions = {
    ...(gicdBase !== undefined && { gicdBase }),
    ...(giccBase !== undefined && { giccBase }),
  };
  return createMachine(createGicv2Backend(backendOptions), machine);
}

/**
 * Open, on this thread, the GICv2 machine another thread created with
 * `shared: true`: `handle` is what its `m.handle(backendOptions)` returned
 * (`backendOptions` are the frame bases it was made with, or `{}`). The
 * state is not touched.
 */
export function attachGicv2(handle: MachineHandle, options: Pick<MachineOptions, 'lockCheck' | 'locks'> = {}): Machine {
  if (handle.version !== 'v2') {
    throw new VgicError('INVALID_ARGUMENT', `the handle is of a GIC${String(handle.version)} machine; attachGicv2 opens GICv2 machines`);
  }
  const bo = handle.backendOptions;
  if (bo !== undefined && bo !== null && typeof bo !== 'object') {
    throw new VgicError('INVALID_ARGUMENT', 'handle.backendOptions must be the GICv2 options object ({ gicdBase?, giccBase? }) or undefined');
  }
  return Machine.attach(createGicv2Backend((bo ?? {}) as Gicv2BackendOptions), handle.buffer, options);
}
