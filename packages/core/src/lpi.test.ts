import { describe, expect, it } from 'vitest';
import { LINE_WORDS } from './cache-line.js';
import { bareVgic, lrIntids, spiSlot } from '../test/fixtures/bare.js';
import { apListSlots } from './aplist.js';
import { cpuifAck, cpuifEoi } from './cpuif.js';
import { isVgicError } from './errors.js';
import { flushLrState } from './flush.js';
import { checkInvariants, noLockHeld } from './invariants.js';
import {
  LPI_DEFAULT_PRIORITY,
  lpiAllocate,
  lpiClearPending,
  lpiDroppedPending,
  lpiMapped,
  msiCoalesced,
  lpiRelease,
  lpiSetConfig,
  lpiSetPending,
  lpiSetTarget,
  lpiSlot,
} from './lpi.js';
import { syncHwState } from './sync.js';
import { CONFIG_EDGE, NONE, type Vgic } from './vgic.js';

/** An LPI mapped, enabled at `prio`, targeting `vcpu`. */
function liveLpi(v: Vgic, intid: number, vcpu: number, prio = 0x80): number {
  const slot = lpiAllocate(v, intid);
  expect(slot).not.toBe(NONE);
  lpiSetConfig(v, slot, prio | 1);
  lpiSetTarget(v, slot, vcpu);
  return slot;
}

