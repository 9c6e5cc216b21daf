/**
 * An EOI (EOImode 0) deactivates only the interrupt whose group and group
 * priority match the priority it drops; a guest that EOIs out of order gets
 * the priority drop alone. That holds whether the interrupt sits in a list
 * register or was spilled out of them to make room for a pending one: what
 * the guest sees may not depend on how many list registers there are.
 */
import { describe, expect } from 'vitest';
import type { Machine } from '../../machine.js';
import type { ConformanceContext } from './context.js';

export const SPILLED_EOI_TESTS: readonly string[] = ['overflow.eoi-out-of-order'];

const LR_COUNTS = [1, 2, 4, 16] as const;

export function describeSpilledEoi(c: ConformanceContext): void {
  const { guest } = c;

  /** Three nested interrupts, the outermost EOI'd first; what the guest can see after each step. */
  function outOfOrder(lrs: number): { m: Machine; seen: string[] } {
    const m = c.boot({ vcpus: 1, lrs });
    const seen: string[] = [];
    const look = (what: string): void => {
      const state = [40, 41, 42].map((i) => `${i}:${m.irq(i).active ? 'A' : ''}${m.irq(i).pending ? 'P' : ''}`).join(' ');
      seen.push(`${what} | rpr ${guest.runningPriority(m, 0).toString(16)} | ${state}`);
    };
    c.spi(m, 40, { prio: 0xa0 });
    c.spi(m, 41, { prio: 0x90 });
    c.spi(m, 42, { prio: 0x80 });
    m.inject(40, 1);
    seen.push(`ack ${c.takeIntid(m, 0)}`);
    m.inject(41, 1);
    seen.push(`ack ${c.takeIntid(m, 0)}`);
    // Pending behind two active ones: with fewer than three LRs, 40 leaves them.
    m.inject(42, 1);
    look('42 pending');
    guest.eoi(m, 0, 40);
    look('eoi 40 (out of order)');
    seen.push(`ack ${c.takeIntid(m, 0)}`);
    guest.eoi(m, 0, 42);
    look('eoi 42');
    guest.eoi(m, 0, 41);
    look('eoi 41');
    guest.eoi(m, 0, 40);
    look('eoi 40');
    m.exit(0);
    look('exit');
    return { m, seen };
  }

  describe('EOI of an interrupt in no list register', () => {
    c.test('overflow.eoi-out-of-order', 'an out-of-order EOI drops the priority only, whether its interrupt is in a list register or not', () => {
      const runs = LR_COUNTS.map((lrs) => ({ lrs, ...outOfOrder(lrs) }));
      const reference = runs[runs.length - 1]!;
      // With LRs to spare nothing is spilled: the EOI of 40 drops 41's
      // priority (the highest active one) and deactivates nothing.
      expect(reference.seen.slice(0, 4)).toEqual([
        'ack 40',
        'ack 41',
        '42 pending | rpr 90 | 40:A 41:A 42:P',
        'eoi 40 (out of order) | rpr a0 | 40:A 41:A 42:P',
      ]);
      for (const r of runs) expect({ lrs: r.lrs, seen: r.seen }).toEqual({ lrs: r.lrs, seen: reference.seen });
      for (const { m } of runs) {
        // The guest left 40 and 41 active; clear them as a reset would.
        guest.clearActive(m, 40);
        guest.clearActive(m, 41);
        expect(c.takeIntid(m, 0)).toBeGreaterThanOrEqual(1020);
      }
    });
  });
}
