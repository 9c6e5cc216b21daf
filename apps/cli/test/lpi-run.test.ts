/** `vgic run` and `vgic inspect` on a machine with LPIs and an ITS. */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { vgic } from './helpers.js';

const MSI_EXAMPLE = join(import.meta.dirname, '../../../examples/14-msi-to-a-vcpu.yaml');

describe('vgic run with an ITS', () => {
  it('prints a line for each poke, peek, its and msi step, with what it read or came to and what changed', async () => {
    const r = await vgic(['run', MSI_EXAMPLE]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/ poke 0x40000000 \(8-bit\) = 0xa3\n/);
    expect(r.out).toMatch(/ vCPU0 its MAPD device 1 itt 0x40080000 size 4 valid 1\b/);
    expect(r.out).toMatch(/ peek 0x40070000 \(64-bit\) → 0x100000008 \(4294967304\) {2}✓ expect 0x100000008\n/);
    expect(r.out).toMatch(/ msi device 1 event 5 → delivered {2}— INTID 8192: \+pending, queued vCPU1; vCPU1: ap_list \[8192\]\n/);
    expect(r.out).toMatch(/ msi device 1 event 6 → dropped\n/);
    expect(r.out).toContain('\n10 passed, 0 failed\n');
  });
});

describe('vgic inspect with an ITS', () => {
  it('shows the ITS: its queue, devices, collections and translations, and the LPI among the interrupts', async () => {
    const r = await vgic(['inspect', MSI_EXAMPLE, '--step', '21']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/\nITS {2}enabled · CBASER 0x980000004007000f · CWRITER 0x60 · CREADR 0x60\n/);
    expect(r.out).toContain('  devices      1: ITT 0x40080000, 4 EventID bits\n');
    expect(r.out).toContain('  collections  0 → vCPU1\n');
    expect(r.out).toContain('  translations device 1 event 5 → LPI 8192, collection 0\n');
    expect(r.out).toMatch(/\n\s+8192 -\s+P\.E\s+0xa0\s+1\s+edge\s+0\.0\.0\.1\s+vCPU1\s+vCPU1\s+-/);
  });

  it('gives the ITS in --json, its registers as hex strings', async () => {
    const r = await vgic(['inspect', MSI_EXAMPLE, '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out) as { machine: { its: { enabled: boolean; cbaser: string; translations: unknown[] } } };
    expect(doc.machine.its).toMatchObject({ enabled: true, cbaser: '0x980000004007000f', translations: [{ device: 1, event: 5, intid: 8192, collection: 0 }] });
  });

  it('shows no ITS section on a machine without one', async () => {
    const r = await vgic(['inspect', join(import.meta.dirname, '../../../examples/02-first-interrupt-v3.yaml')]);
    expect(r.out).not.toMatch(/\nITS /);
  });
});
