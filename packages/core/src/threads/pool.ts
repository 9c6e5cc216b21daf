/**
 * The main thread's side: start one worker thread per vCPU over a shared
 * machine, start task threads beside them, and shut everything down
 * cleanly — stop the tasks, let the vCPUs drain what is left, stop them and
 * collect their counters.
 *
 * Workers run from TypeScript source (tests, `tsx`) or from built
 * JavaScript: from source the worker goes through a small bootstrap that
 * registers tsx and is given the `@vgic/source` export condition, so the
 * backend package it imports resolves to its source as well.
 */
import { Worker } from 'node:worker_threads';
import { LINE_WORDS } from '../cache-line.js';
import { VgicError, type VgicErrorCode } from '../errors.js';
import { THREAD_RESERVED, type LockSpace } from '../lock-owners.js';
import type { Machine } from '../machine.js';
import { kickVcpu } from '../queue.js';
import { PHASE_DRAIN, PHASE_QUIESCE, PHASE_STOP, ThreadControl } from './control.js';
import type { CpuInterfaceNames, VcpuCounters } from './guest-cpu.js';
import type { BackendRef, ModuleRef, WorkerData, WorkerMessage } from './protocol.js';
import type { RunVcpuOptions } from './runner.js';

const SOURCE_CONDITION = '--conditions=@vgic/source';
const TS_FILE = /\.[cm]?ts$/;

/**
 * For built code asked to run a TypeScript module (a guest written in
 * TypeScript, run with tsx): register tsx, resolved from the working
 * directory (the user's project), then load the worker entry.
 */
const TSX_EVAL_BOOT = `const { workerData } = require('node:worker_threads');
import('tsx/esm/api')
  .then(({ register }) => { register(); return import(workerData.entry); })
  .catch((e) => { setImmediate(() => { throw e; }); });`;

function needsTsx(data: WorkerData): boolean {
  const ref = data.kind === 'vcpu' ? data.guest : data.task;
  return TS_FILE.test(ref.module) || TS_FILE.test(data.backend.module);
}

/** Start a worker on the entry that fits how this module itself was loaded. */
export function spawnWorker(data: WorkerData): Worker {
  const here = import.meta.url;
  if (TS_FILE.test(here)) {
    // From source: a plain bootstrap registers tsx, and the backend package
    // the worker imports resolves to its source too.
    const entry = new URL('./worker.ts', here).href;
    return new Worker(new URL('./boot.mjs', here), { workerData: { ...data, entry }, execArgv: [SOURCE_CONDITION] });
  }
  // Built: this code sits in dist/ (or a chunk beside it), the entry in dist/threads/.
  const entry = new URL('.', here).pathname.endsWith('/threads/') ? new URL('./worker.js', here) : new URL('./threads/worker.js', here);
  if (needsTsx(data)) return new Worker(TSX_EVAL_BOOT, { eval: true, workerData: { ...data, entry: entry.href } });
  return new Worker(entry, { workerData: data });
}

/** What a worker is started with, before the main thread has reserved its thread id. */
type UnnumberedWorkerData = WorkerData extends infer D ? (D extends WorkerData ? Omit<D, 'thread'> : never) : never;

/**
 * A started worker: its readiness, its final message, and its thread id in
 * the machine's thread table. The id is reserved here, before the worker
 * starts, and given back when the worker has exited — or, if the worker
 * ended inside the engine, left marking the machine broken (`retire`).
 */
class WorkerHandle {
  readonly worker: Worker;
  readonly name: string;
  readonly thread: number;
  readonly ready: Promise<void>;
  readonly done: Promise<WorkerMessage & { type: 'done' }>;
  finished = false;
  /** It ended without finishing its work: it failed, or exited early. */
  failed = false;
  /** The worker said how it ended (done, or an exception it reported): it left the engine by itself. */
  reported = false;
  exited = false;

