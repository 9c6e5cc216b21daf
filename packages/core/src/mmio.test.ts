import { describe, expect, it } from 'vitest';
import { RecordingLocks, bareVgic, configure, enqueue, spiSlot } from '../test/fixtures/bare.js';
import { checkInvariants } from './invariants.js';
import { setDistEnable } from './mmio.js';
import { CTL_DIST_ENABLE } from './vgic.js';

describe('setDistEnable', () => {
  it("reads each interrupt's owner under its irq lock, so it waits for a prune that is taking the interrupt off its list", () => {
    // A single thread plays both sides: the prune of vCPU 1 holds the irq
    // lock of SPI 40, having judged it targetless while the distributor was
    // off, when the distributor is enabled. The enable must need that lock
    // (on two threads it waits for it; here, a lock already held is an
    // error); reading the owner without it, it would skip the interrupt as
    // queued, and the prune would then leave it on no ap_list.
    const locks = new RecordingLocks();
    const v = bareVgic({ locks, lockCheck: false });
    locks.v = v;
    const s = spiSlot(v, 40);
    configure(v, s, { target: 1 });
    v.pendingLatch[s] = 1;
    enqueue(v, 1, s);
    v.header[CTL_DIST_ENABLE] = 0;
    v.lockApList(1);
    v.lockIrq(s);
    expect(() => setDistEnable(v, 3)).toThrow(/lock irq40@\d+ already held/);
  });

  it('queues what became deliverable and leaves what is queued where it is', () => {
    const v = bareVgic();
    const [a, b] = [spiSlot(v, 40), spiSlot(v, 41)];
    configure(v, a, { target: 1 });
    configure(v, b, { target: 2 });
    v.pendingLatch[a] = 1;
    v.pendingLatch[b] = 1;
    enqueue(v, 2, b);
    v.header[CTL_DIST_ENABLE] = 0;
    setDistEnable(v, 3);
    expect([v.apListVcpu[a], v.apListVcpu[b]]).toEqual([1, 2]);
    expect(checkInvariants(v)).toEqual([]);
  });
});
