/**
 * `vgic run FILE|DIR...`: check every file first (a file that is not a valid
 * scenario stops everything: exit 2, nothing run), then run each, one line a
 * step, and close with `N passed, N failed` counting checks. Exit 0 when all
 * hold, 1 when one failed.
 */
import { runScenario, type ScenarioResult } from '@vgic/core';
import { BACKENDS } from '../backends.js';
import { expandPaths, loadFile } from '../files.js';
import { formatLoadError, formatStep, paint, resultJson, type Io } from '../report.js';
import { parseArgs, type Spec } from '../args.js';

export const RUN_HELP = `Usage: vgic run [options] FILE|DIR...

Run scenario files (YAML or JSON; the format is in the @vgic/cli README). A DIR runs every *.yaml,
*.yml and *.json file in it, in name order. Each step prints one line: the
action, the value a read returned, whether its check held, and what changed.
The last line is "N passed, N failed", counting every expect, check and
expectError.

Every file is checked before anything runs: a file that is not a valid
scenario is reported as FILE:LINE:COL and a sentence, and nothing is run.

Options:
  --trace     print the engine's trace events under each step
              (queue, kick, flush with the LR contents, fold, prune,
              migrate, ack, eoi, maintenance, host deactivation)
  --json      print one JSON document instead of text
  -h, --help  show this help

Exit status: 0 every check held, 1 a check failed, 2 a file is not a valid
scenario (or the command line is wrong).
`;

const SPEC: Spec = { flags: ['trace', 'json'], values: [] };

function summary(r: ScenarioResult): string {
  const total = r.passed + r.failed;
  return r.failed === 0 ? `all ${total} check${total === 1 ? '' : 's'} held` : `${r.failed} of ${total} check${total === 1 ? '' : 's'} failed`;
}

export function runCommand(argv: readonly string[], io: Io): number {
  const args = parseArgs(argv, SPEC);
  if (args.help) {
    io.out(RUN_HELP);
    return 0;
  }
  if (args.error !== undefined) {
    io.err(`vgic run: ${args.error}\n${RUN_HELP}`);
    return 2;
  }
  if (args.positional.length === 0) {
    io.err(`vgic run: name at least one scenario file or directory\n\n${RUN_HELP}`);
    return 2;
  }
  const json = args.flags.has('json');
  const trace = args.flags.has('trace');
  const p = paint(io.colour && !json);

  const { files, errors: pathErrors } = expandPaths(args.positional);
  const loaded = files.map(loadFile);
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

  const results: ScenarioResult[] = [];
  for (const l of loaded) {
    if (!('scenario' in l)) continue;
    const s = l.scenario;
    if (!json) {
      const title = s.name !== undefined ? ` — ${s.name}` : '';
      io.out(`${p.bold(l.file)}${title} ${p.dim(`(GIC${s.gic}, ${s.vcpus} vCPU${s.vcpus === 1 ? '' : 's'})`)}\n`);
    }
    const result = runScenario(s, {
      backends: BACKENDS,
      trace,
      ...(!json && { onStep: (r) => io.out(`${formatStep(r, p, l.file)}\n`) }),
    });
    results.push(result);
    if (!json) io.out(`      ${result.failed === 0 ? p.ok(summary(result)) : p.bad(summary(result))}\n\n`);
  }
  const passed = results.reduce((n, r) => n + r.passed, 0);
  const failed = results.reduce((n, r) => n + r.failed, 0);
  if (json) {
    io.out(`${JSON.stringify({ ok: failed === 0, files: results.map(resultJson), passed, failed }, null, 2)}\n`);
  } else {
    io.out(`${passed} passed, ${failed} failed\n`);
  }
  return failed === 0 ? 0 : 1;
}
