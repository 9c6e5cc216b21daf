import { describe, expect, it } from 'vitest';
import { LINE_WORDS } from './cache-line.js';
import { bareVgic, configure, lrIntids, resync, spiSlot } from '../test/fixtures/bare.js';
import {
  cpuifLines,
  binaryPoint,
  cpuifAck,
  cpuifDir,
  cpuifEoi,
  cpuifHppi,
  cpuifRpr,
  groupPriority,
  hasPendingIrq,
  highestActivePriority,
  IDLE_PRIORITY,
  SPURIOUS,
} from './cpuif.js';
import { flushLrState } from './flush.js';
import { injectSlot, mapHwSlot } from './inject.js';
import { checkInvariants } from './invariants.js';
import { requeue } from './queue.js';
import { syncHwState } from './sync.js';
import { APR_WORDS, CTL_DIST_ENABLE, LR_ACTIVE, LR_PENDING, type Vgic } from './vgic.js';

const BOTH = 3;

/** An enabled SPI routed to `vcpu`, injected (edge). */
function spi(v: Vgic, intid: number, prio: number, vcpu = 0, o: { level?: boolean; group?: number } = {}): number {
  const s = spiSlot(v, intid);
  configure(v, s, { prio, target: vcpu, ...o });
  injectSlot(v, s, true);
  return s;
}

/** The guest's acknowledge, as the Machine makes it: re-entering first if the vCPU was kicked or raised maintenance. */
function ack(v: Vgic, vcpu = 0): number {
  resync(v, vcpu);
  return cpuifAck(v, vcpu, BOTH, SPURIOUS);
}

function eoi(v: Vgic, intid: number, vcpu = 0, grp = 1): void {
  resync(v, vcpu);
  cpuifEoi(v, vcpu, intid, 0, grp);
}

function dir(v: Vgic, intid: number, vcpu = 0): void {
  resync(v, vcpu);
  cpuifDir(v, vcpu, intid, 0);
}

/** Is the SPI active, looking through a live list register as the architecture would? */
function isActive(v: Vgic, intid: number): boolean {
  const s = spiSlot(v, intid);
  const owner = v.apListVcpu[s]!;
  const k = v.inLr[s]!;
  if (k >= 0 && owner >= 0) return (v.lrState[v.lrBase(owner) + k]! & LR_ACTIVE) !== 0 && v.foldChanges[s] === 0;
  return v.active[s] !== 0;
}

function aprZero(v: Vgic, vcpu: number): boolean {
  return v.apr.subarray(v.aprBase(vcpu), v.aprBase(vcpu) + APR_WORDS).every((w) => w === 0);
}

describe('acknowledge', () => {
  it('takes the highest-priority pending interrupt and makes it active', () => {
    const v = bareVgic();
    spi(v, 40, 0x80);
    spi(v, 41, 0x20);
    spi(v, 42, 0x60);
    expect(ack(v)).toBe(41);
    const lr = v.inLr[spiSlot(v, 41)]!;
    expect(v.lrState[lr]).toBe(LR_ACTIVE);
    expect(cpuifRpr(v, 0)).toBe(0x20);
  });

  it('returns 1023 when nothing is pending', () => {
    const v = bareVgic();
    expect(ack(v)).toBe(SPURIOUS);
    expect(cpuifRpr(v, 0)).toBe(IDLE_PRIORITY);
  });

  it('does not take an interrupt at or below the priority mask', () => {
    const v = bareVgic();
    v.pmr[0] = 0x80;
    spi(v, 40, 0x80);
    expect(ack(v)).toBe(SPURIOUS);
    v.pmr[0] = 0x88;
    expect(ack(v)).toBe(40);
  });

  it('does not take an interrupt that does not beat the running priority', () => {
    const v = bareVgic();
    spi(v, 40, 0x40);
    expect(ack(v)).toBe(40);
    spi(v, 41, 0x40);
    spi(v, 42, 0x60);
    expect(ack(v)).toBe(SPURIOUS);
    spi(v, 43, 0x38);
    expect(ack(v)).toBe(43);
  });

  it('does not take an interrupt of a group disabled at the vCPU interface, nor one of a group the read does not serve', () => {
    const v = bareVgic();
    spi(v, 40, 0x40, 0, { group: 0 });
    v.grpEn0[0] = 0;
    expect(ack(v)).toBe(SPURIOUS);
    v.grpEn0[0] = 1;
    expect(cpuifAck(v, 0, 0b10, 1022)).toBe(1022);
    expect(cpuifAck(v, 0, 0b01, SPURIOUS)).toBe(40);
  });

  it('reads the highest pending interrupt without taking it', () => {
    const v = bareVgic();
    spi(v, 40, 0x80);
    spi(v, 41, 0x20);
    resync(v, 0);
    expect(cpuifHppi(v, 0, BOTH, SPURIOUS)).toBe(41);
    expect(cpuifHppi(v, 0, BOTH, SPURIOUS)).toBe(41);
    expect(ack(v)).toBe(41);
    expect(cpuifHppi(v, 0, BOTH, SPURIOUS)).toBe(40);
  });

  it('reports a GICv2 SGI with its source in bits 12:10', () => {
    const v = bareVgic({ sgiSources: true });
    const s = 0 * 32 + 5;
    configure(v, s, { prio: 0x20, target: 0 });
    v.sgiSrc[s] = 1 << 3;
    v.pendingLatch[s] = 1;
    requeue(v, s);
    resync(v, 0);
    expect(cpuifAck(v, 0, BOTH, SPURIOUS)).toBe(5 | (3 << 10));
  });
});

