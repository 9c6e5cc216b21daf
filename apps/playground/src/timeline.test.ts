import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BACKENDS, loadScenario } from '@vgic/cli/load';
import { runScenario, stateView, type Scenario } from '@vgic/core';
import { describe, expect, it } from 'vitest';
import { buildTimeline } from './timeline.js';

function example(id: string): Scenario {
  const r = loadScenario(readFileSync(join(import.meta.dirname, `../../../examples/${id}.yaml`), 'utf8'), `${id}.yaml`, { backends: BACKENDS });
  if (!r.ok) throw new Error(r.errors[0]!.message);
  return r.scenario;
}

describe('buildTimeline', () => {
  it('shows at every step, in any order, the machine a run stopped after that step leaves', () => {
    for (const id of ['02-first-interrupt-v3', '07-ipi-v2', '10-lr-overflow-active', '11-migration']) {
      const s = example(id);
      const t = buildTimeline(s, BACKENDS);
      expect(t.length).toBe(s.steps.length);
      expect(t.truncated).toBe(false);
      const order = [...Array(t.length + 1).keys()].reverse();
      for (const k of [...order, 0, t.length, 1]) {
        expect(t.view(k), `${id} step ${k}`).toEqual(stateView(runScenario(s, { backends: BACKENDS, until: k }).machine));
      }
    }
  });

  it("keeps each step's record with its trace events, and the run's totals", () => {
    const t = buildTimeline(example('02-first-interrupt-v3'), BACKENDS);
    const ack = t.records[9]!;
    expect(ack.action).toBe('vCPU0 read ICC_IAR1_EL1');
    expect(ack.read).toBe(40n);
    expect(ack.events?.map((e) => e.type)).toEqual(['flush', 'line', 'line', 'ack']);
    expect(t.view(10).vcpus[0]!.lrs.map((lr) => [lr.intid, lr.state])).toEqual([[40, 2]]);
    expect(t.view(9).vcpus[0]!.lrs).toEqual([]);
    expect([t.passed, t.failed]).toEqual([7, 0]);
  });

  it('keeps as many steps as its byte budget holds, and says it left some out', () => {
    const s = example('02-first-interrupt-v3');
    const bytes = runScenario(s, { backends: BACKENDS, until: 0 }).machine.vgic.buffer.byteLength;
    // Five copies: the reset state and four steps.
    const t = buildTimeline(s, BACKENDS, bytes * 5);
    expect(t.length).toBe(4);
    expect(t.truncated).toBe(true);
    expect(t.view(99)).toEqual(t.view(4));
  });
});
