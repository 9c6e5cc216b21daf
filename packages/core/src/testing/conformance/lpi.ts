/**
 * LPIs, for a backend that declares them (`limits.maxLpis`): mapped and
 * configured through core's LPI functions, as an ITS does, and taken by the
 * guest through its CPU interface like any other interrupt — delivered to
 * their target by priority, moved by a retarget, gone once unmapped, held
 * back while disabled. (Through an ITS's commands: the ITS's own suites.)
 */
import { describe, expect } from 'vitest';
import { lpiAllocate, lpiRelease, lpiSetConfig, lpiSetPending, lpiSetTarget, lpiSlot } from '../../lpi.js';
import type { Machine } from '../../machine.js';
import type { ConformanceContext } from './context.js';

export const LPI_TESTS: readonly string[] = [
  'lpi.deliver',
  'lpi.priority',
  'lpi.move',
  'lpi.move-active',
  'lpi.unmap',
  'lpi.disabled',
];

/** The first LPI INTID. */
const LPI = 8192;
/** An acknowledge with nothing to take (the raw IAR value's INTID). */
const SPURIOUS = 1023;

export function describeLpi(c: ConformanceContext): void {
  const { guest, test, boot, spi, skip } = c;

  /** A machine with LPIs brought up as an OS would, or the test skipped (no LPIs, or a guest in group 0). */
  function lpiMachine(vcpus = 2): Machine {
    const probe = c.target.create({ vcpus: 1 });
    const max = probe.backend.limits.maxLpis ?? 0;
    if (max === 0) skip(`${c.target.name} declares no LPIs (limits.maxLpis)`);
    if (guest.group !== 1) skip('LPIs are group 1 and this guest takes group 0');
    return boot({ vcpus, lpis: Math.min(64, max) });
  }

  /** LPI `intid` mapped, its property byte applied (enabled at `prio`), targeting `vcpu`. */
  function mapLpi(m: Machine, intid: number, vcpu: number, prio = 0xa0, enabled = true): number {
    const slot = lpiAllocate(m.vgic, intid);
    expect(slot, `LPI ${intid} mapped`).toBeGreaterThanOrEqual(0);
    lpiSetConfig(m.vgic, slot, prio | (enabled ? 1 : 0));
    lpiSetTarget(m.vgic, slot, vcpu);
    return slot;
  }

  /** Acknowledge on `vcpu`: the INTID, at LPI width (the raw IAR value, not its low 10 bits). */
  function takeRaw(m: Machine, vcpu: number): number {
    return guest.ackRaw(m, vcpu);
  }

  function finish(m: Machine, vcpu: number, raw: number): void {
    guest.eoi(m, vcpu, raw, raw);
  }

  /** Take and finish everything on `vcpu`, LPIs included; the INTIDs in the order taken. */
  function drainAll(m: Machine, vcpu: number): number[] {
    const out: number[] = [];
    for (let n = 0; n < 100; n++) {
      const raw = takeRaw(m, vcpu);
      if (raw >= 1020 && raw < LPI) return out;
      out.push(raw);
      finish(m, vcpu, raw);
    }
    return out;
  }

  describe('LPIs', () => {
    test('lpi.deliver', 'an LPI made pending is taken on its target vCPU, at its full INTID, once', () => {
      const m = lpiMachine();
      const slot = mapLpi(m, LPI + 5, 1);
      expect(lpiSetPending(m.vgic, slot)).toBe(true);
      expect(takeRaw(m, 0)).toBe(SPURIOUS);
      expect(drainAll(m, 1)).toEqual([LPI + 5]);
      expect(drainAll(m, 1)).toEqual([]);
      expect(m.irq(LPI + 5)).toMatchObject({ pending: false, active: false });
    });

    test('lpi.priority', 'LPIs and SPIs pending together are taken by priority', () => {
      const m = lpiMachine();
      spi(m, 40, { prio: 0x80, to: 0 });
      const low = mapLpi(m, LPI, 0, 0xc0);
      const high = mapLpi(m, LPI + 1, 0, 0x40);
      lpiSetPending(m.vgic, low);
      lpiSetPending(m.vgic, high);
      m.inject(40, 1);
      expect(drainAll(m, 0)).toEqual([LPI + 1, 40, LPI]);
    });

    test('lpi.move', 'a pending LPI retargeted before it is taken is delivered to its new vCPU', () => {
      const m = lpiMachine();
      const slot = mapLpi(m, LPI + 2, 0);
      lpiSetPending(m.vgic, slot);
      lpiSetTarget(m.vgic, slot, 1);
      expect(takeRaw(m, 0)).toBe(SPURIOUS);
      expect(drainAll(m, 1)).toEqual([LPI + 2]);
    });

    test('lpi.move-active', 'an LPI taken on one vCPU and retargeted is finished there; its next MSI goes to the new vCPU', () => {
      const m = lpiMachine();
      const slot = mapLpi(m, LPI + 3, 0);
      lpiSetPending(m.vgic, slot);
      const raw = takeRaw(m, 0);
      expect(raw).toBe(LPI + 3);
      lpiSetTarget(m.vgic, slot, 1);
      lpiSetPending(m.vgic, slot);
      finish(m, 0, raw);
      m.exit(0);
      expect(takeRaw(m, 0)).toBe(SPURIOUS);
      expect(drainAll(m, 1)).toEqual([LPI + 3]);
    });

    test('lpi.unmap', 'an LPI unmapped while pending is never taken; its slot then serves another INTID', () => {
      const m = lpiMachine(1);
      const slot = mapLpi(m, LPI + 4, 0);
      lpiSetPending(m.vgic, slot);
      lpiRelease(m.vgic, slot);
      expect(lpiSlot(m.vgic, LPI + 4)).toBe(-1);
      expect(lpiSetPending(m.vgic, slot)).toBe(false);
      expect(drainAll(m, 0)).toEqual([]);
      m.exit(0);
      const other = mapLpi(m, LPI + 40, 0);
      lpiSetPending(m.vgic, other);
      expect(drainAll(m, 0)).toEqual([LPI + 40]);
    });

    test('lpi.disabled', 'a pending LPI whose property byte disables it waits; enabling it delivers it', () => {
      const m = lpiMachine(1);
      const slot = mapLpi(m, LPI + 6, 0, 0xa0, false);
      lpiSetPending(m.vgic, slot);
      expect(takeRaw(m, 0)).toBe(SPURIOUS);
      lpiSetConfig(m.vgic, slot, 0xa1);
      expect(drainAll(m, 0)).toEqual([LPI + 6]);
    });
  });
}
