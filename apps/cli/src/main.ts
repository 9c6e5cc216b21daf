/**
 * The `vgic` command's dispatcher: `run`, `inspect`, `examples`, `bench`, `stress`,
 * `--help` (also per command) and `--version`. Returns the exit status.
 */
import { readFileSync } from 'node:fs';
import { EXAMPLES_HELP, run as examplesCommand } from './commands/examples.js';
import { inspectCommand, INSPECT_HELP } from './commands/inspect.js';
import { runCommand, RUN_HELP } from './commands/run.js';
import type { Io } from './report.js';

export const HELP = `vgic — a virtual ARM Generic Interrupt Controller (GICv2, GICv3) as Linux KVM
emulates it, driven by scenario files.

Usage: vgic <command> [options] [arguments]

Commands:
  run FILE|DIR...       run scenario files: one line a step, then "N passed, N failed"
  inspect FILE          run a scenario up to a step (--step N) and print the machine
  examples [copy DIR]   list the example scenarios that come with vgic, or copy them
  bench                 benchmarks: GICv2 vs GICv3, one thread vs many
  stress                vCPUs on worker threads under a storm of injections
  help [COMMAND]        show this help, or a command's

Options:
  -h, --help            show help (after a command: that command's)
  -v, --version         print the version

Exit status of run: 0 every check held, 1 a check failed, 2 a file is not a
valid scenario. Scenario files are described in the @vgic/cli README; to
start from the examples: vgic examples copy && vgic run examples/
`;

/** The package's version, read from its package.json (one level above src/ and dist/ alike). */
export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

interface CommandModule {
  run(args: string[]): Promise<number>;
}

/** `bench` and `stress` live in their own modules, loaded only when asked for. */
async function external(name: 'bench' | 'stress', args: string[]): Promise<number> {
  const mod = (name === 'bench' ? await import('./commands/bench.js') : await import('./commands/stress.js')) as CommandModule;
  return mod.run(args);
}

const HELPS: Record<string, string> = { run: RUN_HELP, inspect: INSPECT_HELP, examples: EXAMPLES_HELP };

export async function main(argv: readonly string[], io: Io): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case undefined:
      io.err(HELP);
      return 2;
    case '-h':
    case '--help':
      io.out(HELP);
      return 0;
    case '-v':
    case '--version':
      io.out(`${version()}\n`);
      return 0;
    case 'help': {
      const topic = rest[0];
      if (topic === undefined) {
        io.out(HELP);
        return 0;
      }
      if (topic === 'bench' || topic === 'stress') return external(topic, ['--help']);
      const text = HELPS[topic];
      if (text === undefined) {
        io.err(`vgic help: no command ${topic}\n\n${HELP}`);
        return 2;
      }
      io.out(text);
      return 0;
    }
    case 'run':
      return runCommand(rest, io);
    case 'inspect':
      return inspectCommand(rest, io);
    case 'examples':
      return examplesCommand(rest, io);
    case 'bench':
    case 'stress':
      return external(command, rest);
    default:
      io.err(`vgic: unknown command ${command}\n\n${HELP}`);
      return 2;
  }
}
