import { describe, expect, it } from 'vitest';
import { isVgicError } from './errors.js';
import { GuestMemory, checkGuestMemory, type GuestMemoryRegion } from './guest-memory.js';

const BASE = 0x4000_0000;

/** The WebAssembly JS API's Memory (the project's `lib` carries no WebAssembly types). */
interface WasmMemoryApi {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
const WasmMemory = (globalThis as unknown as { WebAssembly: { Memory: new (d: { initial: number; maximum: number; shared?: boolean }) => WasmMemoryApi } })
  .WebAssembly.Memory;

function configError(regions: unknown): string {
  try {
    checkGuestMemory(regions);
  } catch (e) {
    expect(isVgicError(e, 'INVALID_CONFIG')).toBe(true);
    return (e as Error).message;
  }
  throw new Error('accepted');
}

describe('GuestMemory over a buffer', () => {
  it('reads and writes little-endian words at guest physical addresses, through the integrator\'s bytes', () => {
    const ram = new ArrayBuffer(0x1000);
    const bytes = new Uint8Array(ram);
    const mem = new GuestMemory([{ base: BASE, buffer: ram }]);
    bytes.set([0x78, 0x56, 0x34, 0x12], 0x10);
    expect(mem.read32(BASE + 0x10)).toBe(0x12345678);
    expect(mem.read16(BASE + 0x12)).toBe(0x1234);
    expect(mem.read8(BASE + 0x13)).toBe(0x12);
    expect(mem.write32(BASE + 0x20, 0xdeadbeef)).toBe(true);
    expect(Array.from(bytes.subarray(0x20, 0x24))).toEqual([0xef, 0xbe, 0xad, 0xde]);
    expect(mem.read32(BASE + 0x20)).toBe(0xdeadbeef);
    expect(mem.write64(BASE + 0x30, 0x0102030405060708n)).toBe(true);
    expect(mem.read64(BASE + 0x30)).toBe(0x0102030405060708n);
    expect(mem.read32(BASE + 0x30)).toBe(0x05060708);
    expect(mem.fault).toBe(false);
  });

  it('takes an offset into the buffer and a size, and a bigint base', () => {
    const ram = new ArrayBuffer(0x100);
    new DataView(ram).setUint32(0x80, 42, true);
    const mem = new GuestMemory(checkGuestMemory([{ base: BigInt(BASE), buffer: ram, offset: 0x80, size: 0x10 }]));
    expect(mem.read32(BASE)).toBe(42);
    expect(mem.read32(BASE + 0x10)).toBe(0);
    expect(mem.fault).toBe(true);
  });

  it('faults — never throws — outside every region, across a region\'s end, at an address that is no whole number', () => {
    const mem = new GuestMemory([{ base: BASE, buffer: new ArrayBuffer(0x100) }]);
    for (const addr of [BASE - 4, BASE + 0x100, BASE + 0xfe, Number.NaN, BASE + 0.5, -1, Infinity, 2 ** 60]) {
      mem.fault = false;
      expect(mem.read32(addr), String(addr)).toBe(0);
      expect(mem.fault, String(addr)).toBe(true);
      mem.fault = false;
      expect(mem.write32(addr, 1), String(addr)).toBe(false);
      expect(mem.fault, String(addr)).toBe(true);
    }
    // The fault stays set until the caller clears it.
    mem.fault = false;
    mem.read32(0);
    mem.read32(BASE);
    expect(mem.fault).toBe(true);
    expect(new GuestMemory().read8(0)).toBe(0);
  });

  it('finds the right region when accesses alternate between regions (the last region is only a first guess)', () => {
    const a = new ArrayBuffer(0x100);
    const b = new ArrayBuffer(0x100);
    new DataView(a).setUint32(0, 0xaaaa, true);
    new DataView(b).setUint32(0, 0xbbbb, true);
    const mem = new GuestMemory([
      { base: 0x9000_0000, buffer: b },
      { base: BASE, buffer: a },
    ]);
    for (let n = 0; n < 3; n++) {
      expect(mem.read32(BASE)).toBe(0xaaaa);
      expect(mem.read32(0x9000_0000)).toBe(0xbbbb);
    }
    expect(mem.fault).toBe(false);
  });

  it('reads and writes whole table entries and commands as words, all or nothing', () => {
    const ram = new ArrayBuffer(0x100);
    const mem = new GuestMemory([{ base: BASE, buffer: ram }]);
    const cmd = Uint32Array.from([1, 2, 3, 4, 5, 6, 7, 0xffffffff]);
    expect(mem.writeWords(BASE + 0x40, cmd, 8)).toBe(true);
    const out = new Uint32Array(10);
    expect(mem.readWords(BASE + 0x40, out, 8, 2)).toBe(true);
    expect(Array.from(out)).toEqual([0, 0, 1, 2, 3, 4, 5, 6, 7, 0xffffffff]);
    const untouched = new Uint32Array(8).fill(9);
    expect(mem.readWords(BASE + 0xf0, untouched, 8)).toBe(false);
    expect(Array.from(untouched)).toEqual(new Array(8).fill(9));
    expect(mem.writeWords(BASE + 0xf0, cmd, 8)).toBe(false);
    expect(new Uint8Array(ram, 0xf0).every((b) => b === 0)).toBe(true);
  });

  it('sees a WebAssembly memory\'s bytes after it grows (its buffer is replaced)', () => {
    const wasm = new WasmMemory({ initial: 1, maximum: 4 });
    const mem = new GuestMemory(checkGuestMemory([{ base: BASE, buffer: wasm, size: 0x10000 }]));
    mem.write32(BASE + 8, 77);
    wasm.grow(1);
    new DataView(wasm.buffer).setUint32(12, 88, true);
    expect(mem.read32(BASE + 8)).toBe(77);
    expect(mem.read32(BASE + 12)).toBe(88);
  });
});

describe('GuestMemory over callbacks', () => {
  it('hands the callbacks the guest address and the bytes, little-endian', () => {
    const store = new Map<number, number>();
    const seen: number[] = [];
    const region: GuestMemoryRegion = {
      base: BASE,
      size: 0x1000,
      read(addr, bytes) {
        seen.push(addr);
        for (let i = 0; i < bytes.length; i++) bytes[i] = store.get(addr + i) ?? 0;
        return true;
      },
      write(addr, bytes) {
        for (let i = 0; i < bytes.length; i++) store.set(addr + i, bytes[i]!);
        return true;
      },
    };
    const mem = new GuestMemory(checkGuestMemory([region]));
    expect(mem.write32(BASE + 4, 0x11223344)).toBe(true);
    expect(store.get(BASE + 4)).toBe(0x44);
    expect(mem.read32(BASE + 4)).toBe(0x11223344);
    expect(mem.read16(BASE + 6)).toBe(0x1122);
    const words = Uint32Array.from({ length: 12 }, (_, i) => i * 0x01010101);
    expect(mem.writeWords(BASE + 0x100, words, 12)).toBe(true);
    const back = new Uint32Array(12);
    seen.length = 0;
    expect(mem.readWords(BASE + 0x100, back, 12)).toBe(true);
    expect(Array.from(back)).toEqual(Array.from(words));
    // More words than one scratch buffer: read in pieces, in address order.
    expect(seen).toEqual([BASE + 0x100, BASE + 0x120]);
    expect(mem.fault).toBe(false);
  });

  it('counts a callback that answers false, or throws, as a fault', () => {
    const mem = new GuestMemory([
      { base: 0, size: 0x100, read: () => false, write: () => false },
      {
        base: 0x100,
        size: 0x100,
        read: () => {
          throw new Error('bus error');
        },
        write: () => {
          throw new Error('bus error');
        },
      },
    ]);
    for (const addr of [0x10, 0x110]) {
      mem.fault = false;
      expect(mem.read32(addr)).toBe(0);
      expect(mem.fault).toBe(true);
      mem.fault = false;
      expect(mem.write8(addr, 1)).toBe(false);
      expect(mem.fault).toBe(true);
    }
  });
});

describe('checkGuestMemory (the guestMemory option)', () => {
  it('refuses what is no list of regions, naming the region and field', () => {
    expect(configError({})).toMatch(/must be an array of regions/);
    expect(configError([42])).toMatch(/guestMemory\[0\] must be a region object/);
    expect(configError([{ base: -1, buffer: new ArrayBuffer(4) }])).toMatch(/guestMemory\[0\]\.base/);
    expect(configError([{ base: 2 ** 52, buffer: new ArrayBuffer(4) }])).toMatch(/\.base/);
    expect(configError([{ base: 0, buffer: new Uint8Array(4) }])).toMatch(/\.buffer must be/);
    expect(configError([{ base: 0, buffer: new ArrayBuffer(4), offset: 5 }])).toMatch(/\.offset/);
    expect(configError([{ base: 0, buffer: new ArrayBuffer(4), size: 8 }])).toMatch(/\.size must be 1\.\.4/);
    expect(configError([{ base: 0, size: 16, read: () => true }])).toMatch(/read and write functions/);
    expect(configError([{ base: 0, read: () => true, write: () => true }])).toMatch(/\.size/);
    expect(configError([{ base: 2 ** 52 - 2, buffer: new ArrayBuffer(4) }])).toMatch(/past the 52-bit/);
  });

  it('refuses regions that overlap', () => {
    const ram = new ArrayBuffer(0x100);
    expect(configError([{ base: 0x1000, buffer: ram }, { base: 0x10f0, buffer: ram }])).toMatch(/regions 0 and 1 overlap at 0x10f0/);
    expect(checkGuestMemory([{ base: 0x1000, buffer: ram }, { base: 0x1100, buffer: ram }])).toHaveLength(2);
    expect(checkGuestMemory(undefined)).toEqual([]);
  });

  it('lets only regions over shared memory travel to another thread', () => {
    const sab = new SharedArrayBuffer(0x100);
    const shared = new WasmMemory({ initial: 1, maximum: 1, shared: true });
    const mem = new GuestMemory([
      { base: 0, buffer: new ArrayBuffer(0x100) },
      { base: 0x1000, buffer: sab, offset: 0x10 },
      { base: 0x2000, buffer: shared },
      { base: 0x30000, size: 4, read: () => true, write: () => true },
    ]);
    expect(mem.shareableRegions()).toEqual([
      { base: 0x1000, buffer: sab, offset: 0x10, size: 0xf0 },
      { base: 0x2000, buffer: shared, offset: 0, size: 0x10000 },
    ]);
  });
});
