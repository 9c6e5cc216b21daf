/**
 * The operation fuzzer's own promise: a failing case comes out shrunk, as a
 * scenario file this CLI loads, and replaying that file fails at the step the
 * file marks. A failure is planted with an extra check (an SPI both active
 * and pending, which the engine allows), so the pipeline is exercised without
 * an engine bug.
 */
import { describe, expect, it } from 'vitest';
import { loadScenario } from '../src/load/index.js';
import { BACKENDS } from '../src/backends.js';
import { vgic, scenarioFile } from './helpers.js';

interface Machine {
  spis: number;
  irq(intid: number): { active: boolean; pending: boolean };
}
type ExtraCheck = (m: Machine) => string | null;
interface FuzzTools {
  fuzzMachine(o: { gic: 'v2' | 'v3'; runs: number; seed: number; extraCheck?: ExtraCheck }): {
    failure: { message: string; scenario: string; reproduced: boolean; replayMessage: string | null; counterexample: { ops: unknown[] } } | null;
  };
  replayScenario(text: string, file: string, extra?: ExtraCheck | null): { loaded: boolean; failure?: { step: number; message: string } | null };
  hostOnlyCalls(text: string): { call: string; intid: number; line: number }[];
}

const tools = (await import(new URL('../../../tools/fuzz/index.ts', import.meta.url).href)) as FuzzTools;

const activeAndPending: ExtraCheck = (m) => {
  for (let i = 32; i < 32 + m.spis; i++) {
    const s = m.irq(i);
    if (s.active && s.pending) return `planted: INTID ${i} is active and pending`;
  }
  return null;
};

describe.each(['v2', 'v3'] as const)('the operation fuzzer on %s', (gic) => {
  it('prints a failing case as a scenario that loads, runs, and reproduces the failure', { timeout: 300_000 }, async () => {
    const report = tools.fuzzMachine({ gic, runs: 5000, seed: 7, extraCheck: activeAndPending });
    const f = report.failure!;
    expect(f).not.toBeNull();
    expect(f.message).toMatch(/^planted: INTID \d+ is active and pending$/);
    expect(f.reproduced, f.replayMessage ?? '').toBe(true);
    expect(f.scenario).toMatch(new RegExp(`^gic: ${gic}$`, 'm'));
    expect(f.scenario).toMatch(/# \^ FAILED here: planted/);
    // Shrunk: a handful of operations, not the dozens a random case has.
    expect(f.counterexample.ops.length).toBeLessThanOrEqual(6);

    const loaded = loadScenario(f.scenario, 'case.yaml', { backends: BACKENDS });
    expect(loaded.ok).toBe(true);
    // The file is an ordinary scenario: vgic run runs it (it has no checks of its own, so it passes)...
    const run = await vgic(['run', scenarioFile(f.scenario)]);
    expect(run.code, run.err).toBe(0);
    // ...and with the check that failed, the replay fails at the marked step.
    const replay = tools.replayScenario(f.scenario, 'case.yaml', activeAndPending);
    expect(replay.failure?.message).toMatch(/planted/);
    const marked = f.scenario.split('\n').findIndex((l) => l.includes('# ^ FAILED here'));
    const steps = f.scenario.split('\n').slice(0, marked).filter((l) => /^\s+- \{/.test(l)).length;
    expect(replay.failure?.step).toBe(steps);
  });
});

describe('host-only comments', () => {
  it('carries the host calls a scenario has no step for, and the replay performs them in place', () => {
    const text = [
      'gic: v3',
      'vcpus: 1',
      'steps:',
      '  - { write: GICD_CTLR, value: 0x12 }',
      '  # host-only: { setLineLevel: 40, level: 1 }',
      '  - { check: { irq: 40, lineLevel: true } }',
      '  # host-only: { unmapHw: 27, vcpu: 0 }',
      '',
    ].join('\n');
    expect(tools.hostOnlyCalls(text)).toEqual([
      { call: 'setLineLevel', intid: 40, level: true, line: 5 },
      { call: 'unmapHw', intid: 27, vcpu: 0, line: 7 },
    ]);
    // vgic run skips the comments, so the check fails there; the replay performs them, so it holds.
    const replay = tools.replayScenario(text, 'host-only.yaml');
    expect(replay.loaded).toBe(true);
    expect(replay.failure).toBeNull();
    const withoutThem = tools.replayScenario(text.replace(/# host-only:.*\n/g, '\n'), 'host-only.yaml');
    expect(withoutThem.failure?.message).toMatch(/lineLevel is false, expected true/);
  });
});
