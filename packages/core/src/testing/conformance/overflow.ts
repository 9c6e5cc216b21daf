/**
 * More interrupts than list registers: pending ones, all sixteen SGIs and
 * nested active ones are each delivered and deactivated once, in order,
 * whatever the number of list registers.
 */
import { describe, expect } from 'vitest';
import { IDLE, LR_COUNTS, SPURIOUS, type ConformanceContext, type Taken } from './context.js';

export const OVERFLOW_TESTS: readonly string[] = [
  'overflow.pending',
  'overflow.sgis',
  'overflow.active',
];

export function describeOverflow(c: ConformanceContext): void {
  const { guest, test, boot, spi, take, takeIntid, eoi, drain } = c;

  describe('list-register overflow', () => {
    for (const lrs of LR_COUNTS) {
      test('overflow.pending', `more pending interrupts than list registers are all delivered, in order (${lrs} LRs)`, () => {
        const m = boot({ lrs });
        const n = 2 * lrs + 3;
        const expected: { intid: number; prio: number }[] = [];
        for (let i = 0; i < n; i++) {
          const prio = (i % 31) << 3;
          spi(m, 40 + i, { prio });
          expected.push({ intid: 40 + i, prio });
        }
        for (let i = 0; i < n; i++) m.inject(40 + i, 1);
        expected.sort((a, b) => a.prio - b.prio || a.intid - b.intid);
        expect(drain(m, 0)).toEqual(expected.map((e) => e.intid));
      });

      test('overflow.sgis', `all sixteen SGIs at once are each delivered once (${lrs} LRs)`, () => {
        const m = boot({ vcpus: 2, lrs });
        for (let i = 0; i < 16; i++) {
          guest.setPriority(m, i, (i + 1) * 8, 1);
          guest.enable(m, i, 1);
        }
        for (let i = 15; i >= 0; i--) guest.sendSgi(m, 0, [1], i);
        expect(drain(m, 1)).toEqual([...Array(16).keys()]);
        expect(takeIntid(m, 0)).toBe(SPURIOUS);
      });

      for (const eoiMode of [0, 1] as const) {
        test('overflow.active', `31 nested active interrupts with ${lrs} LRs are all EOI'd and deactivated (EOImode ${eoiMode})`, () => {
          const m = boot({ lrs, eoiMode });
          const taken: Taken[] = [];
          for (let i = 0; i < 31; i++) spi(m, 40 + i, { prio: 0xf0 - 8 * i });
          for (let i = 0; i < 31; i++) {
            m.inject(40 + i, 1);
            const t = take(m, 0);
            expect(t.intid).toBe(40 + i);
            taken.push(t);
          }
          expect(guest.runningPriority(m, 0)).toBe(0x00);
          for (let i = 0; i < 31; i++) expect(m.irq(40 + i).active).toBe(true);
          for (let i = 30; i >= 0; i--) {
            eoi(m, 0, taken[i]!);
            expect(guest.runningPriority(m, 0)).toBe(i === 0 ? IDLE : 0xf0 - 8 * (i - 1));
          }
          if (eoiMode === 1) for (const t of taken) guest.dir(m, 0, t.intid, t.raw);
          m.exit(0);
          for (let i = 0; i < 31; i++) expect(m.irq(40 + i)).toMatchObject({ active: false, pending: false });
          expect(m.vcpu(0).apr.every((w) => w === 0)).toBe(true);
          expect(guest.runningPriority(m, 0)).toBe(IDLE);
          expect(takeIntid(m, 0)).toBe(SPURIOUS);
        });
      }
    }
  });
}
