/**
 * A level-sensitive interrupt's pending state set by ISPENDR, as the GIC
 * architecture's state machine has it (IHI 0048B 3.2.4, IHI 0069 4.1) and
 * QEMU's models follow: the acknowledge ends it, after which the interrupt
 * is pending only while its line is high; set again while the interrupt is
 * active, it makes the interrupt pending and active, and the interrupt is
 * delivered again once deactivated. (KVM keeps the latch until the list
 * register empties, and drops a second one set meanwhile.)
 */
import { describe, expect } from 'vitest';
import type { ConformanceContext } from './context.js';

export const LEVEL_LATCH_TESTS: readonly string[] = ['trigger.level-ispendr-ack', 'trigger.level-ispendr-while-active'];

export function describeLevelLatch(c: ConformanceContext): void {
  const { guest } = c;

  describe('level interrupts pended by ISPENDR', () => {
    c.test('trigger.level-ispendr-ack', 'a level interrupt pended by ISPENDR, its line low, is no longer pending once acknowledged', () => {
      const m = c.boot();
      c.spi(m, 41, { edge: false });
      guest.setPending(m, 41);
      expect(m.irq(41)).toMatchObject({ pending: true, active: false });
      const t = c.take(m, 0);
      expect(t.intid).toBe(41);
      expect(m.irq(41)).toMatchObject({ pending: false, active: true });
      // The vCPU leaving and entering again changes nothing.
      m.exit(0);
      expect(m.irq(41)).toMatchObject({ pending: false, active: true });
      c.eoi(m, 0, t);
      expect(m.irq(41)).toMatchObject({ pending: false, active: false });
      expect(c.takeIntid(m, 0)).toBeGreaterThanOrEqual(1020);

      // With its line high it stays pending after the acknowledge, by the line.
      m.inject(41, 1);
      guest.setPending(m, 41);
      const u = c.take(m, 0);
      expect(u.intid).toBe(41);
      expect(m.irq(41)).toMatchObject({ pending: true, active: true });
      m.inject(41, 0);
      expect(m.irq(41)).toMatchObject({ pending: false, active: true });
      c.eoi(m, 0, u);
      expect(c.takeIntid(m, 0)).toBeGreaterThanOrEqual(1020);
    });

    c.test('trigger.level-ispendr-while-active', 'ISPENDR of an active level interrupt is delivered again after its deactivation', () => {
      for (const eoiMode of [0, 1] as const) {
        const m = c.boot({ eoiMode });
        c.spi(m, 41, { edge: false });
        guest.setPending(m, 41);
        const t = c.take(m, 0);
        expect(t.intid).toBe(41);
        guest.setPending(m, 41);
        expect(m.irq(41)).toMatchObject({ pending: true, active: true });
        expect(c.takeIntid(m, 0)).toBeGreaterThanOrEqual(1020);
        c.finish(m, 0, t, eoiMode);
        expect(c.drain(m, 0, eoiMode)).toEqual([41]);
        expect(m.irq(41)).toMatchObject({ pending: false, active: false });
      }
    });
  });
}
