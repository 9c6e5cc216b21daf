/**
 * `vgic examples [copy [DIR]]`: the example scenarios the package ships,
 * listed with the title each opens with, or copied into a folder of the
 * user's to read, change and run (`vgic run DIR`).
 *
 * An installed package carries them in dist/examples/ (the build copies the
 * repository's examples/ there); run from a checkout's source, they are the
 * repository's examples/ itself.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, type Spec } from '../args.js';
import type { Io } from '../report.js';

export const EXAMPLES_HELP = `Usage: vgic examples [--json]
       vgic examples copy [--force] [DIR]

List the example scenarios that come with vgic — sixteen short lessons, from
the first interrupt on GICv2 and GICv3 to list-register overflow, migration,
a hardware-mapped timer and MSIs through the ITS — each with what it
teaches, and where they are.

copy puts them in DIR (default: ./examples), to read, change and run:

  vgic examples copy && vgic run examples/
  vgic run --trace examples/02-first-interrupt-v3.yaml

Options:
  --json      list them as JSON: [{ file, path, title }]
  --force     let copy replace files of the same name in DIR
  -h, --help  show this help
`;

const SPEC: Spec = { flags: ['json', 'force'], values: [] };
const SCENARIO = /\.(ya?ml|json)$/i;

/** The folder of bundled examples: dist/examples/ when built, the repository's examples/ from source. */
export function examplesDir(here: string = import.meta.url): string | null {
  const candidates = [new URL('./examples/', here)];
  if (/\.ts$/.test(here)) candidates.push(new URL('../../../../examples/', here));
  for (const url of candidates) {
    const dir = fileURLToPath(url);
    if (existsSync(dir)) return dir;
  }
  return null;
}

export interface Example {
  file: string;
  path: string;
  title: string;
}

/** The title of a scenario: its first comment line, else its `name:`, else nothing. */
function titleOf(text: string): string {
  const comment = /^#\s*(\S.*)$/m.exec(text);
  if (comment) return comment[1]!.trim();
  const name = /^name:\s*(.+)$/m.exec(text);
  return name ? name[1]!.trim().replace(/^(['"])(.*)\1$/, '$2') : '';
}

export function listExamples(dir: string): Example[] {
  return readdirSync(dir)
    .filter((f) => SCENARIO.test(f))
    .sort()
    .map((file) => {
      const path = join(dir, file);
      return { file, path, title: titleOf(readFileSync(path, 'utf8')) };
    });
}

function copyExamples(examples: readonly Example[], target: string, force: boolean, io: Io): number {
  const clashes = force ? [] : examples.filter((e) => existsSync(join(target, e.file)));
  if (clashes.length > 0) {
    io.err(
      `vgic examples copy: ${target} already has ${clashes.map((e) => e.file).join(', ')}; ` +
        'nothing copied (--force replaces them)\n',
    );
    return 1;
  }
  mkdirSync(target, { recursive: true });
  for (const e of examples) copyFileSync(e.path, join(target, e.file));
  io.out(`copied ${examples.length} examples to ${target}\nrun them: vgic run ${target}\n`);
  return 0;
}

export async function run(argv: string[], io: Io): Promise<number> {
  const args = parseArgs(argv, SPEC);
  if (args.help) {
    io.out(EXAMPLES_HELP);
    return 0;
  }
  const [sub, dirArg, ...extra] = args.positional;
  const bad =
    args.error ??
    (sub !== undefined && sub !== 'copy' ? `unknown subcommand ${sub} (the one there is: copy)` : undefined) ??
    (sub === undefined && args.flags.has('force') ? '--force goes with copy' : undefined) ??
    (sub === 'copy' && args.flags.has('json') ? '--json goes with the list, not with copy' : undefined) ??
    (sub === undefined && dirArg !== undefined ? `unexpected argument ${dirArg}` : undefined) ??
    (extra.length > 0 ? `unexpected argument ${extra[0]}` : undefined);
  if (bad !== undefined) {
    io.err(`vgic examples: ${bad}\n\n${EXAMPLES_HELP}`);
    return 2;
  }
  const dir = examplesDir();
  if (dir === null) {
    io.err('vgic examples: this installation has no examples (dist/examples/ is missing: rebuild the package)\n');
    return 2;
  }
  const examples = listExamples(dir);
  if (sub === 'copy') return copyExamples(examples, resolve(dirArg ?? 'examples'), args.flags.has('force'), io);
  if (args.flags.has('json')) {
    io.out(`${JSON.stringify(examples, null, 2)}\n`);
    return 0;
  }
  const width = Math.max(...examples.map((e) => e.file.length));
  const lines = examples.map((e) => `  ${e.file.padEnd(width)}  ${e.title}`);
  io.out(
    `${examples.length} examples in ${dir}\n\n${lines.join('\n')}\n\n` +
      `Run one: vgic run ${join(dir, examples[0]?.file ?? '')}\n` +
      'Copy them to ./examples to read and change: vgic examples copy\n',
  );
  return 0;
}
