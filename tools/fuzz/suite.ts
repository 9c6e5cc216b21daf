/**
 * The fuzzers as a vitest suite, one call per backend: random host/guest
 * operation sequences and raw register accesses, a few thousand cases each
 * (on GICv3 also a few hundred with LPIs and an ITS: `VGIC_FUZZ_ITS_RUNS`),
 * checked after every call (invariants, no lock held, lock order, guest
 * accesses never throwing, host misuse changing nothing). A failure prints
 * the shrunk case as a scenario file. VGIC_FUZZ_RUNS and VGIC_FUZZ_SEED
 * change the run; `npm run fuzz -- --gic v2 --runs N` runs millions.
 */
import { describe, expect, it } from 'vitest';
import type { GicVersion } from './config.js';
import { fuzzMachine } from './machine-fuzz.js';
import { fuzzRawAccess } from './raw-access.js';

export function describeFuzz(name: string, gic: GicVersion, defaultSeed: number): void {
  const runs = Number(process.env['VGIC_FUZZ_RUNS'] ?? 3000);
  const seed = Number(process.env['VGIC_FUZZ_SEED'] ?? defaultSeed);
  // An ITS case costs more than ten others: every call is checked, and the LPI invariants walk the whole LPI INTID space.
  const itsRuns = Number(process.env['VGIC_FUZZ_ITS_RUNS'] ?? 100);

  describe(`${name} under the fuzzer`, () => {
    it('keeps every invariant through random host and guest operation sequences', { timeout: 300_000 }, () => {
      const report = fuzzMachine({ gic, runs, seed });
      const f = report.failure;
      expect(f, f ? `${f.message}\n${f.replayMessage ?? ''}\n${f.scenario}` : undefined).toBeNull();
      expect(report.runs).toBe(runs);
    });

    if (gic === 'v3') {
      it('keeps every invariant with LPIs and an ITS: bring-up, commands (garbage too), MSIs, table stores', { timeout: 300_000 }, () => {
        const report = fuzzMachine({ gic, its: true, runs: itsRuns, seed, maxOps: 30 });
        const f = report.failure;
        expect(f, f ? `${f.message}\n${f.replayMessage ?? ''}\n${f.scenario}` : undefined).toBeNull();
        expect(report.runs).toBe(itsRuns);
      });
    }

    it('takes raw guest accesses at any offset, width and value without throwing or breaking an invariant', { timeout: 300_000 }, () => {
      const report = fuzzRawAccess({ gic, runs, seed });
      expect(report.failure?.message ?? null).toBeNull();
      expect(report.runs).toBe(runs);
    });
  });
}
