import { describe, expect, it } from 'vitest';
import { exampleById } from './examples.js';
import { errorText, openSession } from './session.js';

describe('openSession', () => {
  it("runs a file that loads, and lists its GIC's registers for the by-hand field", () => {
    const v3 = openSession(exampleById('02-first-interrupt-v3')!.text, '02.yaml');
    expect(v3.errors).toEqual([]);
    expect(v3.timeline?.length).toBe(15);
    expect(v3.registers).toEqual(expect.arrayContaining(['GICD_CTLR', 'GICD_ISENABLER0', 'GICD_IROUTER32', 'GICR_ISENABLER0', 'ICC_IAR1_EL1']));
    expect(v3.registers).not.toContain('GICC_IAR');
    const v2 = openSession(exampleById('01-first-interrupt-v2')!.text, '01.yaml');
    expect(v2.registers).toEqual(expect.arrayContaining(['GICC_IAR', 'GICD_ITARGETSR0']));
    expect(v2.registers).not.toContain('ICC_IAR1_EL1');
  });

  it("keeps a file that does not load unrun, with the loader's FILE:LINE:COL messages", () => {
    const s = openSession('gic: v3\nvcpus: 1\nsteps:\n  - read: GICD_TYPR\n', 'picked.yaml');
    expect([s.scenario, s.timeline]).toEqual([null, null]);
    expect(s.errors.map(errorText)).toEqual(['picked.yaml:4:11: step 1: unknown register GICD_TYPR on GICv3 — did you mean GICD_TYPER?']);
  });
});
