/**
 * Running the grid workload × GIC × mode.
 *
 * Each (GIC, mode) pair runs in a process of its own by default: V8 tunes
 * the engine's calls to the lock primitive and the backend's register
 * handlers to what it has seen, and a process that has already run another
 * mode or GIC would measure a hot path made polymorphic by the benchmark
 * itself, not the one an emulator (which uses one GIC, one mode) gets.
 */
import { spawn } from 'node:child_process';
import { KITS, modeUnavailable, type GicName, type ModeName } from './machines.js';
import type { BenchResult } from './report.js';
import { runSuite } from './suite.js';
import { cellsFor, dryRun, workloadDef } from './workloads.js';

export interface GridOptions {
  workloads: readonly string[];
  gics: readonly GicName[];
  modes: readonly ModeName[];
  /** Milliseconds measured per cell. */
  time: number;
  /** Passes over the whole grid, interleaved (default 1); see combineRepeats. */
  repeat?: number;
  /** Called after each pass (the C floor is timed there, between passes). */
  afterPass?: (pass: number) => Promise<void>;
}

/** The median of a non-empty list. */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/**
 * One result per cell from several passes: the median ns/op (a pass in a
 * process V8 laid out badly does not move it), the median margin of error,
 * all samples, and — with more than one pass — the spread, half the range of
 * the passes' figures as a percentage of the median: how much the figure
 * moves from process to process, which the margin of error within one
 * process does not show.
 */
export function combineRepeats(passes: readonly (readonly BenchResult[])[]): BenchResult[] {
  if (passes.length === 1) return [...passes[0]!];
  const cells = new Map<string, BenchResult[]>();
  for (const pass of passes) {
    for (const r of pass) {
      const key = `${r.workload}\u0000${r.gic}\u0000${r.mode}`;
      const list = cells.get(key);
      if (list === undefined) cells.set(key, [r]);
      else list.push(r);
    }
  }
  return [...cells.values()].map((list) => {
    const ns = list.map((r) => r.nsPerOp);
    const mid = median(ns);
    return {
      workload: list[0]!.workload,
      gic: list[0]!.gic,
      mode: list[0]!.mode,
      nsPerOp: mid,
      opsPerSec: 1e9 / mid,
      rme: median(list.map((r) => r.rme)),
      samples: list.reduce((a, r) => a + r.samples, 0),
      spread: ((Math.max(...ns) - Math.min(...ns)) / 2 / mid) * 100,
    };
  });
}


export interface GridOutcome {
  results: BenchResult[];
  /** Cells skipped, and why (printed, not part of the JSON). */
  notes: string[];
  /**
   * What the harness itself costs per timed call, in nanoseconds, measured in
   * each process that timed cells (an empty batch through the same runSuite).
   */
  harnessNsPerCall?: number[];
}

/**
 * The harness's own cost per timed call: a batch function that does nothing
 * but return its count, timed by the same runSuite as the workloads.
 * Divided by a workload's batch it bounds what the harness adds to that
 * workload's ns/op.
 */
export function harnessCost(time = 100): number {
  const ops = 256;
  const noop = (): number => ops;
  const [r] = runSuite('harness', [['empty batch', noop, ops]], { time, warmupTime: 20 });
  return r!.nsPerOp * ops;
}

/** Progress on stderr: one line per cell, rewritten in place on a terminal. */
export class Progress {
  private readonly tty: boolean;
  constructor(
    readonly total: number,
    private done: number,
    private readonly quiet = false,
  ) {
    this.tty = process.stderr.isTTY === true;
  }

  private write(line: string, final: boolean): void {
    if (this.quiet) return;
    if (this.tty) process.stderr.write(`\r\x1b[2K${line}${final ? '\n' : ''}`);
    else if (final) process.stderr.write(`${line}\n`);
  }

  private prefix(): string {
    const w = String(this.total).length;
    return `[${String(this.done + 1).padStart(w)}/${this.total}]`;
  }

  start(workload: string, gic: string, mode: string): void {
    this.write(`${this.prefix()} ${workload} GIC${gic} ${mode} …`, false);
  }

  finish(workload: string, gic: string, mode: string, outcome: string): void {
    this.write(`${this.prefix()} ${workload} GIC${gic} ${mode}: ${outcome}`, true);
    this.done++;
  }

  /** Cells a child process ran: their progress was printed there. */
  advance(by: number): void {
    this.done += by;
  }
}

