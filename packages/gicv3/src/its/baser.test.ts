import { describe, expect, test } from 'vitest';
import {
  BASER_INDIRECT,
  BASER_VALID,
  baserAddress,
  baserBytes,
  baserReset,
  baserSanitise,
  cbaserAddress,
  cbaserBytes,
  cbaserSanitise,
  tableEntryAddress,
} from './baser.js';
import type { ItsMemory } from './memory.js';

/** Guest RAM at [base, base + size) for the tests. */
function ram(base: number, size: number): ItsMemory & { dv: DataView } {
  const dv = new DataView(new ArrayBuffer(size));
  const inside = (a: number): boolean => a >= base && a + 4 <= base + size;
  return {
    dv,
    read32: (a) => (inside(a) ? dv.getUint32(a - base, true) : -1),
    write32: (a, v) => {
      if (!inside(a)) return false;
      dv.setUint32(a - base, v, true);
      return true;
    },
  };
}

const TYPE = (n: bigint): bigint => n << 56n;
const ESZ8 = 7n << 48n;
const PAGE_64K = 2n << 8n;

describe('GITS_BASER<n> as KVM keeps it', () => {
  test('reset: a device table and a collection table, 8-byte entries, 64 KiB pages, RaWb Inner Shareable, not valid', () => {
    expect(baserReset(0)).toBe((3n << 59n) | TYPE(1n) | ESZ8 | (1n << 10n) | PAGE_64K);
    expect(baserReset(1)).toBe((3n << 59n) | TYPE(4n) | ESZ8 | (1n << 10n) | PAGE_64K);
  });

  test('Type and Entry_Size cannot be written; the page size is always 64 KiB; the collection table is never Indirect', () => {
    const all = (1n << 64n) - 1n;
    const dev = baserSanitise(0, all);
    expect((dev >> 56n) & 7n).toBe(1n);
    expect((dev >> 48n) & 0x1fn).toBe(7n);
    expect((dev >> 8n) & 3n).toBe(2n);
    expect(dev & BASER_INDIRECT).toBe(BASER_INDIRECT);
    const coll = baserSanitise(1, all);
    expect((coll >> 56n) & 7n).toBe(4n);
    expect(coll & BASER_INDIRECT).toBe(0n);
    expect(baserSanitise(0, 0x3n)).toBe(baserSanitise(0, 0x103n) & ~0n);
  });

  test('shareability and cacheability sanitised as KVM: Outer → Inner Shareable, inner nC → RaWb, outer WB → Same as Inner', () => {
    const v = baserSanitise(0, (1n << 59n) | (5n << 53n) | (2n << 10n));
    expect((v >> 59n) & 7n).toBe(3n);
    expect((v >> 53n) & 7n).toBe(0n);
    expect((v >> 10n) & 3n).toBe(1n);
    const kept = baserSanitise(0, (7n << 59n) | (1n << 53n) | (0n << 10n));
    expect([(kept >> 59n) & 7n, (kept >> 53n) & 7n, (kept >> 10n) & 3n]).toEqual([7n, 1n, 0n]);
  });

  test('address: bits 47:16, with PA 51:48 in bits 15:12 (64 KiB pages); size in 64 KiB pages', () => {
    expect(baserAddress(0x0000_1234_5678_0000n | 0x3000n)).toBe(0x3_1234_5678_0000);
    expect(baserBytes(0x0fn)).toBe(16 * 0x10000);
  });

  test('GITS_CBASER: 64 KiB aligned (bits 15:12 cleared), size in 4 KiB pages', () => {
    const c = cbaserSanitise(BASER_VALID | 0x4001_f003n);
    expect(cbaserAddress(c)).toBe(0x4001_0000);
    expect(cbaserBytes(c)).toBe(4 * 0x1000);
  });
});

describe('table addressing (vgic_its_check_id)', () => {
  const BASE = 0x4000_0000;
  const flat = (pages: number): bigint => baserSanitise(0, BASER_VALID | BigInt(BASE) | BigInt(pages - 1));

  test('a flat table: entry id at base + 8 id, ids up to its size', () => {
    const mem = ram(BASE, 0x40000);
    expect(tableEntryAddress(mem, flat(1), 0)).toBe(BASE);
    expect(tableEntryAddress(mem, flat(1), 8191)).toBe(BASE + 8191 * 8);
    expect(tableEntryAddress(mem, flat(1), 8192)).toBe(-1);
    expect(tableEntryAddress(mem, flat(2), 8192)).toBe(BASE + 0x10000);
  });

  test('an ID of 16 bits or more is out of range whatever the table size (Devbits 16)', () => {
    const mem = ram(BASE, 0x100000);
    expect(tableEntryAddress(mem, flat(8), 0xffff)).toBe(BASE + 0xffff * 8);
    expect(tableEntryAddress(mem, flat(16), 0x1_0000)).toBe(-1);
  });

  test('an entry outside guest RAM is out of range (kvm_is_visible_gfn)', () => {
    const mem = ram(BASE, 0x8000);
    expect(tableEntryAddress(mem, flat(1), 0xfff)).toBe(BASE + 0xfff * 8);
    expect(tableEntryAddress(mem, flat(1), 0x1000)).toBe(-1);
  });

  test('a two-level device table: the level-1 entry names a 64 KiB level-2 page; an invalid level-1 entry refuses the id', () => {
    const mem = ram(BASE, 0x40000);
    const l2 = BASE + 0x20000;
    // Level-1 entry 1 (ids 8192..16383) valid, entry 0 not.
    mem.write32(BASE + 8, l2);
    mem.write32(BASE + 12, 0x8000_0000);
    const baser = flat(1) | BASER_INDIRECT;
    expect(tableEntryAddress(mem, baser, 8192 + 3)).toBe(l2 + 24);
    expect(tableEntryAddress(mem, baser, 3)).toBe(-1);
    // The level-1 table has 8192 entries: every 16-bit id has one.
    expect(tableEntryAddress(mem, baser, 0xffff)).toBe(-1);
  });

  test('a level-1 table past guest RAM refuses the id', () => {
    const mem = ram(BASE, 0x10000);
    const baser = baserSanitise(0, BASER_VALID | BASER_INDIRECT | BigInt(BASE + 0x10000));
    expect(tableEntryAddress(mem, baser, 5)).toBe(-1);
  });
});
