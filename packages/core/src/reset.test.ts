import { describe, expect, it } from 'vitest';
import { bareVgic } from '../test/fixtures/bare.js';
import { isVgicError } from './errors.js';
import { bitWord, itLinesNumber } from './registers.js';
import { frameBase, resetCpuInterface, resetIrqState } from './reset.js';
import { APR_WORDS, CONFIG_EDGE, CONFIG_LEVEL } from './vgic.js';

describe('the reset state both versions share', () => {
  it('enables SGIs only, makes PPIs level and the rest edge, priority 0, in the group asked for', () => {
    const v = bareVgic({ nrVcpus: 1, nrSpis: 32 });
    for (const [intid, enabled, config] of [[3, 1, CONFIG_EDGE], [27, 0, CONFIG_LEVEL], [40, 0, CONFIG_EDGE]] as const) {
      const s = v.slotOf(intid, 0);
      v.priority[s] = 0xa0;
      v.enabled[s] = 1 - enabled;
      resetIrqState(v, s, intid, 1);
      expect([v.enabled[s], v.config[s], v.priority[s], v.group[s]], `INTID ${intid}`).toEqual([enabled, config, 0, 1]);
    }
  });

  it("clears one vCPU's CPU interface and active priorities, and no other vCPU's", () => {
    const v = bareVgic({ nrVcpus: 2 });
    v.pmr.fill(0xf0);
    v.grpEn1.fill(1);
    v.eoiMode.fill(1);
    v.apr.fill(0x8000_0000);
    resetCpuInterface(v, 1, { bpr0: 2, bpr1: 3, fiqEn: 1 });
    expect([v.pmr[1], v.grpEn1[1], v.eoiMode[1], v.bpr0[1], v.bpr1[1], v.fiqEn[1]]).toEqual([0, 0, 0, 2, 3, 1]);
    expect([...v.apr.subarray(v.aprBase(1), v.aprBase(1) + APR_WORDS)]).toEqual(new Array(APR_WORDS).fill(0));
    expect([v.pmr[0], v.grpEn1[0], v.apr[0]]).toEqual([0xf0, 1, 0x8000_0000]);
  });
});

describe('frameBase', () => {
  const o = { fallback: 0x0800_0000, align: 0x10000, size: 0x20000, addressBits: 48 };
  it('takes the fallback when not given, and an aligned base whose frame ends within the address space', () => {
    expect(frameBase('gicrBase', undefined, o)).toBe(0x0800_0000);
    expect(frameBase('gicrBase', 0x1_0000, o)).toBe(0x1_0000);
    expect(frameBase('gicrBase', 2 ** 48 - 0x20000, o)).toBe(2 ** 48 - 0x20000);
  });
  it('refuses an unaligned, negative, fractional or too-high base, or one that is no number, naming the option', () => {
    for (const bad of [0x1000, -0x10000, 0.5, 2 ** 48 - 0x10000, 2 ** 60, '0x10000', 1n, null]) {
      let err: unknown;
      try {
        frameBase('gicrBase', bad, o);
      } catch (e) {
        err = e;
      }
      expect(isVgicError(err, 'INVALID_CONFIG'), String(bad)).toBe(true);
      expect((err as Error).message).toMatch(/^gicrBase must be a 64 KiB-aligned guest physical address below 2\^48; got /);
    }
  });
});

describe('register layout helpers', () => {
  it('bitWord puts 32 INTIDs in each word, the first word RAZ/WI when the private interrupts live elsewhere', () => {
    expect([0x100, 0x104, 0x11c].map(bitWord(0x100))).toEqual([0, 32, 224]);
    expect([0x100, 0x104, 0x11c].map(bitWord(0x100, true))).toEqual([-1, 32, 224]);
  });
  it('itLinesNumber counts the interrupts in 32s, less one', () => {
    expect(itLinesNumber(bareVgic({ nrSpis: 32 }))).toBe(1);
    expect(itLinesNumber(bareVgic({ nrSpis: 64 }))).toBe(2);
    expect(itLinesNumber(bareVgic({ nrSpis: 960 }))).toBe(30);
  });
});
