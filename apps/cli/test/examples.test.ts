/** The bundled examples are what a newcomer runs first: each must load, teach something, and run green. */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { runScenario } from '@vgic/core';
import { describe, expect, it } from 'vitest';
import { BACKENDS } from '../src/backends.js';
import { loadScenario } from '../src/load/index.js';

const dir = join(import.meta.dirname, '../../../examples');
const files = readdirSync(dir).filter((f) => /\.(ya?ml|json)$/.test(f)).sort();

describe('examples/', () => {
  it('holds a dozen scenarios or more', () => {
    expect(files.length).toBeGreaterThanOrEqual(12);
  });

  for (const f of files) {
    it(`${f} opens with a comment saying what it teaches, and every check holds`, () => {
      const text = readFileSync(join(dir, f), 'utf8');
      expect(text.startsWith('# ')).toBe(true);
      expect(text).toMatch(/What it teaches:/);
      const loaded = loadScenario(text, f, { backends: BACKENDS });
      if (!loaded.ok) throw new Error(loaded.errors.map((e) => `${e.line}:${e.col}: ${e.message}`).join('\n'));
      const r = runScenario(loaded.scenario, { backends: BACKENDS });
      const failed = r.steps.filter((s) => s.check && !s.check.ok).map((s) => `step ${s.index} ${s.action}: ${s.check!.message}`);
      expect(failed).toEqual([]);
      expect(r.passed).toBeGreaterThan(0);
      expect(r.machine.checkInvariants()).toEqual([]);
    });
  }
});