  constructor(data: UnnumberedWorkerData, name: string, space: LockSpace) {
    this.name = name;
    this.thread = space.claim(THREAD_RESERVED);
    try {
      this.worker = spawnWorker({ ...data, thread: this.thread } as WorkerData);
    } catch (e) {
      space.retire(this.thread, true);
      throw e;
    }
    let onReady!: () => void;
    let onFail!: (e: Error) => void;
    this.ready = new Promise<void>((res, rej) => {
      onReady = res;
      onFail = rej;
    });
    this.done = new Promise((resolve, reject) => {
      const fail = (e: Error): void => {
        this.finished = true;
        this.failed = true;
        onFail(e);
        reject(e);
      };
      this.worker.on('message', (msg: WorkerMessage) => {
        if (msg.type === 'ready') onReady();
        else if (msg.type === 'done') {
          this.finished = true;
          this.reported = true;
          resolve(msg);
        } else if (msg.type === 'error') {
          this.reported = true;
          // A VgicError thrown in the worker keeps its code.
          const text = `${name}: ${msg.message}`;
          const e = msg.code !== undefined ? new VgicError(msg.code as VgicErrorCode, text) : new Error(text);
          if (msg.stack !== undefined) e.stack = `${name}: ${msg.stack}`;
          fail(e);
        }
      });
      this.worker.on('error', (e: Error & { code?: string }) => {
        // An uncaught exception unwound the thread's stack; running out of
        // memory stopped it wherever it was.
        if (e.code !== 'ERR_WORKER_OUT_OF_MEMORY') this.reported = true;
        fail(new Error(`${name}: ${e.message}`));
      });
      this.worker.on('exit', (code) => {
        this.exited = true;
        // Before anyone awaiting this worker runs: the machine is marked
        // broken by then if the worker ended inside the engine.
        space.retire(this.thread, this.reported);
        if (!this.finished) fail(new Error(`${name} exited (code ${code}) before reporting`));
      });
    });
    // Avoid unhandled rejections: callers await `ready`/`done` when they care.
    this.ready.catch(() => {});
    this.done.catch(() => {});
  }
}

export interface StartVcpusOptions {
  /** A machine created with `shared: true`. */
  machine: Machine;
  /** Where the workers find the backend (`{ module: '@vgic/gicv3', attach: 'attachGicv3' }`). */
  backend: BackendRef;
  /** The backend factory's options, passed to `machine.handle()` for the workers. */
  backendOptions?: unknown;
  /** The guest module every vCPU runs (its export is a `GuestFactory`). */
  guest: ModuleRef;
  /** Which vCPUs get a thread (default: all). */
  vcpus?: readonly number[];
  /** WFI timeout and batch size of the run loop. */
  run?: RunVcpuOptions;
  /** A control block with room for words of the caller's own (default: a new one). */
  control?: ThreadControl;
  /** The guest's CPU interface registers, for a backend whose names are not the architecture's. */
  cpuInterface?: CpuInterfaceNames;
}

export interface ShutdownOptions {
  /** Let the vCPUs take everything still pending before they stop (default true). */
  drain?: boolean;
  /** How long each step may take before its threads are terminated (default 10 s). */
  timeoutMs?: number;
}

