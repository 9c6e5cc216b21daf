/**
 * A parsed scenario (the format: apps/cli/README.md): one machine's shape and the steps
 * that drive it from outside. Loaders (the CLI's YAML/JSON loader, a test's
 * object literal) produce it; `runScenario` runs it. Every 64-bit quantity
 * is a `bigint`, so nothing passes through a double.
 */
import type { AccessWidth } from '../backend.js';

/** Where a step or key stands in its file, 1-based, for messages. */
export interface SourcePos {
  line: number;
  col: number;
}

export interface Scenario {
  /** Shown in reports. */
  name?: string;
  /** The file it came from, for reports. */
  file?: string;
  /** `v2` | `v3`: the key of the backend factory to build the machine with. */
  gic: string;
  vcpus: number;
  /** Default 32. */
  spis?: number;
  /** List registers per vCPU, default 4. */
  lrs?: number;
  /** GICv3: each vCPU's MPIDR affinity. */
  mpidr?: readonly bigint[];
  /** An ITS (`its: true`: at the backend's default base). */
  its?: { base?: bigint };
  /** How many LPIs may be mapped at once (the machine's LPI capacity). */
  lpis?: number;
  /** Guest RAM the GIC reads and writes (its tables, the command queue), and `poke`/`peek` touch. */
  memory?: readonly MemoryRegionSpec[];
  steps: readonly Step[];
}

/**
 * Steps by index, each made when the run reaches it: an array is one, and so
 * is a loader's view of a long file that builds each step from the file's
 * text as it is asked for, so that the run holds one step at a time.
 */
export interface StepSource {
  readonly length: number;
  /** The step at `index` (0-based), for every index below `length`. */
  at(index: number): Step | undefined;
}

/** A scenario whose steps are a `StepSource`: what `runScenario` takes (a `Scenario` is one). */
export interface StreamedScenario extends Omit<Scenario, 'steps'> {
  steps: StepSource;
}

/** A region of guest RAM: `size` bytes from guest-physical address `base`, zero at the start. */
export interface MemoryRegionSpec {
  base: bigint;
  size: number;
}

/** What every step may carry. */
export interface StepCommon {
  /** The vCPU the step acts as or on (default 0). */
  vcpu?: number;
  /** The step must fail with this `VgicError` code and change nothing. */
  expectError?: string;
  /** Where the step is written, when it came from a file. */
  pos?: SourcePos;
}

/** A guest write by `vcpu` (default 0). */
export interface WriteStep extends StepCommon {
  action: 'write';
  /** A register name (`GICD_ISENABLER1`) or a raw frame offset (`GICD+0x100`). */
  register: string;
  value: bigint;
  /** Access width in bits (default: the register's natural width). */
  width?: AccessWidth;
  /** For `GICR_*`: whose redistributor (default: the accessing vCPU's). */
  rd?: number;
}

/** A guest read; with `expect`, `(value & mask) == expect` must hold. */
export interface ReadStep extends StepCommon {
  action: 'read';
  register: string;
  width?: AccessWidth;
  rd?: number;
  expect?: bigint;
  /** Default: all ones. */
  mask?: bigint;
}

/** A host line change (KVM_IRQ_LINE). */
export interface InjectStep extends StepCommon {
  action: 'inject';
  intid: number;
  /** Default 1. */
  level?: 0 | 1;
}

/** Hardware-map an interrupt to host interrupt `host` (default: the same INTID). */
export interface MapStep extends StepCommon {
  action: 'map';
  intid: number;
  host?: number;
}

/** Enter (flush) `vcpu`. */
export interface RunStep extends StepCommon {
  action: 'run';
  vcpu: number;
}

/** Leave (sync) `vcpu`. */
export interface ExitStep extends StepCommon {
  action: 'exit';
  vcpu: number;
}

/** A check of state the guest cannot read directly. */
export interface CheckStep extends StepCommon {
  action: 'check';
  check: CheckSpec;
}

/** Save the whole GIC (every running vCPU exits first). */
export interface SnapshotStep extends StepCommon {
  action: 'snapshot';
  name: string;
}

/** Replace the machine's GIC state with a snapshot taken earlier. */
export interface RestoreStep extends StepCommon {
  action: 'restore';
  name: string;
}

/** A guest store to RAM, as the guest's CPU makes it (little-endian). */
export interface PokeStep extends StepCommon {
  action: 'poke';
  address: bigint;
  value: bigint;
  /** Bits, default 64. */
  width?: AccessWidth;
}

/** A guest load from RAM; with `expect`, `(value & mask) == expect` must hold. */
export interface PeekStep extends StepCommon {
  action: 'peek';
  address: bigint;
  /** Bits, default 64. */
  width?: AccessWidth;
  expect?: bigint;
  mask?: bigint;
}

/**
 * A command the guest's ITS driver issues: written at the queue's write
 * pointer in guest RAM, then the write pointer advanced by `vcpu`. The
 * fields are those the command takes (`device`, `event`, `intid`,
 * `collection`, `itt`, `size`, `valid`, `target`, `from`).
 */
export interface ItsStep extends StepCommon {
  action: 'its';
  command: string;
  fields: Readonly<Record<string, bigint>>;
}

/** A device's message-signalled interrupt: `event` written to the ITS with DeviceID `device` (KVM_SIGNAL_MSI). */
export interface MsiStep extends StepCommon {
  action: 'msi';
  device: number;
  event: number;
}

export type Step =
  | WriteStep
  | ReadStep
  | InjectStep
  | MapStep
  | RunStep
  | ExitStep
  | CheckStep
  | SnapshotStep
  | RestoreStep
  | PokeStep
  | PeekStep
  | ItsStep
  | MsiStep;

export type StepAction = Step['action'];

/** Every action, in the order the scenario format lists them. */
export const STEP_ACTIONS: readonly StepAction[] = ['write', 'read', 'inject', 'map', 'run', 'exit', 'check', 'snapshot', 'restore', 'poke', 'peek', 'its', 'msi'];

/**
 * A `check`: with `irq`, fields of that interrupt (private ones on `vcpu`,
 * default 0); fields of the vCPU `vcpu` otherwise. The field names are those
 * of core's `IrqState` and `VcpuState`, plus `hasPending` and `apList`.
 */
export interface CheckSpec {
  irq?: number;
  vcpu?: number;
  pending?: boolean;
  active?: boolean;
  enabled?: boolean;
  priority?: number;
  group?: number;
  config?: 'edge' | 'level';
  lineLevel?: boolean;
  pendingLatch?: boolean;
  target?: number | null;
  queued?: number | null;
  lr?: number | null;
  hw?: boolean;
  hostIntid?: number | null;
  sources?: readonly number[];
  hasPending?: boolean;
  apList?: readonly number[];
  /** Compare `apList` in order rather than as a set. */
  ordered?: boolean;
  running?: boolean;
  irqLine?: boolean;
  fiqLine?: boolean;
  pmr?: number;
  runningPriority?: number;
  eoiMode?: number;
}
