/**
 * `scaling`: the shared-buffer engine with one worker thread per vCPU,
 * interrupts delivered per second for 1, 2, … workers (up to the core
 * count). The measurement is core's `measureScaling` (`@vgic/core/threads`): each
 * vCPU's guest acknowledges, EOIs and re-raises its own SPIs, so every
 * delivery takes the whole path — inject, queue, kick, exit, fold, prune,
 * flush, acknowledge, EOI — with the vCPUs contending only on the machine.
 *
 * Each worker count is measured `REPEATS` times; the row's figures are the
 * mean, its margin of error is over those repeats. `mode` is `workers-N`;
 * `opsPerSec` is interrupts delivered per second by all workers together,
 * `nsPerOp` its inverse. When core has no `measureScaling`, the entry says
 * "not available" and yields no row.
 */
import { availableParallelism } from 'node:os';
import * as core from '@vgic/core/threads';
import type { GicName } from './machines.js';
import type { BenchResult } from './report.js';
import type { GridOutcome, Progress } from './run.js';

export const SCALING = 'scaling';
const REPEATS = 3;
/** Student's t for a 95% interval with REPEATS − 1 degrees of freedom. */
const T_95_DF2 = 4.303;

export interface ScalingPoint {
  workers: number;
  perSecond: number;
  seconds?: number;
  /** CPU time the process used over the point (core reports it since the workers may not get a core each). */
  cpuSeconds?: number;
}

/** Below this share of a core per worker, a point measures the host's other load more than the engine. */
const STARVED = 0.8;

type MeasureScaling = (o: {
  gic: string;
  workers: number | readonly number[];
  seconds: number;
  backends: Readonly<Record<string, { module: string; attach: string; create?: string; guest?: string }>>;
}) => Promise<ScalingPoint[]>;

/** Where the worker threads find each backend. */
const BACKENDS = {
  v2: { module: '@vgic/gicv2', attach: 'attachGicv2', create: 'createGicv2', guest: 'gicv2Guest' },
  v3: { module: '@vgic/gicv3', attach: 'attachGicv3', create: 'createGicv3', guest: 'gicv3Guest' },
} as const;

/** The threads module's measurement, if this build of core has one. */
function measureScalingFn(): MeasureScaling | null {
  const fn = (core as Record<string, unknown>)['measureScaling'];
  return typeof fn === 'function' ? (fn as MeasureScaling) : null;
}

export function scalingAvailable(): boolean {
  return measureScalingFn() !== null;
}

/** 1, 2, … up to the cores this process may use. */
export function workerCounts(cores: number = availableParallelism()): number[] {
  return Array.from({ length: Math.max(1, cores) }, (_, i) => i + 1);
}

function meanAndRme(xs: readonly number[]): { mean: number; rme: number } {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  if (xs.length < 2 || mean === 0) return { mean, rme: 0 };
  const variance = xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (xs.length - 1);
  const sem = Math.sqrt(variance / xs.length);
  return { mean, rme: ((T_95_DF2 * sem) / mean) * 100 };
}

/** Cores the process used while `n` workers ran: CPU time over wall time, mean of the repeats (null if core does not say). */
export function coresUsed(runs: readonly (readonly ScalingPoint[])[], n: number): number | null {
  const shares: number[] = [];
  for (const points of runs) {
    const p = points.find((q) => q.workers === n);
    if (p?.cpuSeconds === undefined || p.seconds === undefined || !(p.seconds > 0)) return null;
    shares.push(p.cpuSeconds / p.seconds);
  }
  return shares.length === 0 ? null : shares.reduce((a, b) => a + b, 0) / shares.length;
}

/** `time` is milliseconds per worker count and repeat (at least 50). */
export async function runScaling(gics: readonly GicName[], time: number, progress: Progress): Promise<GridOutcome> {
  const results: BenchResult[] = [];
  const notes: string[] = [];
  const measure = measureScalingFn();
  const counts = workerCounts();
  for (const gic of gics) {
    if (measure === null) {
      notes.push(`${SCALING} GIC${gic}: not available (core has no measureScaling)`);
      progress.finish(SCALING, gic, 'threads', 'not available');
      continue;
    }
    progress.start(SCALING, gic, `1..${counts.length} workers`);
    const runs: ScalingPoint[][] = [];
    for (let r = 0; r < REPEATS; r++) {
      runs.push(await measure({ gic, workers: counts, seconds: Math.max(50, time) / 1000, backends: BACKENDS }));
    }
    const summary: string[] = [];
    for (const n of counts) {
      const rates = runs.map((points) => points.find((p) => p.workers === n)?.perSecond ?? 0);
      const { mean, rme } = meanAndRme(rates);
      if (!(mean > 0)) {
        notes.push(`${SCALING} GIC${gic} with ${n} workers: nothing was delivered`);
        continue;
      }
      results.push({ workload: SCALING, gic, mode: `workers-${n}`, nsPerOp: 1e9 / mean, opsPerSec: mean, rme, samples: rates.length });
      const cores = coresUsed(runs, n);
      summary.push(`${n}: ${(mean / 1e6).toFixed(2)} M/s${cores === null ? '' : ` on ${cores.toFixed(1)} cores`}`);
      if (cores !== null && cores < STARVED * n) {
        notes.push(`${SCALING} GIC${gic} with ${n} workers: the process had ${cores.toFixed(1)} cores, not ${n} (the host is busy): the figure shows that load more than the engine`);
      }
    }
    progress.finish(SCALING, gic, 'threads', summary.join(', ') || 'no result');
  }
  return { results, notes };
}
