/**
 * The translation cache (KVM: vgic_its_check_cache, one per ITS since
 * Linux 6.10): (DeviceID, EventID) → LPI slot, so an MSI whose translation
 * was seen before costs one probe instead of the device, translation and
 * collection lookups and the redistributor's EnableLPIs check.
 *
 * Direct-mapped, `cache` entries of [generation, key, slot] in the shared
 * state; a colliding translation replaces the entry. Invalidation bumps
 * the generation: every entry filled before it stops matching at once,
 * O(1), whoever calls it. KVM invalidates on DISCARD, MAPD, MAPC V=0,
 * MOVI, MOVALL, GITS_CTLR.Enabled 1→0 and a redistributor's EnableLPIs
 * 1→0; so does this ITS (MAPC retargeting too: the cached slot would
 * still be right, but the target check it skipped would not).
 *
 * Lookups and fills happen under its_lock; invalidation may come without
 * it (the redistributor's GICR_CTLR write, as KVM's
 * vgic_its_invalidate_all_caches takes neither ITS lock), so the
 * generation word is read and bumped atomically. A fill stamps the
 * generation read before the translation was resolved: an invalidation
 * racing the resolve leaves the new entry stale, never wrong.
 */
import { CACHE_STRIDE, H_CACHE_GEN, H_DEBUG, type ItsTables } from './tables.js';

/** Test hook: invalidation does nothing (a deliberately broken ITS: tests show a stale cache is caught). */
export const ITS_DEBUG_NO_CACHE_INVALIDATION = 1;

const NO_SLOT = -1;

function entryIndex(t: ItsTables, key: number): number {
  return t.cacheBase + (Math.imul(key, 0x9e3779b1) >>> 0) % t.caps.cache * CACHE_STRIDE;
}

/** The generation current now (never 0: a formatted entry's 0 matches nothing). */
export function cacheGeneration(t: ItsTables): number {
  return Atomics.load(t.w, H_CACHE_GEN);
}

/** The slot cached for `key` (iteKey), or -1. */
export function cacheLookup(t: ItsTables, key: number): number {
  const at = entryIndex(t, key);
  const w = t.w;
  if (w[at] !== cacheGeneration(t) || w[at + 1] !== key) return NO_SLOT;
  return w[at + 2]!;
}

/** Remember `key` → `slot`, as of generation `gen` (read before the translation was resolved). */
export function cacheFill(t: ItsTables, key: number, slot: number, gen: number): void {
  const at = entryIndex(t, key);
  const w = t.w;
  w[at + 1] = key;
  w[at + 2] = slot;
  w[at] = gen;
}

/** Forget every cached translation. */
export function cacheInvalidate(t: ItsTables): void {
  invalidateWords(t.w);
}

/** The same on the ITS's words themselves (from word 0), for a caller that holds no `ItsTables`. */
export function invalidateWords(w: Uint32Array | Int32Array): void {
  if ((w[H_DEBUG]! & ITS_DEBUG_NO_CACHE_INVALIDATION) !== 0) return;
  // Generation 0 is what a formatted entry holds: skip it on wrap-around.
  if (Atomics.add(w, H_CACHE_GEN, 1) >>> 0 === 0xffff_ffff) Atomics.add(w, H_CACHE_GEN, 1);
}

/** Start the cache empty (after format()). */
export function cacheReset(t: ItsTables): void {
  t.w.fill(0, t.cacheBase, t.cacheBase + t.caps.cache * CACHE_STRIDE);
  Atomics.store(t.w, H_CACHE_GEN, 1);
}
