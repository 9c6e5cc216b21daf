/**
 * The scenario runner (the format: apps/cli/README.md): builds the machine from a
 * backend factory, performs each step through the machine's public API —
 * the very calls an emulator makes — and records what each step read, what
 * it changed, the trace events it caused, and whether its checks held.
 *
 * Every `expect`, `check` and `expectError` counts as one check; so does a
 * step that fails when it was not expected to.
 */
import { VgicError, isVgicError } from '../errors.js';
import type { AccessWidth } from '../backend.js';
import type { Machine, RegisterAccessOptions } from '../machine.js';
import { restoreMachine, saveMachine } from '../snapshot/index.js';
import type { TraceEvent } from '../trace.js';
import { evaluateCheck, type CheckOutcome } from './checks.js';
import { describeStep } from './describe.js';
import { ScenarioRam, type ScenarioRamRegion } from './ram.js';
import { ChangeTracker, hex } from './view.js';
import type { Scenario, Step, StreamedScenario } from './types.js';

/** What a backend factory receives from a scenario's header. */
export interface ScenarioMachineOptions {
  vcpus: number;
  spis: number;
  lrs: number;
  /** GICv3: each vCPU's MPIDR affinity, when the scenario gives them. */
  mpidr?: readonly bigint[];
  /** An ITS, at `base` or the backend's default. */
  its?: { base?: bigint };
  /** The machine's LPI capacity. */
  lpis?: number;
  /** The guest RAM the machine reads and writes (its `memory`), one buffer per region; the runner's `poke`/`peek` share them. */
  ram?: readonly ScenarioRamRegion[];
}

/** A field of an ITS command, as `its:` steps write it. */
export interface CommandField {
  readonly name: string;
  /** The range the value must be in (`min` default 0). */
  readonly min?: bigint;
  readonly max: bigint;
  /** The value is a multiple of this (an address of which the command holds the high bits). */
  readonly align?: number;
  /** Whether a step must give it: always, or when the command's `valid` is 1. */
  readonly required: boolean | 'whenValid';
  /** What the field holds, for messages. */
  readonly doc: string;
}

/**
 * A scenario's machine factory. One whose machines can have an ITS also
 * names the commands `its:` steps may issue, with their fields, and issues
 * one as the guest's driver does: the command written into the queue in
 * guest RAM, then the queue's write pointer moved past it by `vcpu` (a
 * guest access). It throws a `VgicError` when the queue is not in guest RAM.
 */
export interface ScenarioBackend {
  (options: ScenarioMachineOptions): Machine;
  commands?: Readonly<Record<string, readonly CommandField[]>>;
  issueCommand?: (m: Machine, command: string, fields: Readonly<Record<string, bigint>>, vcpu: number) => void;
}

export interface RunScenarioOptions {
  /** Machine factories by the name scenarios give in `gic:` (`v2`, `v3`). */
  backends: Readonly<Record<string, ScenarioBackend>>;
  /** Called after each step, with the machine as the step left it. */
  onStep?: (record: StepRecord, machine: Machine) => void;
  /** Record the engine's trace events of each step. */
  trace?: boolean;
  /** Record what each step changed (default true). */
  changes?: boolean;
  /**
   * Keep every step's record in the result (default true). With false the
   * result's `steps` stays empty and memory does not grow with the number of
   * steps: take each record from `onStep` instead.
   */
  keepSteps?: boolean;
  /**
   * The most bytes the snapshots the scenario keeps may take at once (each
   * is kept as the JSON text of its save document), default 256 MiB. A
   * snapshot step that would pass it fails with INVALID_STATE.
   */
  snapshotBudget?: number;
  /** Run only the first `until` steps. */
  until?: number;
}

/** The default of `RunScenarioOptions.snapshotBudget`: 256 MiB. */
export const DEFAULT_SNAPSHOT_BUDGET: number = 256 * 1024 * 1024;

export interface StepRecord {
  /** 1-based, as reports number steps. */
  index: number;
  step: Step;
  /** The action in words: `vCPU0 read ICC_IAR1_EL1`. */
  action: string;
  /** The value a `read` or `peek` returned. */
  read?: bigint;
  /** What an `msi` came to: `delivered` or `dropped` (no translation). */
  result?: string;
  /** The error the step failed with (expected or not). */
  error?: { code: string; message: string };
  /** What changed, one phrase per interrupt or vCPU (empty when nothing did). */
  changes: string[];
  /** The engine's trace events, when asked for. */
  events?: TraceEvent[];
  /** The step's check, if it has one: an `expect`, a `check`, an `expectError`, or an unexpected failure. */
  check?: CheckOutcome;
}

