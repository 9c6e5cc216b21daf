/**
 * The C floor: the engine's GICv3 round trip and burst written plainly in C
 * (bench/floor/gicv3-floor.c, the same architectural work on the same data
 * layout), compiled and timed on this machine in the same run, so that
 * ours/C is a ratio between two numbers taken side by side — absolute
 * nanoseconds differ from machine to machine.
 *
 * Which floor runs, first match wins: `VGIC_FLOOR=/path/to/script` (any
 * executable that prints `<mode> <workload> <ns per op>` lines); the
 * workspace's reference floors, `../shared/floor/run` beside the repository
 * root, when they are there (their `full-*` figures do the engine's whole
 * work); else ours, built twice — plain locks and compare-and-swap locks —
 * by the C compiler in `CC` or the first of cc, gcc, clang on the PATH.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FloorFigure } from './report.js';

/** The floor's source file, as it is named in bench/floor/ and in the CLI's dist/floor/. */
export const FLOOR_SOURCE = 'gicv3-floor.c';

/**
 * The C source: bench/floor/ beside this module's src/ when run from the
 * repository, dist/floor/ beside the CLI's bundle when installed.
 */
export function floorSource(here: string = import.meta.url): string | null {
  const candidates = /\.ts$/.test(here) ? [new URL(`../floor/${FLOOR_SOURCE}`, here)] : [new URL(`./floor/${FLOOR_SOURCE}`, here)];
  for (const url of candidates) {
    const file = fileURLToPath(url);
    if (existsSync(file)) return file;
  }
  return null;
}

/** A C compiler: `CC` if set, else the first of cc, gcc, clang on the PATH; null when there is none. */
export function findCompiler(env: Readonly<Record<string, string | undefined>> = process.env): string | null {
  const named = env['CC']?.trim();
  const names = named ? [named] : ['cc', 'gcc', 'clang'];
  for (const name of names) {
    if (name.includes('/')) {
      if (existsSync(name)) return name;
      continue;
    }
    for (const dir of (env['PATH'] ?? '').split(delimiter)) {
      if (dir !== '' && existsSync(join(dir, name))) return join(dir, name);
    }
  }
  return null;
}

/**
 * Lines `<mode> <workload> <ns per op>`, mode `plain` or `atomic`; anything
 * else is ignored. An external floor may also print `full-plain` and
 * `full-atomic` figures (a floor doing the engine's whole work beside a
 * leaner one): when it does, those are the ones compared with.
 */
export function parseFloor(text: string): FloorFigure[] {
  const lean: FloorFigure[] = [];
  const full: FloorFigure[] = [];
  for (const line of text.split('\n')) {
    const m = /^(full-)?(plain|atomic)\s+(\S+)\s+([0-9.]+)\s*$/.exec(line.trim());
    if (m) (m[1] ? full : lean).push({ mode: m[2] as 'plain' | 'atomic', workload: m[3]!, nsPerOp: Number(m[4]) });
  }
  return full.length > 0 ? full : lean;
}

function run(file: string, args: readonly string[], timeout: number): Promise<string> {
  return new Promise((done, fail) => {
    execFile(file, [...args], { timeout }, (error, stdout, stderr) => {
      if (error) fail(new Error(`${error.message}${stderr ? `\n${stderr.trim()}` : ''}`));
      else done(stdout);
    });
  });
}

function figuresOf(stdout: string, what: string): FloorFigure[] {
  const figures = parseFloor(stdout);
  if (figures.length === 0) throw new Error(`${what} printed nothing to compare with:\n${stdout}`);
  return figures;
}

/** The reference floors' script, relative to the repository root. */
export const SHARED_FLOOR: string = join('..', 'shared', 'floor', 'run');

/**
 * The repository root at or above `from` — the first directory holding
 * nx.json or .git — or null outside a clone (an installed CLI).
 */
export function repositoryRoot(from: string): string | null {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'nx.json')) || existsSync(join(dir, '.git'))) return dir;
    if (dirname(dir) === dir) return null;
  }
}

/** Where the figures come from, or why there are none: for the run's notes. */
export type FloorPlan =
  | { kind: 'external'; script: string; why: 'VGIC_FLOOR' | 'shared' }
  | { kind: 'built-in'; source: string; compiler: string }
  | { kind: 'none'; reason: string };

export function planFloor(env: Readonly<Record<string, string | undefined>> = process.env, cwd: string = process.cwd()): FloorPlan {
  const script = env['VGIC_FLOOR']?.trim();
  if (script) {
    return existsSync(script)
      ? { kind: 'external', script, why: 'VGIC_FLOOR' }
      : { kind: 'none', reason: `VGIC_FLOOR names ${script}, which does not exist` };
  }
  const root = repositoryRoot(cwd);
  if (root !== null) {
    const shared = join(root, SHARED_FLOOR);
    if (existsSync(shared)) return { kind: 'external', script: shared, why: 'shared' };
  }
  const source = floorSource();
  if (source === null) return { kind: 'none', reason: `its source (${FLOOR_SOURCE}) is not in this installation` };
  const compiler = findCompiler(env);
  if (compiler === null) {
    return {
      kind: 'none',
      reason: 'no C compiler was found (set CC, or install cc, gcc or clang — on Debian: apt-get install gcc)',
    };
  }
  return { kind: 'built-in', source, compiler };
}

/** Build (when it is ours) and run the floor; resolves to its figures. */
export async function runFloor(plan: Exclude<FloorPlan, { kind: 'none' }>, ops?: number): Promise<FloorFigure[]> {
  const args = ops === undefined ? [] : [String(ops)];
  if (plan.kind === 'external') return figuresOf(await run(plan.script, args, 300_000), plan.script);
  const dir = await mkdtemp(join(tmpdir(), 'vgic-floor-'));
  try {
    const figures: FloorFigure[] = [];
    for (const [name, flags] of [
      ['plain', []],
      ['atomic', ['-DFLOOR_ATOMIC']],
    ] as const) {
      const exe = join(dir, name);
      try {
        await run(plan.compiler, ['-O2', ...flags, '-o', exe, plan.source], 120_000);
      } catch (e) {
        throw new Error(`${plan.compiler} could not build ${plan.source}: ${(e as Error).message}`);
      }
      figures.push(...figuresOf(await run(exe, args, 300_000), `the ${name} floor`));
    }
    return figures;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
