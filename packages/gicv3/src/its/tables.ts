/**
 * The ITS's own state, in words of the machine's shared state buffer
 * (KVM keeps it in host lists: its->device_list, each device's itt_head,
 * its->collection_list). Every thread opens the same words, so a device
 * thread's MSI and a command thread's MOVI see one ITS.
 *
 * Layout (32-bit words from `base`):
 * - a header: the capacities (so another thread opens the same layout),
 *   the GITS registers, the free-list heads and counts;
 * - devices: `devices` entries of 4 words (DeviceID + 1, ITT address low
 *   and high, EventID bits), 0 in the first word marking a free entry,
 *   and an IdMap DeviceID → entry;
 * - collections: `collections` entries of 2 words (ICID + 1, target vCPU
 *   or COLLECTION_UNMAPPED), and an IdMap ICID → entry;
 * - translations (KVM's struct its_ite): `translations` entries of 4 words
 *   (DeviceID << 16 | EventID, LPI slot, LPI INTID, collection entry + 1 or
 *   0 for none), INTID 0 marking a free entry, and an IdMap key → entry;
 * - the translation cache (cache.ts).
 *
 * Capacities are fixed when the machine is made. A full table fails the
 * command that needed a new entry, as KVM fails the command whose
 * allocation fails (-ENOMEM): the command is skipped, CREADR advances.
 * DeviceIDs and EventIDs are below 2^16 (GITS_TYPER.Devbits and IDbits
 * are 16, MAPD refuses a bigger ITT), so one word keys a translation.
 *
 * The caller holds its_lock for every change and every lookup.
 */
import { IdMap, idMapBuckets, idMapWords } from './id-map.js';

export interface ItsCapacities {
  /** Devices mapped at once (MAPD V=1). */
  readonly devices: number;
  /** Collections that exist at once (MAPC V=1, or made unmapped by a MAPTI naming a new one). */
  readonly collections: number;
  /** Interrupt translation entries at once (MAPTI/MAPI). */
  readonly translations: number;
  /** Entries of the translation cache (a power of two). */
  readonly cache: number;
}

/** A collection that exists but targets no redistributor (KVM's COLLECTION_NOT_MAPPED). */
export const COLLECTION_UNMAPPED = 0xffff_ffff;

export const ITS_MAGIC = 0x4954_5331; // 'ITS1'

// --- header words ---
export const H_MAGIC = 0;
const H_DEVICES = 1;
const H_COLLECTIONS = 2;
const H_TRANSLATIONS = 3;
const H_CACHE = 4;
/** GITS_CTLR.Enabled (bit 0). */
export const H_ENABLED = 5;
export const H_CBASER_LO = 6;
export const H_CBASER_HI = 7;
export const H_CWRITER = 8;
export const H_CREADR = 9;
/** GITS_BASER0 (device table), low and high words. */
export const H_BASER0_LO = 10;
export const H_BASER0_HI = 11;
/** GITS_BASER1 (collection table). */
export const H_BASER1_LO = 12;
export const H_BASER1_HI = 13;
const H_DEV_FREE = 14;
const H_COLL_FREE = 15;
const H_ITE_FREE = 16;
const H_DEV_COUNT = 17;
const H_COLL_COUNT = 18;
const H_ITE_COUNT = 19;
/** The translation cache's generation (cache.ts). */
export const H_CACHE_GEN = 20;
/** Test hooks (ITS_DEBUG_*), a word of the shared state so every thread sees them. */
export const H_DEBUG = 21;
const HEADER_WORDS = 24;

const DEV_STRIDE = 4;
const COLL_STRIDE = 2;
const ITE_STRIDE = 4;
/** Words of one cache entry: generation, key, LPI slot. */
export const CACHE_STRIDE = 3;

const NIL = 0xffff_ffff;

interface Offsets {
  readonly dev: number;
  readonly devNext: number;
  readonly devMap: number;
  readonly coll: number;
  readonly collNext: number;
  readonly collMap: number;
  readonly ite: number;
  readonly iteNext: number;
  readonly iteMap: number;
  readonly cache: number;
  readonly end: number;
}

function offsets(c: ItsCapacities): Offsets {
  let at = HEADER_WORDS;
  const take = (n: number): number => {
    const here = at;
    at += n;
    return here;
  };
  const dev = take(c.devices * DEV_STRIDE);
  const devNext = take(c.devices);
  const devMap = take(idMapWords(c.devices));
  const coll = take(c.collections * COLL_STRIDE);
  const collNext = take(c.collections);
  const collMap = take(idMapWords(c.collections));
  const ite = take(c.translations * ITE_STRIDE);
  const iteNext = take(c.translations);
  const iteMap = take(idMapWords(c.translations));
  const cache = take(c.cache * CACHE_STRIDE);
  return { dev, devNext, devMap, coll, collNext, collMap, ite, iteNext, iteMap, cache, end: at };
}

