/** `vgic examples`: the bundled scenarios, listed with their titles and copied where the user wants them. */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { examplesDir } from '../src/commands/examples.js';
import { vgic } from './helpers.js';

const repoExamples = join(import.meta.dirname, '../../../examples');
const names = readdirSync(repoExamples).filter((f) => f.endsWith('.yaml')).sort();

describe('vgic examples', () => {
  it('lists every example with the title it opens with, and where they are', async () => {
    const r = await vgic(['examples']);
    expect(r.code).toBe(0);
    expect(r.out).toContain(`${names.length} examples in ${repoExamples}/`);
    expect(r.out).toMatch(/^ {2}02-first-interrupt-v3\.yaml +First interrupt on GICv3$/m);
    for (const name of names) expect(r.out).toContain(name);
    expect(r.out).toContain('vgic examples copy');
  });

  it('lists them as JSON', async () => {
    const r = await vgic(['examples', '--json']);
    const list = JSON.parse(r.out) as { file: string; path: string; title: string }[];
    expect(list.map((e) => e.file)).toEqual(names);
    expect(list.every((e) => e.title !== '' && existsSync(e.path))).toBe(true);
  });

  it('copies them into a folder, which vgic run then runs green', async () => {
    const target = join(mkdtempSync(join(tmpdir(), 'vgic-examples-')), 'mine');
    const r = await vgic(['examples', 'copy', target]);
    expect(r.code).toBe(0);
    expect(readdirSync(target).sort()).toEqual(names);
    expect(readFileSync(join(target, names[0]!), 'utf8')).toBe(readFileSync(join(repoExamples, names[0]!), 'utf8'));
    const run = await vgic(['run', target]);
    expect(run.code).toBe(0);
    expect(run.out.trimEnd().split('\n').at(-1)).toMatch(/^\d+ passed, 0 failed$/);
  });

  it('does not overwrite a file of the user without --force', async () => {
    const target = mkdtempSync(join(tmpdir(), 'vgic-examples-'));
    writeFileSync(join(target, names[0]!), 'mine\n');
    const r = await vgic(['examples', 'copy', target]);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`already has ${names[0]}`);
    expect(readFileSync(join(target, names[0]!), 'utf8')).toBe('mine\n');
    expect(readdirSync(target)).toEqual([names[0]]);
    expect((await vgic(['examples', 'copy', '--force', target])).code).toBe(0);
    expect(readFileSync(join(target, names[0]!), 'utf8')).not.toBe('mine\n');
  });

  it('refuses what it does not take, with its usage', async () => {
    for (const argv of [['examples', 'paste'], ['examples', '--force'], ['examples', 'copy', 'a', 'b'], ['examples', '--nope']]) {
      const r = await vgic(argv);
      expect(r.code).toBe(2);
      expect(r.err).toContain('Usage: vgic examples');
    }
    expect((await vgic(['help', 'examples'])).out).toContain('Usage: vgic examples');
  });

  it('finds dist/examples beside the built code, and says when a build has none', async () => {
    const dist = mkdtempSync(join(tmpdir(), 'vgic-dist-'));
    expect(examplesDir(`file://${dist}/bin.js`)).toBeNull();
    mkdirSync(join(dist, 'examples'));
    expect(examplesDir(`file://${dist}/chunk-ABC.js`)).toBe(`${dist}/examples/`);
  });
});
