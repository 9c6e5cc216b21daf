/**
 * "What changed" as the runner reports it (core's ChangeTracker, looking only
 * at what each step touched) against the whole machine viewed before and
 * after every step: on every scenario the repository holds — examples,
 * conformance, recorded real guests — the phrases must be the same.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { createScenarioMachine, diffViews, runScenario, stateView, type StateView } from '@vgic/core';
import { describe, expect, it } from 'vitest';
import { BACKENDS } from '../src/backends.js';
import { loadScenario } from '../src/load/index.js';

const root = join(import.meta.dirname, '../../..');
const files = ['examples', 'conformance', 'conformance/recorded'].flatMap((dir) =>
  readdirSync(join(root, dir))
    .filter((n) => /\.(ya?ml|json)(\.gz)?$/.test(n))
    .sort()
    .map((n) => join(dir, n)),
);

describe('the changes each step reports are those of the whole machine before and after it', () => {
  it('covers the repository’s scenarios', () => {
    expect(files.filter((f) => f.startsWith('conformance/recorded/')).length).toBeGreaterThanOrEqual(8);
  });

  for (const file of files) {
    it(file, { timeout: 120_000 }, () => {
      const bytes = readFileSync(join(root, file));
      const loaded = loadScenario(file.endsWith('.gz') ? gunzipSync(bytes) : bytes, file, { backends: BACKENDS });
      if (!loaded.ok) throw new Error(loaded.errors.map((e) => `${e.line}:${e.col}: ${e.message}`).join('\n'));
      let before: StateView = stateView(createScenarioMachine(loaded.scenario, BACKENDS));
      let wrong: string | null = null;
      let changed = 0;
      runScenario(loaded.scenario, {
        backends: BACKENDS,
        keepSteps: false,
        onStep: (r, m) => {
          const after = stateView(m);
          const want = diffViews(before, after);
          before = after;
          if (want.length > 0) changed++;
          if (wrong === null && JSON.stringify(want) !== JSON.stringify(r.changes)) {
            wrong = `step ${r.index} (${r.action}): reported ${JSON.stringify(r.changes)}, the whole machine says ${JSON.stringify(want)}`;
          }
        },
      });
      expect(wrong).toBeNull();
      expect(changed).toBeGreaterThan(0);
    });
  }
});
