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
            prio: fc.integer({ min: 0, max: 31 }).map((p) => p << 3),
          }),
          { minLength: 0, maxLength: 32 },
        ),
        (entries) => {
          const v = bareVgic();
          const slots = entries.map((e, i) => {
            const s = spiSlot(v, 32 + i);
            v.active[s] = e.active ? 1 : 0;
            v.pendingLatch[s] = e.pending ? 1 : 0;
            v.enabled[s] = e.enabled ? 1 : 0;
            v.priority[s] = e.prio;
            v.apListVcpu[s] = 2;
            return s;
          });
          // Insert in reverse, so the list starts out of order.
          const sorted = underApListLock(v, 2, () => {
            for (const s of [...slots].reverse()) apListAddTail(v, 2, s);
            apListSort(v, 2);
            return apListSlots(v, 2);
          });
          expect(sorted).toEqual(underApListLock(v, 2, () => [...slots].sort((x, y) => apListCmp(v, x, y))));
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