/** Words of the shared state an ITS of these capacities takes. */
export function itsStateWords(c: ItsCapacities): number {
  return offsets(c).end;
}

/** The key of a translation: DeviceID and EventID, each below 2^16. */
export function iteKey(deviceId: number, eventId: number): number {
  return ((deviceId << 16) | (eventId & 0xffff)) >>> 0;
}

export class ItsTables {
  readonly w: Uint32Array;
  readonly caps: ItsCapacities;
  private readonly o: Offsets;
  private readonly devMap: IdMap;
  private readonly collMap: IdMap;
  private readonly iteMap: IdMap;
  /** Word index of the first cache entry (cache.ts). */
  readonly cacheBase: number;

  /** Open the ITS laid at `base` of `words` with capacities `caps` (format() it once when the machine is made). */
  constructor(words: Uint32Array, base: number, caps: ItsCapacities) {
    this.w = base === 0 ? words : words.subarray(base);
    this.caps = caps;
    this.o = offsets(caps);
    this.devMap = new IdMap(this.w, this.o.devMap, idMapBuckets(caps.devices));
    this.collMap = new IdMap(this.w, this.o.collMap, idMapBuckets(caps.collections));
    this.iteMap = new IdMap(this.w, this.o.iteMap, idMapBuckets(caps.translations));
    this.cacheBase = this.o.cache;
  }

  /** The capacities an ITS formatted at `base` of `words` records, or null where none is. */
  static capacitiesAt(words: Uint32Array, base: number): ItsCapacities | null {
    if (words[base + H_MAGIC] !== ITS_MAGIC) return null;
    return {
      devices: words[base + H_DEVICES]!,
      collections: words[base + H_COLLECTIONS]!,
      translations: words[base + H_TRANSLATIONS]!,
      cache: words[base + H_CACHE]!,
    };
  }

  /** Lay out an empty ITS: no device, collection or translation; registers zero (the caller sets their reset values). */
  format(): void {
    const w = this.w;
    const c = this.caps;
    w.fill(0, 0, this.o.end);
    w[H_MAGIC] = ITS_MAGIC;
    w[H_DEVICES] = c.devices;
    w[H_COLLECTIONS] = c.collections;
    w[H_TRANSLATIONS] = c.translations;
    w[H_CACHE] = c.cache;
    this.clearMappings();
  }

  /** Forget every device, collection and translation (the caller releases their LPIs first). */
  clearMappings(): void {
    const w = this.w;
    const o = this.o;
    const c = this.caps;
    w.fill(0, o.dev, o.dev + c.devices * DEV_STRIDE);
    w.fill(0, o.coll, o.coll + c.collections * COLL_STRIDE);
    w.fill(0, o.ite, o.ite + c.translations * ITE_STRIDE);
    chain(w, o.devNext, c.devices);
    chain(w, o.collNext, c.collections);
    chain(w, o.iteNext, c.translations);
    w[H_DEV_FREE] = c.devices > 0 ? 0 : NIL;
    w[H_COLL_FREE] = c.collections > 0 ? 0 : NIL;
    w[H_ITE_FREE] = c.translations > 0 ? 0 : NIL;
    w[H_DEV_COUNT] = 0;
    w[H_COLL_COUNT] = 0;
    w[H_ITE_COUNT] = 0;
    this.devMap.clear();
    this.collMap.clear();
    this.iteMap.clear();
  }

  get deviceCount(): number {
    return this.w[H_DEV_COUNT]!;
  }
  get collectionCount(): number {
    return this.w[H_COLL_COUNT]!;
  }
  get translationCount(): number {
    return this.w[H_ITE_COUNT]!;
  }

  // --- devices ---

  findDevice(deviceId: number): number {
    return this.devMap.get(deviceId);
  }

  /** A new device entry, or -1 when the table is full. The caller checked that `deviceId` has none. */
  addDevice(deviceId: number, itt: number, eventBits: number): number {
    const e = this.take(H_DEV_FREE, this.o.devNext);
    if (e < 0) return -1;
    const at = this.o.dev + e * DEV_STRIDE;
    this.w[at] = deviceId + 1;
    this.w[at + 1] = itt >>> 0;
    this.w[at + 2] = Math.floor(itt / 0x1_0000_0000);
    this.w[at + 3] = eventBits;
    this.devMap.set(deviceId, e);
    this.w[H_DEV_COUNT]!++;
    return e;
  }

  /** Free a device entry (the caller freed its translations). */
  removeDevice(e: number): void {
    const at = this.o.dev + e * DEV_STRIDE;
    this.devMap.delete(this.w[at]! - 1);
    this.w.fill(0, at, at + DEV_STRIDE);
    this.give(H_DEV_FREE, this.o.devNext, e);
    this.w[H_DEV_COUNT]!--;
  }

