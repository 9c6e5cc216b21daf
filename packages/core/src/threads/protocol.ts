/**
 * What the main thread and its worker threads say to each other. Messages
 * pass only at start-up and at the end; everything in between goes through
 * the machine's SharedArrayBuffer and the control block.
 */
import type { Machine, MachineHandle } from '../machine.js';
import type { ThreadControl } from './control.js';
import type { CpuInterfaceNames, VcpuCounters } from './guest-cpu.js';
import type { RunVcpuOptions } from './runner.js';

/**
 * Where a worker finds the GIC backend: a module (a package name such as
 * `@vgic/gicv3`, or an absolute file URL) and the names of its exports.
 * Core depends on no backend: the caller names it.
 */
export interface BackendRef {
  module: string;
  /** The export that opens a machine handle in a worker (`attachGicv3`). */
  attach: string;
  /** The export that creates a machine (`createGicv3`): used by `runStress` and `measureScaling`. */
  create?: string;
  /** The export with the backend's `GuestOps` (`gicv3Guest`): used by `runStress` and `measureScaling`. */
  guest?: string;
}

/**
 * Code a worker runs: a module (a package name, or an absolute `file:` URL)
 * and the export to call (default `default`), with data it receives as its
 * second argument (structured-clonable). Modules built into core are named
 * `vgic:<name>`.
 */
export interface ModuleRef {
  module: string;
  export?: string;
  data?: unknown;
}

/** What every worker is given, whatever it runs. */
interface CommonWorkerData {
  handle: MachineHandle;
  /**
   * The thread id the main thread reserved for this worker in the machine's
   * thread table: the worker opens the machine under it, so the main thread
   * knows whose locks to look at when the worker ends (lock-owners.ts).
   */
  thread: number;
}

export interface VcpuWorkerData extends CommonWorkerData {
  kind: 'vcpu';
  backend: BackendRef;
  control: SharedArrayBuffer;
  vcpu: number;
  guest: ModuleRef;
  run: RunVcpuOptions;
  /** The guest's CPU interface registers (default: found by architectural name). */
  cpuInterface?: CpuInterfaceNames;
}

export interface TaskWorkerData extends CommonWorkerData {
  kind: 'task';
  backend: BackendRef;
  control: SharedArrayBuffer;
  /** A name for messages and reports. */
  name: string;
  task: ModuleRef;
}

export type WorkerData = VcpuWorkerData | TaskWorkerData;

export type WorkerMessage =
  | { type: 'ready' }
  | { type: 'done'; counters?: VcpuCounters; result?: unknown }
  | { type: 'error'; message: string; code?: string; stack?: string };

/** What a task thread (an injector, a device model) gets. */
export interface TaskContext {
  /** The machine, opened in this thread. */
  machine: Machine;
  control: ThreadControl;
  /** The `data` of the task's `ModuleRef`. */
  data: unknown;
  name: string;
}

/**
 * A task module's export: runs until the control block leaves PHASE_RUN
 * (it should look at `control.phase` often), and returns a structured-clonable
 * result for the main thread.
 */
export type TaskFn = (ctx: TaskContext) => unknown;
