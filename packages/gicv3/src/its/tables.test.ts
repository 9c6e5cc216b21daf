import { describe, expect, test } from 'vitest';
import { COLLECTION_UNMAPPED, ItsTables, itsStateWords, type ItsCapacities } from './tables.js';

const CAPS: ItsCapacities = { devices: 3, collections: 2, translations: 4, cache: 8 };

function tables(caps = CAPS, base = 5): ItsTables {
  const words = new Uint32Array(base + itsStateWords(caps));
  const t = new ItsTables(words, base, caps);
  t.format();
  return t;
}

describe('ITS tables in shared words', () => {
  test('another view of the same words opens the same ITS, its capacities read from the header', () => {
    const words = new Uint32Array(7 + itsStateWords(CAPS));
    const a = new ItsTables(words, 7, CAPS);
    a.format();
    a.addDevice(0x1234, 0x4000_0100, 5);
    const caps = ItsTables.capacitiesAt(words, 7);
    expect(caps).toEqual(CAPS);
    const b = new ItsTables(words, 7, caps!);
    const e = b.findDevice(0x1234);
    expect([b.deviceId(e), b.deviceItt(e), b.deviceEventBits(e)]).toEqual([0x1234, 0x4000_0100, 5]);
    expect(ItsTables.capacitiesAt(words, 0)).toBeNull();
  });

  test('an ITT address above 4 GiB keeps its high bits', () => {
    const t = tables();
    const e = t.addDevice(7, 0xf_1234_5600, 16);
    expect(t.deviceItt(e)).toBe(0xf_1234_5600);
  });

  test('a full table refuses a new entry; a freed entry is reused', () => {
    const t = tables();
    const d = [t.addDevice(1, 0, 1), t.addDevice(2, 0, 1), t.addDevice(3, 0, 1)];
    expect(d.every((e) => e >= 0)).toBe(true);
    expect(t.addDevice(4, 0, 1)).toBe(-1);
    t.removeDevice(d[1]!);
    expect(t.findDevice(2)).toBe(-1);
    expect(t.addDevice(4, 0, 1)).toBe(d[1]);
    expect(t.findDevice(4)).toBe(d[1]);
    expect(t.deviceCount).toBe(3);
    expect(t.addCollection(0, 0)).toBeGreaterThanOrEqual(0);
    expect(t.addCollection(1, COLLECTION_UNMAPPED)).toBeGreaterThanOrEqual(0);
    expect(t.addCollection(2, 0)).toBe(-1);
  });

  test('translations are keyed by DeviceID and EventID together', () => {
    const t = tables();
    const c = t.addCollection(9, 1);
    const a = t.addTranslation(1, 2, 8192, 100, c);
    const b = t.addTranslation(2, 1, 8193, 101, -1);
    expect(t.findTranslation(1, 2)).toBe(a);
    expect(t.findTranslation(2, 1)).toBe(b);
    expect(t.findTranslation(1, 1)).toBe(-1);
    expect([t.translationDevice(a), t.translationEvent(a), t.translationIntid(a), t.translationSlot(a), t.translationCollection(a)]).toEqual([1, 2, 8192, 100, c]);
    expect(t.translationCollection(b)).toBe(-1);
    t.removeTranslation(a);
    expect(t.findTranslation(1, 2)).toBe(-1);
    expect(t.translationInUse(a)).toBe(false);
    expect(t.findTranslation(2, 1)).toBe(b);
  });

  test('clearMappings forgets everything and gives every entry back', () => {
    const t = tables();
    for (let i = 0; i < 3; i++) t.addDevice(i, 0, 1);
    for (let i = 0; i < 4; i++) t.addTranslation(0, i, 8192 + i, i, -1);
    t.clearMappings();
    expect([t.deviceCount, t.collectionCount, t.translationCount]).toEqual([0, 0, 0]);
    expect(t.findDevice(0)).toBe(-1);
    expect(t.findTranslation(0, 3)).toBe(-1);
    for (let i = 0; i < 4; i++) expect(t.addTranslation(1, i, 9000, i, -1)).toBeGreaterThanOrEqual(0);
  });
});