export interface ShutdownReport {
  /** Per-vCPU counters, by vCPU id (a vCPU whose thread had to be terminated, or failed, has none). */
  counters: VcpuCounters[];
  /** Task results, by task name. */
  tasks: Record<string, unknown>;
  /** Did the drain finish (every vCPU asleep with nothing pending)? */
  drained: boolean;
  /**
   * What went wrong: threads that did not finish in time, or failed;
   * lock-order violations; a machine left broken.
   */
  problems: string[];
  /**
   * Why the machine now refuses further use (a thread stopped inside the
   * engine, so its state may be half-written; every call that takes an
   * engine lock throws MACHINE_BROKEN), or null. `machine.reset()` or
   * `restoreMachine` makes it usable again.
   */
  broken: string | null;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function within<T>(p: Promise<T>, ms: number): Promise<{ ok: true; value: T } | { ok: false; error: string }> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<{ ok: false; error: string }>((r) => {
    timer = setTimeout(() => r({ ok: false, error: 'timeout' }), ms);
  });
  try {
    return await Promise.race([
      p.then(
        (value) => ({ ok: true as const, value }),
        (e: unknown) => ({ ok: false as const, error: e instanceof Error ? e.message : String(e) }),
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * vCPU threads over one shared machine. The main thread keeps its own
 * `Machine` and may inject, and access the distributor through
 * `hostRegisterWrite`, while they run; it never takes an engine lock during
 * shutdown, so a thread that died holding one cannot hang it.
 *
 * Each worker opens the machine under a thread id reserved for it here. A
 * worker that ends inside the engine — terminated because it did not stop
 * in time, or dead holding a lock — leaves the machine broken, with every
 * lock word poisoned: later calls that need a lock throw MACHINE_BROKEN
 * instead of waiting for ever (lock-owners.ts). `shutdown` says so in its
 * report.
 */
export class VcpuThreads {
  readonly machine: Machine;
  readonly control: ThreadControl;
  readonly vcpus: readonly number[];
  private readonly backend: BackendRef;
  private readonly backendOptions: unknown;
  private readonly vcpuWorkers: WorkerHandle[] = [];
  private readonly taskWorkers: WorkerHandle[] = [];
  /** The machine's lock-order violation count when the threads started. */
  private readonly violationsBefore: number;

  /**
   * Start the vCPU threads; resolves when every one has opened the machine
   * and built its guest. If one fails to, the others are stopped (and only
   * terminated if they do not stop) before the error is thrown.
   */
  static async start(o: StartVcpusOptions): Promise<VcpuThreads> {
    const t = new VcpuThreads(o);
    try {
      await Promise.all(t.vcpuWorkers.map((w) => w.ready));
    } catch (e) {
      await t.stopAll(STOP_AFTER_FAILED_START_MS);
      throw e;
    }
    return t;
  }

  private constructor(o: StartVcpusOptions) {
    const m = o.machine;
    if (!m.vgic.shared) throw new VgicError('INVALID_STATE', 'vCPU threads need a machine created with `shared: true`');
    this.machine = m;
    this.backend = o.backend;
    this.backendOptions = o.backendOptions;
    this.control = o.control ?? ThreadControl.create(m.vcpus);
    if (this.control.nrVcpus !== m.vcpus) {
      throw new VgicError('INVALID_ARGUMENT', `the control block is for ${this.control.nrVcpus} vCPUs; the machine has ${m.vcpus}`);
    }
    this.vcpus = o.vcpus ?? Array.from({ length: m.vcpus }, (_, k) => k);
    for (const k of this.vcpus) m.checkVcpu(k);
    this.violationsBefore = m.vgic.lockViolations;
    const handle = m.handle(o.backendOptions);
    for (const k of this.vcpus) {
      this.vcpuWorkers.push(
        new WorkerHandle(
          {
            kind: 'vcpu',
            handle,
            backend: o.backend,
            control: this.control.buffer,
            vcpu: k,
            guest: o.guest,
            run: o.run ?? {},
            ...(o.cpuInterface && { cpuInterface: o.cpuInterface }),
          },
          `vCPU ${k}`,
          m.vgic.lockSpace,
        ),
      );
    }
  }

  /**
   * Start a task thread (an injector, a device model): its module export is
   * a `TaskFn`, which should return once the control block leaves PHASE_RUN.
   * Resolves when the task has started.
   */
  async startTask(name: string, task: ModuleRef): Promise<void> {
    const handle = this.machine.handle(this.backendOptions);
    const w = new WorkerHandle({ kind: 'task', handle, backend: this.backend, control: this.control.buffer, name, task }, name, this.machine.vgic.lockSpace);
    this.taskWorkers.push(w);
    await w.ready;
  }

  /** Kick every vCPU (wakes the ones asleep in WFI). */
  kickAll(): void {
    for (const k of this.vcpus) kickVcpu(this.machine.vgic, k);
  }

  /**
   * Is every vCPU asleep with nothing pending and no kick in flight, with no
   * thread waking in between? Reads only atomics (see control.ts).
   */
  isQuiescent(): boolean {
    const c = this.control;
    const v = this.machine.vgic;
    const before = c.activity;
    for (const k of this.vcpus) {
      if (!c.isIdle(k) || Atomics.load(v.kick, k * LINE_WORDS) !== 0) return false;
    }
    return c.activity === before;
  }

  /**
   * Stop the tasks, drain the vCPUs (unless `drain: false`), stop them and
   * collect their counters. Threads that do not finish a step in time are
   * terminated and named in `problems`.
   */
  async shutdown(o: ShutdownOptions = {}): Promise<ShutdownReport> {
    const timeout = o.timeoutMs ?? 10_000;
    const problems: string[] = [];
    const tasks: Record<string, unknown> = {};

    this.control.advance(PHASE_QUIESCE);
    await Promise.all(
      this.taskWorkers.map(async (w) => {
        const r = await within(w.done, timeout);
        if (r.ok) tasks[w.name] = r.value.result;
        else problems.push(r.error === 'timeout' ? `${w.name} did not finish within ${timeout} ms` : r.error);
      }),
    );

    let drained = false;
    if (o.drain ?? true) {
      this.control.advance(PHASE_DRAIN);
      this.kickAll();
      const deadline = Date.now() + timeout;
      let calm = 0;
      while (Date.now() < deadline && this.vcpuWorkers.some((w) => !w.finished) && !this.vcpuWorkers.some((w) => w.failed)) {
        // Two looks in a row, a few milliseconds apart, with nothing moving.
        calm = this.isQuiescent() ? calm + 1 : 0;
        if (calm >= 3) {
          drained = true;
          break;
        }
        await sleep(2);
      }
      // A vCPU thread that failed is reported below, and is why the drain could not finish.
      if (!drained && !this.vcpuWorkers.some((w) => w.failed)) problems.push(`the vCPUs did not drain within ${timeout} ms`);
    }

    this.control.advance(PHASE_STOP);
    this.kickAll();
    const counters: VcpuCounters[] = [];
    await Promise.all(
      this.vcpuWorkers.map(async (w) => {
        const r = await within(w.done, timeout);
        if (r.ok && r.value.counters) counters.push(r.value.counters);
        else if (!r.ok) problems.push(r.error === 'timeout' ? `${w.name} did not stop within ${timeout} ms` : r.error);
      }),
    );
    counters.sort((a, b) => a.vcpu - b.vcpu);
    await this.terminate();

    const violations = this.machine.vgic.lockViolations - this.violationsBefore;
    if (violations > 0) {
      problems.push(`${violations} lock-order violation${violations === 1 ? '' : 's'} in the threads: the engine broke its own lock order`);
    }
    const broken = this.brokenReport();
    if (broken !== null) problems.push(broken);
    return { counters, tasks, drained, problems, broken };
  }

  /**
   * Terminate every thread at once (no drain, no counters). A thread still
   * running is stopped wherever it is: the machine is then broken (see the
   * class comment) and needs a reset.
   */
  async terminate(): Promise<void> {
    await Promise.all(this.workers().map((w) => w.worker.terminate()));
  }

  /** Ask every thread to stop (PHASE_STOP), give them `timeoutMs` to, then terminate what is left. */
  private async stopAll(timeoutMs: number): Promise<void> {
    this.control.advance(PHASE_STOP);
    this.kickAll();
    await Promise.all(this.workers().map((w) => within(w.done, timeoutMs)));
    await this.terminate();
  }

  private workers(): WorkerHandle[] {
    return [...this.vcpuWorkers, ...this.taskWorkers];
  }

  /** Why the machine is broken, naming the thread of this pool that broke it when it was one; null when sound. */
  private brokenReport(): string | null {
    const space = this.machine.vgic.lockSpace;
    const b = space.brokenBy();
    if (b === null) return null;
    const w = this.workers().find((h) => h.thread === b.thread);
    const who = w !== undefined ? w.name : b.thread > 0 ? `thread ${b.thread}` : 'a thread the lock word does not name';
    return (
      `the machine is broken: ${who} ${space.describeBreak(b)}, so the state it was changing may be half-written; ` +
      'every call that takes an engine lock throws MACHINE_BROKEN until machine.reset() or restoreMachine()'
    );
  }
}

/** How long threads that did start get to stop when a sibling failed to start. */
const STOP_AFTER_FAILED_START_MS = 10_000;

/** Start one worker thread per vCPU of a shared machine (see `VcpuThreads`). */
export function startVcpus(o: StartVcpusOptions): Promise<VcpuThreads> {
  return VcpuThreads.start(o);
}
