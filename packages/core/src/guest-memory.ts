/**
 * Guest physical memory, as the GIC reaches it: the LPI property and pending
 * tables, the ITS's device, collection and translation tables and its
 * command queue live there, as on hardware and in KVM (`kvm_read_guest`).
 *
 * The integrator hands a machine its RAM as regions (`guestMemory` option):
 * a buffer — ArrayBuffer, SharedArrayBuffer or WebAssembly.Memory — laid at a
 * guest physical base, or a pair of read/write callbacks. The common case is
 * a buffer, and costs one region compare and a DataView access: the region
 * of the last access is tried first.
 *
 * A guest address is guest input: an access outside every region (or across
 * the end of one, or at an address that is not a whole number) never throws.
 * It sets `fault`, which stays set until the caller clears it, so that a
 * sequence of reads (a 32-byte command, an 8-byte table entry) is checked
 * once at its end; a read that faults returns 0. Values are little-endian.
 *
 * Regions over a SharedArrayBuffer, or a shared WebAssembly.Memory, travel
 * with the machine's handle to worker threads, which see the same RAM.
 * Callback regions, and regions over an unshared buffer, belong to the
 * thread that made the machine: on another thread an access there faults.
 * A callback runs with engine locks held (the ITS reads its tables under
 * its_lock, as KVM does): it must not call into the machine. A callback that
 * throws, or returns false, is a fault.
 */
import { describeValue, isArray } from './args.js';
import { VgicError } from './errors.js';

/** A `WebAssembly.Memory`, as far as guest memory uses it (the project's `lib` carries no WebAssembly types). */
export interface WasmMemoryLike {
  readonly buffer: ArrayBufferLike;
}

/** RAM the integrator owns, at guest physical address `base`: `size` bytes of `buffer` from `offset`. */
export interface GuestMemoryBufferRegion {
  readonly base: number | bigint;
  readonly buffer: ArrayBuffer | SharedArrayBuffer | WasmMemoryLike;
  /** Where in the buffer the region starts (default 0). */
  readonly offset?: number;
  /** Bytes (default: the rest of the buffer, as long as it is when the machine is made). */
  readonly size?: number;
}

/** Memory reached through the integrator's own code: `addr` is the guest physical address of `bytes[0]`. */
export interface GuestMemoryCallbackRegion {
  readonly base: number | bigint;
  readonly size: number;
  /** Fill `bytes` from guest memory at `addr`; false: the access faults. */
  read(addr: number, bytes: Uint8Array): boolean;
  /** Store `bytes` to guest memory at `addr`; false: the access faults. */
  write(addr: number, bytes: Uint8Array): boolean;
}

export type GuestMemoryRegion = GuestMemoryBufferRegion | GuestMemoryCallbackRegion;

/** Guest physical addresses are below 2^52, the largest physical address space Armv8 has. */
export const GUEST_ADDRESS_LIMIT: number = 2 ** 52;

/** One region, checked: [start, end) of guest physical addresses. */
interface Region {
  readonly start: number;
  readonly end: number;
  /** Buffer regions: the view, renewed when a WebAssembly memory has grown (its buffer changed). */
  view: DataView | null;
  bytes: Uint8Array | null;
  seen: ArrayBufferLike | null;
  readonly memory: WasmMemoryLike | null;
  readonly offset: number;
  readonly source: GuestMemoryRegion;
  readonly callbacks: GuestMemoryCallbackRegion | null;
}

function isBuffer(x: unknown): x is ArrayBuffer | SharedArrayBuffer {
  return x instanceof ArrayBuffer || (typeof SharedArrayBuffer !== 'undefined' && x instanceof SharedArrayBuffer);
}

function isWasmMemory(x: unknown): x is WasmMemoryLike {
  const api = (globalThis as { WebAssembly?: { Memory?: abstract new (...a: never[]) => unknown } }).WebAssembly;
  return api?.Memory !== undefined && x instanceof api.Memory;
}

