/**
 * `lpi-stress`: the kernel selftest vgic_lpi_stress
 * (tools/testing/selftests/kvm/arm64/vgic_lpi_stress.c) re-expressed — vCPUs
 * × devices × events, one device thread per device signalling MSIs for each
 * of its events in turn (KVM_SIGNAL_MSI: `signalMsi`) while the vCPUs take
 * and EOI the LPIs on worker threads. The figure is the selftest's: MSIs
 * signalled per second, all device threads together (most of them coalesce
 * with an LPI still pending, as in KVM). It is core's `runLpiStress` without
 * the command thread and with the lock-order checker off; its books must
 * balance, or the point gives no number.
 *
 * Each shape is measured `REPEATS` times; `mode` is `VxDxE` (vCPUs ×
 * devices × events per device), `opsPerSec` the MSIs per second, `nsPerOp`
 * its inverse. The aim is KVM's published 1.36 M LPIs/s for 1 vCPU and 1
 * device (report.ts, lpiTable).
 */
import { runLpiStress } from '@vgic/core/threads';
import type { GicName } from './machines.js';
import type { BenchResult } from './report.js';
import type { GridOutcome, Progress } from './run.js';
import { meanAndRme } from './scaling.js';

export const LPI_STRESS = 'lpi-stress';
const REPEATS = 3;

/** The shapes measured: the selftest's default (1 vCPU, 1 device, 16 events), then one thread more of each kind. */
export const LPI_STRESS_SHAPES: readonly { vcpus: number; devices: number; events: number }[] = [
  { vcpus: 1, devices: 1, events: 16 },
  { vcpus: 2, devices: 2, events: 16 },
];

export function shapeName(s: { vcpus: number; devices: number; events: number }): string {
  return `${s.vcpus}x${s.devices}x${s.events}`;
}

/** Where the worker threads find the GICv3 backend. */
const BACKENDS = { v3: { module: '@vgic/gicv3', attach: 'attachGicv3', create: 'createGicv3', guest: 'gicv3Guest' } } as const;

/** `time` is milliseconds per shape and repeat (at least 100). Only GICv3 has LPIs. */
export async function runLpiStressBench(gics: readonly GicName[], time: number, progress: Progress): Promise<GridOutcome> {
  const results: BenchResult[] = [];
  const notes: string[] = [];
  if (!gics.includes('v3')) return { results, notes };
  const gic = 'v3';
  for (const shape of LPI_STRESS_SHAPES) {
    const mode = shapeName(shape);
    progress.start(LPI_STRESS, gic, mode);
    const rates: number[] = [];
    for (let r = 0; r < REPEATS; r++) {
      const report = await runLpiStress({
        gic,
        backends: BACKENDS,
        vcpus: shape.vcpus,
        devices: shape.devices,
        eventsPerDevice: shape.events,
        quietEvery: 0,
        commands: false,
        lockCheck: false,
        seconds: Math.max(100, time) / 1000,
        seed: r + 1,
      });
      if (!report.ok) throw new Error(`${LPI_STRESS} ${mode}: the run's books do not balance: ${report.problems.join('; ')}`);
      rates.push(report.throughput.msisPerSecond);
    }
    const { mean, rme } = meanAndRme(rates);
    results.push({ workload: LPI_STRESS, gic, mode, nsPerOp: 1e9 / mean, opsPerSec: mean, rme, samples: rates.length });
    progress.finish(LPI_STRESS, gic, mode, `${(mean / 1e6).toFixed(2)} M MSIs/s`);
  }
  return { results, notes };
}
