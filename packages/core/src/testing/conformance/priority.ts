/**
 * Priority: the order pending interrupts are taken in, the highest pending
 * priority read without acknowledging, the priority mask, and preemption
 * of an active interrupt by group priority (the binary point).
 */
import { describe, expect } from 'vitest';
import { LR_COUNTS, SPURIOUS, type ConformanceContext } from './context.js';

export const PRIORITY_TESTS: readonly string[] = [
  'priority.order',
  'priority.hppir',
  'pmr.masking',
  'pmr.zero',
  'preemption.nesting',
  'preemption.binary-point',
];

export function describePriority(c: ConformanceContext): void {
  const { guest, test, boot, spi, take, takeIntid, eoi, drain, bprFor } = c;

  describe('priority', () => {
    for (const lrs of LR_COUNTS) {
      test('priority.order', `pending interrupts are taken by priority, then by INTID (${lrs} LRs)`, () => {
        const m = boot({ lrs });
        const prios = [0xa0, 0x20, 0x60, 0x60, 0xf0, 0x00];
        prios.forEach((prio, i) => spi(m, 40 + i, { prio }));
        for (let i = 0; i < prios.length; i++) m.inject(40 + i, 1);
        expect(drain(m, 0)).toEqual([45, 41, 42, 43, 40, 44]);
      });
    }

    test('priority.hppir', 'the highest-priority pending interrupt can be read without acknowledging it', () => {
      const m = boot();
      spi(m, 40, { prio: 0x80 });
      spi(m, 41, { prio: 0x40 });
      m.inject(40, 1);
      m.inject(41, 1);
      expect(guest.highestPending(m, 0)).toBe(41);
      expect(guest.highestPending(m, 0)).toBe(41);
      expect(drain(m, 0)).toEqual([41, 40]);
      expect(guest.highestPending(m, 0)).toBe(SPURIOUS);
    });
  });

  describe('priority mask', () => {
    test('pmr.masking', 'an interrupt at or below the priority mask waits until the mask is raised', () => {
      const m = boot();
      guest.setPmr(m, 0, 0x80);
      spi(m, 40, { prio: 0x80 });
      spi(m, 41, { prio: 0x78 });
      m.inject(40, 1);
      expect(takeIntid(m, 0)).toBe(SPURIOUS);
      expect(m.irqLine(0) || m.fiqLine(0)).toBe(false);
      expect(m.hasPending(0)).toBe(false);
      m.inject(41, 1);
      expect(drain(m, 0)).toEqual([41]);
      guest.setPmr(m, 0, 0xff);
      expect(m.hasPending(0)).toBe(true);
      expect(drain(m, 0)).toEqual([40]);
    });

    test('pmr.zero', 'a priority mask of 0 holds back even priority 0', () => {
      const m = boot();
      guest.setPmr(m, 0, 0);
      spi(m, 40, { prio: 0 });
      m.inject(40, 1);
      expect(takeIntid(m, 0)).toBe(SPURIOUS);
      guest.setPmr(m, 0, 0xff);
      expect(drain(m, 0)).toEqual([40]);
    });
  });

  describe('preemption', () => {
    test('preemption.nesting', 'only a higher priority preempts an active interrupt', () => {
      const m = boot();
      spi(m, 40, { prio: 0x80 });
      spi(m, 41, { prio: 0x80 });
      spi(m, 42, { prio: 0xc0 });
      spi(m, 43, { prio: 0x40 });
      m.inject(40, 1);
      const a = take(m, 0);
      expect(a.intid).toBe(40);
      m.inject(41, 1);
      m.inject(42, 1);
      expect(takeIntid(m, 0)).toBe(SPURIOUS);
      m.inject(43, 1);
      const b = take(m, 0);
      expect(b.intid).toBe(43);
      expect(guest.runningPriority(m, 0)).toBe(0x40);
      eoi(m, 0, b);
      expect(guest.runningPriority(m, 0)).toBe(0x80);
      expect(takeIntid(m, 0)).toBe(SPURIOUS);
      eoi(m, 0, a);
      expect(drain(m, 0)).toEqual([41, 42]);
    });

    test('preemption.binary-point', 'the binary point groups priorities: no preemption within a group priority', () => {
      const m = boot();
      guest.setBpr(m, 0, bprFor(5));
      spi(m, 40, { prio: 0x50 });
      spi(m, 41, { prio: 0x48 });
      spi(m, 42, { prio: 0x30 });
      m.inject(40, 1);
      const a = take(m, 0);
      expect(a.intid).toBe(40);
      expect(guest.runningPriority(m, 0)).toBe(0x40);
      m.inject(41, 1);
      expect(takeIntid(m, 0)).toBe(SPURIOUS);
      m.inject(42, 1);
      const b = take(m, 0);
      expect(b.intid).toBe(42);
      expect(guest.runningPriority(m, 0)).toBe(0x20);
      eoi(m, 0, b);
      eoi(m, 0, a);
      expect(drain(m, 0)).toEqual([41]);

      // With the smallest binary point every implemented priority bit counts.
      const n = boot();
      spi(n, 40, { prio: 0x50 });
      spi(n, 41, { prio: 0x48 });
      n.inject(40, 1);
      const c = take(n, 0);
      n.inject(41, 1);
      const d = take(n, 0);
      expect([c.intid, d.intid]).toEqual([40, 41]);
      eoi(n, 0, d);
      eoi(n, 0, c);
    });
  });
}
