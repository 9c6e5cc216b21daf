/**
 * The scenario loader against what is not a scenario: random bytes, and
 * scenario documents broken in one or more ways (a key missing, of the wrong
 * type, unknown, out of range; a step with no action or two, an unknown
 * register, a value too wide, a vCPU that does not exist...), written as YAML
 * or JSON. The loader must refuse each one with messages that say where —
 * FILE:LINE:COL within the text — and the CLI must exit 2 printing them, never a
 * stack trace.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BACKENDS, loadScenario, main } from '@vgic/cli';
import fc from 'fast-check';
import { stringify } from 'yaml';

type Doc = Record<string, unknown>;
type Mutation = (d: Doc) => void;

/** A valid scenario of either version, to be broken. */
function baseDocument(gic: 'v2' | 'v3'): Doc {
  const steps =
    gic === 'v3'
      ? [
          { write: 'GICD_CTLR', value: 0x12 },
          { write: 'GICD_ISENABLER1', value: 0x100 },
          { write: 'ICC_PMR_EL1', value: 0xff },
          { write: 'ICC_IGRPEN1_EL1', value: 1 },
          { inject: 40, level: 1 },
          { read: 'ICC_IAR1_EL1', expect: 40 },
          { write: 'ICC_EOIR1_EL1', value: 40 },
          { check: { irq: 40, pending: false, active: false } },
        ]
      : [
          { write: 'GICD_CTLR', value: 1 },
          { write: 'GICD_ISENABLER1', value: 0x100 },
          { write: 'GICD_ITARGETSR10', value: 1 },
          { write: 'GICC_PMR', value: 0xff },
          { write: 'GICC_CTLR', value: 1 },
          { inject: 40 },
          { read: 'GICC_IAR', expect: 40 },
          { write: 'GICC_EOIR', value: 40 },
          { check: { irq: 40, pending: false, active: false } },
        ];
  return { name: 'to be broken', gic, vcpus: 2, spis: 32, steps };
}

function steps(d: Doc): unknown[] {
  const s = d['steps'];
  if (Array.isArray(s)) return s;
  const fresh: unknown[] = [];
  d['steps'] = fresh;
  return fresh;
}

/** Put `step` somewhere in the steps (given by `at`). */
function insertStep(d: Doc, at: number, step: unknown): void {
  const s = steps(d);
  s.splice(at % (s.length + 1), 0, step);
}

