import { describe, expect, it } from 'vitest';
import { createToy } from '../../test/fixtures/toy-gic.js';
import { isVgicError } from '../errors.js';
import { saveMachine } from '../snapshot/index.js';
import { runScenario, type ScenarioBackend, type StepRecord } from './run.js';
import type { Scenario, Step, StepSource } from './types.js';
import { ChangeTracker, diffViews, stateView } from './view.js';

const BACKENDS: Record<string, ScenarioBackend> = { toy: (o) => createToy(o) };

/** The toy GIC set up to deliver SPI 40 to vCPU 0, then `steps`. */
function scenario(steps: Step[], vcpus = 2): Scenario {
  const setUp: Step[] = [
    { action: 'write', register: 'TDIST_CTLR', value: 2n },
    { action: 'write', register: 'TCPU_CTLR', value: 2n },
    { action: 'write', register: 'TCPU_PMR', value: 0xffn },
    { action: 'write', register: 'TDIST_ISENABLER1', value: 0x100n },
  ];
  return { gic: 'toy', vcpus, steps: [...setUp, ...steps] };
}

const ROUND_TRIP: Step[] = [
  { action: 'inject', intid: 40 },
  { action: 'read', register: 'TCPU_IAR1', expect: 40n },
  { action: 'check', check: { irq: 40, active: true } },
  { action: 'write', register: 'TCPU_EOIR1', value: 40n },
  { action: 'read', register: 'TCPU_IAR1', expect: 1023n },
];

describe('runScenario', () => {
  it('with keepSteps: false keeps no record, and gives every one to onStep with the same counts', () => {
    const s = scenario([...ROUND_TRIP, { action: 'read', register: 'TCPU_IAR1', expect: 40n }]);
    const kept = runScenario(s, { backends: BACKENDS });
    const seen: StepRecord[] = [];
    const streamed = runScenario(s, { backends: BACKENDS, keepSteps: false, onStep: (r) => seen.push(r) });
    expect(streamed.steps).toEqual([]);
    expect(streamed.ran).toBe(s.steps.length);
    expect(kept.ran).toBe(s.steps.length);
    expect(seen).toEqual(kept.steps);
    expect([streamed.passed, streamed.failed]).toEqual([kept.passed, kept.failed]);
    expect(streamed.failed).toBe(1);
  });

  it('takes steps from a StepSource one at a time, each only when the run reaches it, as it takes an array', () => {
    const s = scenario([...ROUND_TRIP, { action: 'read', register: 'TCPU_IAR1', expect: 40n }]);
    const asked: number[] = [];
    let ranBefore = 0;
    const source: StepSource = {
      length: s.steps.length,
      at: (k) => {
        // The step before this one has been given to onStep: nothing is read ahead.
        expect(ranBefore).toBe(k);
        asked.push(k);
        return { ...s.steps[k]! };
      },
    };
    const seen: StepRecord[] = [];
    const streamed = runScenario({ ...s, steps: source }, { backends: BACKENDS, keepSteps: false, onStep: (r) => {
      seen.push(r);
      ranBefore++;
    } });
    expect(asked).toEqual(s.steps.map((_, k) => k));
    expect(streamed.steps).toEqual([]);
    expect(seen).toEqual(runScenario(s, { backends: BACKENDS }).steps);
    ranBefore = 0;
    asked.length = 0;
    expect(runScenario({ ...s, steps: source }, { backends: BACKENDS, until: 2, onStep: () => ranBefore++ }).ran).toBe(2);
    expect(asked).toEqual([0, 1]);
  });

  it('fails a snapshot that would take the snapshots kept past the budget, and keeps one name at one size', () => {
    const size = JSON.stringify(saveMachine(createToy({ vcpus: 2, spis: 32, lrs: 4 }))).length;
    const steps: Step[] = [
      { action: 'snapshot', name: 'a' },
      { action: 'snapshot', name: 'a' },
      { action: 'snapshot', name: 'a' },
      { action: 'snapshot', name: 'b' },
      { action: 'restore', name: 'a' },
    ];
    const r = runScenario(scenario(steps), { backends: BACKENDS, snapshotBudget: Math.floor(size * 1.5) });
    const outcomes = r.steps.slice(-5).map((x) => x.error?.code ?? 'ok');
    expect(outcomes).toEqual(['ok', 'ok', 'ok', 'INVALID_STATE', 'ok']);
    expect(r.steps.at(-2)!.error!.message).toMatch(/past the snapshot budget/);
    expect(r.failed).toBe(1);
    // With room for both, nothing fails.
    expect(runScenario(scenario(steps), { backends: BACKENDS, snapshotBudget: size * 3 }).failed).toBe(0);
  });

  it('restores a snapshot kept as text to the state it was taken in', () => {
    const r = runScenario(scenario([{ action: 'snapshot', name: 's' }, ...ROUND_TRIP, { action: 'restore', name: 's' }, { action: 'check', check: { irq: 40, active: false, pending: false } }]), {
      backends: BACKENDS,
    });
    expect(r.failed).toBe(0);
    expect(isVgicError(r.steps.find((x) => x.error)?.error)).toBe(false);
  });
});

describe('ChangeTracker', () => {
  it('says what diffViews of the whole machine before and after says, step after step', () => {
    const s = scenario([...ROUND_TRIP, { action: 'snapshot', name: 's' }, { action: 'inject', intid: 40 }, { action: 'run', vcpu: 1 }, { action: 'restore', name: 's' }]);
    let before = stateView(createToy({ vcpus: 2, spis: 32, lrs: 4 }));
    const mismatches: string[] = [];
    let changed = 0;
    runScenario(s, {
      backends: BACKENDS,
      onStep: (r, m) => {
        const after = stateView(m);
        const want = diffViews(before, after);
        before = after;
        if (want.length > 0) changed++;
        if (JSON.stringify(want) !== JSON.stringify(r.changes)) mismatches.push(`step ${r.index}: ${JSON.stringify(r.changes)} vs ${JSON.stringify(want)}`);
      },
    });
    expect(mismatches).toEqual([]);
    expect(changed).toBeGreaterThan(5);
  });

  it('reports nothing for a step that changes nothing, and the change of a single interrupt', () => {
    const m = createToy({ vcpus: 1, spis: 32, lrs: 4 });
    const t = new ChangeTracker(m);
    expect(t.changes()).toEqual([]);
    m.writeRegister('TDIST_ISENABLER1', 0x100);
    // A guest access: the vCPU enters first.
    expect(t.changes()).toEqual(['INTID 40: +enabled', 'vCPU0: entered']);
    expect(t.changes()).toEqual([]);
  });
});
