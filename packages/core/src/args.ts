/**
 * Checking what a host passes in. Any JavaScript value may arrive where a
 * number or an options object belongs — a bigint, a Proxy, an object whose
 * getters throw, one with no prototype that cannot become a string — and
 * each must end in a `VgicError` with a code, never in a TypeError from deep
 * inside. So error messages describe a value without running its code, and
 * an options object is read once, into a plain record, before anything is
 * checked (a getter that answers differently each time is asked only once).
 */
import { VgicError, type VgicErrorCode } from './errors.js';

/** Array.isArray, without its TypeError for a revoked Proxy (which is no array). */
export function isArray(x: unknown): boolean {
  try {
    return Array.isArray(x);
  } catch {
    return false;
  }
}

/** A short description of any value for an error message; never calls the value's own code. */
export function describeValue(x: unknown): string {
  switch (typeof x) {
    case 'number':
      return Object.is(x, -0) ? '-0' : String(x);
    case 'bigint':
      return `${x.toString()}n`;
    case 'string':
      return JSON.stringify(x.length > 40 ? `${x.slice(0, 37)}...` : x);
    case 'boolean':
    case 'undefined':
      return String(x);
    case 'symbol':
      return 'a symbol';
    case 'function':
      return 'a function';
    default:
      return x === null ? 'null' : isArray(x) ? 'an array' : 'an object';
  }
}

/**
 * The fields of an options object, read once into a plain record (fields
 * that are undefined left out). `undefined` stands for `{}`. Throws
 * `code` for a value that is not an object, for a field that cannot be
 * read, and — unless `others` is 'ignore', for options that carry someone
 * else's keys too — for an own key that is not in `known` (a misspelt
 * option is not silently ignored).
 */
export function readOptions(
  value: unknown,
  known: readonly string[],
  code: VgicErrorCode,
  what: string,
  others: 'refuse' | 'ignore' = 'refuse',
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (value === undefined) return out;
  if (typeof value !== 'object' || value === null || isArray(value)) {
    throw new VgicError(code, `${what} must be an object; got ${describeValue(value)}`);
  }
  let keys: string[];
  try {
    keys = others === 'refuse' ? Object.keys(value) : [];
  } catch {
    throw new VgicError(code, `${what} cannot be read (its keys could not be listed)`);
  }
  for (const key of keys) {
    if (!known.includes(key)) {
      throw new VgicError(code, `${what} has no option ${describeValue(key)}; it takes ${known.join(', ')}`);
    }
  }
  for (const key of known) {
    let x: unknown;
    try {
      x = (value as Record<string, unknown>)[key];
    } catch {
      throw new VgicError(code, `${what}: "${key}" cannot be read (its getter threw)`);
    }
    if (x !== undefined) out[key] = x;
  }
  return out;
}

/** An optional boolean option. */
export function optionalBoolean(o: Record<string, unknown>, key: string, code: VgicErrorCode, what: string): boolean | undefined {
  const x = o[key];
  if (x !== undefined && typeof x !== 'boolean') throw new VgicError(code, `${what}: "${key}" must be true or false; got ${describeValue(x)}`);
  return x;
}

/** Does `x` name an unsigned 64-bit value: a bigint 0..2^64-1, or a number 0..2^53-1 that is whole? */
export function isU64(x: unknown): x is number | bigint {
  if (typeof x === 'number') return x >>> 0 === x || (Number.isSafeInteger(x) && x >= 0);
  return typeof x === 'bigint' && x >= 0n && x <= 0xffff_ffff_ffff_ffffn;
}

/** The low 32 bits of a value `isU64` accepted. */
export function low32(x: number | bigint): number {
  return typeof x === 'number' ? x >>> 0 : Number(x & 0xffff_ffffn);
}

/** The high 32 bits of a value `isU64` accepted. */
export function high32(x: number | bigint): number {
  return typeof x === 'number' ? (x >>> 0 === x ? 0 : Math.floor(x / 0x1_0000_0000)) : Number(x >> 32n);
}

/**
 * A host's value for a register write, as its two 32-bit halves: a bigint
 * 0..2^64-1 or a whole number 0..2^53-1 — or, for an access of 32 bits or
 * fewer, a negative 32-bit integer (what JavaScript's bitwise operators
 * give), taken as its bit pattern. Of a value wider than the access, the
 * access writes the low `width` bits, as a store does. Throws
 * INVALID_ARGUMENT for anything else: another negative, a fraction, NaN, a
 * string.
 */
export function hostValue(value: unknown, width: number, what: string): [lo: number, hi: number] {
  if (width <= 32 && typeof value === 'number' && (value | 0) === value) return [value >>> 0, 0];
  if (!isU64(value)) {
    throw new VgicError('INVALID_ARGUMENT', `${what} takes an unsigned value (a whole number or a bigint below 2^64); got ${describeValue(value)}`);
  }
  return [low32(value), high32(value)];
}

/** A host's 32-bit value: 0..2^32-1, or a negative 32-bit integer taken as its bit pattern. Throws INVALID_ARGUMENT otherwise. */
export function hostWord(value: unknown, what: string): number {
  if (typeof value === 'number' && (value >>> 0 === value || (value | 0) === value)) return value >>> 0;
  if (typeof value === 'bigint' && value >= 0n && value <= 0xffff_ffffn) return Number(value);
  throw new VgicError('INVALID_ARGUMENT', `${what} takes a 32-bit value (0..0xffffffff); got ${describeValue(value)}`);
}

/**
 * Throws INVALID_ARGUMENT for a width that is not 8, 16, 32 or 64 bits. No
 * guest instruction makes an access of another width, so one comes from the
 * host's decoder — most often a size in bytes, as QEMU's MemoryRegionOps
 * take it — and is refused rather than read as an unmapped access would be.
 */
export function badWidth(width: unknown): never {
  const bytes = width === 1 || width === 2 || width === 4 ? ` (${width} bytes is ${(width as number) * 8} bits)` : '';
  throw new VgicError('INVALID_ARGUMENT', `width is in bits: 8, 16, 32 or 64; got ${describeValue(width)}${bytes}`);
}
