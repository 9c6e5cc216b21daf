import { describe, expect, it } from 'vitest';
import { bareVgic } from '../test/fixtures/bare.js';
import { APR_WORDS, CTL_WORDS, LPI_INTID_SPACE, LINE_BYTES, LINE_WORDS, LR_STRIDE, NONE, VGIC_STATE_ARRAYS, Vgic } from './vgic.js';

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
    for (const [name, [kind, extent]] of Object.entries(VGIC_STATE_ARRAYS)) {
      const a = v[name as keyof typeof VGIC_STATE_ARRAYS];
      // Arrays of per-vCPU blocks a line apart begin a line.
      const align = ['slotsAndHeads', 'locks', 'aprWords', 'lrs', 'vcpuLines'].includes(extent) ? LINE_BYTES : a.BYTES_PER_ELEMENT;
      expect(a.buffer, name).toBe(v.buffer);
      expect(a.constructor, name).toBe(kind === 'i32' ? Int32Array : kind === 'u32' ? Uint32Array : Uint8Array);
      expect(a.byteOffset % align, name).toBe(0);
      expect(a.byteOffset, name).toBeGreaterThanOrEqual(end);
      // No gap but the alignment padding.
      expect(a.byteOffset - end, name).toBeLessThan(align);
      end = a.byteOffset + a.byteLength;
    }
    expect(end).toBe(Vgic.bytesFor(shape));
  });

  it("puts each vCPU's run state, kick, used LRs and lines in cache lines no other vCPU's words and no other array share", () => {
    const v = Vgic.create(shape, false);
    const perVcpu = Object.entries(VGIC_STATE_ARRAYS).filter(([, [, extent]]) => extent === 'vcpuLines');
    expect(perVcpu.map(([name]) => name).sort()).toEqual(['fiqLine', 'irqLine', 'kick', 'linesStale', 'runState', 'usedLrs']);
    const lineOf = (byte: number): number => Math.floor(byte / LINE_BYTES);
    const owner = new Map<number, string>();
    for (const [name] of perVcpu) {
      const a = v[name as keyof typeof VGIC_STATE_ARRAYS];
      for (let k = 0; k < shape.nrVcpus; k++) {
        const line = lineOf(a.byteOffset + k * LINE_WORDS * a.BYTES_PER_ELEMENT);
        expect(owner.get(line), `${name}[vCPU ${k}]`).toBeUndefined();
        owner.set(line, `${name}[vCPU ${k}]`);
      }
    }
    for (const [name, [, extent]] of Object.entries(VGIC_STATE_ARRAYS)) {
      if (extent === 'vcpuLines') continue;
      const a = v[name as keyof typeof VGIC_STATE_ARRAYS];
      if (a.byteLength === 0) continue;
      for (let line = lineOf(a.byteOffset); line <= lineOf(a.byteOffset + a.byteLength - 1); line++) {
        expect(owner.get(line), `${name} shares a line with`).toBeUndefined();
      }
    }
  });

  // Two vCPU threads that write one cache line take it from each other on
  // every write: what each vCPU writes on every delivery keeps to lines of its own.
  it.each([
    ['4 list registers', { nrVcpus: 5, nrSpis: 32, nrLrs: 4, priorityBits: 5, sgiSources: false }],
    ['16 list registers and 7 preemption bits', { nrVcpus: 3, nrSpis: 96, nrLrs: 16, priorityBits: 7, sgiSources: true }],
  ])("keeps each vCPU's list head, lock word, active priorities and list registers out of every other vCPU's cache lines (%s)", (_, s) => {
    const v = Vgic.create(s, false);
    const lrArrays = [v.lrSlot, v.lrIntid, v.lrHost, v.lrState, v.lrPrio, v.lrGroup, v.lrHw, v.lrEoi, v.lrSrc];
    const linesOf = (k: number): Set<number> => {
      const lines = new Set<number>();
      const add = (a: Int32Array | Uint32Array | Uint8Array, from: number, count: number): void => {
        for (let i = from; i < from + count; i++) lines.add(Math.floor((a.byteOffset + i * a.BYTES_PER_ELEMENT) / LINE_BYTES));
      };
      for (const a of [v.lockWords, v.next, v.prev]) add(a, v.apListHead(k), 1);
      add(v.apr, v.aprBase(k), APR_WORDS);
      for (const a of lrArrays) add(a, v.lrBase(k), v.nrLrs);
      return lines;
    };
    const owner = new Map<number, number>();
    for (let k = 0; k < v.nrVcpus; k++) {
      for (const line of linesOf(k)) {
        expect(owner.get(line), `line ${line} of vCPU ${k}`).toBeUndefined();
        owner.set(line, k);
      }
    }
    // And no slot's lock word or links share a line with a list head.
    const firstHeadLine = Math.floor((v.lockWords.byteOffset + v.apListHead(0) * 4) / LINE_BYTES);
    expect(Math.floor((v.lockWords.byteOffset + (v.nrSlots - 1) * 4) / LINE_BYTES)).toBeLessThan(firstHeadLine);
  });

  it('sizes each array by what it is indexed by: slots, slots and list heads, vCPUs, list registers', () => {
    const v = Vgic.create(shape, false);
    const slots = 3 * 32 + 64;
    expect(v.priority.length).toBe(slots);
    expect(v.route.length).toBe(slots * 2);
    // The heads begin at the line after the slots, one line per vCPU.
    expect(v.headBase).toBe(slots);
    expect(v.apListHead(2)).toBe(slots + 2 * LINE_WORDS);
    expect(v.next.length).toBe(v.apListHead(2) + 1);
    // Then, a line past the last head, the ITS's two locks and the LPI map's.
    expect(v.lockIndexItsCmd).toBe(v.apListHead(2) + LINE_WORDS);
    expect(v.lockWords.length).toBe(v.lockIndexItsCmd + 3);
    expect(v.lpiMap.length).toBe(0);
    expect(v.backendState.length).toBe(0);
    expect(v.pmr.length).toBe(3);
    expect(v.apr.length).toBe(v.aprBase(2) + APR_WORDS);
    expect(v.lrState.length).toBe(2 * LR_STRIDE + 4);
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

  it('puts LPI slots after the SPIs, covered by every per-slot array, with the INTID map and the backend words', () => {
    const lpiShape = { ...shape, nrLpis: 100, backendWords: 40 };
    const v = Vgic.create(lpiShape, true);
    const spiEnd = 3 * 32 + 64;
    expect(v.lpiBase).toBe(spiEnd);
    expect(v.nrSlots).toBe(spiEnd + 100);
    expect(v.priority.length).toBe(spiEnd + 100);
    expect(v.headBase).toBeGreaterThanOrEqual(spiEnd + 100);
    expect(v.lpiRefs.length).toBe(100);
    expect(v.lpiMap.length).toBe(LPI_INTID_SPACE);
    expect(v.backendState.length).toBe(40);
    expect(v.isLpiSlot(spiEnd)).toBe(true);
    expect(v.isLpiSlot(spiEnd - 1)).toBe(false);
    // Another thread reads the same shape from the header.
    const w = Vgic.open(v.buffer);
    expect(w.shape).toEqual(lpiShape);
    expect(Vgic.shapeOf(v.buffer)).toEqual(lpiShape);
    w.backendState[39] = 7;
    expect(v.backendState[39]).toBe(7);
  });

  it('answers slotOf for an LPI from the map, and NONE for one that is not mapped', () => {
    const v = Vgic.create({ ...shape, nrLpis: 4 }, false);
    expect(v.slotOf(8192, 0)).toBe(NONE);
    v.lpiMap[5] = v.lpiBase + 2 + 1;
    expect(v.slotOf(8197, 1)).toBe(v.lpiBase + 2);
    expect(v.slotOf(8191, 0)).toBe(NONE);
    expect(v.slotOf(65536, 0)).toBe(NONE);
  });
});
