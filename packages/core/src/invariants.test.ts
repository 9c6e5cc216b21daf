import { describe, expect, it } from 'vitest';
import { bareVgic, configure, enqueue, spiSlot } from '../test/fixtures/bare.js';
import { flushLrState } from './flush.js';
import { checkInvariants, noLockHeld } from './invariants.js';
import { lpiAllocate, lpiRelease } from './lpi.js';
import { requeue } from './queue.js';

describe('checkInvariants', () => {
  it('finds nothing wrong with a sound state', () => {
    const v = bareVgic();
    const s = spiSlot(v, 40);
    configure(v, s, { target: 1 });
    v.pendingLatch[s] = 1;
    requeue(v, s);
    flushLrState(v, 1);
    expect(checkInvariants(v)).toEqual([]);
  });

  it('finds an interrupt on two ap_lists', () => {
    const v = bareVgic();
    const s = spiSlot(v, 40);
    configure(v, s, { target: 1 });
    v.pendingLatch[s] = 1;
    requeue(v, s);
    const t = spiSlot(v, 41);
    enqueue(v, 2, t);
    // Corrupt: the list of vCPU 2 now also runs through slot s.
    v.next[t] = s;
    expect(checkInvariants(v).join('\n')).toMatch(/INTID 40 .* on the ap_lists of vCPU 1 and vCPU 2/);
  });

  it('finds an interrupt whose recorded vCPU is not the list it is on', () => {
    const v = bareVgic();
    const s = spiSlot(v, 40);
    enqueue(v, 1, s);
    v.apListVcpu[s] = 2;
    const problems = checkInvariants(v).join('\n');
    expect(problems).toMatch(/on vCPU 1's ap_list but records vCPU 2/);
  });

  it('finds a deliverable interrupt that is on no ap_list', () => {
    const v = bareVgic();
    const s = spiSlot(v, 40);
    configure(v, s, { target: 1 });
    v.pendingLatch[s] = 1;
    expect(checkInvariants(v).join('\n')).toMatch(/should be queued on vCPU 1 but is on no ap_list/);
  });

  it('finds more list registers in use than exist, and a held lock', () => {
    const v = bareVgic({ nrLrs: 2 });
    v.runState[0] = 1;
    v.usedLrs[0] = 3;
    v.lockIrq(spiSlot(v, 40));
    const problems = checkInvariants(v).join('\n');
    expect(problems).toMatch(/uses 3 list registers of 2/);
    expect(problems).toMatch(/irq lock of slot \d+ is held/);
    expect(noLockHeld(v)).toBe(false);
  });

  it('finds LPI slots and the INTID map disagreeing, and an unmapped LPI still pending', () => {
    const v = bareVgic({ nrLpis: 4 });
    const a = lpiAllocate(v, 8192);
    const b = lpiAllocate(v, 8193);
    expect(checkInvariants(v)).toEqual([]);
    v.lpiMap[1] = a + 1;
    const problems = checkInvariants(v).join('\n');
    expect(problems).toMatch(/LPIs 8192 and 8193 are both mapped to slot/);
    expect(problems).toMatch(/LPI 8193 is mapped to slot \d+, which holds INTID 8192/);
    expect(problems).toMatch(/LPI 8193 \(slot \d+\) is live but its INTID maps elsewhere/);
    v.lpiMap[1] = b + 1;
    lpiRelease(v, b);
    expect(checkInvariants(v)).toEqual([]);
    v.pendingLatch[b] = 1;
    expect(checkInvariants(v).join('\n')).toMatch(/LPI slot \d+ is unmapped but still pending/);
    v.pendingLatch[b] = 0;
    v.lpiRefs[a - v.lpiBase] = 0;
    expect(checkInvariants(v).join('\n')).toMatch(/is live with 0 references/);
  });
});