describe('LPI slots: allocate and release (vgic_add_lpi, vgic_put_irq)', () => {
  it('gives a new LPI a slot after the SPIs, in its reset state, and maps its INTID to it', () => {
    const v = bareVgic({ nrLpis: 4 });
    const slot = lpiAllocate(v, 8200);
    expect(slot).toBeGreaterThanOrEqual(v.lpiBase);
    expect(slot).toBeLessThan(v.nrSlots);
    expect(lpiSlot(v, 8200)).toBe(slot);
    expect(v.slotOf(8200, 3)).toBe(slot);
    expect(v.intid[slot]).toBe(8200);
    expect([v.config[slot], v.group[slot], v.pendingLatch[slot], v.enabled[slot]]).toEqual([CONFIG_EDGE, 1, 0, 0]);
    expect(v.priority[slot]).toBe(LPI_DEFAULT_PRIORITY);
    expect(v.target[slot]).toBe(NONE);
    expect(lpiMapped(v, slot)).toBe(true);
    expect(noLockHeld(v)).toBe(true);
  });

  it('answers an INTID that is mapped with the same slot and one more reference; the last release unmaps it', () => {
    const v = bareVgic({ nrLpis: 4 });
    const slot = lpiAllocate(v, 9000);
    expect(lpiAllocate(v, 9000)).toBe(slot);
    lpiRelease(v, slot);
    expect(lpiSlot(v, 9000)).toBe(slot);
    lpiRelease(v, slot);
    expect(lpiSlot(v, 9000)).toBe(NONE);
    expect(lpiMapped(v, slot)).toBe(false);
    const error = (() => {
      try {
        lpiRelease(v, slot);
      } catch (e) {
        return e;
      }
      return null;
    })();
    expect(isVgicError(error, 'INVALID_STATE')).toBe(true);
    expect(noLockHeld(v)).toBe(true);
  });

  it('refuses what is no LPI INTID, a full capacity, and a machine without LPIs', () => {
    const v = bareVgic({ nrLpis: 2 });
    expect(lpiAllocate(v, 8191)).toBe(NONE);
    expect(lpiAllocate(v, 65536)).toBe(NONE);
    expect(lpiAllocate(v, 8192.5)).toBe(NONE);
    expect(lpiAllocate(v, 8192)).not.toBe(NONE);
    expect(lpiAllocate(v, 65535)).not.toBe(NONE);
    expect(lpiAllocate(v, 10000)).toBe(NONE);
    expect(lpiSlot(v, 10000)).toBe(NONE);
    expect(lpiAllocate(bareVgic(), 8192)).toBe(NONE);
    expect(bareVgic().slotOf(8192, 0)).toBe(NONE);
  });

  it('frees an unmapped LPI that waited on an ap_list, in no list register, at once: its vCPU need not exit first (unlike KVM)', () => {
    const v = bareVgic({ nrLpis: 1, nrVcpus: 2 });
    const slot = liveLpi(v, 8192, 1);
    expect(lpiSetPending(v, slot)).toBe(true);
    expect(lpiSetPending(v, slot)).toBe(true);
    expect(msiCoalesced(v)).toBe(1);
    expect(apListSlots(v, 1)).toEqual([slot]);
    lpiRelease(v, slot);
    expect(lpiDroppedPending(v)).toBe(1);
    // Unmapped, its pending state dropped, and off vCPU 1's ap_list, which
    // never exited: the slot serves the next MAPTI.
    expect(v.pendingLatch[slot]).toBe(0);
    expect(apListSlots(v, 1)).toEqual([]);
    expect(checkInvariants(v)).toEqual([]);
    expect(lpiAllocate(v, 8193)).toBe(slot);
    expect(v.intid[slot]).toBe(8193);
    expect(v.enabled[slot]).toBe(0);
    flushLrState(v, 1);
    expect(lrIntids(v, 1)).toEqual([]);
    syncHwState(v, 1);
    expect(checkInvariants(v)).toEqual([]);
  });

  it('a guest that discards and maps again while the vCPU holding the old LPIs sleeps gets a slot for every MAPTI', () => {
    const v = bareVgic({ nrLpis: 4, nrVcpus: 2 });
    for (let round = 0; round < 10; round++) {
      const slots = [0, 1, 2, 3].map((i) => liveLpi(v, 8192 + round * 4 + i, 1));
      for (const s of slots) expect(lpiSetPending(v, s)).toBe(true);
      // vCPU 1 is asleep: nothing enters or exits it while the LPIs are discarded.
      for (const s of slots) lpiRelease(v, s);
      expect(apListSlots(v, 1)).toEqual([]);
    }
    expect(lpiDroppedPending(v)).toBe(40);
    expect(checkInvariants(v)).toEqual([]);
  });

  it('keeps an unmapped LPI that is active on its ap_list, for the guest\'s EOI to find; the prune after it lets the slot go', () => {
    const v = bareVgic({ nrLpis: 1 });
    const slot = liveLpi(v, 8192, 0);
    lpiSetPending(v, slot);
    flushLrState(v, 0);
    expect(cpuifAck(v, 0, 2, 1023)).toBe(8192);
    syncHwState(v, 0);
    expect(v.active[slot]).toBe(1);
    lpiRelease(v, slot);
    expect(apListSlots(v, 0)).toEqual([slot]);
    expect(lpiAllocate(v, 8300)).toBe(NONE);
    expect(checkInvariants(v)).toEqual([]);
  });

  it('an LPI unmapped while it sits pending in a list register: the fold drops the pending state, the prune the interrupt', () => {
    const v = bareVgic({ nrLpis: 1 });
    const slot = liveLpi(v, 8192, 0);
    lpiSetPending(v, slot);
    flushLrState(v, 0);
    expect(lrIntids(v, 0)).toEqual([8192]);
    lpiRelease(v, slot);
    // In a list register: dropped by the fold, and counted there.
    expect(lpiDroppedPending(v)).toBe(0);
    expect(lpiAllocate(v, 8300)).toBe(NONE);
    syncHwState(v, 0);
    expect(lpiDroppedPending(v)).toBe(1);
    expect(v.pendingLatch[slot]).toBe(0);
    expect(apListSlots(v, 0)).toEqual([]);
    expect(lpiAllocate(v, 8300)).toBe(slot);
    expect(checkInvariants(v)).toEqual([]);
  });

  it('an LPI unmapped while active and spilled from the only list register ends with the guest\'s EOI from outside the LRs (KVM finds it on the ap_list)', () => {
    const v = bareVgic({ nrLpis: 4, nrLrs: 1 });
    const a = liveLpi(v, 8192, 0, 0x80);
    lpiSetPending(v, a);
    flushLrState(v, 0);
    expect(cpuifAck(v, 0, 2, 1023)).toBe(8192);
    // A second LPI waits; the exit folds the active one back, the entry spills it to make room.
    liveLpi(v, 8193, 0, 0x40);
    lpiSetPending(v, lpiSlot(v, 8193));
    lpiRelease(v, a);
    syncHwState(v, 0);
    flushLrState(v, 0);
    expect(lrIntids(v, 0)).toEqual([8193]);
    expect(v.active[a]).toBe(1);
    // Its INTID maps to nothing now, and may map to a new LPI: the EOI still ends the old one.
    const again = lpiAllocate(v, 8192);
    expect(again).not.toBe(a);
    cpuifEoi(v, 0, 8192, 0, 1);
    expect(v.active[a]).toBe(0);
    expect(cpuifAck(v, 0, 2, 1023)).toBe(8193);
    cpuifEoi(v, 0, 8193, 0, 1);
    syncHwState(v, 0);
    expect(apListSlots(v, 0)).toEqual([]);
    expect(checkInvariants(v)).toEqual([]);
  });

  it('ends an LPI active outside the list registers whose DISCARD is half-way: its INTID maps to nothing yet its slot is not marked unmapped', () => {
    const v = bareVgic({ nrLpis: 4, nrLrs: 1 });
    const a = liveLpi(v, 8192, 0, 0x80);
    lpiSetPending(v, a);
    flushLrState(v, 0);
    expect(cpuifAck(v, 0, 2, 1023)).toBe(8192);
    liveLpi(v, 8193, 0, 0x40);
    lpiSetPending(v, lpiSlot(v, 8193));
    syncHwState(v, 0);
    flushLrState(v, 0);
    expect(lrIntids(v, 0)).toEqual([8193]);
    // Where another thread's lpiRelease is between its two steps: the INTID
    // no longer maps to the slot, which is still marked mapped.
    Atomics.store(v.lpiMap, 0, 0);
    expect(lpiMapped(v, a)).toBe(true);
    cpuifEoi(v, 0, 8192, 0, 1);
    expect(v.active[a]).toBe(0);
  });

  it('counts as dropped what an unmapped LPI had pending and no vCPU took: the latch of a second MSI at once, the list register at the fold unless acknowledged', () => {
    const v = bareVgic({ nrLpis: 2 });
    // Taken from the list register after the release, before the exit: delivered, not dropped.
    const taken = liveLpi(v, 8192, 0);
    lpiSetPending(v, taken);
    flushLrState(v, 0);
    lpiRelease(v, taken);
    expect(cpuifAck(v, 0, 2, 1023)).toBe(8192);
    syncHwState(v, 0);
    expect(lpiDroppedPending(v)).toBe(0);
    // Pending in a list register and latched again by a second MSI: two pending states dropped.
    const twice = liveLpi(v, 8193, 1);
    lpiSetPending(v, twice);
    flushLrState(v, 1);
    lpiSetPending(v, twice);
    expect(msiCoalesced(v)).toBe(0);
    lpiRelease(v, twice);
    expect(lpiDroppedPending(v)).toBe(1);
    syncHwState(v, 1);
    expect(lpiDroppedPending(v)).toBe(2);
    expect(checkInvariants(v)).toEqual([]);
  });
});

