import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { wantsColour } from '../src/report.js';
import { V3_PREAMBLE, runText, scenarioFile, vgic } from './helpers.js';

const PASSING = `${V3_PREAMBLE}  - inject: 40
  - read: ICC_IAR1_EL1
    expect: 40
  - check: { irq: 40, active: true }
`;

const FAILING = `${V3_PREAMBLE}  - inject: 40
  - read: ICC_IAR1_EL1
    expect: 41
  - check: { irq: 40, active: true }
`;

describe('vgic run: exit status and the closing line', () => {
  it('exits 0 and counts every check when all hold', async () => {
    const r = await runText(PASSING);
    expect(r.code).toBe(0);
    expect(r.out.trimEnd().split('\n').at(-1)).toBe('2 passed, 0 failed');
  });

  it('exits 1 when an expect fails, and still runs the steps after it', async () => {
    const r = await runText(FAILING);
    expect(r.code).toBe(1);
    expect(r.out.trimEnd().split('\n').at(-1)).toBe('1 passed, 1 failed');
    expect(r.out).toMatch(/✗ expect 0x29: read 0x28, expected 0x29 \(.*:\d+:\d+\)/);
  });

  it('exits 2 for a file that is not a scenario, and runs no file at all', async () => {
    const good = scenarioFile(PASSING);
    const bad = scenarioFile('gic: v4\nvcpus: 1\nsteps: []\n');
    const r = await vgic(['run', good, bad]);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toContain(`${bad}:1:6: gic must be one of v2, v3 (got "v4")`);
    expect(r.err).toContain('nothing was run');
  });

  it('counts an expectError that holds as a passed check', async () => {
    const r = await runText(`${V3_PREAMBLE}  - inject: 1020\n    expectError: INVALID_INTID\n`);
    expect(r.code).toBe(0);
    expect(r.out).toContain('1 passed, 0 failed');
  });

  it('counts a step that fails unexpectedly as a failed check', async () => {
    const r = await runText(`${V3_PREAMBLE}  - inject: 1020\n`);
    expect(r.code).toBe(1);
    expect(r.out).toContain('INVALID_INTID');
    expect(r.out).toContain('0 passed, 1 failed');
  });

  it('runs every *.yaml, *.yml and *.json of a directory in name order, and nothing else', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vgic-dir-'));
    writeFileSync(join(dir, 'b.yml'), PASSING.replace('gic: v3', 'name: second\ngic: v3'));
    writeFileSync(join(dir, 'a.yaml'), PASSING.replace('gic: v3', 'name: first\ngic: v3'));
    writeFileSync(join(dir, 'c.json'), JSON.stringify({ name: 'third', gic: 'v2', vcpus: 1, steps: [{ read: 'GICC_IAR', expect: 1023 }] }));
    writeFileSync(join(dir, 'notes.txt'), 'not a scenario');
    mkdirSync(join(dir, 'sub.yaml'));
    const r = await vgic(['run', dir]);
    expect(r.code).toBe(0);
    const order = ['first', 'second', 'third'].map((n) => r.out.indexOf(`— ${n}`));
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(r.out).toContain('5 passed, 0 failed');
  });

  it('exits 2 for a path that does not exist or a directory with no scenarios', async () => {
    expect((await vgic(['run', '/no/such/file.yaml'])).code).toBe(2);
    const empty = mkdtempSync(join(tmpdir(), 'vgic-empty-'));
    const r = await vgic(['run', empty]);
    expect(r.code).toBe(2);
    expect(r.err).toContain('holds no scenario files');
  });

  it('exits 2 on an unknown option or no file', async () => {
    expect((await vgic(['run', '--frobnicate', 'x.yaml'])).code).toBe(2);
    expect((await vgic(['run'])).code).toBe(2);
  });
});

describe('vgic run: what a step line shows', () => {
  it('prints one line a step: the action, the value read and what changed', async () => {
    const r = await runText(PASSING);
    const lines = r.out.split('\n');
    const inject = lines.find((l) => /^\s+6 {2}inject 40 level 1/.test(l));
    expect(inject).toContain('INTID 40: +pending, queued vCPU0');
    const read = lines.find((l) => /^\s+7 {2}vCPU0 read ICC_IAR1_EL1 → 0x28 \(40\)/.test(l));
    expect(read).toContain('✓ expect 0x28');
    expect(read).toContain('INTID 40: -pending, +active');
  });

  it('adds the engine trace events under each step with --trace', async () => {
    const r = await runText(PASSING, '--trace');
    expect(r.out).toMatch(/· queue 40 on vCPU0/);
    expect(r.out).toMatch(/· flush vCPU0: LRs \[40 P 0xa0\]/);
    expect(r.out).toMatch(/· ack vCPU0: 40/);
  });

  it('colours only when asked to, and never writes escape codes otherwise', async () => {
    const file = scenarioFile(FAILING);
    const plain = await vgic(['run', file], false);
    expect(plain.out).not.toContain('\x1b[');
    const coloured = await vgic(['run', file], true);
    expect(coloured.out).toContain('\x1b[31m');
  });

  it('decides colour from the terminal and NO_COLOR', () => {
    expect(wantsColour(true, {})).toBe(true);
    expect(wantsColour(false, {})).toBe(false);
    expect(wantsColour(undefined, {})).toBe(false);
    expect(wantsColour(true, { NO_COLOR: '1' })).toBe(false);
    expect(wantsColour(true, { NO_COLOR: '' })).toBe(true);
  });
});

