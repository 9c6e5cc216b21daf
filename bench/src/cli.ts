/**
 * The command line shared by `npm run bench` and `vgic bench`.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { planFloor, runFloor } from './floor.js';
import { GICS, MODES, type GicName, type ModeName } from './machines.js';
import {
  benchEnv,
  floorLine,
  floorRatios,
  floorTable,
  reportJson,
  resultsTable,
  type BenchReport,
  type BenchResult,
  type FloorFigure,
} from './report.js';
import { Progress, relaunchFor, runCells, runGrid, type GridOutcome } from './run.js';
import { runScaling, SCALING } from './scaling.js';
import { renderChart } from './svg.js';
import { WORKLOAD_NAMES, workloadDef } from './workloads.js';

export const USAGE: string = `Usage: vgic bench [options]      (or: npm run bench -- [options])

Times what an emulator does to the GIC — workload × GIC × mode — and prints
ns/op, ops/s, the margin of error and the GICv2/GICv3 ratio.

Options:
  --workload W[,W…]  ${WORKLOAD_NAMES.join(', ')} (default: all)
  --gic G[,G…]       ${GICS.join(', ')} (default: both)
  --mode M[,M…]      ${MODES.join(', ')} (default: all)
  --time MS          milliseconds measured per cell, after warm-up (default 1000)
  --json             print the results as JSON: { results: [{ workload, gic,
                     mode, nsPerOp, opsPerSec, rme, samples }], env, floor? }
  --out DIR          also write DIR/bench.json and DIR/bench.svg (a chart)
  --floor            also build and time the C floor (the GICv3 round trip and
                     burst written plainly in C; needs a C compiler: CC, cc,
                     gcc or clang) and print ours/C for spi-roundtrip and
                     burst16; VGIC_FLOOR=SCRIPT runs another floor instead
  --in-process       run every cell in this process (by default each GIC × mode
                     pair gets a fresh process, so one cannot tune V8 for another)
  -h, --help         this text
`;

export interface BenchArgs {
  workloads: string[];
  gics: GicName[];
  modes: ModeName[];
  time: number;
  json: boolean;
  out: string | null;
  floor: boolean;
  inProcess: boolean;
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
        json: { type: 'boolean' },
        out: { type: 'string' },
        floor: { type: 'boolean' },
        'in-process': { type: 'boolean' },
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
    json: v.json ?? false,
    out: v.out ?? null,
    floor: v.floor ?? false,
    inProcess: v['in-process'] ?? false,
    help: v.help ?? false,
    child: v.child ?? false,
    progressFrom: integer(v['progress-from'], '--progress-from', 0, 0),
    progressTotal: integer(v['progress-total'], '--progress-total', 0, 0),
  };
}

/** Cells the grid will run: single-thread workloads × GICs × modes. */
function gridCells(a: BenchArgs): number {
  return a.workloads.filter((w) => workloadDef(w) !== undefined).length * a.gics.length * a.modes.length;
}

async function floorFigures(notes: string[]): Promise<FloorFigure[] | undefined> {
  const plan = planFloor();
  if (plan.kind === 'none') {
    notes.push(`C floor: skipped: ${plan.reason}`);
    process.stderr.write(`C floor: skipped: ${plan.reason}\n`);
    return undefined;
  }
  process.stderr.write(
    plan.kind === 'external'
      ? `C floor: running ${plan.script} (VGIC_FLOOR) …\n`
      : `C floor: building ${plan.source} with ${plan.compiler} and timing it …\n`,
  );
  try {
    return await runFloor(plan);
  } catch (e) {
    notes.push(`C floor: ${(e as Error).message}; skipped`);
    return undefined;
  }
}

function printText(report: BenchReport, notes: readonly string[]): void {
  const lines: string[] = [];
  lines.push(`vgic bench — Node ${report.env.node}, ${report.env.cpu}, ${report.env.date}`);
  lines.push('');
  lines.push(report.results.length > 0 ? resultsTable(report.results, WORKLOAD_NAMES) : 'no results');
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

    const total = gridCells(a) + (a.workloads.includes(SCALING) ? a.gics.length : 0);
    const progress = new Progress(total, 0);
    const relaunch = a.inProcess ? null : relaunchFor(args);
    const grid = await runGrid({ workloads: a.workloads, gics: a.gics, modes: a.modes, time: a.time }, relaunch, progress);
    const results: BenchResult[] = [...grid.results];
    const notes = [...grid.notes];
    if (a.workloads.includes(SCALING)) {
      const s = await runScaling(a.gics, a.time, progress);
      results.push(...s.results);
      notes.push(...s.notes);
    }
    const report: BenchReport = { results, env: benchEnv() };
    if (a.floor) {
      const figures = await floorFigures(notes);
      if (figures !== undefined) report.floor = figures;
    }

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