/** Each mutation, alone, makes any document invalid. */
const MUTATIONS: readonly fc.Arbitrary<Mutation>[] = [
  // The header
  fc.constantFrom('gic', 'vcpus', 'steps').map((k): Mutation => (d) => void delete d[k]),
  fc.constantFrom<unknown>(3, 'v4', '', ['v3'], null, 'V3').map((v): Mutation => (d) => void (d['gic'] = v)),
  fc.constantFrom<unknown>(0, -3, 1.5, 'two', [2], 9999, null, true).map((v): Mutation => (d) => void (d['vcpus'] = v)),
  fc.constantFrom<unknown>(33, -32, 'x', 2000, 1.5).map((v): Mutation => (d) => void (d['spis'] = v)),
  fc.constantFrom<unknown>(0, 17, 'a', -1).map((v): Mutation => (d) => void (d['lrs'] = v)),
  fc.constantFrom<unknown>('a string', 42, { write: 'GICD_CTLR' }, null).map((v): Mutation => (d) => void (d['steps'] = v)),
  fc.constantFrom<unknown>([0], 'x', [0, 0], ['0x1', 'zz']).map((v): Mutation => (d) => void (d['mpidr'] = v)),
  fc.stringMatching(/^[a-z][a-zA-Z]{2,10}$/)
    .filter((k) => !['name', 'gic', 'vcpus', 'spis', 'lrs', 'mpidr', 'steps'].includes(k))
    .map((k): Mutation => (d) => void (d[k] = 1)),
  // A step that is not a step
  fc.tuple(fc.nat(), fc.constantFrom<unknown>(42, 'text', [1, 2], null, {}, { vcpu: 1 }, { value: 3 })).map(([at, v]): Mutation => (d) => insertStep(d, at, v)),
  fc.nat().map((at): Mutation => (d) => insertStep(d, at, { write: 'GICD_CTLR', value: 1, read: 'GICD_CTLR' })),
  fc.nat().map((at): Mutation => (d) => insertStep(d, at, { inject: 40, lvel: 1 })),
  fc.nat().map((at): Mutation => (d) => insertStep(d, at, { wirte: 'GICD_CTLR', value: 1 })),
  // Registers and values
  fc.tuple(fc.nat(), fc.stringMatching(/^[A-Z]{3,8}$/)).map(([at, x]): Mutation => (d) => insertStep(d, at, { write: `GICD_NO${x}`, value: 1 })),
  fc.tuple(fc.nat(), fc.constantFrom<unknown>('abc', -1, 1.5, '18446744073709551616', 0x1_0000_0000, '0xzz', null, [1])).map(
    ([at, v]): Mutation =>
      (d) =>
        insertStep(d, at, { write: 'GICD_CTLR', value: v }),
  ),
  fc.nat().map((at): Mutation => (d) => insertStep(d, at, { write: 'GICD_CTLR' })),
  fc.tuple(fc.nat(), fc.constantFrom<unknown>(12, 128, 'x', 0, -8)).map(([at, w]): Mutation => (d) => insertStep(d, at, { read: 'GICD_TYPER', width: w })),
  fc.tuple(fc.nat(), fc.constantFrom(99, 2, 512)).map(([at, k]): Mutation => (d) => insertStep(d, at, { read: 'GICD_TYPER', vcpu: k })),
  fc.tuple(fc.nat(), fc.constantFrom(99, 2)).map(([at, k]): Mutation => (d) => insertStep(d, at, { run: k })),
  fc.tuple(fc.nat(), fc.constantFrom<unknown>('x', -5, 1.5, null)).map(([at, i]): Mutation => (d) => insertStep(d, at, { inject: i })),
  fc.tuple(fc.nat(), fc.constantFrom<unknown>(2, 'up', -1)).map(([at, l]): Mutation => (d) => insertStep(d, at, { inject: 40, level: l })),
  fc.tuple(fc.nat(), fc.constantFrom<unknown>({ irq: 40, bogus: true }, {}, { pending: true }, { irq: 40, pending: 'yes' }, 'x')).map(
    ([at, c]): Mutation =>
      (d) =>
        insertStep(d, at, { check: c }),
  ),
  fc.nat().map((at): Mutation => (d) => insertStep(d, at, { restore: 'never-taken' })),
  fc.tuple(fc.nat(), fc.constantFrom('NOPE', 'invalid_intid', '')).map(([at, e]): Mutation => (d) => insertStep(d, at, { inject: 40, expectError: e })),
];

export interface BrokenDocument {
  gic: 'v2' | 'v3';
  mutations: Mutation[];
  json: boolean;
  /** Text added before the document (a comment, blank lines), so positions are not all at the top. */
  lead: string;
}

export const brokenDocumentArbitrary: fc.Arbitrary<BrokenDocument> = fc.record({
  gic: fc.constantFrom<'v2' | 'v3'>('v2', 'v3'),
  mutations: fc.array(fc.oneof(...MUTATIONS), { minLength: 1, maxLength: 3 }),
  json: fc.boolean(),
  lead: fc.constantFrom('', '# a scenario\n', '\n\n', '# one\n# two\n\n'),
});

export function brokenDocumentText(b: BrokenDocument): string {
  const d = baseDocument(b.gic);
  for (const mutate of b.mutations) mutate(d);
  const body = b.json ? JSON.stringify(d, null, 2) : stringify(d);
  return `${b.lead}${body}`;
}

/** Random bytes, now and then with pieces of YAML mixed in. */
export const randomBytesArbitrary: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.uint8Array({ maxLength: 512 }),
  fc.array(fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('gic: v3\n', 'vcpus: 2\n', 'steps:\n', '  - ', '{', '[', ': ', '"', "'", '\t', '\0', '\xff', '&a ', '*a', '!!binary ', '%YAML 1.2\n---\n')), {
    maxLength: 40,
  }).map((parts) => new TextEncoder().encode(parts.join(''))),
  fc.string({ unit: 'binary', maxLength: 200 }).map((s) => new TextEncoder().encode(s)),
);

const STACK = /\n\s+at\s|\bat .+\(.*:\d+:\d+\)|node:internal/;

/**
 * What is wrong with how the loader took `source` (as file `file`): null when
 * it refused it with located messages.
 */