export interface ScenarioResult {
  name?: string;
  file?: string;
  gic: string;
  passed: number;
  failed: number;
  /** How many steps ran. */
  ran: number;
  /** Every step's record (empty with `keepSteps: false`). */
  steps: StepRecord[];
  /** The machine as the last step left it. */
  machine: Machine;
}

function backendOf(s: Pick<Scenario, 'gic'>, backends: Readonly<Record<string, ScenarioBackend>>): ScenarioBackend {
  const make = backends[s.gic];
  if (make === undefined) {
    throw new VgicError('INVALID_CONFIG', `no backend for gic: ${s.gic}; known: ${Object.keys(backends).join(', ')}`);
  }
  return make;
}

/** Build the scenario's machine in its reset state, over `ram` (default: the scenario's `memory`, zeroed). */
export function createScenarioMachine(s: Omit<Scenario, 'steps'>, backends: Readonly<Record<string, ScenarioBackend>>, ram?: ScenarioRam): Machine {
  const make = backendOf(s, backends);
  const regions = s.memory !== undefined ? (ram ?? new ScenarioRam(s.memory)).regions : undefined;
  return make({
    vcpus: s.vcpus,
    spis: s.spis ?? 32,
    lrs: s.lrs ?? 4,
    ...(s.mpidr && { mpidr: s.mpidr }),
    ...(s.its && { its: s.its }),
    ...(s.lpis !== undefined && { lpis: s.lpis }),
    ...(regions && { ram: regions }),
  });
}

interface RunContext {
  m: Machine;
  backend: ScenarioBackend;
  ram: ScenarioRam;
  /** Each snapshot as the JSON text of its save document: a fraction of the size of the objects. */
  snapshots: Map<string, string>;
  snapshotBytes: number;
  snapshotBudget: number;
}

function guestOptions(step: { vcpu?: number; width?: AccessWidth; rd?: number }): RegisterAccessOptions {
  return {
    vcpu: step.vcpu ?? 0,
    ...(step.width !== undefined && { width: step.width }),
    ...(step.rd !== undefined && { rd: step.rd }),
  };
}

/** Perform one step's action. Returns the value read, for a read, the outcome, for a check, and what an MSI came to. */
function perform(ctx: RunContext, step: Step): bigint | CheckOutcome | string | undefined {
  const m = ctx.m;
  switch (step.action) {
    case 'write':
      m.writeRegister(step.register, step.value, guestOptions(step));
      return undefined;
    case 'read':
      // Scenario expectations are bigints, whatever the width.
      return BigInt(m.readRegister(step.register, guestOptions(step)));
    case 'inject': {
      // A private interrupt belongs to a vCPU (default 0); an SPI takes one only to check it exists.
      const vcpu = step.intid < 32 ? (step.vcpu ?? 0) : step.vcpu;
      m.inject(step.intid, step.level ?? 1, vcpu);
      return undefined;
    }
    case 'map': {
      const vcpu = step.intid < 32 ? (step.vcpu ?? 0) : step.vcpu;
      m.mapHw(step.intid, step.host ?? step.intid, vcpu);
      return undefined;
    }
    case 'run':
      m.enter(step.vcpu);
      return undefined;
    case 'exit':
      m.exit(step.vcpu);
      return undefined;
    case 'check':
      // Throws for an interrupt or vCPU the machine does not have.
      return evaluateCheck(m, step.check);
    case 'snapshot': {
      // A VMM stops every vCPU before it saves the GIC (saveMachine makes each exit).
      const text = JSON.stringify(saveMachine(m));
      const kept = ctx.snapshotBytes - (ctx.snapshots.get(step.name)?.length ?? 0) + text.length;
      if (kept > ctx.snapshotBudget) {
        throw new VgicError('INVALID_STATE', `keeping snapshot ${step.name} would take the snapshots kept to ${kept} bytes, past the snapshot budget of ${ctx.snapshotBudget}`);
      }
      ctx.snapshots.set(step.name, text);
      ctx.snapshotBytes = kept;
      return undefined;
    }
    case 'restore': {
      const text = ctx.snapshots.get(step.name);
      if (text === undefined) throw new VgicError('INVALID_ARGUMENT', `no snapshot named ${step.name} was taken before this step`);
      restoreMachine(m, JSON.parse(text));
      return undefined;
    }
    case 'poke':
      ctx.ram.store(step.address, step.width ?? 64, step.value);
      return undefined;
    case 'peek':
      return ctx.ram.load(step.address, step.width ?? 64);
    case 'its': {
      const issue = ctx.backend.issueCommand;
      if (issue === undefined) throw new VgicError('INVALID_CONFIG', `this machine has no ITS to take ${step.command}`);
      issue(m, step.command, step.fields, step.vcpu ?? 0);
      return undefined;
    }
    case 'msi':
      return m.signalMsi(step.device, step.event) ? 'delivered' : 'dropped';
  }
}

