/**
 * LPIs, for a backend that declares them (`limits.maxLpis`): mapped and
 * configured through core's LPI functions, as an ITS does, and taken by the
 * guest through its CPU interface like any other interrupt — delivered to
 * their target by priority, moved by a retarget, gone once unmapped, held
 * back while disabled.
 *
 * And MSIs, for a backend that takes them (`GicBackend.msi`) and whose guest
 * has an LPI driver (`GuestOps.lpi`): the guest brings its translation
 * service up and maps, moves and discards through the driver's commands; a
 * device's MSI (`signalMsi`) is translated to its LPI and taken where the
 * translation says. (Every field of every command: the backend's own suites.)
 */
import { describe, expect } from 'vitest';
import { lpiAllocate, lpiRelease, lpiSetConfig, lpiSetPending, lpiSetTarget, lpiSlot } from '../../lpi.js';
import type { Machine } from '../../machine.js';
import type { GuestRam, LpiDriver, LpiPlan } from '../lpi-guest.js';
import type { ConformanceContext } from './context.js';

export const LPI_TESTS: readonly string[] = [
  'lpi.deliver',
  'lpi.priority',
  'lpi.move',
  'lpi.move-active',
  'lpi.unmap',
  'lpi.disabled',
  'msi.deliver',
  'msi.coalesce',
  'msi.move',
  'msi.move-all',
  'msi.discard',
  'msi.invalidate',
  'msi.unmapped',
];

/** Where the guest's RAM for its LPI and translation tables sits. */
const RAM_BASE = 0x4000_0000;
/** Two vCPUs, two devices of four events: event e of device d lands on vCPU (4d + e) mod 2 at bring-up. */
const PLAN: LpiPlan = { vcpus: 2, devices: 2, eventsPerDevice: 4 };

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

  /** A machine whose guest brought LPIs and its translation service up for PLAN, and the guest's driver (commands from vCPU 0); or the test skipped. */
  function msiMachine(): { m: Machine; drv: LpiDriver; intid: (device: number, event: number) => number } {
    const lpi = guest.lpi;
    if (lpi === undefined) return skip(`${c.target.name}'s guest has no LPI driver (GuestOps.lpi)`);
    const ram: GuestRam = { base: RAM_BASE, buffer: new ArrayBuffer(lpi.ramBytes(PLAN)) };
    const m = boot({ vcpus: PLAN.vcpus, options: { ...lpi.machineOptions(PLAN), guestMemory: [{ base: ram.base, buffer: ram.buffer }] } });
    if (m.backend.msi === undefined) skip(`${c.target.name} takes no MSIs (GicBackend.msi)`);
    lpi.setUp(m, ram, PLAN);
    return { m, drv: lpi.driver(m, ram, PLAN, 0), intid: (d, e) => lpi.intidOf(PLAN, d, e) };
  }

  describe('MSIs through the translation service', () => {
    test('msi.deliver', "a device's MSI is translated to its LPI and taken, once, on the vCPU of its collection", () => {
      const { m, intid } = msiMachine();
      expect(m.signalMsi(0, 1)).toBe(true);
      expect(takeRaw(m, 0)).toBe(SPURIOUS);
      expect(drainAll(m, 1)).toEqual([intid(0, 1)]);
      expect(drainAll(m, 1)).toEqual([]);
    });

    test('msi.coalesce', 'two MSIs of one event before the guest takes its LPI are one interrupt', () => {
      const { m, intid } = msiMachine();
      expect(m.signalMsi(1, 2)).toBe(true);
      m.signalMsi(1, 2);
      expect(drainAll(m, 0)).toEqual([intid(1, 2)]);
      expect(m.signalMsi(1, 2)).toBe(true);
      expect(drainAll(m, 0)).toEqual([intid(1, 2)]);
    });

    test('msi.move', 'an event moved to a collection on another vCPU (MOVI) is taken there, pending or not', () => {
      const { m, drv, intid } = msiMachine();
      m.signalMsi(0, 0);
      drv.move(0, 0, 1);
      expect(takeRaw(m, 0)).toBe(SPURIOUS);
      expect(drainAll(m, 1)).toEqual([intid(0, 0)]);
      m.signalMsi(0, 0);
      expect(takeRaw(m, 0)).toBe(SPURIOUS);
      expect(drainAll(m, 1)).toEqual([intid(0, 0)]);
    });

    test('msi.move-all', "moving all of a vCPU's LPIs to another (MOVALL) takes their pending state with them", () => {
      const { m, drv, intid } = msiMachine();
      m.signalMsi(0, 0);
      m.signalMsi(1, 0);
      drv.moveAll(0, 1);
      drv.sync(1);
      expect(takeRaw(m, 0)).toBe(SPURIOUS);
      expect(drainAll(m, 1).sort((a, b) => a - b)).toEqual([intid(0, 0), intid(1, 0)]);
    });

    test('msi.discard', 'a discarded event loses its pending LPI, and its next MSI is dropped', () => {
      const { m, drv } = msiMachine();
      m.signalMsi(0, 2);
      drv.discard(0, 2);
      expect(drainAll(m, 0)).toEqual([]);
      expect(m.signalMsi(0, 2)).toBe(false);
      expect(drainAll(m, 0)).toEqual([]);
    });

    test('msi.invalidate', "a property byte the guest changed counts once it invalidates the LPI (INV): disabled, the MSI waits; enabled, it is taken", () => {
      const { m, drv, intid } = msiMachine();
      drv.config(intid(0, 3), 0xa0, false);
      drv.invalidate(0, 3);
      m.signalMsi(0, 3);
      expect(drainAll(m, 1)).toEqual([]);
      drv.config(intid(0, 3), 0xa0, true);
      drv.invalidate(0, 3);
      expect(drainAll(m, 1)).toEqual([intid(0, 3)]);
    });

    test('msi.unmapped', 'an MSI from an unmapped device, or of an event past its table, is dropped and changes nothing', () => {
      const { m } = msiMachine();
      expect(m.signalMsi(PLAN.devices + 5, 0)).toBe(false);
      expect(m.signalMsi(0, 1 << 20)).toBe(false);
      expect(m.signalMsi(0xffffffff, 0xffffffff)).toBe(false);
      expect(drainAll(m, 0)).toEqual([]);
      expect(drainAll(m, 1)).toEqual([]);
      expect(m.signalMsi(0, 0)).toBe(true);
    });
  });
}
