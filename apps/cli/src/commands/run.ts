/**
 * `vgic run FILE|DIR...`: check every file first (a file that is not a valid
 * scenario stops everything: exit 2, nothing run), then run each, one line a
 * step, and close with `N passed, N failed` counting checks. Exit 0 when all
 * hold, 1 when one failed.
 *
 * Output streams as the steps run, and no step's record is kept once it is
 * printed; each step is built from the file's text as the run reaches it
 * (loadStreamedScenario), so a file's steps are held as its text and 12
 * bytes each, with or without `--json` and `--trace`.
 */
import { runScenario, type ScenarioResult, type StepRecord } from '@vgic/core';
import { parseArgs, parseSize, type Spec } from '../args.js';
import { BACKENDS } from '../backends.js';
import { expandPaths, loadFileStreamed, type StreamedLoaded as Loaded } from '../files.js';
import { DEFAULT_LIMITS, type LoadLimits } from '../load/index.js';
import { bytesText } from '../load/words.js';
import { formatLoadError, formatStep, JsonReport, paint, type Io, type Paint } from '../report.js';

export const RUN_HELP: string = `Usage: vgic run [options] FILE|DIR...

Run scenario files (YAML or JSON, or either gzipped: .yaml.gz, .json.gz; the
format is in the @vgic/cli README; - reads standard input). A DIR runs every
*.yaml, *.yml and *.json file in it (and their .gz), in name order. Each step
prints one line: the action, the value a read returned, whether its check
held, and what changed. The last line is "N passed, N failed", counting every
expect, check and expectError.

Every file is checked before anything runs: a file that is not a valid
scenario is reported as FILE:LINE:COL and a sentence, and nothing is run.

Options:
  --trace                print the engine's trace events under each step
                         (queue, kick, flush with the LR contents, fold,
                         prune, migrate, ack, eoi, maintenance, host
                         deactivation)
  --json                 print one JSON document instead of text
  --quiet                print only the steps whose check failed, and the
                         closing line
  --explain              print each file's opening comment (what it is
                         about) before its steps, and what to try next
  --max-file-size SIZE   read scenario files up to SIZE (default ${bytesText(DEFAULT_LIMITS.maxFileSize)};
                         of a .gz file, what it decompresses to); 512k, 64M, 1G
  --snapshot-budget SIZE the most the snapshots a scenario keeps may take at
                         once (default ${bytesText(DEFAULT_LIMITS.snapshotBudget)})
  --max-memory SIZE      the most guest RAM a scenario's memory: may declare
                         (default ${bytesText(DEFAULT_LIMITS.maxMemory)})
  -h, --help             show this help

Exit status: 0 every check held, 1 a check failed, 2 a file is not a valid
scenario (or the command line is wrong).
`;

const SPEC: Spec = { flags: ['trace', 'json', 'quiet', 'explain'], values: ['max-file-size', 'snapshot-budget', 'max-memory'] };

function summary(r: ScenarioResult): string {
  const total = r.passed + r.failed;
  return r.failed === 0 ? `all ${total} check${total === 1 ? '' : 's'} held` : `${r.failed} of ${total} check${total === 1 ? '' : 's'} failed`;
}

/** Writes in pieces of some 64 KB: one write a step would cost more than the step. */
function buffered(write: (text: string) => void): { out: (text: string) => void; flush: () => void } {
  let parts: string[] = [];
  let size = 0;
  const flush = (): void => {
    if (parts.length > 0) write(parts.join(''));
    parts = [];
    size = 0;
  };
  return {
    out: (text) => {
      parts.push(text);
      size += text.length;
      if (size >= 65536) flush();
    },
    flush,
  };
}

/** The limits the command line sets, or what is wrong with it. */
function limitsOf(values: ReadonlyMap<string, string>): Partial<LoadLimits> | string {
  const limits: Partial<LoadLimits> = {};
  for (const [option, key] of [['max-file-size', 'maxFileSize'], ['snapshot-budget', 'snapshotBudget'], ['max-memory', 'maxMemory']] as const) {
    const text = values.get(option);
    if (text === undefined) continue;
    const bytes = parseSize(text);
    if (!(bytes > 0)) return `--${option} takes a size in bytes (like 64M or 1G), not ${text}`;
    limits[key] = bytes;
  }
  return limits;
}

/** The closing advice of `--explain`, about the first file run. */
function tryNext(first: Extract<Loaded, { scenario: unknown }>): string {
  const step = Math.min(10, first.scenario.steps.length);
  return `What to try next:
  npx vgic run --trace ${first.file}
      the engine's events under each step: queue, kick, flush, ack, eoi, fold, prune
  npx vgic inspect ${first.file} --step ${step}
      the whole machine after step ${step}: interrupts, ap_lists, list registers, CPU interfaces
  copy a file, change a value or a step, and run it again: a check that no longer holds says why
  npx vgic run --help: every option (the scenario format is in the @vgic/cli README)
`;
}