describe('preemption and binary points', () => {
  it('uses BPR0 + 1 for group 0, BPR1 for group 1, and BPR0 for both with CBPR', () => {
    const v = bareVgic();
    v.bpr0[0] = 2;
    v.bpr1[0] = 4;
    expect(binaryPoint(v, 0, 0)).toBe(3);
    expect(binaryPoint(v, 0, 1)).toBe(4);
    v.cbpr[0] = 1;
    expect(binaryPoint(v, 0, 1)).toBe(3);
    expect(groupPriority(v, 0, 0x5f, 0)).toBe(0x58);
    v.cbpr[0] = 0;
    expect(groupPriority(v, 0, 0x5f, 1)).toBe(0x50);
  });

  it('lets a higher group priority preempt, but not a higher priority within the same group priority', () => {
    const v = bareVgic();
    v.bpr1[0] = 5; // group priority = bits [7:5]
    spi(v, 40, 0x50);
    expect(ack(v)).toBe(40);
    expect(cpuifRpr(v, 0)).toBe(0x40);
    spi(v, 41, 0x48);
    expect(ack(v)).toBe(SPURIOUS);
    spi(v, 42, 0x30);
    expect(ack(v)).toBe(42);
    expect(cpuifRpr(v, 0)).toBe(0x20);
  });

  it('with the smallest binary point every implemented priority bit preempts', () => {
    const v = bareVgic();
    spi(v, 40, 0x50);
    expect(ack(v)).toBe(40);
    spi(v, 41, 0x48);
    expect(ack(v)).toBe(41);
    expect(highestActivePriority(v, 0)).toBe(0x48);
  });
});