/** Can another thread see the bytes of this region (a SharedArrayBuffer, or a shared WebAssembly memory's)? */
function isShareable(r: GuestMemoryRegion): r is GuestMemoryBufferRegion {
  if (!('buffer' in r)) return false;
  const b = isWasmMemory(r.buffer) ? r.buffer.buffer : r.buffer;
  return typeof SharedArrayBuffer !== 'undefined' && b instanceof SharedArrayBuffer;
}

function fail(message: string): never {
  throw new VgicError('INVALID_CONFIG', `guestMemory: ${message}`);
}

function readField(o: object, key: string, where: string): unknown {
  try {
    return (o as Record<string, unknown>)[key];
  } catch {
    return fail(`${where}.${key} cannot be read`);
  }
}

function checkBase(x: unknown, where: string): number {
  const n = typeof x === 'bigint' && x >= 0n && x < BigInt(GUEST_ADDRESS_LIMIT) ? Number(x) : x;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n >= GUEST_ADDRESS_LIMIT) {
    fail(`${where}.base must be a guest physical address, a whole number 0..2^52-1; got ${describeValue(x)}`);
  }
  return n;
}

function checkRegion(x: unknown, where: string): Region {
  if (typeof x !== 'object' || x === null || isArray(x)) fail(`${where} must be a region object; got ${describeValue(x)}`);
  const start = checkBase(readField(x, 'base', where), where);
  const buffer = readField(x, 'buffer', where);
  const size = readField(x, 'size', where);
  const sizeOk = (n: unknown, max: number): n is number => typeof n === 'number' && Number.isInteger(n) && n > 0 && n <= max;
  let region: Region;
  if (buffer !== undefined) {
    const memory = isWasmMemory(buffer) ? buffer : null;
    if (memory === null && !isBuffer(buffer)) {
      fail(`${where}.buffer must be an ArrayBuffer, a SharedArrayBuffer or a WebAssembly.Memory; got ${describeValue(buffer)}`);
    }
    const bytes = memory !== null ? memory.buffer.byteLength : (buffer as ArrayBufferLike).byteLength;
    const offset = readField(x, 'offset', where) ?? 0;
    if (typeof offset !== 'number' || !Number.isInteger(offset) || offset < 0 || offset > bytes) {
      fail(`${where}.offset must be a whole number 0..${bytes} (the buffer's length); got ${describeValue(offset)}`);
    }
    const n = size ?? bytes - offset;
    if (!sizeOk(n, bytes - offset)) fail(`${where}.size must be 1..${bytes - offset} (the bytes past offset); got ${describeValue(size)}`);
    region = { start, end: start + n, view: null, bytes: null, seen: null, memory, offset, source: x as GuestMemoryRegion, callbacks: null };
  } else {
    const read = readField(x, 'read', where);
    const write = readField(x, 'write', where);
    if (typeof read !== 'function' || typeof write !== 'function') {
      fail(`${where} must have a buffer, or read and write functions`);
    }
    if (!sizeOk(size, GUEST_ADDRESS_LIMIT)) fail(`${where}.size must be a whole number of bytes, at least 1; got ${describeValue(size)}`);
    const callbacks: GuestMemoryCallbackRegion = {
      base: start,
      size,
      read: read as GuestMemoryCallbackRegion['read'],
      write: write as GuestMemoryCallbackRegion['write'],
    };
    region = { start, end: start + size, view: null, bytes: null, seen: null, memory: null, offset: 0, source: x as GuestMemoryRegion, callbacks };
  }
  if (region.end > GUEST_ADDRESS_LIMIT) fail(`${where} ends at 0x${region.end.toString(16)}, past the 52-bit physical address space`);
  return region;
}

/**
 * The `guestMemory` option checked: an array of regions that do not
 * overlap. Throws INVALID_CONFIG naming what is wrong.
 */
export function checkGuestMemory(x: unknown): GuestMemoryRegion[] {
  if (x === undefined) return [];
  if (!isArray(x)) fail(`must be an array of regions; got ${describeValue(x)}`);
  const list = x as unknown[];
  const regions = list.map((r, i) => checkRegion(r, `guestMemory[${i}]`));
  const order = regions.map((_, i) => i).sort((a, b) => regions[a]!.start - regions[b]!.start);
  for (let k = 1; k < order.length; k++) {
    const a = regions[order[k - 1]!]!;
    const b = regions[order[k]!]!;
    if (b.start < a.end) fail(`regions ${order[k - 1]} and ${order[k]} overlap at 0x${b.start.toString(16)}`);
  }
  return regions.map((r) => r.source);
}

