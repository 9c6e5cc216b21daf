/**
 * `scaling`: the shared-buffer engine with one worker thread per vCPU,
 * interrupts delivered per second for 1, 2, … workers (up to the core
 * count). The measurement is core's `measureScaling` (`@vgic/core/threads`): each
 * vCPU's guest acknowledges, EOIs and re-raises its own SPIs, so every
 * delivery takes the whole path — inject, queue, kick, exit, fold, prune,
 * flush, acknowledge, EOI — with the vCPUs contending only on the machine.
 *
 * Each worker count is measured `--repeat` times (at least MIN_REPEATS), in
 * passes that take every GIC version and worker count in turn, so the host's
 * load of the moment weighs on all of them alike; the row's figures are the
 * mean, its margin of error (95%) is over those repeats. `mode` is `workers-N`;
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
const MIN_REPEATS = 3;
/** Student's t for a two-sided 95% interval, by degrees of freedom (1..10); past 10, 2.228 overstates it a little. */
const T_95 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228] as const;

export interface ScalingPoint {
  workers: number;
  perSecond: number;
  seconds?: number;
  /** CPU time the process used over the point (core reports it since the workers may not get a core each). */
  cpuSeconds?: number;
  /** Interrupts delivered over the point. */
  delivered?: number;
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

export function meanAndRme(xs: readonly number[]): { mean: number; rme: number } {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  if (xs.length < 2 || mean === 0) return { mean, rme: 0 };
  const variance = xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (xs.length - 1);
  const sem = Math.sqrt(variance / xs.length);
  const t = T_95[Math.min(xs.length - 1, T_95.length) - 1]!;
  return { mean, rme: ((t * sem) / mean) * 100 };
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

/**
 * CPU time per delivery while `n` workers ran, in ns, over all repeats (null if core does not say): what the
 * engine costs whether or not the host gave the workers a core each, so it shows false sharing or spinning
 * on a busy host too.
 */
export function cpuPerDelivery(runs: readonly (readonly ScalingPoint[])[], n: number): number | null {
  let cpu = 0;
  let delivered = 0;
  for (const points of runs) {
    const p = points.find((q) => q.workers === n);
    if (p?.cpuSeconds === undefined || p.delivered === undefined) return null;
    cpu += p.cpuSeconds;
    delivered += p.delivered;
  }
  return delivered > 0 ? (cpu * 1e9) / delivered : null;
}

/** `time` is milliseconds per worker count and repeat (at least 50); `repeat` passes (at least MIN_REPEATS). */
export async function runScaling(gics: readonly GicName[], time: number, repeat: number, progress: Progress): Promise<GridOutcome> {
  const results: BenchResult[] = [];
  const notes: string[] = [];
  const measure = measureScalingFn();
  const counts = workerCounts();
  if (measure === null) {
    for (const gic of gics) {
      notes.push(`${SCALING} GIC${gic}: not available (core has no measureScaling)`);
      progress.finish(SCALING, gic, 'threads', 'not available');
    }
    return { results, notes };
  }
  const passes = Math.max(MIN_REPEATS, repeat);
  const runs = new Map<GicName, ScalingPoint[][]>(gics.map((gic) => [gic, []]));
  for (let r = 0; r < passes; r++) {
    for (const gic of gics) {
      progress.start(SCALING, gic, `1..${counts.length} workers, pass ${r + 1}/${passes}`);
      runs.get(gic)!.push(await measure({ gic, workers: counts, seconds: Math.max(50, time) / 1000, backends: BACKENDS }));
    }
  }
  for (const gic of gics) {
    const gicRuns = runs.get(gic)!;
    const summary: string[] = [];
    for (const n of counts) {
      const rates = gicRuns.map((points) => points.find((p) => p.workers === n)?.perSecond ?? 0);
      const { mean, rme } = meanAndRme(rates);
      if (!(mean > 0)) {
        notes.push(`${SCALING} GIC${gic} with ${n} workers: nothing was delivered`);
        continue;
      }
      results.push({ workload: SCALING, gic, mode: `workers-${n}`, nsPerOp: 1e9 / mean, opsPerSec: mean, rme, samples: rates.length });
      const cores = coresUsed(gicRuns, n);
      const cpu = cpuPerDelivery(gicRuns, n);
      summary.push(
        `${n}: ${(mean / 1e6).toFixed(2)} M/s ±${rme.toFixed(1)}%${cores === null ? '' : ` on ${cores.toFixed(1)} cores`}${cpu === null ? '' : `, ${cpu.toFixed(0)} ns CPU each`}`,
      );
      if (cores !== null && cores < STARVED * n) {
        notes.push(`${SCALING} GIC${gic} with ${n} workers: the process had ${cores.toFixed(1)} cores, not ${n} (the host is busy): the figure shows that load more than the engine`);
      }
    }
    progress.finish(SCALING, gic, 'threads', summary.join(', ') || 'no result');
  }
  return { results, notes };
}