  deviceInUse(e: number): boolean {
    return this.w[this.o.dev + e * DEV_STRIDE] !== 0;
  }
  deviceId(e: number): number {
    return this.w[this.o.dev + e * DEV_STRIDE]! - 1;
  }
  deviceItt(e: number): number {
    const at = this.o.dev + e * DEV_STRIDE;
    return this.w[at + 2]! * 0x1_0000_0000 + this.w[at + 1]!;
  }
  deviceEventBits(e: number): number {
    return this.w[this.o.dev + e * DEV_STRIDE + 3]!;
  }

  // --- collections ---

  findCollection(icid: number): number {
    return this.collMap.get(icid);
  }

  /** A new collection entry, or -1 when the table is full. The caller checked that `icid` has none. */
  addCollection(icid: number, target: number): number {
    const e = this.take(H_COLL_FREE, this.o.collNext);
    if (e < 0) return -1;
    const at = this.o.coll + e * COLL_STRIDE;
    this.w[at] = icid + 1;
    this.w[at + 1] = target >>> 0;
    this.collMap.set(icid, e);
    this.w[H_COLL_COUNT]!++;
    return e;
  }

  /** Free a collection entry; the caller unlinked the translations that named it. */
  removeCollection(e: number): void {
    const at = this.o.coll + e * COLL_STRIDE;
    this.collMap.delete(this.w[at]! - 1);
    this.w[at] = 0;
    this.w[at + 1] = 0;
    this.give(H_COLL_FREE, this.o.collNext, e);
    this.w[H_COLL_COUNT]!--;
  }

  collectionInUse(e: number): boolean {
    return this.w[this.o.coll + e * COLL_STRIDE] !== 0;
  }
  collectionId(e: number): number {
    return this.w[this.o.coll + e * COLL_STRIDE]! - 1;
  }
  /** The target vCPU, or COLLECTION_UNMAPPED. */
  collectionTarget(e: number): number {
    return this.w[this.o.coll + e * COLL_STRIDE + 1]!;
  }
  setCollectionTarget(e: number, target: number): void {
    this.w[this.o.coll + e * COLL_STRIDE + 1] = target >>> 0;
  }

  // --- translations ---

  findTranslation(deviceId: number, eventId: number): number {
    return this.iteMap.get(iteKey(deviceId, eventId));
  }

  /** A new translation, or -1 when the table is full. `coll` is a collection entry or -1 for none. */
  addTranslation(deviceId: number, eventId: number, intid: number, slot: number, coll: number): number {
    const e = this.take(H_ITE_FREE, this.o.iteNext);
    if (e < 0) return -1;
    const at = this.o.ite + e * ITE_STRIDE;
    const key = iteKey(deviceId, eventId);
    this.w[at] = key;
    this.w[at + 1] = slot;
    this.w[at + 2] = intid;
    this.w[at + 3] = coll + 1;
    this.iteMap.set(key, e);
    this.w[H_ITE_COUNT]!++;
    return e;
  }

  removeTranslation(e: number): void {
    const at = this.o.ite + e * ITE_STRIDE;
    this.iteMap.delete(this.w[at]!);
    this.w.fill(0, at, at + ITE_STRIDE);
    this.give(H_ITE_FREE, this.o.iteNext, e);
    this.w[H_ITE_COUNT]!--;
  }

  translationInUse(e: number): boolean {
    return this.w[this.o.ite + e * ITE_STRIDE + 2] !== 0;
  }
  translationDevice(e: number): number {
    return this.w[this.o.ite + e * ITE_STRIDE]! >>> 16;
  }
  translationEvent(e: number): number {
    return this.w[this.o.ite + e * ITE_STRIDE]! & 0xffff;
  }
  translationSlot(e: number): number {
    return this.w[this.o.ite + e * ITE_STRIDE + 1]!;
  }
  translationIntid(e: number): number {
    return this.w[this.o.ite + e * ITE_STRIDE + 2]!;
  }
  /** The collection entry, or -1 (KVM: ite->collection == NULL, after MAPC V=0). */
  translationCollection(e: number): number {
    return this.w[this.o.ite + e * ITE_STRIDE + 3]! - 1;
  }
  setTranslationCollection(e: number, coll: number): void {
    this.w[this.o.ite + e * ITE_STRIDE + 3] = coll + 1;
  }

  // --- free lists ---

  private take(head: number, next: number): number {
    const e = this.w[head]!;
    if (e === NIL) return -1;
    this.w[head] = this.w[next + e]!;
    return e;
  }

  private give(head: number, next: number, e: number): void {
    this.w[next + e] = this.w[head]!;
    this.w[head] = e;
  }
}

/** Link entries 0..n-1 into a free list (entry i → i + 1, the last → NIL). */
function chain(w: Uint32Array, next: number, n: number): void {
  for (let i = 0; i < n; i++) w[next + i] = i + 1 < n ? i + 1 : NIL;
}