/** The raw state bytes: a fingerprint exact enough to prove a failed step changed nothing. */
function stateBytes(m: Machine): Uint8Array {
  return new Uint8Array(m.vgic.buffer).slice();
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function errorOf(e: unknown): { code: string; message: string } {
  if (isVgicError(e)) return { code: e.code, message: e.message };
  const err = e instanceof Error ? e : new Error(String(e));
  return { code: err.name === 'Error' ? 'EXCEPTION' : err.name, message: err.message };
}

function judgeExpectedError(step: Step, error: StepRecord['error'], changed: boolean): CheckOutcome {
  const want = step.expectError!;
  const what = `expectError ${want}`;
  if (error === undefined) return { ok: false, what, message: `expected ${want}, but the step succeeded` };
  if (error.code !== want) return { ok: false, what, message: `expected ${want}, but it failed with ${error.code}: ${error.message}` };
  if (changed) return { ok: false, what, message: `failed with ${want} as expected, but changed the machine's state` };
  return { ok: true, what };
}

function judgeRead(expect: bigint, mask: bigint | undefined, value: bigint): CheckOutcome {
  const m = mask ?? (1n << 64n) - 1n;
  const got = value & m;
  const what = mask === undefined ? `expect ${hex(expect)}` : `expect ${hex(expect)} mask ${hex(mask)}`;
  return got === expect ? { ok: true, what } : { ok: false, what, message: `read ${hex(value)}${mask === undefined ? '' : ` (masked ${hex(got)})`}, expected ${hex(expect)}` };
}

/** Run one step, recording what it did. */
function runStep(ctx: RunContext, step: Step, index: number, trace: boolean): StepRecord {
  const record: StepRecord = { index, step, action: describeStep(step), changes: [] };
  const before = step.expectError !== undefined ? stateBytes(ctx.m) : null;
  const events: TraceEvent[] | null = trace ? [] : null;
  const stop = events !== null ? ctx.m.onTrace((e) => events.push(e)) : null;
  let outcome: CheckOutcome | undefined;
  try {
    const done = perform(ctx, step);
    if (typeof done === 'bigint') record.read = done;
    else if (typeof done === 'string') record.result = done;
    else outcome = done;
  } catch (e) {
    record.error = errorOf(e);
  } finally {
    stop?.();
  }
  if (events !== null) record.events = events;
  if (step.expectError !== undefined) {
    record.check = judgeExpectedError(step, record.error, !sameBytes(before!, stateBytes(ctx.m)));
  } else if (record.error !== undefined) {
    record.check = { ok: false, what: 'step', message: `failed with ${record.error.code}: ${record.error.message}` };
  } else if (outcome !== undefined) {
    record.check = outcome;
  } else if ((step.action === 'read' || step.action === 'peek') && step.expect !== undefined) {
    record.check = judgeRead(step.expect, step.mask, record.read!);
  }
  return record;
}

/**
 * Run a scenario from the machine's reset state. Steps keep running after a
 * failed check, so a report shows every failure. Each step is taken from
 * `s.steps` as the run reaches it and, with `keepSteps: false`, nothing of
 * it is kept once `onStep` has seen its record.
 */
export function runScenario(s: Scenario | StreamedScenario, options: RunScenarioOptions): ScenarioResult {
  const backend = backendOf(s, options.backends);
  const ram = new ScenarioRam(s.memory ?? []);
  const m = createScenarioMachine(s, options.backends, ram);
  const ctx: RunContext = { m, backend, ram, snapshots: new Map(), snapshotBytes: 0, snapshotBudget: options.snapshotBudget ?? DEFAULT_SNAPSHOT_BUDGET };
  const keep = options.keepSteps ?? true;
  const last = Math.min(s.steps.length, options.until ?? s.steps.length);
  const result: ScenarioResult = { gic: s.gic, passed: 0, failed: 0, ran: 0, steps: [], machine: m };
  if (s.name !== undefined) result.name = s.name;
  if (s.file !== undefined) result.file = s.file;
  const tracker = (options.changes ?? true) ? new ChangeTracker(m) : null;
  for (let i = 0; i < last; i++) {
    const record = runStep(ctx, s.steps.at(i)!, i + 1, options.trace ?? false);
    if (tracker !== null) record.changes = tracker.changes();
    if (record.check !== undefined) {
      if (record.check.ok) result.passed++;
      else result.failed++;
    }
    result.ran++;
    if (keep) result.steps.push(record);
    options.onStep?.(record, m);
  }
  return result;
}