describe('LPI pending state and configuration', () => {
  it('an MSI makes the LPI pending and queues it on its target, which takes it as a list register and acknowledges it', () => {
    const v = bareVgic({ nrLpis: 4 });
    const slot = liveLpi(v, 8195, 2, 0x40);
    expect(lpiSetPending(v, slot)).toBe(true);
    expect(apListSlots(v, 2)).toEqual([slot]);
    expect(v.kick[2 * LINE_WORDS]).toBe(1);
    flushLrState(v, 2);
    expect(lrIntids(v, 2)).toEqual([8195]);
    expect(v.lrPrio[v.lrBase(2)]).toBe(0x40);
    expect(cpuifAck(v, 2, 2, 0)).toBe(8195);
    cpuifEoi(v, 2, 8195, 0, 1);
    syncHwState(v, 2);
    expect(apListSlots(v, 2)).toEqual([]);
    expect(v.pendingLatch[slot]).toBe(0);
    expect(checkInvariants(v)).toEqual([]);
  });

  it('a disabled LPI stays off every list until its property byte enables it; disabling leaves it to the prune', () => {
    const v = bareVgic({ nrLpis: 4 });
    const slot = lpiAllocate(v, 8192);
    lpiSetTarget(v, slot, 1);
    expect(lpiSetPending(v, slot)).toBe(true);
    expect(apListSlots(v, 1)).toEqual([]);
    lpiSetConfig(v, slot, 0xa5);
    expect(v.priority[slot]).toBe(0xa4);
    expect(v.enabled[slot]).toBe(1);
    expect(apListSlots(v, 1)).toEqual([slot]);
    lpiSetConfig(v, slot, 0xa4);
    expect(v.enabled[slot]).toBe(0);
    expect(apListSlots(v, 1)).toEqual([slot]);
    syncHwState(v, 1);
    expect(apListSlots(v, 1)).toEqual([]);
    expect(v.pendingLatch[slot]).toBe(1);
    expect(checkInvariants(v)).toEqual([]);
  });

  it('an unmapped LPI takes no MSI and no configuration; a slot that is no LPI slot takes no MSI', () => {
    const v = bareVgic({ nrLpis: 2 });
    const slot = lpiAllocate(v, 8192);
    lpiRelease(v, slot);
    expect(lpiSetPending(v, slot)).toBe(false);
    lpiSetConfig(v, slot, 0x81);
    expect([v.pendingLatch[slot], v.enabled[slot]]).toEqual([0, 0]);
    expect(lpiSetPending(v, spiSlot(v, 40))).toBe(false);
    expect(v.pendingLatch[spiSlot(v, 40)]).toBe(0);
    expect(lpiSetPending(v, v.nrSlots)).toBe(false);
  });

  it('CLEAR drops the pending state, and a list register holding it pending loses it at the fold', () => {
    const v = bareVgic({ nrLpis: 2 });
    const slot = liveLpi(v, 8192, 0);
    lpiSetPending(v, slot);
    lpiClearPending(v, slot);
    expect(v.pendingLatch[slot]).toBe(0);
    syncHwState(v, 0);
    expect(apListSlots(v, 0)).toEqual([]);
    lpiSetPending(v, slot);
    flushLrState(v, 0);
    expect(lrIntids(v, 0)).toEqual([8192]);
    v.kick[0] = 0;
    lpiClearPending(v, slot);
    expect(v.kick[0]).toBe(1);
    syncHwState(v, 0);
    expect(v.pendingLatch[slot]).toBe(0);
    expect(apListSlots(v, 0)).toEqual([]);
  });
});