export function checkLoad(source: string | Uint8Array, file: string): string | null {
  let result;
  try {
    result = loadScenario(source, file, { backends: BACKENDS });
  } catch (e) {
    return `the loader threw: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`;
  }
  if (result.ok) return 'the loader accepted it';
  if (result.errors.length === 0) return 'the loader refused it without a message';
  const text = typeof source === 'string' ? source : new TextDecoder().decode(source);
  const lines = text.split('\n').length;
  for (const e of result.errors) {
    if (e.file !== file) return `an error names file ${e.file}, not ${file}`;
    if (!Number.isInteger(e.line) || !Number.isInteger(e.col) || e.line < 1 || e.col < 1 || e.line > lines + 1) {
      return `an error is not located within the text (${e.line}:${e.col} in ${lines} lines): ${e.message}`;
    }
    if (e.message.trim() === '') return `an error at ${e.line}:${e.col} has no message`;
    if (STACK.test(e.message)) return `an error message holds a stack trace: ${e.message}`;
  }
  return null;
}

/** What is wrong with how `vgic run FILE` took `source`: null when it exited 2 with located messages only. */
export async function checkCli(source: string | Uint8Array, ext: 'yaml' | 'json'): Promise<string | null> {
  const dir = mkdtempSync(join(tmpdir(), 'vgic-fuzz-'));
  const file = join(dir, `case.${ext}`);
  try {
    writeFileSync(file, source);
    let out = '';
    let err = '';
    let code: number;
    try {
      code = await main(['run', file], { out: (t) => void (out += t), err: (t) => void (err += t), colour: false });
    } catch (e) {
      return `vgic run threw: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`;
    }
    if (code !== 2) return `vgic run exited ${code}, not 2${out ? `; it printed: ${out.slice(0, 300)}` : ''}`;
    if (STACK.test(err) || STACK.test(out)) return `vgic run printed a stack trace: ${err}`;
    const located = err.split('\n').filter((l) => l.includes(`${file}:`));
    if (located.length === 0) return `vgic run printed no FILE:LINE:COL message: ${err}`;
    for (const l of located) {
      if (!new RegExp(`${escape(file)}:\\d+:\\d+: \\S`).test(l)) return `a message is not FILE:LINE:COL: ${l}`;
    }
    return null;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export interface LoaderFuzzReport {
  seed: number;
  runs: number;
  failure: { message: string; text: string } | null;
}

/**
 * Random bytes and broken documents into the loader, `runs` of each; every
 * `cliEvery`-th case also through `vgic run` (a file on disk, the exit status).
 */
export async function fuzzLoader(o: { runs: number; seed: number; cliEvery?: number; onProgress?: (done: number) => void }): Promise<LoaderFuzzReport> {
  const cliEvery = o.cliEvery ?? 20;
  let done = 0;
  const text = (b: BrokenDocument | Uint8Array): string => (b instanceof Uint8Array ? `bytes: [${[...b].join(', ')}]` : brokenDocumentText(b));
  const progress = (): void => {
    done++;
    if (o.onProgress && done % 1000 === 0) o.onProgress(done);
  };
  const bytes = await fc.check(
    fc.asyncProperty(randomBytesArbitrary, fc.nat(), async (b, n) => {
      progress();
      if (checkLoad(b, 'fuzz.yaml') !== null) return false;
      return n % cliEvery !== 0 || (await checkCli(b, 'yaml')) === null;
    }),
    { numRuns: o.runs, seed: o.seed },
  );
  if (bytes.failed && bytes.counterexample) {
    const [b] = bytes.counterexample;
    return { seed: o.seed, runs: bytes.numRuns, failure: { message: checkLoad(b, 'fuzz.yaml') ?? (await checkCli(b, 'yaml')) ?? 'passed again', text: text(b) } };
  }
  const docs = await fc.check(
    fc.asyncProperty(brokenDocumentArbitrary, fc.nat(), async (d, n) => {
      progress();
      const t = brokenDocumentText(d);
      const file = d.json ? 'fuzz.json' : 'fuzz.yaml';
      if (checkLoad(t, file) !== null) return false;
      return n % cliEvery !== 0 || (await checkCli(t, d.json ? 'json' : 'yaml')) === null;
    }),
    { numRuns: o.runs, seed: o.seed },
  );
  if (docs.failed && docs.counterexample) {
    const [d] = docs.counterexample;
    const t = brokenDocumentText(d);
    const file = d.json ? 'fuzz.json' : 'fuzz.yaml';
    return { seed: o.seed, runs: bytes.numRuns + docs.numRuns, failure: { message: checkLoad(t, file) ?? (await checkCli(t, d.json ? 'json' : 'yaml')) ?? 'passed again', text: t } };
  }
  return { seed: o.seed, runs: bytes.numRuns + docs.numRuns, failure: null };
}
