/**
 * The command line shared by `npm run bench` and `vgic bench`.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { planFloor, runFloor } from './floor.js';
import { GICS, MODES, type GicName, type ModeName } from './machines.js';
import {
  benchEnv,
  floorLine,
  floorRatios,
  floorTable,
  lpiAims,
  lpiTable,
  reportJson,
  resultsTable,
  type BenchReport,
  type BenchResult,
  type FloorFigure,
} from './report.js';
import { median, Progress, relaunchFor, runCells, runGrid, type GridOutcome } from './run.js';
import { LPI_STRESS, LPI_STRESS_SHAPES, runLpiStressBench } from './lpi-stress.js';
import { runScaling, SCALING } from './scaling.js';
import { renderChart } from './svg.js';
import { cellsFor, WORKLOAD_NAMES, workloadDef } from './workloads.js';

/** V8's --max-inlined-bytecode-size-cumulative when nobody sets it (V8 12, Node 20). */
export const V8_DEFAULT_INLINE_BUDGET = 920;

/** The node flag that sets V8's cumulative inlining budget to `bytes`. */
export function inlineBudgetFlag(bytes: number): string {
  return `--max-inlined-bytecode-size-cumulative=${bytes}`;
}

export const USAGE: string = `Usage: vgic bench [options]      (or: npm run bench -- [options])

Times what an emulator does to the GIC — workload × GIC × mode — and prints
ns/op, ops/s, the margin of error and the GICv2/GICv3 ratio. The LPI
workloads (GICv3 only) get a table of their own: lpi-roundtrip over
spi-roundtrip of the same run (aim ≤ 1.3×), lpi-stress's MSIs per second
against KVM's vgic_lpi_stress figure (1.36 M/s for 1 vCPU and 1 device).

Options:
  --workload W[,W…]  ${WORKLOAD_NAMES.join(', ')} (default: all)
  --gic G[,G…]       ${GICS.join(', ')} (default: both)
  --mode M[,M…]      ${MODES.join(', ')} (default: all)
  --time MS          milliseconds measured per cell, after warm-up (default 1000)
  --repeat N         N passes over the grid, interleaved (and the C floor N
                     times, between them): each figure is the median, and
                     ↔ the spread between passes (default 1); scaling makes
                     N passes (at least 3) over both GICs and worker counts
  --json             print the results as JSON: { results: [{ workload, gic,
                     mode, nsPerOp, opsPerSec, rme, samples }], env, floor? }
  --out DIR          also write DIR/bench.json and DIR/bench.svg (a chart)
  --floor            also time the C floor (the GICv3 round trip and burst
                     written plainly in C) in the same run and print ours/C
                     for spi-roundtrip and burst16 beside each row and against
                     the aims: VGIC_FLOOR=SCRIPT if set, else the reference
                     floors beside a clone of the repository when there are
                     some, else the floor this package ships, built with CC,
                     cc, gcc or clang
  --in-process       run every cell in this process (by default each GIC × mode
                     pair gets a fresh process, so one cannot tune V8 for another)
  --inline-budget B  run with V8's cumulative inlining budget at B bytes of
                     bytecode (--max-inlined-bytecode-size-cumulative; V8's
                     default is ${V8_DEFAULT_INLINE_BUDGET}), to see what the engine gains when V8
                     may inline its whole hot path; the figures say so
  -h, --help         this text
`;

export interface BenchArgs {
  workloads: string[];
  gics: GicName[];
  modes: ModeName[];
  time: number;
  repeat: number;
  json: boolean;
  out: string | null;
  floor: boolean;
  inProcess: boolean;
  /** V8's cumulative inlining budget in bytes, or null for V8's default. */
  inlineBudget: number | null;
  help: boolean;
  /** Internal: run one (GIC, mode) pair and print its outcome as JSON. */
  child: boolean;
  progressFrom: number;
  progressTotal: number;
}

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

function listOf<T extends string>(values: readonly string[] | undefined, allowed: readonly T[], what: string): T[] {
  if (values === undefined || values.length === 0) return [...allowed];
  const out: T[] = [];
  for (const v of values.flatMap((x) => x.split(','))) {
    const name = v.trim();
    if (name === '') continue;
    if (!(allowed as readonly string[]).includes(name)) {
      throw new UsageError(`unknown ${what} "${name}"; the ${what}s are ${allowed.join(', ')}`);
    }
    if (!out.includes(name as T)) out.push(name as T);
  }
  if (out.length === 0) throw new UsageError(`--${what} needs at least one of ${allowed.join(', ')}`);
  // Keep the canonical order whatever order they were given in.
  return allowed.filter((a) => out.includes(a));
}