export function runCommand(argv: readonly string[], io: Io): number {
  const args = parseArgs(argv, SPEC);
  if (args.help) {
    io.out(RUN_HELP);
    return 0;
  }
  const limits = limitsOf(args.values);
  if (args.error === undefined && typeof limits === 'string') args.error = limits;
  if (args.error === undefined && args.positional.length === 0) args.error = 'name at least one scenario file or directory';
  if (args.error !== undefined || typeof limits === 'string') {
    io.err(`vgic run: ${args.error}\n\n${RUN_HELP}`);
    return 2;
  }
  const json = args.flags.has('json');
  const p = paint(io.colour && !json);

  const { files, errors: pathErrors } = expandPaths(args.positional);
  const loaded = files.map((f) => loadFileStreamed(f, limits));
  const loadErrors = loaded.flatMap((l) => ('errors' in l ? l.errors : []));
  if (pathErrors.length > 0 || loadErrors.length > 0) {
    if (json) {
      io.out(`${JSON.stringify({ ok: false, errors: [...pathErrors.map((message) => ({ file: null, line: null, col: null, message })), ...loadErrors], passed: 0, failed: 0 }, null, 2)}\n`);
    } else {
      for (const e of pathErrors) io.err(`${p.bad('error')} ${e}\n`);
      for (const e of loadErrors) io.err(`${p.bad('error')} ${formatLoadError(e)}\n`);
      const bad = new Set(loadErrors.map((e) => e.file)).size + pathErrors.length;
      io.err(`${bad} file${bad === 1 ? ' is' : 's are'} not valid: nothing was run\n`);
    }
    return 2;
  }

  const { out, flush } = buffered(io.out);
  const options = { trace: args.flags.has('trace'), quiet: args.flags.has('quiet'), explain: args.flags.has('explain'), snapshotBudget: limits.snapshotBudget };
  const totals = json ? runJson(loaded, out, options) : runText(loaded, out, p, options);
  if (!json) {
    out(`${totals.passed} passed, ${totals.failed} failed\n`);
    const first = loaded.find((l): l is Extract<Loaded, { scenario: unknown }> => 'scenario' in l);
    if (options.explain && totals.failed === 0 && first !== undefined) out(`\n${tryNext(first)}`);
  }
  flush();
  return totals.failed === 0 ? 0 : 1;
}

interface RunOptions {
  trace: boolean;
  quiet: boolean;
  explain: boolean;
  snapshotBudget: number | undefined;
}

function runOne(l: Extract<Loaded, { scenario: unknown }>, o: RunOptions, onStep: (r: StepRecord) => void): ScenarioResult {
  return runScenario(l.scenario, {
    backends: BACKENDS,
    trace: o.trace,
    keepSteps: false,
    onStep,
    ...(o.snapshotBudget !== undefined && { snapshotBudget: o.snapshotBudget }),
  });
}

function runText(loaded: readonly Loaded[], out: (text: string) => void, p: Paint, o: RunOptions): { passed: number; failed: number } {
  let passed = 0;
  let failed = 0;
  for (const l of loaded) {
    if (!('scenario' in l)) continue;
    const s = l.scenario;
    const title = `${p.bold(l.file)}${s.name !== undefined ? ` — ${s.name}` : ''} ${p.dim(`(GIC${s.gic}, ${s.vcpus} vCPU${s.vcpus === 1 ? '' : 's'})`)}\n`;
    let titled = !o.quiet;
    if (titled) out(title);
    if (o.explain && l.intro !== '') out(`${l.intro.replace(/^(?=.)/gm, '  ')}\n\n`);
    const result = runOne(l, o, (r) => {
      if (o.quiet && (r.check === undefined || r.check.ok)) return;
      if (!titled) out(title);
      titled = true;
      out(`${formatStep(r, p, l.file)}\n`);
    });
    if (!o.quiet) out(`      ${result.failed === 0 ? p.ok(summary(result)) : p.bad(summary(result))}\n\n`);
    passed += result.passed;
    failed += result.failed;
  }
  return { passed, failed };
}

function runJson(loaded: readonly Loaded[], out: (text: string) => void, o: RunOptions): { passed: number; failed: number } {
  const report = new JsonReport(out);
  let passed = 0;
  let failed = 0;
  for (const l of loaded) {
    if (!('scenario' in l)) continue;
    const s = l.scenario;
    report.file({ file: s.file ?? l.file, ...(s.name !== undefined && { name: s.name }), gic: s.gic });
    const result = runOne(l, o, (r) => report.step(r));
    report.endFile(result);
    passed += result.passed;
    failed += result.failed;
  }
  report.end(passed, failed);
  return { passed, failed };
}
