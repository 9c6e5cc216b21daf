/**
 * EOImode 0 and 1: whether EOI deactivates or only drops the running
 * priority, and DIR — in any order, and from another vCPU for an SPI.
 */
import { describe, expect } from 'vitest';
import { IDLE, SPURIOUS, type ConformanceContext } from './context.js';

export const EOIMODE_TESTS: readonly string[] = [
  'eoimode.0',
  'eoimode.1',
  'eoimode.1-any-order',
  'eoimode.1-dir-other-vcpu',
];

export function describeEoiMode(c: ConformanceContext): void {
  const { guest, other, test, boot, spi, take, takeIntid, eoi, drain } = c;

  describe('EOImode', () => {
    test('eoimode.0', 'EOImode 0: EOI drops the running priority and deactivates', () => {
      const m = boot();
      spi(m, 40, { prio: 0xa0 });
      m.inject(40, 1);
      const t = take(m, 0);
      expect(guest.runningPriority(m, 0)).toBe(0xa0);
      eoi(m, 0, t);
      expect(guest.runningPriority(m, 0)).toBe(IDLE);
      expect(m.irq(40).active).toBe(false);
    });

    test('eoimode.1', 'EOImode 1: EOI only drops the priority; DIR deactivates', () => {
      const m = boot({ eoiMode: 1 });
      spi(m, 40, { prio: 0xa0 });
      m.inject(40, 1);
      const t = take(m, 0);
      eoi(m, 0, t);
      expect(guest.runningPriority(m, 0)).toBe(IDLE);
      expect(m.irq(40).active).toBe(true);
      m.inject(40, 0);
      m.inject(40, 1);
      expect(takeIntid(m, 0)).toBe(SPURIOUS);
      guest.dir(m, 0, t.intid, t.raw);
      expect(m.irq(40).active).toBe(false);
      expect(drain(m, 0, 1)).toEqual([40]);
    });

    test('eoimode.1-any-order', 'EOImode 1: interrupts may be deactivated in any order', () => {
      const m = boot({ eoiMode: 1 });
      spi(m, 40, { prio: 0xa0 });
      spi(m, 41, { prio: 0x20 });
      m.inject(40, 1);
      const a = take(m, 0);
      m.inject(41, 1);
      const b = take(m, 0);
      expect([a.intid, b.intid]).toEqual([40, 41]);
      eoi(m, 0, b);
      eoi(m, 0, a);
      expect(guest.runningPriority(m, 0)).toBe(IDLE);
      guest.dir(m, 0, a.intid, a.raw);
      expect(m.irq(40).active).toBe(false);
      expect(m.irq(41).active).toBe(true);
      guest.dir(m, 0, b.intid, b.raw);
      expect(m.irq(41).active).toBe(false);
      expect(takeIntid(m, 0)).toBe(SPURIOUS);
    });

    test('eoimode.1-dir-other-vcpu', 'EOImode 1: another vCPU may deactivate an SPI', () => {
      const m = boot({ vcpus: 2, eoiMode: 1 });
      spi(m, 40, { to: 0 });
      guest.setPending(m, 40);
      const t = take(m, 0);
      expect(t.intid).toBe(40);
      eoi(m, 0, t);
      guest.dir(m, 1, 40);
      expect(m.irq(40).active).toBe(false);
      m.inject(40, 1);
      expect(drain(m, 0, 1)).toEqual([40]);
    });
  });
}
