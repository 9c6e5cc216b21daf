/** The generator of long micro-benchmark scenarios (tools/long-scenario.ts) writes what it says: N steps, every check holding. */
import { runScenario } from '@vgic/core';
import { describe, expect, it } from 'vitest';
import { BACKENDS } from '../src/backends.js';
import { loadScenario } from '../src/load/index.js';

const { longScenario } = (await import(new URL('../../../tools/long-scenario.ts', import.meta.url).href)) as { longScenario(steps: number): Iterable<string> };

describe('tools/long-scenario.ts', () => {
  it('writes a scenario of exactly the steps asked for, whose every check holds', () => {
    for (const n of [8, 9, 2000]) {
      const text = [...longScenario(n)].join('');
      const loaded = loadScenario(text, `long-${n}.yaml`, { backends: BACKENDS });
      if (!loaded.ok) throw new Error(loaded.errors.map((e) => `${e.line}:${e.col}: ${e.message}`).join('\n'));
      expect(loaded.scenario.steps).toHaveLength(n);
      const r = runScenario(loaded.scenario, { backends: BACKENDS, keepSteps: false });
      expect(r.failed).toBe(0);
      if (n === 2000) expect(r.passed).toBeGreaterThan(900);
    }
  });
});
