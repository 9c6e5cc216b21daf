import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { IdMap, idMapBuckets, idMapWords } from './id-map.js';

function map(capacity: number): IdMap {
  const words = new Uint32Array(idMapWords(capacity) + 4);
  return new IdMap(words, 2, idMapBuckets(capacity));
}

describe('IdMap', () => {
  test('has twice the buckets of its entries, a power of two', () => {
    expect(idMapBuckets(1)).toBe(8);
    expect(idMapBuckets(1000)).toBe(2048);
    expect(idMapBuckets(1024)).toBe(2048);
    expect(idMapWords(1024)).toBe(4096);
  });

  test('keys that share a home bucket all stay reachable when one of them goes', () => {
    const m = map(4);
    // Keys whose hash lands in the same bucket form one probe run.
    const keys: number[] = [];
    const home = (k: number): number => Math.imul(k, 0x9e3779b1) >>> (32 - 3);
    for (let k = 0; keys.length < 4; k++) if (home(k) === home(0)) keys.push(k);
    keys.forEach((k, i) => m.set(k, i));
    m.delete(keys[0]!);
    expect(m.get(keys[0]!)).toBe(-1);
    expect(keys.slice(1).map((k) => m.get(k))).toEqual([1, 2, 3]);
  });

  test('behaves as a Map under any sequence of sets and deletes within its capacity', () => {
    const capacity = 16;
    const op = fc.oneof(
      fc.record({ set: fc.integer({ min: 0, max: 40 }).map((k) => (k * 0x10001) >>> 0), v: fc.nat(1000) }),
      fc.record({ del: fc.integer({ min: 0, max: 40 }).map((k) => (k * 0x10001) >>> 0) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
        const m = map(capacity);
        const model = new Map<number, number>();
        for (const o of ops) {
          if ('set' in o) {
            if (!model.has(o.set) && model.size === capacity) continue;
            m.set(o.set, o.v);
            model.set(o.set, o.v);
          } else {
            m.delete(o.del);
            model.delete(o.del);
          }
          for (let k = 0; k <= 40; k++) {
            const key = (k * 0x10001) >>> 0;
            expect(m.get(key)).toBe(model.get(key) ?? -1);
          }
        }
      }),
    );
  });

  test('the words around the map are never written', () => {
    const words = new Uint32Array(idMapWords(4) + 4).fill(0xdead);
    words.fill(0, 2, 2 + idMapWords(4));
    const m = new IdMap(words, 2, idMapBuckets(4));
    for (let k = 0; k < 4; k++) m.set(0xffff_0000 + k, k);
    for (let k = 0; k < 4; k++) m.delete(0xffff_0000 + k);
    m.clear();
    expect([words[0], words[1], words[words.length - 2], words[words.length - 1]]).toEqual([0xdead, 0xdead, 0xdead, 0xdead]);
  });
});
