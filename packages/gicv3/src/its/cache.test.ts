import { describe, expect, test } from 'vitest';
import { ITS_DEBUG_NO_CACHE_INVALIDATION, cacheFill, cacheGeneration, cacheInvalidate, cacheLookup, cacheReset } from './cache.js';
import { H_CACHE_GEN, H_DEBUG, ItsTables, iteKey, itsStateWords } from './tables.js';

function tables(cache = 16): ItsTables {
  const caps = { devices: 2, collections: 2, translations: 2, cache };
  const t = new ItsTables(new Uint32Array(itsStateWords(caps)), 0, caps);
  t.format();
  cacheReset(t);
  return t;
}

describe('translation cache', () => {
  test('a filled translation is found; an invalidation forgets every one', () => {
    const t = tables();
    cacheFill(t, iteKey(1, 2), 40, cacheGeneration(t));
    cacheFill(t, iteKey(3, 4), 41, cacheGeneration(t));
    expect(cacheLookup(t, iteKey(1, 2))).toBe(40);
    expect(cacheLookup(t, iteKey(3, 4))).toBe(41);
    expect(cacheLookup(t, iteKey(2, 1))).toBe(-1);
    cacheInvalidate(t);
    expect(cacheLookup(t, iteKey(1, 2))).toBe(-1);
    expect(cacheLookup(t, iteKey(3, 4))).toBe(-1);
  });

  test('a fill stamped before an invalidation is stale from the start', () => {
    const t = tables();
    const gen = cacheGeneration(t);
    cacheInvalidate(t); // e.g. EnableLPIs 1→0 while the MSI was resolving its translation
    cacheFill(t, iteKey(1, 2), 40, gen);
    expect(cacheLookup(t, iteKey(1, 2))).toBe(-1);
  });

  test('an empty cache matches nothing, not even DeviceID 0, EventID 0 at slot 0', () => {
    const t = tables();
    expect(cacheLookup(t, iteKey(0, 0))).toBe(-1);
  });

  test('the generation skips 0 when it wraps', () => {
    const t = tables();
    t.w[H_CACHE_GEN] = 0xffff_ffff;
    cacheInvalidate(t);
    expect(cacheGeneration(t)).toBe(1);
    expect(cacheLookup(t, iteKey(0, 0))).toBe(-1);
  });

  test('with the debug hook set, invalidation does nothing (so tests can show a stale cache is caught)', () => {
    const t = tables();
    cacheFill(t, iteKey(1, 2), 40, cacheGeneration(t));
    t.w[H_DEBUG] = ITS_DEBUG_NO_CACHE_INVALIDATION;
    cacheInvalidate(t);
    expect(cacheLookup(t, iteKey(1, 2))).toBe(40);
  });

  test('a colliding translation replaces the entry it shares', () => {
    const t = tables(1);
    cacheFill(t, iteKey(1, 2), 40, cacheGeneration(t));
    cacheFill(t, iteKey(5, 6), 50, cacheGeneration(t));
    expect(cacheLookup(t, iteKey(1, 2))).toBe(-1);
    expect(cacheLookup(t, iteKey(5, 6))).toBe(50);
  });
});