/** The single-thread cells of one (GIC, mode) pair, in this process. */
export function runCells(gic: GicName, mode: ModeName, workloads: readonly string[], time: number, progress: Progress): GridOutcome {
  const results: BenchResult[] = [];
  const notes: string[] = [];
  const why = modeUnavailable(mode);
  const harnessNsPerCall = why === null ? [harnessCost()] : [];
  for (const name of cellsFor(workloads, gic)) {
    const def = workloadDef(name)!;
    if (why !== null) {
      notes.push(`${name} GIC${gic} ${mode}: skipped, ${why}`);
      progress.finish(name, gic, mode, `skipped (${why})`);
      continue;
    }
    progress.start(name, gic, mode);
    const where = `${name} GIC${gic} ${mode}`;
    const p = def.prepare(KITS[gic], mode);
    dryRun(p, where);
    const [r] = runSuite(name, [[`${gic}/${mode}`, p.fn, p.ops]], { time });
    p.verify();
    results.push({ workload: name, gic, mode, nsPerOp: r!.nsPerOp, opsPerSec: r!.opsPerSec, rme: r!.rme, samples: r!.samples });
    progress.finish(name, gic, mode, `${r!.nsPerOp.toFixed(1)} ns/op ±${r!.rme.toFixed(1)}%`);
  }
  return { results, notes, harnessNsPerCall };
}

/** How to start this program again with other arguments, or null if that cannot be worked out. */
export interface Relaunch {
  command: string;
  /** Node's own flags, then the script and any sub-command before the bench's arguments. */
  prefix: string[];
}

/**
 * The command line that started this process, minus `args` at its end: the
 * same node flags (`--conditions`, `--import tsx`), script and sub-command
 * (`vgic bench`). Null when `args` are not what this process was given.
 */
export function relaunchFor(args: readonly string[]): Relaunch | null {
  const argv = process.argv;
  if (argv.length < 2 + args.length) return null;
  const tail = argv.slice(argv.length - args.length);
  if (args.some((a, i) => a !== tail[i])) return null;
  return { command: process.execPath, prefix: [...process.execArgv, ...argv.slice(1, argv.length - args.length)] };
}

/** Arguments that make a child process run one (GIC, mode) pair and print its outcome as JSON. */
export function childArgs(gic: GicName, mode: ModeName, o: GridOptions, progress: { from: number; total: number }): string[] {
  return [
    '--child',
    '--gic',
    gic,
    '--mode',
    mode,
    '--workload',
    o.workloads.join(','),
    '--time',
    String(o.time),
    '--progress-from',
    String(progress.from),
    '--progress-total',
    String(progress.total),
  ];
}

function runChild(r: Relaunch, args: string[]): Promise<GridOutcome> {
  return new Promise((done, fail) => {
    const child = spawn(r.command, [...r.prefix, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      out += chunk;
    });
    child.on('error', fail);
    child.on('close', (code) => {
      const last = out.trim().split('\n').pop() ?? '';
      if (code !== 0) {
        fail(new Error(`a benchmark process failed (exit code ${String(code)})`));
        return;
      }
      try {
        done(JSON.parse(last) as GridOutcome);
      } catch {
        fail(new Error(`a benchmark process printed no outcome:\n${out}`));
      }
    });
  });
}

/**
 * The whole grid: every (GIC, mode) pair, in a child process each when
 * `relaunch` is given, in this process otherwise.
 */
export async function runGrid(o: GridOptions, relaunch: Relaunch | null, progress: Progress): Promise<GridOutcome> {
  const passes: BenchResult[][] = [];
  const notes: string[] = [];
  const harnessNsPerCall: number[] = [];
  let from = 0;
  for (let pass = 0; pass < (o.repeat ?? 1); pass++) {
    const results: BenchResult[] = [];
    for (const gic of o.gics) {
      const cells = cellsFor(o.workloads, gic);
      if (cells.length === 0) continue;
      for (const mode of o.modes) {
        let outcome: GridOutcome;
        if (relaunch !== null) {
          outcome = await runChild(relaunch, childArgs(gic, mode, { ...o, workloads: cells }, { from, total: progress.total }));
          progress.advance(cells.length);
        } else {
          outcome = runCells(gic, mode, cells, o.time, progress);
        }
        results.push(...outcome.results);
        if (pass === 0) notes.push(...outcome.notes);
        harnessNsPerCall.push(...(outcome.harnessNsPerCall ?? []));
        from += cells.length;
      }
    }
    passes.push(results);
    if (o.afterPass !== undefined) await o.afterPass(pass);
  }
  return { results: combineRepeats(passes), notes, harnessNsPerCall };
}