/** Scratch buffers for callback regions, one per access size, so that an access allocates nothing. */
const SCRATCH_BYTES = 32;

export class GuestMemory {
  /** Set by an access outside guest memory; stays set until the caller clears it. */
  fault = false;
  private readonly regions: Region[];
  private last = 0;
  /** Where in the view `readView` returned the access is. */
  private at = 0;
  private readonly scratch = new Uint8Array(SCRATCH_BYTES);
  private readonly scratchView = new DataView(this.scratch.buffer);
  private readonly scratchOf: Uint8Array[] = [];

  /** Guest memory of `regions` (as `checkGuestMemory` returns them; none: every access faults). */
  constructor(regions: readonly GuestMemoryRegion[] = []) {
    this.regions = regions.map((r, i) => checkRegion(r, `guestMemory[${i}]`)).sort((a, b) => a.start - b.start);
    for (let n = 0; n <= SCRATCH_BYTES; n++) this.scratchOf.push(this.scratch.subarray(0, n));
  }

  /** The regions, as given. */
  get regionList(): readonly GuestMemoryRegion[] {
    return this.regions.map((r) => r.source);
  }

  /** The regions another thread can see (shared buffers), for a machine handle. */
  shareableRegions(): GuestMemoryBufferRegion[] {
    const out: GuestMemoryBufferRegion[] = [];
    for (const r of this.regions) {
      if (!isShareable(r.source)) continue;
      out.push({ base: r.start, buffer: r.source.buffer, offset: r.offset, size: r.end - r.start });
    }
    return out;
  }

  /** Is [addr, addr+n) inside one region? Its index, or -1. */
  private find(addr: number, n: number): number {
    const rs = this.regions;
    const hit = rs[this.last];
    if (hit !== undefined && addr >= hit.start && addr + n <= hit.end) return this.last;
    for (let i = 0; i < rs.length; i++) {
      const r = rs[i]!;
      if (addr >= r.start && addr + n <= r.end) {
        this.last = i;
        return i;
      }
    }
    return -1;
  }

  /** The view of a buffer region, renewed if its WebAssembly memory grew. */
  private viewOf(r: Region): DataView {
    const b = r.memory !== null ? r.memory.buffer : (r.source as GuestMemoryBufferRegion).buffer as ArrayBufferLike;
    if (r.seen !== b) {
      r.seen = b;
      r.view = new DataView(b, r.offset, r.end - r.start);
      r.bytes = new Uint8Array(b, r.offset, r.end - r.start);
    }
    return r.view!;
  }

  /**
   * The region holding [addr, addr+n), or null (the fault set). A whole
   * number is checked here: `find`'s compares are false for NaN already.
   */
  private region(addr: number, n: number): Region | null {
    const i = this.find(addr, n);
    if (i < 0 || Math.floor(addr) !== addr) {
      this.fault = true;
      return null;
    }
    return this.regions[i]!;
  }

  private callRead(r: Region, addr: number, n: number): DataView | null {
    const bytes = this.scratchOf[n]!;
    let ok = false;
    try {
      ok = r.callbacks!.read(addr, bytes) === true;
    } catch {
      ok = false;
    }
    if (!ok) {
      this.fault = true;
      return null;
    }
    return this.scratchView;
  }

  private callWrite(r: Region, addr: number, n: number): boolean {
    let ok = false;
    try {
      ok = r.callbacks!.write(addr, this.scratchOf[n]!) === true;
    } catch {
      ok = false;
    }
    if (!ok) this.fault = true;
    return ok;
  }

  /** An access of `n` (1, 2 or 4) bytes: the view and the offset it is at, or null (the fault set). */
  private readView(addr: number, n: number): DataView | null {
    const r = this.region(addr, n);
    if (r === null) return null;
    if (r.callbacks !== null) return this.callRead(r, addr, n);
    this.at = addr - r.start;
    return this.viewOf(r);
  }

