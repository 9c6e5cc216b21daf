import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bareVgic, spiSlot, underApListLock } from '../test/fixtures/bare.js';
import { apListAddTail, apListDel, apListEmpty, apListLength, apListSlots, apListSort } from './aplist.js';
import { apListCmp } from './oracle.js';
import { NONE } from './vgic.js';

describe('the ap_list', () => {
  it('links, counts and unlinks entries in insertion order', () => {
    const v = bareVgic();
    const [a, b, c] = [spiSlot(v, 40), spiSlot(v, 41), spiSlot(v, 42)];
    underApListLock(v, 1, () => {
      expect(apListEmpty(v, 1)).toBe(true);
      for (const s of [a, b, c]) {
        apListAddTail(v, 1, s);
        v.apListVcpu[s] = 1;
      }
      expect(apListSlots(v, 1)).toEqual([a, b, c]);
      expect(apListLength(v, 1)).toBe(3);
      apListDel(v, b);
      expect(apListSlots(v, 1)).toEqual([a, c]);
    });
    expect(v.next[b]).toBe(NONE);
    expect(v.prev[c]).toBe(a);
    expect(underApListLock(v, 0, () => apListEmpty(v, 0))).toBe(true);
  });

  it('sorts active first, then pending by priority and INTID, whatever the insertion order', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            active: fc.boolean(),
            pending: fc.boolean(),
            enabled: fc.boolean(),
            group: fc.integer({ min: 0, max: 1 }),
            prio: fc.integer({ min: 0, max: 31 }).map((p) => p << 3),
          }),
          // Past 32 entries the sort's scratch grows.
          { minLength: 0, maxLength: 48 },
        ),
        fc.boolean(),
        fc.boolean(),
        (entries, reverse, group0On) => {
          const v = bareVgic({ nrSpis: 64 });
          v.grpEn0[2] = group0On ? 1 : 0;
          const slots = entries.map((e, i) => {
            const s = spiSlot(v, 32 + i);
            v.active[s] = e.active ? 1 : 0;
            v.pendingLatch[s] = e.pending ? 1 : 0;
            v.enabled[s] = e.enabled ? 1 : 0;
            v.group[s] = e.group;
            v.priority[s] = e.prio;
            v.apListVcpu[s] = 2;
            return s;
          });
          // Inserted in reverse, the list starts out of order.
          const sorted = underApListLock(v, 2, () => {
            for (const s of reverse ? [...slots].reverse() : slots) apListAddTail(v, 2, s);
            apListSort(v, 2);
            return apListSlots(v, 2);
          });
          expect(sorted).toEqual(underApListLock(v, 2, () => [...slots].sort((x, y) => apListCmp(v, x, y))));
          // The order spelled out: active; then pending and enabled, an enabled group first; then the rest —
          // each by priority, then INTID.
          const rank = (i: number): number[] => {
            const e = entries[i]!;
            const live = e.pending && e.enabled;
            const cls = e.active ? 0 : live && (e.group === 1 || group0On) ? 1 : live ? 2 : 3;
            return [cls, e.prio, 32 + i];
          };
          const byRule = entries.map((_, i) => i).sort((a, b) => {
            const [x, y] = [rank(a), rank(b)];
            return x[0]! - y[0]! || x[1]! - y[1]! || x[2]! - y[2]!;
          });
          expect(sorted).toEqual(byRule.map((i) => slots[i]));
          // The back links agree with the forward ones.
          let prev = v.apListHead(2);
          for (const s of sorted) {
            expect(v.prev[s]).toBe(prev);
            prev = s;
          }
          expect(v.prev[v.apListHead(2)]).toBe(prev);
        },
      ),
      { numRuns: 200 },
    );
  });
});
