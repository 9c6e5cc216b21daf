import { describe, expect, it } from 'vitest';
import { LINE_WORDS } from './cache-line.js';
import { RecordingLocks, bareVgic, configure, enqueue, spiSlot } from '../test/fixtures/bare.js';
import { apListSlots } from './aplist.js';
import { isVgicError } from './errors.js';
import { noLockHeld } from './invariants.js';
import { queueIrqUnlock, requeue } from './queue.js';
import { DEBUG_NO_QUEUE_RECHECK, NONE, type Vgic } from './vgic.js';

function kicks(v: Vgic): number[] {
  const out: number[] = [];
  v.onKick = (k) => out.push(k);
  return out;
}

describe('queueIrqUnlock', () => {
  it('queues a deliverable interrupt on its target once, and kicks the target each time', () => {
    const v = bareVgic();
    const kicked = kicks(v);
    const s = spiSlot(v, 40);
    configure(v, s, { target: 1 });
    v.pendingLatch[s] = 1;
    v.lockIrq(s);
    expect(queueIrqUnlock(v, s)).toBe(true);
    expect(v.apListVcpu[s]).toBe(1);
    expect(apListSlots(v, 1)).toEqual([s]);
    expect(v.kick[LINE_WORDS]).toBe(1);
    v.lockIrq(s);
    expect(queueIrqUnlock(v, s)).toBe(false);
    expect(apListSlots(v, 1)).toEqual([s]);
    // The second call kicks too: the vCPU may have EOI'd an earlier edge.
    expect(kicked).toEqual([1, 1]);
    expect(noLockHeld(v)).toBe(true);
    expect(v.lockdep!.depth).toBe(0);
  });

  it('queues nothing and kicks nobody for an interrupt that belongs on no list', () => {
    const v = bareVgic();
    const kicked = kicks(v);
    const s = spiSlot(v, 40);
    configure(v, s, { target: 1 });
    expect(requeue(v, s)).toBe(false);
    expect(v.apListVcpu[s]).toBe(NONE);
    expect(kicked).toEqual([]);
    expect(noLockHeld(v)).toBe(true);
  });

  it('refuses to run without the irq lock held (lockdep)', () => {
    const v = bareVgic();
    const s = spiSlot(v, 40);
    let error: unknown;
    try {
      queueIrqUnlock(v, s);
    } catch (e) {
      error = e;
    }
    expect(isVgicError(error, 'LOCK_ORDER')).toBe(true);
    expect(v.lockViolations).toBe(1);
  });

  it('starts over when the target changes while the irq lock is dropped', () => {
    const locks = new RecordingLocks();
    const v = bareVgic({ locks });
    locks.v = v;
    const kicked = kicks(v);
    const s = spiSlot(v, 40);
    configure(v, s, { target: 1 });
    v.pendingLatch[s] = 1;
    let fired = false;
    locks.onAcquire = (index) => {
      // "Someone" retargets the interrupt in the window between the irq
      // lock's release and the ap_list_lock's acquisition.
      if (index >= v.nrSlots && !fired) {
        fired = true;
        v.target[s] = 2;
      }
    };
    v.lockIrq(s);
    expect(queueIrqUnlock(v, s)).toBe(true);
    expect(v.apListVcpu[s]).toBe(2);
    expect(apListSlots(v, 1)).toEqual([]);
    expect(apListSlots(v, 2)).toEqual([s]);
    expect(kicked).toEqual([2]);
    expect(locks.log.filter((e) => e.includes('ap'))).toEqual(['+ap1', '-ap1', '+ap2', '-ap2']);
  });

  it('lands on the stale target without the re-check (what the re-check is for)', () => {
    const locks = new RecordingLocks();
    const v = bareVgic({ locks });
    locks.v = v;
    v.setDebugFlag(DEBUG_NO_QUEUE_RECHECK, true);
    const s = spiSlot(v, 40);
    configure(v, s, { target: 1 });
    v.pendingLatch[s] = 1;
    locks.onAcquire = (index) => {
      if (index >= v.nrSlots) v.target[s] = 2;
    };
    v.lockIrq(s);
    queueIrqUnlock(v, s);
    expect(v.apListVcpu[s]).toBe(1);
  });

  it('starts over, and queues nothing, when another agent queued the interrupt in the window', () => {
    const locks = new RecordingLocks();
    const v = bareVgic({ locks });
    locks.v = v;
    const s = spiSlot(v, 40);
    configure(v, s, { target: 1 });
    v.pendingLatch[s] = 1;
    let fired = false;
    locks.onAcquire = (index) => {
      if (index >= v.nrSlots && !fired) {
        fired = true;
        enqueue(v, 3, s);
      }
    };
    v.lockIrq(s);
    expect(queueIrqUnlock(v, s)).toBe(false);
    expect(apListSlots(v, 1)).toEqual([]);
    expect(apListSlots(v, 3)).toEqual([s]);
    expect(noLockHeld(v)).toBe(true);
  });
});