describe('EOI and DIR', () => {
  it('EOImode 0: EOI drops the priority and deactivates', () => {
    const v = bareVgic();
    spi(v, 40, 0x40);
    expect(ack(v)).toBe(40);
    eoi(v, 40);
    expect(cpuifRpr(v, 0)).toBe(IDLE_PRIORITY);
    expect(isActive(v, 40)).toBe(false);
    expect(aprZero(v, 0)).toBe(true);
  });

  it('EOImode 1: EOI drops the priority only, and DIR deactivates', () => {
    const v = bareVgic();
    v.eoiMode[0] = 1;
    spi(v, 40, 0x40);
    ack(v);
    eoi(v, 40);
    expect(cpuifRpr(v, 0)).toBe(IDLE_PRIORITY);
    expect(isActive(v, 40)).toBe(true);
    dir(v, 40);
    expect(isActive(v, 40)).toBe(false);
  });

  it('EOImode 0 ignores DIR', () => {
    const v = bareVgic();
    spi(v, 40, 0x40);
    ack(v);
    dir(v, 40);
    expect(isActive(v, 40)).toBe(true);
    expect(cpuifRpr(v, 0)).toBe(0x40);
  });

  it('an out-of-order EOI drops the priority but deactivates nothing', () => {
    const v = bareVgic();
    spi(v, 40, 0x80);
    ack(v);
    spi(v, 41, 0x40);
    expect(ack(v)).toBe(41);
    eoi(v, 40); // the running priority is 41's
    expect(cpuifRpr(v, 0)).toBe(0x80);
    expect(isActive(v, 40)).toBe(true);
    expect(isActive(v, 41)).toBe(true);
  });

  it('honours an EOI of an active interrupt that is in no list register', () => {
    const v = bareVgic({ nrLrs: 1 });
    spi(v, 40, 0x80);
    expect(ack(v)).toBe(40);
    spi(v, 41, 0x40);
    expect(ack(v)).toBe(41);
    expect(lrIntids(v, 0)).toEqual([41]);
    eoi(v, 41);
    eoi(v, 40);
    syncHwState(v, 0);
    expect(v.active[spiSlot(v, 40)]).toBe(0);
    expect(v.active[spiSlot(v, 41)]).toBe(0);
    expect(aprZero(v, 0)).toBe(true);
  });

  it('honours a DIR of an active interrupt that is in no list register', () => {
    const v = bareVgic({ nrLrs: 1 });
    v.eoiMode[0] = 1;
    spi(v, 40, 0x80);
    ack(v);
    spi(v, 41, 0x40);
    ack(v);
    eoi(v, 41);
    eoi(v, 40);
    resync(v, 0);
    dir(v, 40);
    dir(v, 41);
    syncHwState(v, 0);
    expect(v.active[spiSlot(v, 40)]).toBe(0);
    expect(v.active[spiSlot(v, 41)]).toBe(0);
  });

  it("a DIR from another vCPU deactivates an SPI active in its owner's list register", () => {
    const v = bareVgic();
    v.eoiMode[0] = 1;
    v.eoiMode[1] = 1;
    spi(v, 40, 0x40, 0);
    expect(ack(v, 0)).toBe(40);
    eoi(v, 40, 0);
    dir(v, 40, 1);
    expect(isActive(v, 40)).toBe(false);
    // The owner was kicked: its next entry folds the LR without the active state.
    expect(v.kick[0]).toBe(1);
    syncHwState(v, 0);
    expect(v.active[spiSlot(v, 40)]).toBe(0);
    expect(checkInvariants(v)).toEqual([]);
  });

  it('deactivates a GICv2 SGI only when the EOI or DIR names the source of its active instance', () => {
    const v = bareVgic({ sgiSources: true, nrVcpus: 8 });
    v.eoiMode[0] = 1;
    const s = 0 * 32 + 9;
    configure(v, s, { prio: 0x20, target: 0 });
    v.sgiSrc[s] = 1 << 7;
    v.pendingLatch[s] = 1;
    requeue(v, s);
    expect(ack(v)).toBe(9 | (7 << 10));
    cpuifEoi(v, 0, 9, 6, 1);
    expect(cpuifRpr(v, 0)).toBe(IDLE_PRIORITY);
    cpuifDir(v, 0, 9, 6);
    expect(v.lrState[0]).toBe(LR_ACTIVE);
    expect(v.foldChanges[s]).toBe(0);
    cpuifDir(v, 0, 9, 7);
    expect(v.lrState[0]).toBe(0);
  });

  for (const lrs of [1, 4, 16]) {
    for (const mode of [0, 1]) {
      it(`nests 31 active interrupts with ${lrs} list registers, then EOIs${mode ? ' and DIRs' : ''} them all (EOImode ${mode})`, () => {
        const v = bareVgic({ nrLrs: lrs, nrSpis: 64 });
        v.eoiMode[0] = mode;
        for (let i = 0; i < 31; i++) {
          spi(v, 40 + i, 0xf0 - 8 * i);
          expect(ack(v)).toBe(40 + i);
          expect(checkInvariants(v)).toEqual([]);
        }
        expect(cpuifRpr(v, 0)).toBe(0);
        for (let i = 30; i >= 0; i--) {
          eoi(v, 40 + i);
          expect(cpuifRpr(v, 0)).toBe(i === 0 ? IDLE_PRIORITY : 0xf0 - 8 * (i - 1));
        }
        if (mode === 1) for (let i = 0; i < 31; i++) dir(v, 40 + i);
        syncHwState(v, 0);
        for (let i = 0; i < 31; i++) expect(v.active[spiSlot(v, 40 + i)]).toBe(0);
        expect(aprZero(v, 0)).toBe(true);
        expect(v.next[v.apListHead(0)]).toBe(v.apListHead(0));
        expect(ack(v)).toBe(SPURIOUS);
      });
    }
  }
});

describe('hardware-mapped interrupts', () => {
  it('EOImode 0: the EOI deactivates the host interrupt', () => {
    const v = bareVgic();
    const calls: number[][] = [];
    v.onHostDeactivate = (host, intid, vcpu) => calls.push([host, intid, vcpu]);
    const s = spiSlot(v, 40);
    mapHwSlot(v, s, 77);
    spi(v, 40, 0x40, 2);
    expect(ack(v, 2)).toBe(40);
    expect(calls).toEqual([]);
    eoi(v, 40, 2);
    expect(calls).toEqual([[77, 40, 2]]);
  });

  it('EOImode 1: the DIR deactivates the host interrupt, the EOI does not', () => {
    const v = bareVgic();
    v.eoiMode[0] = 1;
    const calls: number[][] = [];
    v.onHostDeactivate = (host, intid, vcpu) => calls.push([host, intid, vcpu]);
    mapHwSlot(v, spiSlot(v, 40), 77);
    spi(v, 40, 0x40);
    ack(v);
    eoi(v, 40);
    expect(calls).toEqual([]);
    dir(v, 40);
    expect(calls).toEqual([[77, 40, 0]]);
  });

  it('a second EOI of an interrupt already deactivated in its list register does not deactivate the host twice', () => {
    const v = bareVgic();
    const calls: number[][] = [];
    v.onHostDeactivate = (host, intid, vcpu) => calls.push([host, intid, vcpu]);
    mapHwSlot(v, spiSlot(v, 40), 77);
    spi(v, 40, 0x40);
    ack(v);
    // An exit and entry in between: the LR is refilled from the slot, active.
    syncHwState(v, 0);
    flushLrState(v, 0);
    cpuifEoi(v, 0, 40, 0, 1);
    cpuifEoi(v, 0, 40, 0, 1);
    expect(calls).toEqual([[77, 40, 0]]);
  });
});

