import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BACKENDS, loadScenario } from '@vgic/cli/load';
import type { Scenario } from '@vgic/core';
import { describe, expect, it } from 'vitest';
import { insertStep, type StepFields } from './add-step.js';

const EXAMPLE = readFileSync(join(import.meta.dirname, '../../../examples/02-first-interrupt-v3.yaml'), 'utf8');

function load(text: string): Scenario {
  const r = loadScenario(text, 'x.yaml', { backends: BACKENDS });
  if (!r.ok) throw new Error(r.errors.map((e) => `${e.line}:${e.col}: ${e.message}`).join('\n'));
  return r.scenario;
}

function withoutPos(s: Scenario): unknown[] {
  return s.steps.map(({ pos: _, ...rest }) => rest);
}

const TAKE: StepFields = [['read', 'ICC_IAR1_EL1'], ['vcpu', 1]];

describe('insertStep', () => {
  it('puts the step after any step of the file, which loads with every other step as it was', () => {
    const before = load(EXAMPLE);
    for (let after = 0; after <= before.steps.length; after++) {
      const r = insertStep(EXAMPLE, before, after, TAKE);
      if ('error' in r) throw new Error(r.error);
      const steps = withoutPos(load(r.text));
      const expected = withoutPos(before);
      expected.splice(after, 0, { action: 'read', register: 'ICC_IAR1_EL1', vcpu: 1 });
      expect(steps, `after step ${after}`).toEqual(expected);
      // The text around it is kept, comments included.
      expect(r.text.split('\n').length).toBe(EXAMPLE.split('\n').length + 2);
    }
  });

  it("keeps a step's comment with the step: the new one goes before the comments that lead to the next", () => {
    const text = 'gic: v3\nvcpus: 1\nsteps:\n  - inject: 40\n\n  # take it\n  - read: ICC_IAR1_EL1\n';
    const r = insertStep(text, load(text), 1, [['inject', 41]]);
    expect(r).toEqual({ text: 'gic: v3\nvcpus: 1\nsteps:\n  - inject: 40\n  - inject: 41\n\n  # take it\n  - read: ICC_IAR1_EL1\n' });
  });

  it('writes at the indentation of the steps, among flow-map steps too, and before keys that follow the list', () => {
    const text = 'gic: v3\nvcpus: 1\nsteps:\n- { inject: 40 }\n- { read: ICC_IAR1_EL1, expect: 40 }\nname: after the steps\n';
    const r = insertStep(text, load(text), 2, [['write', 'ICC_EOIR1_EL1'], ['value', '0x28']]);
    expect(r).toEqual({ text: 'gic: v3\nvcpus: 1\nsteps:\n- { inject: 40 }\n- { read: ICC_IAR1_EL1, expect: 40 }\n- write: ICC_EOIR1_EL1\n  value: 0x28\nname: after the steps\n' });
    expect(load((r as { text: string }).text).steps).toHaveLength(3);
  });

  it('says why it cannot add to a file whose steps are not a block list', () => {
    const json = '{"gic": "v3", "vcpus": 1, "steps": [{"inject": 40}]}';
    expect(insertStep(json, load(json), 1, TAKE)).toEqual({ error: expect.stringContaining('list of "- " items') });
    const none = 'gic: v3\nvcpus: 1\nsteps: []\n';
    expect(insertStep(none, load(none), 0, TAKE)).toEqual({ error: expect.stringContaining('has none') });
  });
});
