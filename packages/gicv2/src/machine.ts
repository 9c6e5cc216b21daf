/**
 * GICv2 machines: made fresh (`createGicv2`), or opened over the shared
 * buffer of one another thread made (`attachGicv2`), for vCPUs on worker
 * threads.
 */
import {
  ATTACH_OPTION_KEYS,
  Machine,
  readMachineHandle,
  readOptions,
  splitFactoryOptions,
  type MachineHandle,
  type MachineOptions,
} from '@vgic/core';
import { GICV2_OPTION_KEYS, createGicv2Backend, type Gicv2BackendOptions } from './backend.js';
import type { Gicv2Registers } from './register-names.js';

export type Gicv2Options = MachineOptions & Gicv2BackendOptions;

/** A machine with a GICv2: its register names are GICv2's (`Gicv2RegisterName`), every one read as a number. */
export type Gicv2Machine = Machine<Gicv2Registers>;

/**
 * A GICv2 machine in its reset state. Throws INVALID_CONFIG for options that
 * do not describe one: a value of the wrong type or out of range (vCPUs
 * 1..8, frame bases 4 KiB-aligned below 2^48 and apart), or an option name
 * it does not take.
 */
export function createGicv2(options: Gicv2Options): Gicv2Machine {
  const { machine, backend } = splitFactoryOptions(options, GICV2_OPTION_KEYS, 'createGicv2 options');
  return Machine.create(createGicv2Backend(backend), machine) as Gicv2Machine;
}

/**
 * Open, on this thread, the GICv2 machine another thread created with
 * `shared: true`: `handle` is what its `m.handle(backendOptions)` returned
 * (`backendOptions` are the frame bases it was made with, or `{}`). The
 * state is not touched. Throws INVALID_ARGUMENT for a handle that is not one
 * (of another GIC version, its buffer too short or its header altered).
 */
export function attachGicv2(handle: MachineHandle, options: Pick<MachineOptions, 'lockCheck' | 'locks'> = {}): Gicv2Machine {
  const { buffer, backendOptions } = readMachineHandle(handle, 'v2');
  const open = readOptions(options, ATTACH_OPTION_KEYS, 'INVALID_CONFIG', 'attachGicv2 options');
  return Machine.attach(createGicv2Backend(backendOptions), buffer as ArrayBufferLike, open) as Gicv2Machine;
}
