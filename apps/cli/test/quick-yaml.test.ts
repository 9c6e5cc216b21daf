/**
 * The quick reader against the YAML library: on every file the repository
 * holds and on generated documents in every style the library writes, what
 * it reads must be the library's value, and every node's position the
 * library's — so that which reader read a file changes no message.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { readDocument, readWithLibrary, type Locations, type Path } from '../src/load/document.js';
import { quickRead, QuickStop } from '../src/load/quick-yaml.js';
import { repositoryFiles } from './repository-files.js';

/** Every path in a value, each map key also as a key. */
function paths(x: unknown, at: Path = [], out: [Path, boolean][] = []): [Path, boolean][] {
  out.push([at, false]);
  if (Array.isArray(x)) x.forEach((y, i) => paths(y, [...at, i], out));
  else if (x !== null && typeof x === 'object') {
    for (const [k, v] of Object.entries(x)) {
      out.push([[...at, k], true]);
      paths(v, [...at, k], out);
    }
  }
  return out;
}

/** Null when the quick reader agrees with the library on `text`; what differs otherwise. */
function disagreement(text: string, pathsPerList = Infinity): string | null {
  const quick = quickRead(text, 64);
  if (quick instanceof QuickStop) return null;
  const full = readWithLibrary(text);
  if (!full.ok) return `the quick reader read what the library refuses: ${full.message}`;
  try {
    expect(quick.value).toEqual(full.value);
  } catch {
    return `the values differ:\n${JSON.stringify(quick.value, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))}\n${JSON.stringify(full.value, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))}`;
  }
  const q: Locations = quick.locations;
  for (const [path, key] of paths(full.value).filter(([p]) => typeof p[1] !== 'number' || (p[1] as number) < pathsPerList)) {
    const a = q.offsetOf(path, key);
    const b = full.locations.offsetOf(path, key);
    if (a !== b) return `${JSON.stringify(path)}${key ? ' (key)' : ''} is at ${a} for the quick reader, ${b} for the library`;
  }
  const steps = (full.value as { steps?: unknown }).steps;
  if (Array.isArray(steps)) {
    for (let i = 0; i < Math.min(steps.length, pathsPerList); i++) {
      const pos = q.itemPos(['steps'], i);
      const offset = full.locations.offsetOf(['steps', i]);
      const line = text.slice(0, offset).split('\n').length;
      const col = offset - text.lastIndexOf('\n', offset - 1);
      if (pos === undefined || pos.line !== line || pos.col !== col) return `step ${i + 1} is at ${JSON.stringify(pos)} for the quick reader, ${line}:${col} for the library`;
    }
  }
  return null;
}

describe('the quick reader reads as the YAML library does', () => {
  for (const [name, text] of repositoryFiles()) {
    it(`${name}: reads it, with the same value and positions`, () => {
      expect(quickRead(text, 64)).not.toBeInstanceOf(QuickStop);
      expect(disagreement(text, 300)).toBeNull();
    });
  }

  const scalar = fc.oneof(
    fc.integer({ min: -5, max: 1 << 20 }),
    fc.bigInt({ min: 0n, max: (1n << 70n) }),
    fc.constantFrom('GICD_CTLR', 'GICD+0x400', 'ICC_IAR1_EL1', 'v3', 'edge', 'a name with spaces', 'true', '12', '0x1f', '', 'null', "it's", 'x: y', '#x', ' lead', 'tab\there', 'é ü', '"q"', '- dash'),
    fc.boolean(),
    fc.constant(null),
    fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }),
  );
  const value = fc.letrec((tie) => ({
    node: fc.oneof({ depthSize: 'small' }, scalar, fc.array(tie('node'), { maxLength: 4 }), fc.dictionary(fc.constantFrom('gic', 'vcpus', 'steps', 'write', 'value', 'check', 'irq', 'a b', 'key'), tie('node'), { maxKeys: 4 })),
  })).node;
  const doc = fc.record({ gic: fc.constantFrom('v2', 'v3'), vcpus: fc.integer({ min: 0, max: 9 }), steps: fc.array(value, { maxLength: 6 }) }, { requiredKeys: ['steps'] });
  const style = fc.constantFrom('block', 'flow', 'json', 'json-pretty', 'flow-steps');

  function write(d: unknown, s: string): string {
    switch (s) {
      case 'block':
        return stringify(d);
      case 'flow':
        return stringify(d, { collectionStyle: 'flow' });
      case 'json':
        return JSON.stringify(d, (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v));
      case 'json-pretty':
        return JSON.stringify(d, (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v), 2);
      default: {
        const o = d as { steps: unknown[] };
        return `${stringify({ ...o, steps: undefined })}steps:\n${o.steps.map((x) => `  - ${stringify(x, { collectionStyle: 'flow' }).trimEnd()}  # a comment\n`).join('')}`;
      }
    }
  }

  it('on generated documents in every style the library writes', () => {
    const read = new Map<string, number>();
    fc.assert(
      fc.property(doc, style, (d, s) => {
        const text = write(d, s);
        if (!(quickRead(text, 64) instanceof QuickStop)) read.set(s, (read.get(s) ?? 0) + 1);
        const problem = disagreement(text);
        if (problem !== null) throw new Error(`${problem}\n--- text:\n${text}`);
      }),
      { numRuns: 3000 },
    );
    // Most of them are in its subset: the comparison is not vacuous, in any style.
    for (const s of ['block', 'flow', 'json', 'json-pretty', 'flow-steps']) expect(read.get(s) ?? 0, s).toBeGreaterThan(200);
  });
});

describe('what the quick reader does not take', () => {
  it('stops on anchors, aliases, tags, block scalars, explicit keys and multi-line strings, and the library reads them', () => {
    for (const text of [
      'gic: &g v3\nvcpus: 1\nsteps: []\n',
      'a: 1\nb: *a\n',
      'gic: !!str v3\n',
      'name: |\n  two\n  lines\nsteps: []\n',
      '? gic\n: v3\n',
      'name: one\n  two\n',
      'name: "one\n  two"\n',
      '%YAML 1.2\n---\ngic: v3\n',
      'gic:\tv3\n',
    ]) {
      expect(quickRead(text, 64), text).toBeInstanceOf(QuickStop);
      expect(readDocument(text, { maxDepth: 64, fullYamlSize: 1 << 20 }).ok, text).toBe(readWithLibrary(text).ok);
    }
  });

  it('refuses nesting past the limit whichever reader would read the rest', () => {
    const deep = `gic: v3\nvcpus: 1\nsteps: ${'['.repeat(100)}${']'.repeat(100)}\n`;
    const r = readDocument(deep, { maxDepth: 64, fullYamlSize: 1 << 20 });
    expect(r).toMatchObject({ ok: false, limit: 'maxDepth' });
  });

  it('leaves a big file it cannot read to no other reader: the reason, where it stopped', () => {
    const text = `gic: v3\nvcpus: 1\nsteps:\n${'  - { read: GICD_CTLR }\n'.repeat(100)}  - &a { read: GICD_CTLR }\n`;
    const r = readDocument(text, { maxDepth: 64, fullYamlSize: 1000 });
    expect(r).toMatchObject({ ok: false, limit: 'fullYamlSize', offset: text.indexOf('&a') });
    if (!r.ok) expect(r.message).toMatch(/^vgic cannot read this: a plain scalar this reader does not take\. A file over 1000 bytes is read only as JSON or plain YAML/);
  });
});
