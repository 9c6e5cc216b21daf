/**
 * The fuzzers of tools/fuzz on GICv2: random host/guest operation sequences
 * and raw register accesses, a few thousand cases each, checked after every
 * call (invariants, no lock held, lock order, guest accesses never
 * throwing, host misuse changing nothing). `npm run fuzz -- --gic v2 --runs N`
 * runs millions; a failure there or here prints the shrunk case as a
 * scenario file.
 */
import { describe, expect, it } from 'vitest';

interface MachineFuzzReport {
  runs: number;
  failure: { message: string; scenario: string; replayMessage: string | null } | null;
}
interface RawFuzzReport {
  runs: number;
  failure: { message: string } | null;
}
interface FuzzTools {
  fuzzMachine(o: { gic: 'v2' | 'v3'; runs: number; seed: number }): MachineFuzzReport;
  fuzzRawAccess(o: { gic: 'v2' | 'v3'; runs: number; seed: number }): RawFuzzReport;
}

// The fuzz tool lives outside the packages (tools/fuzz) and is not part of this
// package's build or type-check: load it at run time.
const tools = (await import(new URL('../../../tools/fuzz/index.ts', import.meta.url).href)) as FuzzTools;

const RUNS = Number(process.env['VGIC_FUZZ_RUNS'] ?? 3000);
const SEED = Number(process.env['VGIC_FUZZ_SEED'] ?? 0x2a2);

describe('GICv2 under the fuzzer', () => {
  it('keeps every invariant through random host and guest operation sequences', { timeout: 300_000 }, () => {
    const report = tools.fuzzMachine({ gic: 'v2', runs: RUNS, seed: SEED });
    const f = report.failure;
    expect(f, f ? `${f.message}\n${f.replayMessage ?? ''}\n${f.scenario}` : undefined).toBeNull();
    expect(report.runs).toBe(RUNS);
  });

  it('takes raw guest accesses at any offset, width and value without throwing or breaking an invariant', { timeout: 300_000 }, () => {
    const report = tools.fuzzRawAccess({ gic: 'v2', runs: RUNS, seed: SEED });
    expect(report.failure?.message ?? null).toBeNull();
    expect(report.runs).toBe(RUNS);
  });
});