function integer(value: string | undefined, what: string, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  const x = Number(value);
  if (!Number.isInteger(x) || x < min) throw new UsageError(`${what} must be a whole number ≥ ${min}; got "${value}"`);
  return x;
}

export function parseBenchArgs(args: readonly string[]): BenchArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      allowPositionals: false,
      strict: true,
      options: {
        workload: { type: 'string', multiple: true },
        gic: { type: 'string', multiple: true },
        mode: { type: 'string', multiple: true },
        time: { type: 'string' },
        repeat: { type: 'string' },
        json: { type: 'boolean' },
        out: { type: 'string' },
        floor: { type: 'boolean' },
        'in-process': { type: 'boolean' },
        'inline-budget': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        child: { type: 'boolean' },
        'progress-from': { type: 'string' },
        'progress-total': { type: 'string' },
      },
    });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const v = parsed.values;
  return {
    workloads: listOf(v.workload, WORKLOAD_NAMES, 'workload'),
    gics: listOf(v.gic, GICS, 'gic'),
    modes: listOf(v.mode, MODES, 'mode'),
    time: integer(v.time, '--time', 1000, 1),
    repeat: integer(v.repeat, '--repeat', 1, 1),
    json: v.json ?? false,
    out: v.out ?? null,
    floor: v.floor ?? false,
    inProcess: v['in-process'] ?? false,
    inlineBudget: v['inline-budget'] === undefined ? null : integer(v['inline-budget'], '--inline-budget', 0, 1),
    help: v.help ?? false,
    child: v.child ?? false,
    progressFrom: integer(v['progress-from'], '--progress-from', 0, 0),
    progressTotal: integer(v['progress-total'], '--progress-total', 0, 0),
  };
}

/** Cells the grid will run: single-thread workloads × the GICs each runs on × modes. */
function gridCells(a: BenchArgs): number {
  return a.gics.reduce((n, gic) => n + cellsFor(a.workloads, gic).length, 0) * a.modes.length;
}

/** Times the C floor once per pass; `figures()` is the median of each figure over the passes that ran. */
class FloorRuns {
  private readonly plan = planFloor();
  private readonly passes: FloorFigure[][] = [];
  private failed = false;

  constructor(private readonly notes: string[]) {
    if (this.plan.kind === 'none') {
      notes.push(`C floor: skipped: ${this.plan.reason}`);
      process.stderr.write(`C floor: skipped: ${this.plan.reason}\n`);
    } else {
      notes.push(`C floor: ${this.describe()}`);
    }
  }

  private describe(): string {
    const p = this.plan;
    if (p.kind === 'external') return `${p.script}${p.why === 'VGIC_FLOOR' ? ' (VGIC_FLOOR)' : ''}`;
    if (p.kind === 'built-in') return `${p.source} built with ${p.compiler}`;
    return p.reason;
  }

  async pass(): Promise<void> {
    if (this.plan.kind === 'none' || this.failed) return;
    process.stderr.write(`C floor: timing ${this.describe()} …\n`);
    try {
      this.passes.push(await runFloor(this.plan));
    } catch (e) {
      this.failed = true;
      this.notes.push(`C floor: ${(e as Error).message}; skipped`);
    }
  }

  figures(): FloorFigure[] | undefined {
    if (this.failed || this.passes.length === 0) return undefined;
    return this.passes[0]!.map((f) => ({
      ...f,
      nsPerOp: median(this.passes.map((p) => p.find((g) => g.mode === f.mode && g.workload === f.workload)?.nsPerOp ?? f.nsPerOp)),
    }));
  }
}

