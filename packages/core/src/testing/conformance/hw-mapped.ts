/**
 * Hardware-mapped interrupts: the guest's EOI (EOImode 0) or DIR (EOImode 1)
 * deactivates the host interrupt, also for a PPI and for one deactivated
 * outside the list registers.
 */
import { describe, expect } from 'vitest';
import type { Machine } from '../../machine.js';
import type { ConformanceContext } from './context.js';

export const HW_MAPPED_TESTS: readonly string[] = [
  'hw.eoi',
  'hw.dir',
  'hw.ppi',
  'hw.outside-lrs',
];

export function describeHwMapped(c: ConformanceContext): void {
  const { guest, test, boot, spi, take, eoi } = c;

  describe('hardware-mapped interrupts', () => {
    function hwMachine(eoiMode: 0 | 1, lrs = 4): { m: Machine; calls: number[][] } {
      const m = boot({ vcpus: 2, eoiMode, lrs });
      const calls: number[][] = [];
      m.onHostDeactivate((host, intid, vcpu) => calls.push([host, intid, vcpu]));
      return { m, calls };
    }

    test('hw.eoi', "EOI of a hardware-mapped interrupt deactivates its host interrupt (EOImode 0)", () => {
      const { m, calls } = hwMachine(0);
      spi(m, 40, { to: 1 });
      m.mapHw(40, 60);
      m.inject(40, 1);
      const t = take(m, 1);
      expect(calls).toEqual([]);
      eoi(m, 1, t);
      expect(calls).toEqual([[60, 40, 1]]);
      expect(m.irq(40).active).toBe(false);
    });

    test('hw.dir', 'with EOImode 1 the host interrupt is deactivated by DIR, not by EOI', () => {
      const { m, calls } = hwMachine(1);
      spi(m, 40, { to: 1 });
      m.mapHw(40, 60);
      m.inject(40, 1);
      const t = take(m, 1);
      eoi(m, 1, t);
      expect(calls).toEqual([]);
      guest.dir(m, 1, t.intid, t.raw);
      expect(calls).toEqual([[60, 40, 1]]);
    });

    test('hw.ppi', 'a hardware-mapped PPI (a timer) is deactivated at the host', () => {
      const { m, calls } = hwMachine(0);
      guest.enable(m, 27, 1);
      m.mapHw(27, 27, 1);
      m.inject(27, 1, 1);
      const t = take(m, 1);
      expect(t.intid).toBe(27);
      m.inject(27, 0, 1);
      eoi(m, 1, t);
      expect(calls).toEqual([[27, 27, 1]]);
    });

    test('hw.outside-lrs', 'a hardware-mapped interrupt deactivated outside the list registers still reaches the host', () => {
      const { m, calls } = hwMachine(0, 1);
      spi(m, 40, { to: 1, prio: 0xa0 });
      spi(m, 41, { to: 1, prio: 0x20 });
      m.mapHw(40, 60);
      m.inject(40, 1);
      const a = take(m, 1);
      m.inject(41, 1);
      const b = take(m, 1);
      expect([a.intid, b.intid]).toEqual([40, 41]);
      eoi(m, 1, b);
      eoi(m, 1, a);
      expect(calls).toEqual([[60, 40, 1]]);
      m.exit(1);
      expect(m.irq(40).active).toBe(false);
    });
  });
}
