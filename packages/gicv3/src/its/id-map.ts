/**
 * A map from a 32-bit key to a small entry number, laid in words of the
 * shared state so every thread sees one map: open addressing with linear
 * probing over a power-of-two number of buckets, twice the entries it can
 * hold, so a lookup probes few buckets. Removal shifts the following
 * run back (no tombstones), so a map that churns never slows down.
 *
 * Allocation-free; the caller holds the lock that guards the map (the ITS's
 * its_lock).
 */

/** Buckets a map of `capacity` entries uses: a power of two, at least twice the capacity. */
export function idMapBuckets(capacity: number): number {
  let n = 8;
  while (n < capacity * 2) n *= 2;
  return n;
}

/** Words a map of `capacity` entries takes: a key and a value per bucket. */
export function idMapWords(capacity: number): number {
  return idMapBuckets(capacity) * 2;
}

const NOT_FOUND = -1;

export class IdMap {
  private readonly mask: number;
  private readonly shift: number;

  /**
   * `words` holds the map at `base`: the keys of every bucket, then their
   * values (entry + 1; 0 marks an empty bucket).
   */
  constructor(
    private readonly words: Uint32Array,
    private readonly base: number,
    private readonly buckets: number,
  ) {
    this.mask = buckets - 1;
    this.shift = 32 - Math.log2(buckets);
  }

  /** Fibonacci hashing: the product's top bits, which every key bit reaches. */
  private home(key: number): number {
    return Math.imul(key, 0x9e3779b1) >>> this.shift;
  }

  /** The entry `key` maps to, or -1. */
  get(key: number): number {
    const w = this.words;
    const keys = this.base;
    const vals = this.base + this.buckets;
    for (let b = this.home(key); ; b = (b + 1) & this.mask) {
      const v = w[vals + b]!;
      if (v === 0) return NOT_FOUND;
      if (w[keys + b] === key >>> 0) return v - 1;
    }
  }

  /** Map `key` to `entry` (replacing what it mapped to). The map never fills: it has twice the buckets of its entries. */
  set(key: number, entry: number): void {
    const w = this.words;
    const keys = this.base;
    const vals = this.base + this.buckets;
    let b = this.home(key);
    while (w[vals + b] !== 0 && w[keys + b] !== key >>> 0) b = (b + 1) & this.mask;
    w[keys + b] = key;
    w[vals + b] = entry + 1;
  }

  /** Forget `key`; the run after it moves back so no lookup stops short. */
  delete(key: number): void {
    const w = this.words;
    const keys = this.base;
    const vals = this.base + this.buckets;
    let b = this.home(key);
    for (;;) {
      if (w[vals + b] === 0) return;
      if (w[keys + b] === key >>> 0) break;
      b = (b + 1) & this.mask;
    }
    // Backward-shift deletion: pull each later entry of the run into the
    // hole when its home is not between the hole and where it sits.
    let hole = b;
    for (let j = (b + 1) & this.mask; w[vals + j] !== 0; j = (j + 1) & this.mask) {
      const h = this.home(w[keys + j]!);
      const stays = hole <= j ? hole < h && h <= j : hole < h || h <= j;
      if (stays) continue;
      w[keys + hole] = w[keys + j]!;
      w[vals + hole] = w[vals + j]!;
      hole = j;
    }
    w[keys + hole] = 0;
    w[vals + hole] = 0;
  }

  /** Empty the map. */
  clear(): void {
    this.words.fill(0, this.base, this.base + this.buckets * 2);
  }
}
