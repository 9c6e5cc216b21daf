/**
 * Machines with a GICv3: made here, or opened on a worker thread over the
 * shared buffer another thread made.
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
import { GICV3_OPTION_KEYS, createGicv3Backend, type Gicv3BackendOptions } from './backend.js';
import type { Gicv3Registers } from './register-names.js';

export type Gicv3Options = MachineOptions & Gicv3BackendOptions;

/** The LPI capacity of a machine made with `its` and no `lpis` (SCENARIO.md). */
export const DEFAULT_ITS_LPIS = 8192;

function hasIts(backend: Record<string, unknown>): boolean {
  return backend['its'] !== undefined && backend['its'] !== false;
}

/** A machine with a GICv3: its register names are GICv3's (`Gicv3RegisterName`). */
export type Gicv3Machine = Machine<Gicv3Registers>;

/**
 * A machine with a GICv3 in its reset state. Throws INVALID_CONFIG for
 * options that do not describe one (vCPUs 1..512, an `mpidr` list that is not
 * one unique affinity per vCPU, misaligned or overlapping frames, a value of
 * the wrong type, an option name it does not take).
 */
export function createGicv3(options: Gicv3Options): Gicv3Machine {
  const { machine, backend } = splitFactoryOptions(options, GICV3_OPTION_KEYS, 'createGicv3 options');
  // An ITS translates MSIs into LPIs: a machine with one has LPIs, 8192 unless `lpis` says.
  const withLpis = hasIts(backend) && machine['lpis'] === undefined ? { ...machine, lpis: DEFAULT_ITS_LPIS } : machine;
  return Machine.create(createGicv3Backend(backend), withLpis) as Gicv3Machine;
}

/**
 * Open, on another thread, the machine whose `handle` was made with
 * `m.handle(backendOptions)` — the same `gicdBase`, `gicrBase` and `mpidr`
 * the machine was created with; the guest memory regions over shared
 * buffers come with the handle (a callback region does not: give this
 * thread's own as `guestMemory`). Throws INVALID_ARGUMENT for a handle that is
 * not one (of another GIC version, its buffer too short or its header
 * altered), INVALID_CONFIG for backend options that describe no GICv3.
 */
export function attachGicv3(
  handle: MachineHandle,
  options: Pick<MachineOptions, 'lockCheck' | 'locks' | 'guestMemory'> = {},
): Gicv3Machine {
  const { buffer, backendOptions, guestMemory } = readMachineHandle(handle, 'v3');
  const open = readOptions(options, ATTACH_OPTION_KEYS, 'INVALID_CONFIG', 'attachGicv3 options');
  // The handle's shared regions, unless this thread brings its own.
  const withMemory = open['guestMemory'] === undefined && guestMemory !== undefined ? { ...open, guestMemory } : open;
  return Machine.attach(createGicv3Backend(backendOptions), buffer as ArrayBufferLike, withMemory) as Gicv3Machine;
}