  private readN(addr: number, n: 1 | 2 | 4): number {
    this.at = 0;
    const d = this.readView(addr, n);
    if (d === null) return 0;
    return n === 1 ? d.getUint8(this.at) : n === 2 ? d.getUint16(this.at, true) : d.getUint32(this.at, true);
  }

  read8(addr: number): number {
    return this.readN(addr, 1);
  }

  read16(addr: number): number {
    return this.readN(addr, 2);
  }

  /** A 32-bit word, as an unsigned number. */
  read32(addr: number): number {
    return this.readN(addr, 4);
  }

  /**
   * `count` 32-bit words from `addr` into `out[at..]` (a 64-bit table entry
   * is two: low word first; a 32-byte ITS command eight). All or nothing:
   * false, the fault set and `out` untouched when any byte is outside one region.
   */
  readWords(addr: number, out: Uint32Array | Int32Array, count: number, at = 0): boolean {
    const r = this.region(addr, count * 4);
    if (r === null) return false;
    if (r.callbacks === null) {
      const d = this.viewOf(r);
      const off = addr - r.start;
      for (let k = 0; k < count; k++) out[at + k] = d.getUint32(off + k * 4, true);
      return true;
    }
    for (let k = 0; k < count; k += SCRATCH_BYTES / 4) {
      const n = Math.min(SCRATCH_BYTES / 4, count - k);
      const d = this.callRead(r, addr + k * 4, n * 4);
      if (d === null) return false;
      for (let j = 0; j < n; j++) out[at + k + j] = d.getUint32(j * 4, true);
    }
    return true;
  }

  private writeN(addr: number, n: 1 | 2 | 4, value: number): boolean {
    const r = this.region(addr, n);
    if (r === null) return false;
    const direct = r.callbacks === null;
    const d = direct ? this.viewOf(r) : this.scratchView;
    const off = direct ? addr - r.start : 0;
    if (n === 1) d.setUint8(off, value);
    else if (n === 2) d.setUint16(off, value, true);
    else d.setUint32(off, value >>> 0, true);
    return direct || this.callWrite(r, addr, n);
  }

  write8(addr: number, value: number): boolean {
    return this.writeN(addr, 1, value);
  }

  write16(addr: number, value: number): boolean {
    return this.writeN(addr, 2, value);
  }

  write32(addr: number, value: number): boolean {
    return this.writeN(addr, 4, value);
  }

  /** `count` 32-bit words of `src[at..]` to `addr`; false (nothing written, the fault set) outside one region. */
  writeWords(addr: number, src: Uint32Array | Int32Array, count: number, at = 0): boolean {
    const r = this.region(addr, count * 4);
    if (r === null) return false;
    if (r.callbacks === null) {
      const d = this.viewOf(r);
      const off = addr - r.start;
      for (let k = 0; k < count; k++) d.setUint32(off + k * 4, src[at + k]! >>> 0, true);
      return true;
    }
    for (let k = 0; k < count; k += SCRATCH_BYTES / 4) {
      const n = Math.min(SCRATCH_BYTES / 4, count - k);
      for (let j = 0; j < n; j++) this.scratchView.setUint32(j * 4, src[at + k + j]! >>> 0, true);
      if (!this.callWrite(r, addr + k * 4, n * 4)) return false;
    }
    return true;
  }

  /** A 64-bit value (a host convenience: it makes a bigint; the engine reads words with `readWords`). */
  read64(addr: number): bigint {
    const lo = this.read32(addr);
    const hi = this.read32(addr + 4);
    return (BigInt(hi) << 32n) | BigInt(lo);
  }

  /** A 64-bit value, low word first; false outside guest memory. */
  write64(addr: number, value: bigint): boolean {
    if (this.region(addr, 8) === null) return false;
    return this.write32(addr, Number(value & 0xffff_ffffn)) && this.write32(addr + 4, Number((value >> 32n) & 0xffff_ffffn));
  }
}
