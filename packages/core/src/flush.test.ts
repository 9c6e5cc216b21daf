import { describe, expect, it } from 'vitest';
import { LINE_WORDS } from './cache-line.js';
import { bareVgic, configure, enqueue, lrIntids, spiSlot } from '../test/fixtures/bare.js';
import { apListSlots } from './aplist.js';
import { flushLrState } from './flush.js';
import { checkInvariants } from './invariants.js';
import { requeue } from './queue.js';
import { pruneApList } from './sync.js';
import { CONFIG_LEVEL, LR_ACTIVE, LR_PENDING, NONE, VCPU_RUNNING, type Vgic } from './vgic.js';

/** Put an SPI on vCPU 0's ap_list as pending (or active) with a priority. */
function queued(v: Vgic, intid: number, prio: number, state: 'pending' | 'active' = 'pending'): number {
  const s = spiSlot(v, intid);
  configure(v, s, { prio, target: 0 });
  if (state === 'pending') v.pendingLatch[s] = 1;
  else v.active[s] = 1;
  enqueue(v, 0, s);
  return s;
}

describe('flushLrState', () => {
  it('fills the list registers active first, then pending by priority, then by INTID', () => {
    const v = bareVgic({ nrLrs: 4 });
    queued(v, 44, 0x40);
    queued(v, 43, 0x10);
    queued(v, 40, 0xc0, 'active');
    queued(v, 42, 0x10);
    flushLrState(v, 0);
    expect(lrIntids(v, 0)).toEqual([40, 42, 43, 44]);
    expect(v.lrState[0]).toBe(LR_ACTIVE);
    expect([v.lrState[1], v.lrPrio[1]]).toEqual([LR_PENDING, 0x10]);
    expect(v.underflowRequested[0]).toBe(0);
    expect(v.runState[0]).toBe(VCPU_RUNNING);
    expect(checkInvariants(v)).toEqual([]);
  });

  it('requests underflow maintenance when more is queued than the list registers hold', () => {
    const v = bareVgic({ nrLrs: 4 });
    for (let i = 0; i < 5; i++) queued(v, 40 + i, 0x80 - 8 * i);
    flushLrState(v, 0);
    expect(lrIntids(v, 0)).toEqual([44, 43, 42, 41]);
    expect(v.usedLrs[0]).toBe(4);
    expect(v.underflowRequested[0]).toBe(1);
    expect(v.inLr[spiSlot(v, 40)]).toBe(NONE);
  });

  it('keeps a list register for a waiting pending interrupt when every one would hold an active one', () => {
    const v = bareVgic({ nrLrs: 4 });
    const active = [0x10, 0x20, 0x30, 0x40].map((p, i) => queued(v, 40 + i, p, 'active'));
    const pending = queued(v, 50, 0x50);
    flushLrState(v, 0);
    expect(lrIntids(v, 0)).toEqual([40, 41, 42, 50]);
    expect(v.inLr[pending]).toBe(3);
    // The lowest-priority active one stays behind on the ap_list.
    expect(v.inLr[active[3]!]).toBe(NONE);
    expect(v.apListVcpu[active[3]!]).toBe(0);
    expect(v.underflowRequested[0]).toBe(1);
    expect(checkInvariants(v)).toEqual([]);
  });

  it('fills every list register with active interrupts when nothing pending waits', () => {
    const v = bareVgic({ nrLrs: 4 });
    for (let i = 0; i < 4; i++) queued(v, 40 + i, 0x10 * (i + 1), 'active');
    flushLrState(v, 0);
    expect(lrIntids(v, 0)).toEqual([40, 41, 42, 43]);
    expect(v.underflowRequested[0]).toBe(0);
  });

  it('moves an edge pending state into the list register and leaves a level one on its line', () => {
    const v = bareVgic();
    const edge = queued(v, 40, 0x20);
    const level = spiSlot(v, 41);
    configure(v, level, { level: true, target: 0 });
    v.lineLevel[level] = 1;
    requeue(v, level);
    flushLrState(v, 0);
    expect(v.pendingLatch[edge]).toBe(0);
    expect(v.lineLevel[level]).toBe(1);
    // A level interrupt asks for EOI maintenance so the line can be resampled.
    expect(v.lrEoi[v.inLr[level]!]).toBe(1);
    expect(v.lrEoi[v.inLr[edge]!]).toBe(0);
    expect(v.config[level]).toBe(CONFIG_LEVEL);
  });

  it('never shows a hardware interrupt as pending and active, nor with the EOI bit', () => {
    const v = bareVgic();
    const s = queued(v, 40, 0x20, 'active');
    v.hw[s] = 1;
    v.hostIntid[s] = 77;
    v.pendingLatch[s] = 1;
    flushLrState(v, 0);
    expect(v.lrState[0]).toBe(LR_ACTIVE);
    expect(v.lrHw[0]).toBe(1);
    expect(v.lrHost[0]).toBe(77);
    expect(v.lrEoi[0]).toBe(0);
  });

  it('presents a GICv2 SGI pending from several sources one source at a time', () => {
    const v = bareVgic({ sgiSources: true });
    const s = 1 * 32 + 3;
    configure(v, s, { prio: 0x20, target: 1 });
    v.sgiSrc[s] = 0b1010;
    v.pendingLatch[s] = 1;
    requeue(v, s);
    flushLrState(v, 1);
    expect(v.usedLrs[LINE_WORDS]).toBe(1);
    const lr = v.lrBase(1);
    expect([v.lrIntid[lr], v.lrSrc[lr], v.lrState[lr], v.lrEoi[lr]]).toEqual([3, 1, LR_PENDING, 1]);
    expect(v.sgiSrc[s]).toBe(0b1000);
    expect(v.pendingLatch[s]).toBe(1);
  });

  it('leaves out an entry the oracle now routes elsewhere, and keeps the vCPU kicked so a prune moves it', () => {
    const v = bareVgic();
    const s = queued(v, 40, 0x20);
    v.target[s] = 2;
    flushLrState(v, 0);
    expect(v.usedLrs[0]).toBe(0);
    expect(v.kick[0]).toBe(1);
    pruneApList(v, 0);
    expect(apListSlots(v, 2)).toEqual([s]);
  });

  it('clears the kick when nothing is left for a prune to do', () => {
    const v = bareVgic();
    queued(v, 40, 0x20);
    v.kick[0] = 1;
    flushLrState(v, 0);
    expect(v.kick[0]).toBe(0);
  });
});
