import { describe, expect, test } from 'vitest';
import { DTE_MAX_NEXT, ITE_MAX_NEXT, decodeCte, decodeDte, decodeIte, encodeCte, encodeDte, encodeIte } from './abi.js';

describe('ITS table ABI revision 0 entries (arm-vgic-its.rst)', () => {
  test('DTE: V 63, next 62:49, ITT_addr 48:5 (address bits 51:8), Size 4:0 = EventID bits − 1', () => {
    const e = encodeDte(3, 0xf_1234_5600, 16);
    expect(e).toBe((1n << 63n) | (3n << 49n) | (0xf_1234_56n << 5n) | 15n);
    expect(decodeDte(e)).toEqual({ valid: true, next: 3, itt: 0xf_1234_5600, eventBits: 16 });
    expect(decodeDte(0n).valid).toBe(false);
  });

  test('ITE: next 63:48, pINTID 47:16, ICID 15:0', () => {
    const e = encodeIte(2, 8195, 0xabcd);
    expect(e).toBe((2n << 48n) | (8195n << 16n) | 0xabcdn);
    expect(decodeIte(e)).toEqual({ next: 2, intid: 8195, icid: 0xabcd });
  });

  test('CTE: V 63, RDBase 51:16 (the vCPU; 0xffffffff unmapped), ICID 15:0', () => {
    expect(encodeCte(5, 7)).toBe((1n << 63n) | (5n << 16n) | 7n);
    expect(decodeCte(encodeCte(0xffff_ffff, 1))).toEqual({ valid: true, target: 0xffff_ffff, icid: 1 });
  });

  test('next is capped: 2^14 − 1 for a DTE, 2^16 − 1 for an ITE', () => {
    expect(decodeDte(encodeDte(1 << 20, 0, 1)).next).toBe(DTE_MAX_NEXT);
    expect(decodeIte(encodeIte(1 << 20, 8192, 0)).next).toBe(ITE_MAX_NEXT);
  });
});
