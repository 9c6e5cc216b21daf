import { describe, expect, it } from 'vitest';
import { bareVgic } from '../test/fixtures/bare.js';
import { NONE } from './vgic.js';

describe('Vgic.slotOf', () => {
  it('banks private interrupts per vCPU and shares SPIs', () => {
    const v = bareVgic({ nrVcpus: 3, nrSpis: 32 });
    expect(v.slotOf(5, 0)).toBe(5);
    expect(v.slotOf(5, 2)).toBe(2 * 32 + 5);
    expect(v.slotOf(31, 1)).toBe(32 + 31);
    // SPIs follow the three vCPUs' private blocks, the same slot whoever asks.
    expect(v.slotOf(32, 0)).toBe(3 * 32);
    expect(v.slotOf(40, 2)).toBe(3 * 32 + 8);
    expect(v.slotOf(63, 1)).toBe(v.nrSlots - 1);
  });

  it('answers NONE for an INTID the machine has no slot for, so a guest access there touches nothing', () => {
    const v = bareVgic({ nrVcpus: 2, nrSpis: 32 });
    expect(v.slotOf(-1, 0)).toBe(NONE);
    expect(v.slotOf(64, 0)).toBe(NONE);
    expect(v.slotOf(1020, 1)).toBe(NONE);
    expect(v.slotOf(63, 0)).not.toBe(NONE);
  });
});