describe('vgic run --json', () => {
  it('prints one document: per file the steps with their checks, and the totals', async () => {
    const r = await runText(FAILING, '--json');
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.out) as {
      ok: boolean;
      passed: number;
      failed: number;
      files: { file: string; gic: string; passed: number; failed: number; steps: { index: number; line: number; col: number; action: string; read?: string; changes: string[]; check?: { ok: boolean; what: string; message?: string } }[] }[];
    };
    expect(doc.ok).toBe(false);
    expect(doc.passed).toBe(1);
    expect(doc.failed).toBe(1);
    expect(doc.files).toHaveLength(1);
    const f = doc.files[0]!;
    expect(f.gic).toBe('v3');
    expect(f.steps).toHaveLength(8);
    const read = f.steps[6]!;
    expect(read).toMatchObject({ index: 7, action: 'vCPU0 read ICC_IAR1_EL1', read: '0x28', check: { ok: false, what: 'expect 0x29' } });
    expect(read.line).toBe(16);
    expect(read.changes.some((c) => c.startsWith('INTID 40:'))).toBe(true);
    expect(f.steps[7]!.check).toEqual({ ok: true, what: 'INTID 40 active=true' });
  });

  it('reports invalid files as a list of positioned errors, exit 2', async () => {
    const r = await runText('gic: v3\nvcpus: 0\nsteps: []\n', '--json');
    expect(r.code).toBe(2);
    const doc = JSON.parse(r.out) as { ok: boolean; errors: { file: string; line: number; col: number; message: string }[] };
    expect(doc.ok).toBe(false);
    expect(doc.errors[0]).toMatchObject({ line: 2, col: 8, message: 'vcpus must be at least 1 (got 0)' });
  });

  it('holds every file, in order, when several run', async () => {
    const a = scenarioFile(PASSING);
    const b = scenarioFile(FAILING.replace('gic: v3', 'name: second\ngic: v3'));
    const r = await vgic(['run', '--json', a, b]);
    const doc = JSON.parse(r.out) as { ok: boolean; passed: number; failed: number; files: { file: string; name: string | null; passed: number; failed: number; steps: unknown[] }[] };
    expect(doc).toMatchObject({ ok: false, passed: 3, failed: 1 });
    expect(doc.files.map((f) => [f.file, f.name, f.passed, f.failed, f.steps.length])).toEqual([
      [a, null, 2, 0, 8],
      [b, 'second', 1, 1, 8],
    ]);
  });

  it('includes trace events when asked', async () => {
    const r = await runText(PASSING, '--json', '--trace');
    const doc = JSON.parse(r.out) as { files: { steps: { events?: { type: string }[] }[] }[] };
    const types = doc.files[0]!.steps.flatMap((s) => s.events ?? []).map((e) => e.type);
    expect(types).toContain('queue');
    expect(types).toContain('ack');
  });
});

describe('vgic run --quiet and --explain', () => {
  it('--quiet prints only the failed steps, under their file, and the closing line', async () => {
    const good = scenarioFile(PASSING);
    const bad = scenarioFile(FAILING);
    const r = await vgic(['run', '--quiet', good, bad]);
    expect(r.code).toBe(1);
    const lines = r.out.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toBe(`${bad} (GICv3, 2 vCPUs)`);
    expect(lines[1]).toMatch(/^\s+7 {2}vCPU0 read ICC_IAR1_EL1 → 0x28 \(40\) {2}✗ expect 0x29: read 0x28, expected 0x29/);
    expect(lines[2]).toBe('3 passed, 1 failed');
    expect((await vgic(['run', '--quiet', good])).out).toBe('2 passed, 0 failed\n');
  });

  it('--explain prints a file’s opening comment before its steps, and what to try next at the end', async () => {
    const file = scenarioFile(`# What it teaches: one edge interrupt, end to end.\n#\n# Second line.\n${PASSING}`);
    const r = await vgic(['run', '--explain', file]);
    expect(r.code).toBe(0);
    const title = r.out.indexOf(file);
    const intro = r.out.indexOf('  What it teaches: one edge interrupt, end to end.\n\n  Second line.\n');
    const firstStep = r.out.indexOf('   1  vCPU0 write GICD_CTLR');
    expect(title).toBeGreaterThanOrEqual(0);
    expect(intro).toBeGreaterThan(title);
    expect(firstStep).toBeGreaterThan(intro);
    expect(r.out.indexOf('What to try next:')).toBeGreaterThan(r.out.indexOf('2 passed, 0 failed'));
    expect(r.out).toContain(`npx vgic run --trace ${file}`);
  });
});

describe('help and version', () => {
  it('prints the overview with --help and exits 0', async () => {
    const r = await vgic(['--help']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('Usage: vgic <command>');
    for (const c of ['run', 'inspect', 'bench', 'stress']) expect(r.out).toContain(`  ${c}`);
  });

  it('prints each command’s own help', async () => {
    expect((await vgic(['run', '--help'])).out).toContain('Usage: vgic run');
    expect((await vgic(['help', 'inspect'])).out).toContain('Usage: vgic inspect');
    expect((await vgic(['inspect', '-h'])).out).toContain('--step N');
  });

  it('prints the package version', async () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    const r = await vgic(['--version']);
    expect(r.code).toBe(0);
    expect(r.out.trim()).toBe(pkg.version);
  });

  it('exits 2 on an unknown command, and with no command', async () => {
    expect((await vgic(['frob'])).code).toBe(2);
    expect((await vgic([])).code).toBe(2);
  });
});
