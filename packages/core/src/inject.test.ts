import { describe, expect, it } from 'vitest';
import { bareVgic, configure, spiSlot } from '../test/fixtures/bare.js';
import { cpuifAck, SPURIOUS } from './cpuif.js';
import { flushLrState } from './flush.js';
import { injectSlot, mapHwSlot, setLineLevel, unmapHwSlot } from './inject.js';
import { syncHwState } from './sync.js';
import { CONFIG_LEVEL, NONE } from './vgic.js';

describe('injectSlot', () => {
  it('accepts a rising edge, reports a second one while pending as coalesced, ignores a falling one', () => {
    const v = bareVgic();
    const s = spiSlot(v, 40);
    configure(v, s, { target: 1 });
    expect(injectSlot(v, s, true)).toBe(true);
    expect(v.apListVcpu[s]).toBe(1);
    expect(injectSlot(v, s, true)).toBe(false);
    expect(injectSlot(v, s, false)).toBe(false);
    expect(v.pendingLatch[s]).toBe(1);
  });

  it('accepts an edge that arrives while the first waits in a list register; the fold counts the two as one', () => {
    const v = bareVgic();
    const s = spiSlot(v, 40);
    configure(v, s, { target: 1 });
    injectSlot(v, s, true);
    flushLrState(v, 1);
    expect(v.pendingLatch[s]).toBe(0);
    expect(injectSlot(v, s, true)).toBe(true);
    syncHwState(v, 1);
    expect(v.foldCoalesced[1]).toBe(1);
    flushLrState(v, 1);
    expect(cpuifAck(v, 1, 3, SPURIOUS)).toBe(40);
    expect(cpuifAck(v, 1, 3, SPURIOUS)).toBe(SPURIOUS);
  });

  it('accepts a level change only when the level changes, and queues on the rise', () => {
    const v = bareVgic();
    const s = spiSlot(v, 41);
    configure(v, s, { target: 2, level: true });
    expect(injectSlot(v, s, false)).toBe(false);
    expect(injectSlot(v, s, true)).toBe(true);
    expect(v.apListVcpu[s]).toBe(2);
    expect(injectSlot(v, s, true)).toBe(false);
    expect(injectSlot(v, s, false)).toBe(true);
    expect(v.lineLevel[s]).toBe(0);
    // Lowering the line does not touch the ap_list: the next prune does.
    expect(v.apListVcpu[s]).toBe(2);
    syncHwState(v, 2);
    expect(v.apListVcpu[s]).toBe(NONE);
  });

  it('a refused injection queues nothing and kicks nobody', () => {
    const v = bareVgic();
    const kicked: number[] = [];
    v.onKick = (k) => kicked.push(k);
    const s = spiSlot(v, 41);
    configure(v, s, { target: 2, level: true });
    injectSlot(v, s, false);
    expect(v.apListVcpu[s]).toBe(NONE);
    expect(kicked).toEqual([]);
  });
});

describe('setLineLevel', () => {
  it('sets the line without validation and reports whether it changed', () => {
    const v = bareVgic();
    const s = spiSlot(v, 41);
    configure(v, s, { target: 1 });
    v.config[s] = CONFIG_LEVEL;
    expect(setLineLevel(v, s, true)).toBe(true);
    expect(v.apListVcpu[s]).toBe(1);
    expect(setLineLevel(v, s, true)).toBe(false);
    expect(setLineLevel(v, s, false)).toBe(true);
  });
});

describe('mapHwSlot', () => {
  it('records the host INTID, and unmapping forgets it', () => {
    const v = bareVgic();
    const s = spiSlot(v, 40);
    mapHwSlot(v, s, 77);
    expect([v.hw[s], v.hostIntid[s]]).toEqual([1, 77]);
    unmapHwSlot(v, s);
    expect([v.hw[s], v.hostIntid[s]]).toEqual([0, 0]);
  });
});
