import { describe, expect, it } from 'vitest';
import { bareVgic } from '../test/fixtures/bare.js';
import { APR_WORDS, CTL_WORDS, NONE, VGIC_STATE_ARRAYS, Vgic } from './vgic.js';

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

describe('the state layout (VGIC_STATE_ARRAYS)', () => {
  const shape = { nrVcpus: 3, nrSpis: 64, nrLrs: 4, priorityBits: 5, sgiSources: true };

  it('lays every array out once, in table order, each aligned, none overlapping, ending at bytesFor', () => {
    const v = Vgic.create(shape, false);
    let end = 0;
    for (const [name, [kind]] of Object.entries(VGIC_STATE_ARRAYS)) {
      const a = v[name as keyof typeof VGIC_STATE_ARRAYS];
      expect(a.buffer, name).toBe(v.buffer);
      expect(a.constructor, name).toBe(kind === 'i32' ? Int32Array : kind === 'u32' ? Uint32Array : Uint8Array);
      expect(a.byteOffset % a.BYTES_PER_ELEMENT, name).toBe(0);
      expect(a.byteOffset, name).toBeGreaterThanOrEqual(end);
      // No gap but the alignment padding.
      expect(a.byteOffset - end, name).toBeLessThan(a.BYTES_PER_ELEMENT);
      end = a.byteOffset + a.byteLength;
    }
    expect(end).toBe(Vgic.bytesFor(shape));
  });

  it('sizes each array by what it is indexed by: slots, slots and list heads, vCPUs, list registers', () => {
    const v = Vgic.create(shape, false);
    const slots = 3 * 32 + 64;
    expect(v.priority.length).toBe(slots);
    expect(v.route.length).toBe(slots * 2);
    expect(v.next.length).toBe(slots + 3);
    expect(v.lockWords.length).toBe(slots + 3);
    expect(v.pmr.length).toBe(3);
    expect(v.apr.length).toBe(3 * APR_WORDS);
    expect(v.lrState.length).toBe(3 * 4);
    expect(v.header.length).toBe(CTL_WORDS);
  });

  it('gives a thread that opens the buffer views of the same bytes', () => {
    const v = Vgic.create(shape, true);
    const w = Vgic.open(v.buffer);
    for (const name of Object.keys(VGIC_STATE_ARRAYS) as (keyof typeof VGIC_STATE_ARRAYS)[]) {
      expect([w[name].byteOffset, w[name].length], name).toEqual([v[name].byteOffset, v[name].length]);
    }
    v.pendingLatch[100] = 1;
    expect(w.pendingLatch[100]).toBe(1);
  });
});