function printText(report: BenchReport, notes: readonly string[]): void {
  const lines: string[] = [];
  const budget = report.env.inlineBudget === undefined ? '' : `, V8 inlining budget ${report.env.inlineBudget} B`;
  lines.push(`vgic bench — Node ${report.env.node}, ${report.env.cpu}, ${report.env.date}${budget}`);
  lines.push('');
  lines.push(report.results.length > 0 ? resultsTable(report.results, WORKLOAD_NAMES, report.floor) : 'no results');
  if (report.harness !== undefined) {
    lines.push('');
    lines.push(harnessLine(report.harness.nsPerCall, report.results));
  }
  const lpi = lpiAims(report.results);
  if (lpi.length > 0) {
    lines.push('');
    lines.push(lpiTable(lpi));
  }
  if (report.floor !== undefined) {
    lines.push('');
    lines.push(`C floor, same run: ${floorLine(report.floor)}`);
    const ratios = floorRatios(report.results, report.floor);
    if (ratios.length > 0) {
      lines.push('');
      lines.push(floorTable(ratios));
    }
  }
  for (const note of notes) lines.push(`note: ${note}`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

/** What the harness adds: per timed call, and at most per operation of the cheapest cell (the largest share). */
export function harnessLine(nsPerCall: number, results: readonly BenchResult[]): string {
  let worst = 0;
  let perOp = 0;
  for (const r of results) {
    const batch = workloadDef(r.workload)?.batch;
    if (batch === undefined) continue;
    const share = nsPerCall / batch / r.nsPerOp;
    if (share > worst) {
      worst = share;
      perOp = nsPerCall / batch;
    }
  }
  return (
    `harness: ${nsPerCall.toFixed(1)} ns per timed call of an empty batch` +
    (worst > 0 ? `, so at most ${perOp.toFixed(2)} ns/op (${(worst * 100).toFixed(2)}%) of any figure above` : '')
  );
}

async function runChildMode(a: BenchArgs): Promise<number> {
  const gic = a.gics[0]!;
  const mode = a.modes[0]!;
  const progress = new Progress(a.progressTotal || gridCells(a), a.progressFrom);
  const outcome: GridOutcome = runCells(gic, mode, a.workloads, a.time, progress);
  process.stdout.write(`${JSON.stringify(outcome)}\n`);
  return 0;
}

/**
 * Run the benchmark with command-line `args` (without the program name).
 * Returns the exit code: 0, 1 when a run failed (a workload's outcome check
 * included), 2 for a usage error.
 */
export async function runBenchCli(args: readonly string[]): Promise<number> {
  let a: BenchArgs;
  try {
    a = parseBenchArgs(args);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`vgic bench: ${e.message}\n\n${USAGE}`);
    return 2;
  }
  if (a.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  try {
    if (a.child) return await runChildMode(a);

    const lpiStressCells = a.workloads.includes(LPI_STRESS) && a.gics.includes('v3') ? LPI_STRESS_SHAPES.length : 0;
    const total = gridCells(a) * a.repeat + (a.workloads.includes(SCALING) ? a.gics.length : 0) + lpiStressCells;
    const progress = new Progress(total, 0);
    const notes: string[] = [];
    let relaunch = a.inProcess ? null : relaunchFor(args);
    if (a.inlineBudget !== null) {
      // This process runs scaling and lpi-stress (and, in-process, every cell); each child starts with the flag.
      const flag = inlineBudgetFlag(a.inlineBudget);
      setFlagsFromString(flag);
      if (relaunch !== null) relaunch = { ...relaunch, prefix: [flag, ...relaunch.prefix] };
      notes.push(`V8's cumulative inlining budget is ${a.inlineBudget} bytes here (${flag}; V8's default is ${V8_DEFAULT_INLINE_BUDGET})`);
    }
    const floor = a.floor ? new FloorRuns(notes) : null;
    const grid = await runGrid(
      {
        workloads: a.workloads,
        gics: a.gics,
        modes: a.modes,
        time: a.time,
        repeat: a.repeat,
        afterPass: async () => {
          await floor?.pass();
        },
      },
      relaunch,
      progress,
    );
    const results: BenchResult[] = [...grid.results];
    notes.push(...grid.notes);
    if (a.workloads.includes(SCALING)) {
      const s = await runScaling(a.gics, a.time, a.repeat, progress);
      results.push(...s.results);
      notes.push(...s.notes);
    }
    if (lpiStressCells > 0) {
      const s = await runLpiStressBench(a.gics, a.time, progress);
      results.push(...s.results);
      notes.push(...s.notes);
    }
    const report: BenchReport = { results, env: benchEnv(new Date(), a.inlineBudget) };
    const harness = grid.harnessNsPerCall ?? [];
    if (harness.length > 0) report.harness = { nsPerCall: median(harness) };
    const figures = floor?.figures();
    if (figures !== undefined) report.floor = figures;

    if (a.json) {
      process.stdout.write(reportJson(report));
      for (const note of notes) process.stderr.write(`note: ${note}\n`);
    } else {
      printText(report, notes);
    }
    if (a.out !== null) {
      const dir = resolve(a.out);
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, 'bench.json'), reportJson(report));
      await writeFile(join(dir, 'bench.svg'), renderChart(report, WORKLOAD_NAMES));
      process.stderr.write(`wrote ${join(dir, 'bench.json')} and ${join(dir, 'bench.svg')}\n`);
    }
    return 0;
  } catch (e) {
    process.stderr.write(`vgic bench: ${(e as Error).stack ?? String(e)}\n`);
    return 1;
  }
}
