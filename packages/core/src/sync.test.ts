import { describe, expect, it } from 'vitest';
import { LINE_WORDS } from './cache-line.js';
import { RecordingLocks, bareVgic, configure, spiSlot } from '../test/fixtures/bare.js';
import { apListSlots } from './aplist.js';
import { cpuifAck, cpuifEoi, SPURIOUS } from './cpuif.js';
import { flushLrState } from './flush.js';
import { checkInvariants } from './invariants.js';
import { requeue } from './queue.js';
import { pruneApList, syncHwState } from './sync.js';
import type { TraceEvent } from './trace.js';
import { FOLD_DEACTIVATE, LR_ACTIVE, NONE, VCPU_OUTSIDE, type Vgic } from './vgic.js';

function pendingOn(v: Vgic, intid: number, vcpu: number, o: { level?: boolean } = {}): number {
  const s = spiSlot(v, intid);
  configure(v, s, { target: vcpu, level: o.level ?? false });
  if (o.level) v.lineLevel[s] = 1;
  else v.pendingLatch[s] = 1;
  requeue(v, s);
  return s;
}

describe('syncHwState: folding the list registers', () => {
  it('keeps the pending state of an edge interrupt the guest did not take', () => {
    const v = bareVgic();
    const s = pendingOn(v, 40, 1);
    flushLrState(v, 1);
    expect(v.pendingLatch[s]).toBe(0);
    syncHwState(v, 1);
    expect(v.pendingLatch[s]).toBe(1);
    expect(v.apListVcpu[s]).toBe(1);
    expect(v.inLr[s]).toBe(NONE);
    expect(v.runState[LINE_WORDS]).toBe(VCPU_OUTSIDE);
    expect(v.usedLrs[LINE_WORDS]).toBe(0);
  });

  it('brings back the active state of an acknowledged interrupt', () => {
    const v = bareVgic();
    const s = pendingOn(v, 40, 1);
    flushLrState(v, 1);
    cpuifAck(v, 1, 3, SPURIOUS);
    syncHwState(v, 1);
    expect([v.active[s], v.pendingLatch[s], v.apListVcpu[s]]).toEqual([1, 0, 1]);
  });

  it("clears a level interrupt's latch once the guest is done with it, and tells the device", () => {
    const v = bareVgic();
    const notified: number[][] = [];
    v.onEoiNotify = (intid, vcpu) => notified.push([intid, vcpu]);
    const s = spiSlot(v, 41);
    configure(v, s, { target: 1, level: true });
    v.pendingLatch[s] = 1; // ISPENDR on a level interrupt, line low
    requeue(v, s);
    flushLrState(v, 1);
    cpuifAck(v, 1, 3, SPURIOUS);
    cpuifEoi(v, 1, 41, 0, 1);
    expect(notified).toEqual([]);
    syncHwState(v, 1);
    expect(v.pendingLatch[s]).toBe(0);
    expect(v.active[s]).toBe(0);
    expect(notified).toEqual([[41, 1]]);
    expect(v.apListVcpu[s]).toBe(NONE);
  });

  it('applies a deactivation another agent recorded for the fold over what the list register says', () => {
    const v = bareVgic();
    const s = pendingOn(v, 40, 1);
    flushLrState(v, 1);
    cpuifAck(v, 1, 3, SPURIOUS);
    expect(v.lrState[v.lrBase(1)]).toBe(LR_ACTIVE);
    v.foldChanges[s] = FOLD_DEACTIVATE;
    syncHwState(v, 1);
    expect([v.active[s], v.foldChanges[s], v.apListVcpu[s]]).toEqual([0, 0, NONE]);
  });
});

describe('pruneApList', () => {
  it('drops what is neither pending nor active and keeps what is', () => {
    const v = bareVgic();
    const events: TraceEvent[] = [];
    v.tracer = (e) => events.push(e);
    const keep = pendingOn(v, 40, 1);
    const drop = pendingOn(v, 41, 1);
    const active = pendingOn(v, 42, 1);
    v.pendingLatch[drop] = 0;
    v.pendingLatch[active] = 0;
    v.active[active] = 1;
    pruneApList(v, 1);
    expect(apListSlots(v, 1)).toEqual([keep, active]);
    expect(v.apListVcpu[drop]).toBe(NONE);
    expect(events.filter((e) => e.type === 'prune')).toEqual([{ type: 'prune', vcpu: 1, intid: 41 }]);
  });

  it('drops a disabled pending interrupt but keeps its pending state for later', () => {
    const v = bareVgic();
    const s = pendingOn(v, 40, 1);
    v.enabled[s] = 0;
    pruneApList(v, 1);
    expect(v.apListVcpu[s]).toBe(NONE);
    expect(v.pendingLatch[s]).toBe(1);
    v.enabled[s] = 1;
    requeue(v, s);
    expect(v.apListVcpu[s]).toBe(1);
  });

  for (const [from, to] of [
    [3, 1],
    [1, 3],
  ] as const) {
    it(`migrates an interrupt from vCPU ${from} to vCPU ${to} holding both ap_list_locks, the lower vCPU's first`, () => {
      const locks = new RecordingLocks();
      const v = bareVgic({ locks });
      locks.v = v;
      const kicked: number[] = [];
      v.onKick = (k) => kicked.push(k);
      const s = pendingOn(v, 40, from);
      v.target[s] = to;
      locks.log.length = 0;
      kicked.length = 0;
      pruneApList(v, from);
      expect(apListSlots(v, from)).toEqual([]);
      expect(apListSlots(v, to)).toEqual([s]);
      expect(v.apListVcpu[s]).toBe(to);
      expect(kicked).toEqual([to]);
      const lo = Math.min(from, to);
      const hi = Math.max(from, to);
      const irq = `irq${40}@${s}`;
      const i = locks.log.indexOf(`+ap${lo}`, locks.log.indexOf(`-ap${from}`));
      expect(locks.log.slice(i, i + 6)).toEqual([`+ap${lo}`, `+ap${hi}`, `+${irq}`, `-${irq}`, `-ap${hi}`, `-ap${lo}`]);
      expect(checkInvariants(v)).toEqual([]);
    });
  }

  it('moves nothing when the route changes back while the locks are being taken', () => {
    const locks = new RecordingLocks();
    const v = bareVgic({ locks });
    locks.v = v;
    const s = pendingOn(v, 40, 3);
    v.target[s] = 1;
    let fired = false;
    locks.onAcquire = (index) => {
      // While prune takes the two ap_list_locks, the interrupt is routed home again.
      if (index === v.apListHead(1) && !fired) {
        fired = true;
        v.target[s] = 3;
      }
    };
    pruneApList(v, 3);
    expect(apListSlots(v, 3)).toEqual([s]);
    expect(apListSlots(v, 1)).toEqual([]);
    expect(checkInvariants(v)).toEqual([]);
  });
});
