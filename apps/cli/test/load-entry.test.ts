/**
 * @vgic/cli/load is for browsers too (a page that loads scenario files): the
 * loader and everything it imports — the engine and both backends, ajv,
 * yaml — bundle for the browser with no Node built-in, and the entry does
 * what its README says: text and a file name in, a scenario or located
 * errors out.
 */
import { describe, expect, it } from 'vitest';
import { BACKENDS, DEFAULT_LIMITS, loadScenario } from '../src/load/index.js';

// testBrowserEntry lives outside the packages (tools/), as for the engine packages' entries.
const { testBrowserEntry } = (await import(new URL('../../../tools/browser-bundle.ts', import.meta.url).href)) as {
  testBrowserEntry(entry: URL): Promise<void>;
};

describe('@vgic/cli/load', async () => {
  await testBrowserEntry(new URL('../src/load/index.ts', import.meta.url));

  it('takes text and a file name, and gives a scenario or errors with FILE:LINE:COL', () => {
    const ok = loadScenario('gic: v3\nvcpus: 1\nsteps:\n  - read: GICD_TYPER\n', 'page.yaml', { backends: BACKENDS });
    expect(ok.ok && ok.scenario.steps[0]).toMatchObject({ action: 'read', register: 'GICD_TYPER', pos: { line: 4, col: 5 } });
    const bad = loadScenario('gic: v3\nvcpus: 1\nsteps:\n  - read: GICD_TYPR\n', 'page.yaml', { backends: BACKENDS });
    expect(bad).toEqual({ ok: false, errors: [{ file: 'page.yaml', line: 4, col: 11, message: 'step 1: unknown register GICD_TYPR on GICv3 — did you mean GICD_TYPER?' }] });
    expect(DEFAULT_LIMITS.maxFileSize).toBe(64 * 1024 * 1024);
  });
});
