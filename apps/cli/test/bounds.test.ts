/**
 * Scenario files are bounded: whatever a file holds, `vgic run` and the
 * loader answer in bounded time and memory — exit 2, FILE:LINE:COL and a
 * plain sentence, never a stack trace or an out-of-memory abort — and the
 * limits are ones a user can see and raise. Small limits keep these fast.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { BACKENDS } from '../src/backends.js';
import { loadScenario, type LoadError } from '../src/load/index.js';
import { scenarioFile, vgic } from './helpers.js';

const STACK = /\n\s+at\s|node:internal|heap out of memory/i;

function refused(r: { code: number; out: string; err: string }): string {
  expect(r.code).toBe(2);
  expect(r.err).not.toMatch(STACK);
  expect(r.out).toBe('');
  return r.err;
}

function loadErrors(text: string, limits = {}): LoadError[] {
  const r = loadScenario(text, 'x.yaml', { backends: BACKENDS, limits });
  if (r.ok) throw new Error('expected the scenario to be refused');
  return r.errors;
}

const V3 = 'gic: v3\nvcpus: 2\nsteps:\n';

describe('a file that never ends', () => {
  it.skipIf(!existsSync('/dev/zero'))('/dev/zero is refused at 1:1 as binary data, at once', async () => {
    const err = refused(await vgic(['run', '/dev/zero']));
    expect(err).toContain('error /dev/zero:1:1: this is not a scenario: the file holds a control character (0x00)');
  });

  it('a file past --max-file-size is refused, saying the limit and how to raise it', async () => {
    const file = scenarioFile(`${V3}${'  - { read: GICD_CTLR }\n'.repeat(5000)}`);
    const err = refused(await vgic(['run', '--max-file-size', '64k', file]));
    expect(err).toContain(`${file}:1:1: this file goes on past 64 KiB, the most vgic reads of a scenario file (--max-file-size raises it)`);
    expect((await vgic(['run', '--max-file-size', '1M', file])).code).toBe(0);
  });

  it('a gzip file that decompresses past the limit is refused before it is all decompressed', async () => {
    const file = scenarioFile(gzipSync(Buffer.from(`${V3}${'  - { read: GICD_CTLR }\n'.repeat(20000)}`)), 'yaml.gz');
    const err = refused(await vgic(['run', '--max-file-size', '100k', file]));
    expect(err).toContain(`${file}:1:1: this file decompresses to more than 100 KiB`);
  });

  it('refuses a size it cannot read', async () => {
    expect((await vgic(['run', '--max-file-size', 'lots', 'x.yaml'])).err).toContain('--max-file-size takes a size in bytes (like 64M or 1G), not lots');
  });
});

describe('a huge string', () => {
  it('a 200 KB name is refused at its place, not run', async () => {
    const file = scenarioFile(`gic: v3\nvcpus: 1\nname: "${'A'.repeat(200_000)}"\nsteps: []\n`);
    expect(refused(await vgic(['run', file]))).toContain(`${file}:3:7: name is 200000 characters long; it may be 1000 at most`);
  });

  it('a megabyte-long register name is refused for its length, with no suggestion searched for', () => {
    expect(loadErrors(`${V3}  - write: GICD_${'X'.repeat(1 << 20)}\n    value: 1\n`).map((e) => `${e.line}:${e.col}: ${e.message}`)).toEqual([
      '4:12: step 1: write takes a register name, of at most 256 characters; this one has 1048581',
    ]);
  });

  it('a megabyte-long key is named cut short, or not at all', () => {
    const [e] = loadErrors(`${V3}  - ? ${'W'.repeat(1 << 20)}\n    : GICD_CTLR\n`);
    expect(e!.message).toMatch(/^step 1 has no action: a step needs one of write, read/);
    const [f] = loadErrors(`${V3}  - write: GICD_CTLR\n    value: 1\n    ? ${'w'.repeat(1 << 20)}\n    : 1\n`);
    expect(f!.message).toBe(`step 1: unknown key ${'w'.repeat(60)}… (1048576 characters) in a write step (allowed: write, value, width, rd, vcpu, expectError)`);
  });
});

describe('deep nesting', () => {
  it('lists nested 100,000 deep are refused at the level past the limit, in words', async () => {
    const file = scenarioFile(`gic: v3\nvcpus: 1\nsteps: ${'['.repeat(100_000)}${']'.repeat(100_000)}\n`);
    expect(refused(await vgic(['run', file]))).toContain(`${file}:3:71: this nests lists and maps more than 64 deep; a scenario needs five levels at most`);
  });

  it('maps nested 5,000 deep in block style, and JSON nested as deep, likewise', () => {
    const block = `gic: v3\nvcpus: 1\nsteps: []\nname:\n${Array.from({ length: 5000 }, (_, i) => `${' '.repeat(i + 1)}a:\n`).join('')}`;
    expect(loadErrors(block)[0]!.message).toMatch(/^this nests lists and maps more than 64 deep/);
    expect(loadErrors(`{"gic":"v3","vcpus":1,"steps":[${'['.repeat(100_000)}${']'.repeat(100_000)}]}`)[0]).toMatchObject({ line: 1, limit: 'maxDepth' });
  });
});

describe('many snapshots', () => {
  it('2,000 snapshots of a 512-vCPU machine are refused at the one past the budget, before anything runs', async () => {
    const file = scenarioFile(`gic: v3\nvcpus: 512\nsteps:\n${Array.from({ length: 2000 }, (_, i) => `  - snapshot: s${i}\n`).join('')}`);
    const err = refused(await vgic(['run', file]));
    expect(err).toMatch(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:15: step \\d+: with this one the scenario keeps \\d+ snapshots of [\\d.]+ MiB each \\([\\d.]+ MiB\\), past the snapshot budget of 256 MiB \\(--snapshot-budget raises it\\)`));
  });

  it('the budget can be raised, and one name taken again and again takes one snapshot’s room', () => {
    const many = `gic: v3\nvcpus: 2\nsteps:\n${Array.from({ length: 50 }, (_, i) => `  - snapshot: s${i}\n`).join('')}`;
    expect(loadErrors(many, { snapshotBudget: 100_000 })[0]).toMatchObject({ limit: 'snapshotBudget' });
    expect(loadScenario(many, 'x.yaml', { backends: BACKENDS, limits: { snapshotBudget: 10_000_000 } }).ok).toBe(true);
    const same = `gic: v3\nvcpus: 2\nsteps:\n${'  - snapshot: s\n'.repeat(50)}`;
    expect(loadScenario(same, 'x.yaml', { backends: BACKENDS, limits: { snapshotBudget: 100_000 } }).ok).toBe(true);
  });
});

describe('a file of errors', () => {
  it('stops after 100 errors and says where it stopped', async () => {
    const file = scenarioFile(`${V3}${Array.from({ length: 10_000 }, (_, i) => `  - write: GICD_NOPE${i}\n    value: 1\n`).join('')}`);
    const err = refused(await vgic(['run', file]));
    const lines = err.trimEnd().split('\n');
    expect(lines.filter((l) => l.includes('unknown register'))).toHaveLength(100);
    expect(lines).toContain(`error ${file}:204:12: more errors from here on: the loader stops after 100`);
  });

  it('reports a value wider than its access together with the schema errors, in one round', () => {
    const e = loadErrors(`${V3}  - write: GICD_CTLR\n    valu: 1\n    value: 1\n  - write: GICD_CTLR\n    value: 0x100000000\n`);
    expect(e.map((x) => `${x.line}:${x.col}: ${x.message}`)).toEqual([
      '5:5: step 1: unknown key valu in a write step — did you mean value? (allowed: write, value, width, rd, vcpu, expectError)',
      '8:12: step 2: value 0x100000000 does not fit in a 32-bit access of GICD_CTLR',
    ]);
  });

  it('shows numbers past 2^53 exactly', () => {
    expect(loadErrors('gic: v3\nvcpus: 9007199254740993\nsteps: []\n')[0]!.message).toBe('vcpus must be at most 512 (got 9007199254740993)');
    expect(loadErrors('gic: v3\nvcpus: 1\nspis: 18446744073709551617\nsteps: []\n')[0]!.message).toBe('spis must be at most 988 (got 18446744073709551617)');
  });

  it('a file too big for the full YAML reader, in YAML only it can read, is refused where the quick reader stopped', () => {
    const text = `${V3}${'  - { read: GICD_CTLR }\n'.repeat(200)}  - !!map { read: GICD_CTLR }\n`;
    const [e] = loadErrors(text, { fullYamlSize: 1000 });
    expect(e).toMatchObject({ line: 204, col: 5, limit: 'fullYamlSize' });
    expect(loadScenario(text, 'x.yaml', { backends: BACKENDS }).ok).toBe(true);
  });
});

describe('reading', () => {
  it('runs a gzipped scenario, and refuses a .gz file that is not gzip', async () => {
    const text = `${V3}  - read: GICD_TYPER\n    mask: 0x1f\n    expect: 1\n`;
    const gz = scenarioFile(gzipSync(Buffer.from(text)), 'yaml.gz');
    const r = await vgic(['run', gz]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('1 passed, 0 failed');
    const fake = scenarioFile(text, 'yaml.gz');
    expect(refused(await vgic(['run', fake]))).toContain(`${fake}:1:1: this file is named .gz but does not hold gzip data`);
    const broken = scenarioFile(gzipSync(Buffer.from(text)).subarray(0, 20), 'json.gz');
    expect(refused(await vgic(['run', broken]))).toContain(`${broken}:1:1: this file holds gzip data that does not decompress`);
  });

  it('refuses a directory given as a file at 1:1', async () => {
    const dir = scenarioFile('x').replace(/[^/]+$/, '');
    writeFileSync(`${dir}/marker`, '');
    expect((await vgic(['inspect', dir])).err).toContain(`${dir}:1:1: this file is a directory`);
  });
});
