import { saveMachine } from '@vgic/core';
import { describe, expect, it } from 'vitest';
import { BACKENDS } from '../src/backends.js';
import { V3_PREAMBLE, scenarioFile, vgic } from './helpers.js';

const SCENARIO = `${V3_PREAMBLE}  - inject: 40
  - read: ICC_IAR1_EL1
    expect: 40
  - write: ICC_EOIR1_EL1
    value: 40
`;

describe('vgic inspect', () => {
  it('prints the machine after the step asked for: interrupts, ap_list, LRs decoded and encoded, CPU interface, registers', async () => {
    const file = scenarioFile(SCENARIO);
    const r = await vgic(['inspect', file, '--step', '7']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('after step 7 of 8: vCPU0 read ICC_IAR1_EL1');
    expect(r.out).toMatch(/\n\s+40 -\s+\.AE\s+0xa0\s+1\s+edge\s+0\.0\.0\.0\s+vCPU0\s+vCPU0\s+LR0\s+-\n/);
    expect(r.out).toMatch(/ap_list {2}40\n/);
    expect(r.out).toMatch(/LR0\s+40 active priority 0xa0, group 1\s+= 0x90a000000000002[8]/);
    expect(r.out).toContain('PMR 0xf8  RPR 0xa0');
    expect(r.out).toMatch(/GICD_CTLR\s+0x000000[15]2/);
    expect(r.out).toMatch(/GICR_TYPER\s+0x0000000100000110/);
  });

  it('shows only interrupts out of their reset state unless --all', async () => {
    const file = scenarioFile(SCENARIO);
    const some = await vgic(['inspect', file, '--step', '0']);
    expect(some.out).toContain('none: every interrupt is as reset');
    const all = await vgic(['inspect', file, '--step', '0', '--all']);
    expect(all.out).toMatch(/\n\s+95 -/);
    expect(all.out).toMatch(/GICD_ISENABLER1\s+0x00000000/);
  });

  it('runs to the end by default, and refuses a step beyond it', async () => {
    const file = scenarioFile(SCENARIO);
    expect((await vgic(['inspect', file])).out).toContain('after step 8 of 8');
    expect((await vgic(['inspect', file, '--step', '9'])).code).toBe(2);
    expect((await vgic(['inspect', file, '--step', 'x'])).code).toBe(2);
  });

  it('prints JSON with --json', async () => {
    const file = scenarioFile(SCENARIO);
    const r = await vgic(['inspect', file, '--step', '7', '--json']);
    const doc = JSON.parse(r.out) as { step: number; machine: { gic: string; interrupts: { intid: number; active: boolean; vcpu: number | null }[]; cpus: { apList: number[]; lrs: { encoded: string }[] }[] } };
    expect(doc.step).toBe(7);
    expect(doc.machine.gic).toBe('v3');
    expect(doc.machine.interrupts.find((i) => i.intid === 40 && i.vcpu === null)?.active).toBe(true);
    expect(doc.machine.cpus[0]!.apList).toEqual([40]);
    expect(doc.machine.cpus[0]!.lrs[0]!.encoded).toMatch(/^0x/);
  });

  it('prints a saved GIC document', async () => {
    const m = BACKENDS['v2']!({ vcpus: 2, spis: 32, lrs: 4 });
    m.writeRegister('GICD_CTLR', 1);
    m.writeRegister('GICD_ISENABLER1', 0x100);
    m.writeRegister('GICD_ITARGETSR10', 0x2);
    m.inject(40, 1);
    const file = scenarioFile(JSON.stringify(saveMachine(m)), 'json');
    const r = await vgic(['inspect', file]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('a saved GIC');
    expect(r.out).toContain('GICv2: 2 vCPUs');
    expect(r.out).toMatch(/\n\s+40 -\s+P\.E/);
  });

  it('places a saved GIC that does not restore at the value at fault', async () => {
    const m = BACKENDS['v2']!({ vcpus: 2, spis: 32, lrs: 4 });
    const doc = saveMachine(m) as unknown as { spis: { priority: unknown }[] };
    doc.spis[3]!.priority = 'loud';
    const text = JSON.stringify(doc, null, 2);
    const file = scenarioFile(text, 'json');
    const r = await vgic(['inspect', file]);
    expect(r.code).toBe(2);
    const lines = text.split('\n');
    const line = lines.findIndex((l) => l.includes('"loud"')) + 1;
    const col = lines[line - 1]!.indexOf('"loud"') + 1;
    expect(r.err).toContain(`${file}:${line}:${col}: not a scenario, and not a saved GIC that can be restored: the snapshot does not match its schema: $.spis[3].priority`);
  });

  it('exits 2 for a file that is neither a scenario nor a saved GIC', async () => {
    const file = scenarioFile(JSON.stringify({ version: 99, gic: 'v2' }), 'json');
    const r = await vgic(['inspect', file]);
    expect(r.code).toBe(2);
    expect(r.err).toContain('not a scenario, and not a saved GIC');
  });

  it('lists no free LPI slot, even with --all: a machine with LPI capacity shows the same interrupts as one without', async () => {
    const rows = (out: string): number => out.split('\n').filter((l) => /^\s+\d+ (vCPU\d+|-)\s/.test(l)).length;
    const plain = await vgic(['inspect', '--all', scenarioFile('gic: v3\nvcpus: 1\nsteps: []\n')]);
    const withLpis = await vgic(['inspect', '--all', scenarioFile('gic: v3\nvcpus: 1\nlpis: 64\nsteps: []\n')]);
    expect(withLpis.code).toBe(0);
    expect(rows(plain.out)).toBe(64);
    expect(rows(withLpis.out)).toBe(64);
    const json = JSON.parse((await vgic(['inspect', '--json', scenarioFile('gic: v3\nvcpus: 1\nlpis: 64\nsteps: []\n')])).out) as { machine: { interrupts: unknown[] } };
    expect(json.machine.interrupts).toHaveLength(64);
  });
});
