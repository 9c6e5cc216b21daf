/** Small bit helpers shared by the engine and the backends. */

/** Index of the lowest set bit of a 32-bit word, or -1 when it is zero. */
export function lowestBit(word: number): number {
  return word === 0 ? -1 : 31 - Math.clz32(word & -word);
}

/** A 32-bit word as an unsigned number. */
export function u32(x: number): number {
  return x >>> 0;
}

/** Number of set bits in a 32-bit word. */
export function popcount(x: number): number {
  x = x - ((x >>> 1) & 0x55555555);
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (((x + (x >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

/** Two 32-bit halves as one unsigned 64-bit bigint. */
export function toU64(lo: number, hi: number): bigint {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

/** The low 32 bits of a 64-bit bigint, as an unsigned number. */
export function lo32(x: bigint): number {
  return Number(BigInt.asUintN(32, x));
}

/** The high 32 bits of a 64-bit bigint, as an unsigned number. */
export function hi32(x: bigint): number {
  return Number(BigInt.asUintN(32, x >> 32n));
}
