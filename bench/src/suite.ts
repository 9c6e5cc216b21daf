/**
 * `runSuite(name, [[impl, fn, ops], …])`: a small layer over tinybench with
 * the iterations, warm-up and clock pinned, a sink so that nothing the
 * functions compute can be optimised away, and a check on every call.
 *
 * One call of a task function performs `ops` operations and returns how many
 * of them produced the outcome the workload expects. Timing a batch rather
 * than a single operation keeps the clock's own cost (tens of nanoseconds)
 * out of figures that are themselves tens of nanoseconds; the per-operation
 * figures are the batch's divided by `ops`. A call that returns anything but
 * `ops` stops the suite: a broken engine must not produce a fast number.
 */
import { Bench, hrtimeNow } from 'tinybench';

/** A task function: performs its batch of operations, returns how many checked out. */
export type BatchFn = () => number;

/** `[impl, fn, ops]`: the implementation's name, its batch function, operations per call. */
export type SuiteEntry = readonly [impl: string, fn: BatchFn, ops: number];

export interface SuiteOptions {
  /** Milliseconds of measurement per task (after warm-up). */
  time: number;
  /** Milliseconds of warm-up per task (default: a quarter of `time`, 20..250). */
  warmupTime?: number;
  /** Minimum calls measured per task, whatever `time` says (default 32). */
  iterations?: number;
  /** Minimum warm-up calls per task (default 16). */
  warmupIterations?: number;
}

export interface SuiteResult {
  suite: string;
  impl: string;
  /** Mean nanoseconds per operation. */
  nsPerOp: number;
  /** Operations per second, from the mean. */
  opsPerSec: number;
  /** Relative margin of error of the mean, in percent (95% confidence). */
  rme: number;
  /** Timed calls (each one batch of `ops` operations). */
  samples: number;
  ops: number;
}

/** Thrown when a task's outcome check fails: the numbers of that task mean nothing. */
export class BenchCheckError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BenchCheckError';
  }
}

/** Where every task's return value goes, so that none of the work is dead code. */
let sink = 0;

/** The sink's value (read it so the accumulation itself is observable). */
export function sinkValue(): number {
  return sink;
}

function checked(suite: string, impl: string, fn: BatchFn, ops: number): () => void {
  return () => {
    const ok = fn();
    sink = (sink + ok) | 0;
    if (ok !== ops) throw new BenchCheckError(`${suite} ${impl}: ${ok} of ${ops} operations had the expected outcome`);
  };
}

export function defaultWarmupTime(time: number): number {
  return Math.min(250, Math.max(20, Math.round(time / 4)));
}

/** Run one suite: each entry warmed up, then timed, one after another. Throws on a failed check. */
export function runSuite(name: string, entries: readonly SuiteEntry[], options: SuiteOptions): SuiteResult[] {
  const bench = new Bench({
    name,
    now: hrtimeNow,
    time: options.time,
    iterations: options.iterations ?? 32,
    warmup: true,
    warmupTime: options.warmupTime ?? defaultWarmupTime(options.time),
    warmupIterations: options.warmupIterations ?? 16,
    throws: true,
  });
  for (const [impl, fn, ops] of entries) bench.add(impl, checked(name, impl, fn, ops));
  bench.runSync();
  return entries.map(([impl, , ops]) => {
    const result = bench.getTask(impl)?.result;
    if (result === undefined) throw new BenchCheckError(`${name} ${impl}: no result`);
    if (result.error !== undefined) throw result.error;
    const latency = result.latency;
    // tinybench reports milliseconds per call.
    const nsPerOp = (latency.mean * 1e6) / ops;
    return {
      suite: name,
      impl,
      nsPerOp,
      opsPerSec: 1e9 / nsPerOp,
      rme: latency.rme,
      samples: latency.samples.length,
      ops,
    };
  });
}
