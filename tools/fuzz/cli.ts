/**
 * `npm run fuzz -- [options]`: the fuzzers, for as long as you like.
 *
 *   npm run fuzz -- --runs 1000000                 both GICs, operation sequences
 *   npm run fuzz -- --runs 50000 --gic v3 --seed 7
 *   npm run fuzz -- --target its --runs 2000       GICv3 with LPIs and an ITS: commands, MSIs too
 *   npm run fuzz -- --target raw --runs 100000     raw accesses at any width/value
 *   npm run fuzz -- --target loader --runs 20000   the scenario loader
 *   npm run fuzz -- --replay case.yaml             a printed case, checked step by step
 *
 * The seed is printed first; a long run prints a progress line on stderr
 * every few seconds; a failure is shrunk and printed on stdout as a scenario
 * file (save it under conformance/ once the bug is fixed). Exit status: 0 no
 * failure, 1 a failure, 2 a usage error.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { GicVersion } from './config.js';
import { fuzzLoader } from './loader-fuzz.js';
import { fuzzMachine } from './machine-fuzz.js';
import { fuzzRawAccess, jsonBigint } from './raw-access.js';
import { replayScenario } from './replay.js';

const HELP = `Usage: npm run fuzz -- [options]

Options:
  --runs N        cases per GIC version and target (default 10000)
  --seed S        the random seed (default: a new one, printed)
  --gic v2|v3     one GIC version (default: both)
  --target T      machine: random host/guest operation sequences (default)
                  its:     the same on a GICv3 with LPIs, an ITS and guest RAM,
                           with LPI bring-up, ITS commands, MSIs, table stores
                  raw:     raw MMIO/sysreg accesses at any offset, width, value
                  loader:  random bytes and broken documents into the loader
                  all:     each of them in turn
  --max-ops N     operations per machine case, at most (default 80)
  --out FILE      also write a failing case's scenario file to FILE
  --replay FILE   run a scenario file with the fuzzer's checks after every step
  -h, --help      this help
`;

interface Args {
  runs: number;
  seed: number;
  gics: GicVersion[];
  targets: ('machine' | 'its' | 'raw' | 'loader')[];
  maxOps: number;
  out: string | null;
  replay: string | null;
}

function parse(argv: readonly string[]): Args | string {
  const a: Args = {
    runs: 10_000,
    seed: (Date.now() ^ Math.floor(Math.random() * 0x7fffffff)) | 0,
    gics: ['v2', 'v3'],
    targets: ['machine'],
    maxOps: 80,
    out: null,
    replay: null,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const next = (): string | null => argv[++i] ?? null;
    const int = (name: string, min: number): number | string => {
      const v = next();
      const n = v === null ? NaN : Number(v);
      return Number.isInteger(n) && n >= min ? n : `${name} takes a whole number${min > 0 ? ` >= ${min}` : ''}; got ${String(v)}`;
    };
    switch (arg) {
      case '--runs': {
        const n = int('--runs', 1);
        if (typeof n === 'string') return n;
        a.runs = n;
        break;
      }
      case '--seed': {
        const v = next();
        const n = v === null ? NaN : Number(v);
        if (!Number.isInteger(n)) return `--seed takes an integer; got ${String(v)}`;
        a.seed = n | 0;
        break;
      }
      case '--gic': {
        const v = next();
        if (v !== 'v2' && v !== 'v3') return `--gic takes v2 or v3; got ${String(v)}`;
        a.gics = [v];
        break;
      }
      case '--target': {
        const v = next();
        if (v === 'all') a.targets = ['machine', 'its', 'raw', 'loader'];
        else if (v === 'machine' || v === 'its' || v === 'raw' || v === 'loader') a.targets = [v];
        else return `--target takes machine, its, raw, loader or all; got ${String(v)}`;
        break;
      }
      case '--max-ops': {
        const n = int('--max-ops', 1);
        if (typeof n === 'string') return n;
        a.maxOps = n;
        break;
      }
      case '--out':
        a.out = next();
        if (a.out === null) return '--out takes a file name';
        break;
      case '--replay':
        a.replay = next();
        if (a.replay === null) return '--replay takes a file name';
        break;
      default:
        return `unknown option ${arg}`;
    }
  }
  if (a.targets.length === 1 && a.targets[0] === 'its' && !a.gics.includes('v3')) return '--target its is GICv3 only (the ITS is GICv3\'s); drop --gic v2';
  return a;
}

function clock(ms: number): string {
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}

function progressLine(label: string, done: number, total: number, started: number): void {
  const elapsed = Date.now() - started;
  const rate = done / Math.max(elapsed / 1000, 0.001);
  const left = rate > 0 ? ((total - done) / rate) * 1000 : 0;
  const pct = ((100 * done) / total).toFixed(1);
  process.stderr.write(`${label}: ${done}/${total} cases (${pct}%), ${Math.round(rate)}/s, ${clock(elapsed)} elapsed, about ${clock(left)} left\n`);
}

function replay(file: string): number {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    process.stderr.write(`fuzz: cannot read ${file}: ${(e as Error).message}\n`);
    return 2;
  }
  const r = replayScenario(text, file);
  if (!r.loaded) {
    for (const e of r.errors) process.stderr.write(`${e.file}:${e.line}:${e.col}: ${e.message}\n`);
    return 2;
  }
  for (const c of r.failedChecks) process.stdout.write(`${file}:${c.line}: step ${c.step}: ${c.message}\n`);
  if (r.failure === null) {
    process.stdout.write(`${file}: ${r.steps} steps, every check held and the machine stayed sound after each\n`);
    return 0;
  }
  process.stdout.write(`${file}:${r.failure.line}: FAILED at step ${r.failure.step}: ${r.failure.message}\n`);
  return 1;
}

async function run(argv: readonly string[]): Promise<number> {
  if (argv.includes('-h') || argv.includes('--help')) {
    process.stdout.write(HELP);
    return 0;
  }
  const a = parse(argv);
  if (typeof a === 'string') {
    process.stderr.write(`fuzz: ${a}\n\n${HELP}`);
    return 2;
  }
  if (a.replay !== null) return replay(a.replay);

  process.stdout.write(`fuzz: seed ${a.seed} (repeat with --seed ${a.seed}), ${a.runs} cases per run\n`);
  const startedAll = Date.now();
  for (const target of a.targets) {
    // The ITS is GICv3's: its target runs on v3 whatever --gic says (and not at all with --gic v2 alone).
    const gics: (GicVersion | null)[] = target === 'loader' ? [null] : target === 'its' ? a.gics.filter((g) => g === 'v3') : a.gics;
    for (const gic of gics) {
      const label = `${target}${gic !== null ? ` ${gic}` : ''}`;
      const started = Date.now();
      if ((target === 'machine' || target === 'its') && gic !== null) {
        const report = fuzzMachine({
          gic,
          its: target === 'its',
          runs: a.runs,
          seed: a.seed,
          maxOps: a.maxOps,
          onProgress: (done, shrinking) => {
            if (shrinking) process.stderr.write(`${label}: case ${done} failed; shrinking it (${clock(Date.now() - started)} elapsed)\n`);
            else progressLine(label, done, a.runs, started);
          },
        });
        if (report.failure !== null) {
          const f = report.failure;
          process.stdout.write(f.scenario);
          if (a.out !== null) writeFileSync(a.out, f.scenario);
          process.stderr.write(
            `${label}: FAILED after ${f.failedAfter} cases (seed ${a.seed}, shrunk in ${f.shrinks} steps, ${clock(Date.now() - started)}):\n` +
              `  ${f.message}\n` +
              `  the scenario above ${f.reproduced ? 'reproduces it' : 'does NOT reproduce it'}: ${f.replayMessage ?? ''}\n`,
          );
          return 1;
        }
        process.stdout.write(`${label}: ${report.runs} cases, no failure (${clock(Date.now() - started)})\n`);
      } else if (target === 'raw' && gic !== null) {
        const report = fuzzRawAccess({ gic, runs: a.runs, seed: a.seed, onProgress: (done) => progressLine(label, done, a.runs, started) });
        if (report.failure !== null) {
          process.stdout.write(`${JSON.stringify(report.failure.counterexample, jsonBigint, 2)}\n`);
          process.stderr.write(`${label}: FAILED (seed ${a.seed}): ${report.failure.message}\n`);
          return 1;
        }
        process.stdout.write(`${label}: ${report.runs} cases, no failure (${clock(Date.now() - started)})\n`);
      } else {
        const report = await fuzzLoader({ runs: a.runs, seed: a.seed, onProgress: (done) => progressLine(label, done, 2 * a.runs, started) });
        if (report.failure !== null) {
          process.stdout.write(`${report.failure.text}\n`);
          process.stderr.write(`${label}: FAILED (seed ${a.seed}): ${report.failure.message}\n`);
          return 1;
        }
        process.stdout.write(`${label}: ${report.runs} cases (random bytes and broken documents), no failure (${clock(Date.now() - started)})\n`);
      }
    }
  }
  process.stdout.write(`fuzz: done in ${clock(Date.now() - startedAll)}\n`);
  return 0;
}

process.exitCode = await run(process.argv.slice(2));
