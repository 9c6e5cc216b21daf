/**
 * The scenario loader and `vgic run` against what is not a scenario: random
 * bytes, and valid scenarios broken in one to three ways (tools/fuzz's
 * generators). Each must be refused with messages located in the text
 * (FILE:LINE:COL) and no stack trace; through the CLI, with exit status 2.
 */
import { describe, expect, it } from 'vitest';

interface LoaderTools {
  checkLoad(source: string | Uint8Array, file: string): string | null;
  checkCli(source: string | Uint8Array, ext: 'yaml' | 'json'): Promise<string | null>;
  brokenDocumentText(d: unknown): string;
  fuzzLoader(o: { runs: number; seed: number; cliEvery?: number }): Promise<{ runs: number; failure: { message: string; text: string } | null }>;
}

// The fuzz tool lives outside the packages (tools/fuzz): load it at run time.
const tools = (await import(new URL('../../../tools/fuzz/loader-fuzz.ts', import.meta.url).href)) as LoaderTools;

const RUNS = Number(process.env['VGIC_FUZZ_RUNS'] ?? 2000);
const SEED = Number(process.env['VGIC_FUZZ_SEED'] ?? 0x10ad);

describe('the scenario loader under the fuzzer', () => {
  it('refuses random bytes and broken documents with located messages, and vgic run exits 2', { timeout: 300_000 }, async () => {
    const report = await tools.fuzzLoader({ runs: RUNS, seed: SEED, cliEvery: 10 });
    const f = report.failure;
    expect(f, f ? `${f.message}\n--- the input:\n${f.text}` : undefined).toBeNull();
    expect(report.runs).toBe(2 * RUNS);
  });

  it('places the complaint about a broken step on that step', () => {
    const text = 'gic: v3\nvcpus: 2\nsteps:\n  - { write: GICD_CTLR, value: 0x12 }\n  - { write: GICD_CTLR, value: 0x12, read: GICD_CTLR }\n';
    expect(tools.checkLoad(text, 'two-actions.yaml')).toBeNull();
  });

  it('notices a loader that accepts what it should refuse', () => {
    const valid = 'gic: v3\nvcpus: 1\nsteps:\n  - { read: GICD_TYPER }\n';
    expect(tools.checkLoad(valid, 'valid.yaml')).toBe('the loader accepted it');
  });

  it('runs a refused file through vgic run: exit 2, FILE:LINE:COL, no stack trace', async () => {
    expect(await tools.checkCli('gic: v3\nvcpus: 0\nsteps: []\n', 'yaml')).toBeNull();
    expect(await tools.checkCli(new Uint8Array([0xff, 0xfe, 0x00, 0x41]), 'yaml')).toBeNull();
  });
});