describe('lpiSetTarget (MAPTI, MOVI, MOVALL)', () => {
  it('moves a pending LPI queued on another vCPU and in no list register at once, and kicks its new vCPU', () => {
    const v = bareVgic({ nrLpis: 2, nrVcpus: 4 });
    const slot = liveLpi(v, 8192, 3);
    lpiSetPending(v, slot);
    expect(apListSlots(v, 3)).toEqual([slot]);
    v.kick[LINE_WORDS] = 0;
    lpiSetTarget(v, slot, 1);
    expect(apListSlots(v, 3)).toEqual([]);
    expect(apListSlots(v, 1)).toEqual([slot]);
    expect(v.apListVcpu[slot]).toBe(1);
    expect(v.kick[LINE_WORDS]).toBe(1);
    expect(checkInvariants(v)).toEqual([]);
    expect(noLockHeld(v)).toBe(true);
  });

  it('leaves one in a list register where it is until that vCPU exits; its prune moves it', () => {
    const v = bareVgic({ nrLpis: 2, nrVcpus: 2 });
    const slot = liveLpi(v, 8192, 0);
    lpiSetPending(v, slot);
    flushLrState(v, 0);
    lpiSetTarget(v, slot, 1);
    expect(apListSlots(v, 0)).toEqual([slot]);
    expect(lrIntids(v, 0)).toEqual([8192]);
    syncHwState(v, 0);
    expect(apListSlots(v, 0)).toEqual([]);
    expect(apListSlots(v, 1)).toEqual([slot]);
    expect(checkInvariants(v)).toEqual([]);
  });

  it('queues a pending LPI that had no target on the one it gets, and refuses a vCPU the machine lacks', () => {
    const v = bareVgic({ nrLpis: 2, nrVcpus: 2 });
    const slot = lpiAllocate(v, 8192);
    lpiSetConfig(v, slot, 0x81);
    lpiSetPending(v, slot);
    expect(apListSlots(v, 0)).toEqual([]);
    lpiSetTarget(v, slot, 1);
    expect(apListSlots(v, 1)).toEqual([slot]);
    expect(() => lpiSetTarget(v, slot, 2)).toThrow(expect.objectContaining({ code: 'INVALID_VCPU' }));
    expect(() => lpiSetTarget(v, spiSlot(v, 40), 0)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(v.target[slot]).toBe(1);
  });
});

describe('the LPI functions and the lock order', () => {
  it('lpiAllocate takes the LPI map lock: called with an irq lock held it breaks the order', () => {
    const v = bareVgic({ nrLpis: 2 });
    const s = spiSlot(v, 40);
    v.lockIrq(s);
    expect(() => lpiAllocate(v, 8192)).toThrow(expect.objectContaining({ code: 'LOCK_ORDER', message: expect.stringMatching(/LPI map lock taken while holding irq_lock/) }));
    v.unlockIrq(s);
  });

  it('may be called holding the ITS locks, as the ITS calls them', () => {
    const v = bareVgic({ nrLpis: 2, nrVcpus: 2 });
    v.lockItsCmd();
    v.lockIts();
    const slot = liveLpi(v, 8192, 0);
    lpiSetPending(v, slot);
    lpiSetTarget(v, slot, 1);
    lpiClearPending(v, slot);
    lpiRelease(v, slot);
    v.unlockIts();
    v.unlockItsCmd();
    expect(v.lockViolations).toBe(0);
    expect(noLockHeld(v)).toBe(true);
  });
});
