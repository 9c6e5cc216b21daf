import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findCompiler, floorSource, parseFloor, planFloor, repositoryRoot, runFloor } from './floor.js';

const compiler = findCompiler();

describe('the C floor', () => {
  it('ships its source beside the harness', () => {
    expect(floorSource()).toMatch(/bench\/floor\/gicv3-floor\.c$/);
  });

  it('is built and timed with the compiler found, plain and atomic, for both workloads', { timeout: 120_000 }, async () => {
    if (compiler === null) {
      // Without a C compiler the floor cannot run at all; the plan says why (below).
      expect(planFloor({ PATH: '' }, tmpdir())).toMatchObject({ kind: 'none' });
      return;
    }
    // Outside a clone (no ../shared/floor beside a repository root): our own floor.
    const plan = planFloor({ PATH: process.env['PATH'] ?? '' }, tmpdir());
    expect(plan).toMatchObject({ kind: 'built-in', compiler });
    if (plan.kind === 'none') return;
    const figures = await runFloor(plan, 2000);
    expect(figures.map((f) => `${f.mode} ${f.workload}`)).toEqual([
      'plain spi-roundtrip',
      'plain burst16',
      'atomic spi-roundtrip',
      'atomic burst16',
    ]);
    for (const f of figures) expect(f.nsPerOp).toBeGreaterThan(0);
  });

  it('says plainly that there is no C compiler', () => {
    const plan = planFloor({ PATH: '' }, tmpdir());
    expect(plan.kind).toBe('none');
    expect(plan.kind === 'none' && plan.reason).toMatch(/no C compiler was found/);
    expect(planFloor({ PATH: '', CC: '/no/such/cc' }, tmpdir())).toMatchObject({ kind: 'none' });
  });

  describe('VGIC_FLOOR', () => {
    let dir = '';
    afterAll(async () => {
      if (dir !== '') await rm(dir, { recursive: true, force: true });
    });

    it('runs another floor script instead, preferring its full-* figures', async () => {
      dir = await mkdtemp(join(tmpdir(), 'vgic-floor-test-'));
      const script = join(dir, 'run');
      await writeFile(
        script,
        '#!/bin/sh\necho "plain spi-roundtrip 12.5"\necho "atomic spi-roundtrip 48"\necho "full-plain spi-roundtrip 37"\necho "full-atomic spi-roundtrip 112.5"\n',
      );
      await chmod(script, 0o755);
      const plan = planFloor({ VGIC_FLOOR: script, PATH: '' });
      expect(plan).toEqual({ kind: 'external', script, why: 'VGIC_FLOOR' });
      if (plan.kind === 'none') return;
      expect(await runFloor(plan)).toEqual([
        { mode: 'plain', workload: 'spi-roundtrip', nsPerOp: 37 },
        { mode: 'atomic', workload: 'spi-roundtrip', nsPerOp: 112.5 },
      ]);
    });

    it('is found as ../shared/floor/run beside the repository root when VGIC_FLOOR is not set, from anywhere in the clone', async () => {
      const top = await mkdtemp(join(tmpdir(), 'vgic-floor-shared-'));
      try {
        const root = join(top, 'repo');
        await mkdir(join(root, 'bench', 'src'), { recursive: true });
        await writeFile(join(root, 'nx.json'), '{}');
        // A clone with no reference floors beside it: our own.
        expect(planFloor({ PATH: '' }, join(root, 'bench', 'src')).kind).toBe('none');
        await mkdir(join(top, 'shared', 'floor'), { recursive: true });
        const script = join(top, 'shared', 'floor', 'run');
        await writeFile(script, '#!/bin/sh\necho "full-plain burst16 2000"\n');
        await chmod(script, 0o755);
        expect(planFloor({ PATH: '' }, join(root, 'bench', 'src'))).toEqual({ kind: 'external', script, why: 'shared' });
        expect(repositoryRoot(join(root, 'bench'))).toBe(root);
        // VGIC_FLOOR still wins.
        expect(planFloor({ VGIC_FLOOR: '/no/such/floor' }, root)).toMatchObject({ kind: 'none' });
      } finally {
        await rm(top, { recursive: true, force: true });
      }
    });

    it('names a script that does not exist', () => {
      expect(planFloor({ VGIC_FLOOR: '/no/such/floor' })).toEqual({
        kind: 'none',
        reason: 'VGIC_FLOOR names /no/such/floor, which does not exist',
      });
    });
  });

  it('reads plain and atomic lines and ignores the rest', () => {
    expect(parseFloor('building...\nplain burst16 383.9\natomic burst16 918\n')).toEqual([
      { mode: 'plain', workload: 'burst16', nsPerOp: 383.9 },
      { mode: 'atomic', workload: 'burst16', nsPerOp: 918 },
    ]);
  });
});
