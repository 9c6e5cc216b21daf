/**
 * Delivered interrupts per second against the number of vCPU threads.
 *
 * Each vCPU gets its own edge SPIs, routed to it. Its guest acknowledges
 * one, EOIs it, and raises it again (host injection from the vCPU's own
 * thread, as a device model running there would), so the load is closed: no
 * injector thread sets the pace, and every delivery goes through the whole
 * path — inject, queue, kick, exit, fold, prune, flush, acknowledge, EOI.
 * vCPUs share nothing but the machine's buffer, so the curve shows what the
 * engine's locks and the host's cores allow.
 *
 * Each vCPU's SPIs are a block of consecutive INTIDs, and the blocks lie
 * `spiSpacing` INTIDs apart (128 by default): the per-slot state of one
 * vCPU's SPIs (their lock words, latches, links) then shares no cache line
 * with another vCPU's, as with devices of different vCPUs that sit apart.
 * Blocks that touch (`spiSpacing` equal to `spisPerVcpu`) measure the other
 * case: two threads writing one cache line, which cost a second worker more
 * than half of its gain on a 2-CPU machine.
 *
 * A point counts only what is delivered in its window: the threads start,
 * deliver for `warmupSeconds` (V8 compiles the hot path meanwhile), and
 * then the deliveries each vCPU counts in a shared word (scaling-guest.ts)
 * and the process's CPU time are read at the window's two ends. Thread start
 * and warm-up would otherwise weigh on a short point, more on some than on
 * others.
 */
import { cpuUsage } from 'node:process';
import { VgicError } from '../errors.js';
import { DEBUG_LOCKDEP } from '../vgic.js';
import { VcpuThreads } from './pool.js';
import { deliveredOf, deliveredWords, type ScalingGuestData } from './scaling-guest.js';
import type { BackendRef } from './protocol.js';
import { backendFor, loadBackend } from './stress.js';

export interface ScalingOptions {
  /** The GIC version: a key of `backends`. */
  gic: string;
  /** Worker counts to measure: N means 1..N; a list is taken as is. */
  workers: number | readonly number[];
  /** Seconds per point: the window measured, after the warm-up. */
  seconds: number;
  /** Seconds each point delivers before its window opens (default 0.25). */
  warmupSeconds?: number;
  /** Where each version's backend lives (`create`, `attach` and `guest` named). */
  backends: Readonly<Record<string, BackendRef>>;
  /** SPIs kept firing per vCPU (default 8, twice the default list registers). */
  spisPerVcpu?: number;
  /**
   * INTIDs from the first SPI of one vCPU's block to the next one's (default
   * 128; at least `spisPerVcpu`; fewer when the machine could not hold that many).
   */
  spiSpacing?: number;
  /** Check the lock order while measuring (default false: it costs time). */
  lockCheck?: boolean;
}

export interface ScalingPoint {
  workers: number;
  /** Interrupts delivered in the window, all vCPUs together. */
  delivered: number;
  /** Each vCPU's share of `delivered`, by vCPU. */
  deliveredPerVcpu: number[];
  /** The window's length. */
  seconds: number;
  /** Delivered interrupts per second, all vCPUs together. */
  perSecond: number;
  /** Per worker. */
  perWorker: number;
  /**
   * CPU time the whole process (workers and measuring thread) used over the
   * window, in seconds. Below `workers × seconds` the workers did not have a
   * core each — the host's other load took them — and `perSecond` shows that
   * rather than the engine.
   */
  cpuSeconds: number;
}

/** The most SPIs a machine holds, in whole groups of 32. */
const MOST_SPIS = 960;

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export async function measureScaling(o: ScalingOptions): Promise<ScalingPoint[]> {
  const per = o.spisPerVcpu ?? 8;
  const spacing = o.spiSpacing ?? 128;
  if (!Number.isInteger(per) || per < 1) throw new VgicError('INVALID_ARGUMENT', `spisPerVcpu must be a positive integer; got ${String(o.spisPerVcpu)}`);
  if (!Number.isInteger(spacing) || spacing < per) {
    throw new VgicError('INVALID_ARGUMENT', `spiSpacing must be an integer of at least spisPerVcpu (${per}); got ${String(o.spiSpacing)}`);
  }
  const warmup = o.warmupSeconds ?? 0.25;
  if (!(warmup >= 0)) throw new VgicError('INVALID_ARGUMENT', `warmupSeconds must be zero or more; got ${String(o.warmupSeconds)}`);
  const ref = backendFor(o.backends, o.gic);
  const { create, guest } = await loadBackend(ref);
  const counts = typeof o.workers === 'number' ? Array.from({ length: o.workers }, (_, i) => i + 1) : [...o.workers];
  if (counts.length === 0 || counts.some((n) => !Number.isInteger(n) || n < 1)) {
    throw new VgicError('INVALID_ARGUMENT', `workers must be a positive integer or a list of them; got ${String(o.workers)}`);
  }
  if (!(o.seconds > 0)) throw new VgicError('INVALID_ARGUMENT', `seconds must be positive; got ${String(o.seconds)}`);
  const points: ScalingPoint[] = [];
  for (const n of counts) {
    const apart = Math.max(per, Math.min(spacing, Math.floor(MOST_SPIS / n)));
    const spis = Math.max(32, Math.ceil((n * apart) / 32) * 32);
    const lockCheck = o.lockCheck ?? false;
    const m = create({ vcpus: n, spis, shared: true, lockCheck });
    if (lockCheck) m.vgic.setDebugFlag(DEBUG_LOCKDEP, true);
    guest.init(m, { eoiMode: 0 });
    for (let k = 0; k < n; k++) {
      for (let j = 0; j < per; j++) {
        const intid = 32 + k * apart + j;
        guest.setEdge(m, intid, true);
        guest.route(m, intid, k);
        guest.enable(m, intid);
      }
    }
    for (let k = 0; k < n; k++) m.exit(k);
    const data: ScalingGuestData = { delivered: new SharedArrayBuffer(deliveredWords(n) * 4) };
    const counts = new Int32Array(data.delivered);
    const threads = await VcpuThreads.start({ machine: m, backend: ref, backendOptions: {}, guest: { module: 'vgic:scaling-guest', data } });
    for (let k = 0; k < n; k++) for (let j = 0; j < per; j++) m.inject(32 + k * apart + j, 1);
    await sleep(warmup * 1000);
    const before = Array.from({ length: n }, (_, k) => deliveredOf(counts, k));
    const started = performance.now();
    const cpuAtStart = cpuUsage();
    await sleep(o.seconds * 1000);
    const after = Array.from({ length: n }, (_, k) => deliveredOf(counts, k));
    const seconds = (performance.now() - started) / 1000;
    const cpu = cpuUsage(cpuAtStart);
    const shut = await threads.shutdown({ drain: false });
    if (shut.problems.length > 0) throw new VgicError('INVALID_STATE', `the scaling run with ${n} workers failed: ${shut.problems.join('; ')}`);
    const deliveredPerVcpu = after.map((a, k) => a - before[k]!);
    const delivered = deliveredPerVcpu.reduce((a, b) => a + b, 0);
    points.push({
      workers: n,
      delivered,
      deliveredPerVcpu,
      seconds,
      perSecond: Math.round(delivered / seconds),
      perWorker: Math.round(delivered / seconds / n),
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
    });
  }
  return points;
}
