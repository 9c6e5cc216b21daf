/**
 * Where a workload's time goes: run one cell under `node --cpu-prof` and
 * print the functions with the most self time.
 *
 *   npm run profile -w @vgic/bench -- spi-roundtrip v3 shared [--time MS] [--top N]
 *
 * Self time is summed per function over every place it was sampled; V8
 * inlines small functions into their callers, so a caller's share includes
 * what was inlined into it.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples?: number[];
  timeDeltas?: number[];
}

export interface SelfTime {
  name: string;
  where: string;
  /** Share of all samples, percent. */
  percent: number;
  samples: number;
}

/** Self time per function (summed over every call site it was sampled in), largest first. */
export function topSelf(profile: CpuProfile, n = 20): SelfTime[] {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const counts = new Map<number, number>();
  if (profile.samples !== undefined && profile.samples.length > 0) {
    for (const id of profile.samples) counts.set(id, (counts.get(id) ?? 0) + 1);
  } else {
    for (const node of profile.nodes) counts.set(node.id, node.hitCount ?? 0);
  }
  const total = [...counts.values()].reduce((a, b) => a + b, 0) || 1;
  const perFunction = new Map<string, SelfTime>();
  for (const [id, count] of counts) {
    const frame = byId.get(id)?.callFrame;
    if (frame === undefined) continue;
    const name = frame.functionName || '(anonymous)';
    const where = frame.url ? basename(frame.url) : '';
    const key = `${name}@${where}`;
    const entry = perFunction.get(key) ?? { name, where, percent: 0, samples: 0 };
    entry.samples += count;
    perFunction.set(key, entry);
  }
  const list = [...perFunction.values()];
  for (const e of list) e.percent = (100 * e.samples) / total;
  return list.sort((a, b) => b.samples - a.samples).slice(0, n);
}

export function formatTop(list: readonly SelfTime[]): string {
  return list.map((e) => `${e.percent.toFixed(1).padStart(5)}%  ${e.name}  ${e.where}`).join('\n');
}

/** The profile with the most samples among the `.cpuprofile` files of `dir` (the main thread's, not a loader's). */
export function largestProfile(dir: string): string | null {
  let best: string | null = null;
  let bestSize = -1;
  for (const f of readdirSync(dir)) {
    if (!f.endsWith('.cpuprofile')) continue;
    const size = statSync(join(dir, f)).size;
    if (size > bestSize) {
      best = join(dir, f);
      bestSize = size;
    }
  }
  return best;
}

/** Profile one cell (in a process of its own) and return its top self-time functions. */
export function profileCell(workload: string, gic: string, mode: string, time: number, top: number): { file: string; top: SelfTime[] } {
  const dir = mkdtempSync(join(tmpdir(), 'vgic-profile-'));
  try {
    const entry = fileURLToPath(new URL('./index.ts', import.meta.url));
    const args = [...process.execArgv, '--cpu-prof', '--cpu-prof-dir', dir, entry];
    args.push('--in-process', '--workload', workload, '--gic', gic, '--mode', mode, '--time', String(time));
    const run = spawnSync(process.execPath, args, { stdio: ['ignore', 'inherit', 'inherit'] });
    if (run.status !== 0) throw new Error(`the profiled run failed (exit code ${String(run.status)})`);
    const file = largestProfile(dir);
    if (file === null) throw new Error('the profiled run left no profile');
    const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
    return { file: basename(file), top: topSelf(profile, top) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function main(argv: readonly string[]): number {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: { time: { type: 'string' }, top: { type: 'string' } },
  });
  const [workload, gic, mode] = positionals;
  if (workload === undefined || gic === undefined || mode === undefined) {
    process.stderr.write('usage: profile WORKLOAD GIC MODE [--time MS] [--top N]\n');
    return 2;
  }
  const { top } = profileCell(workload, gic, mode, Number(values.time ?? 3000), Number(values.top ?? 20));
  process.stdout.write(`self time, ${workload} GIC${gic} ${mode}:\n${formatTop(top)}\n`);
  return 0;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.exitCode = main(process.argv.slice(2));
}