describe('level-triggered EOI', () => {
  it('tells the device when the guest is done, so the line is resampled', () => {
    const v = bareVgic();
    const notified: number[][] = [];
    v.onEoiNotify = (intid, vcpu) => notified.push([intid, vcpu]);
    const s = spiSlot(v, 41);
    configure(v, s, { prio: 0x40, target: 0, level: true });
    injectSlot(v, s, true);
    expect(ack(v)).toBe(41);
    eoi(v, 41);
    // The EOI raised maintenance: the vCPU exits, the fold notifies, the line is still high.
    expect(v.maintenancePending[0]).toBe(1);
    resync(v, 0);
    expect(notified).toEqual([[41, 0]]);
    expect(ack(v)).toBe(41);
    injectSlot(v, s, false);
    eoi(v, 41);
    resync(v, 0);
    expect(notified).toEqual([
      [41, 0],
      [41, 0],
    ]);
    expect(ack(v)).toBe(SPURIOUS);
  });
});

describe('the interrupt lines', () => {
  it('raises IRQ while an interrupt can be taken and lowers it once taken, calling onLine on each change', () => {
    const v = bareVgic();
    const changes: [number, boolean, boolean][] = [];
    v.onLine = (vcpu, irq, fiq) => changes.push([vcpu, irq, fiq]);
    spi(v, 40, 0x40, 1);
    expect(v.irqLine[LINE_WORDS]).toBe(0);
    resync(v, 1);
    expect(v.irqLine[LINE_WORDS]).toBe(1);
    resync(v, 1);
    expect(ack(v, 1)).toBe(40);
    expect(v.irqLine[LINE_WORDS]).toBe(0);
    eoi(v, 40, 1);
    expect(changes).toEqual([
      [1, true, false],
      [1, false, false],
    ]);
  });

  it('leaves the lines for the next read when nobody listens, and computes them then', () => {
    const v = bareVgic();
    spi(v, 40, 0x40, 1);
    resync(v, 1);
    expect([v.linesStale[LINE_WORDS], v.irqLine[LINE_WORDS]]).toEqual([1, 0]);
    cpuifLines(v, 1);
    expect([v.linesStale[LINE_WORDS], v.irqLine[LINE_WORDS]]).toEqual([0, 1]);
    expect(ack(v, 1)).toBe(40);
    cpuifLines(v, 1);
    expect(v.irqLine[LINE_WORDS]).toBe(0);
  });

  it('signals a group 0 interrupt as FIQ when FIQEn is set', () => {
    const v = bareVgic();
    v.fiqEn[0] = 1;
    spi(v, 40, 0x40, 0, { group: 0 });
    resync(v, 0);
    cpuifLines(v, 0);
    expect([v.irqLine[0], v.fiqLine[0]]).toEqual([0, 1]);
  });

  it('keeps the line low for a masked interrupt', () => {
    const v = bareVgic();
    v.pmr[0] = 0x40;
    spi(v, 40, 0x40);
    resync(v, 0);
    cpuifLines(v, 0);
    expect(v.irqLine[0]).toBe(0);
    expect(LR_PENDING & v.lrState[0]!).toBe(LR_PENDING);
  });
});

describe('hasPendingIrq', () => {
  it('sees a deliverable interrupt on the ap_list or in a live list register, above the priority mask', () => {
    const v = bareVgic();
    expect(hasPendingIrq(v, 0)).toBe(false);
    spi(v, 40, 0x40);
    expect(hasPendingIrq(v, 0)).toBe(true);
    resync(v, 0);
    expect(hasPendingIrq(v, 0)).toBe(true);
    v.pmr[0] = 0x40;
    expect(hasPendingIrq(v, 0)).toBe(false);
    v.pmr[0] = 0xff;
    ack(v);
    expect(hasPendingIrq(v, 0)).toBe(false);
  });

  it('is false while the distributor is disabled', () => {
    const v = bareVgic();
    spi(v, 40, 0x40);
    v.header[CTL_DIST_ENABLE] = 0;
    expect(hasPendingIrq(v, 0)).toBe(false);
  });
});
