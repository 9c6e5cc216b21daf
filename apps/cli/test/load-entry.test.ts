/**
 * @vgic/cli/load is for browsers too (a page that loads scenario files): the
 * loader and everything it imports outside @vgic's engine packages — ajv,
 * yaml — bundle for the browser with no Node built-in, and the entry does
 * what its README says: text and a file name in, a scenario or located
 * errors out.
 */
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { BACKENDS, DEFAULT_LIMITS, loadScenario } from '../src/load/index.js';

const entry = join(import.meta.dirname, '../src/load/index.ts');

describe('@vgic/cli/load', () => {
  it('bundles for the browser with no Node built-in', async () => {
    const result = await build({
      entryPoints: [entry],
      bundle: true,
      write: false,
      platform: 'browser',
      format: 'esm',
      metafile: true,
      logLevel: 'silent',
      // The engine packages' own entries are theirs to keep browser-safe.
      external: ['@vgic/core', '@vgic/gicv2', '@vgic/gicv3'],
    });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.some((f) => f.includes('src/load/load.ts'))).toBe(true);
    expect(inputs.some((f) => f.includes('node_modules/yaml/'))).toBe(true);
    const builtins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);
    const imported = Object.values(result.metafile.inputs).flatMap((i) => i.imports.map((x) => x.path));
    expect(imported.filter((p) => builtins.has(p) || p.startsWith('node:'))).toEqual([]);
    const js = result.outputFiles[0]!.text;
    expect(js).not.toMatch(/from\s*["']node:/);
  });

  it('takes text and a file name, and gives a scenario or errors with FILE:LINE:COL', () => {
    const ok = loadScenario('gic: v3\nvcpus: 1\nsteps:\n  - read: GICD_TYPER\n', 'page.yaml', { backends: BACKENDS });
    expect(ok.ok && ok.scenario.steps[0]).toMatchObject({ action: 'read', register: 'GICD_TYPER', pos: { line: 4, col: 5 } });
    const bad = loadScenario('gic: v3\nvcpus: 1\nsteps:\n  - read: GICD_TYPR\n', 'page.yaml', { backends: BACKENDS });
    expect(bad).toEqual({ ok: false, errors: [{ file: 'page.yaml', line: 4, col: 11, message: 'step 1: unknown register GICD_TYPR on GICv3 — did you mean GICD_TYPER?' }] });
    expect(DEFAULT_LIMITS.maxFileSize).toBe(64 * 1024 * 1024);
  });
});
