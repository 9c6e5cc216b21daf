import { describe, expect, it } from 'vitest';
import { bareVgic, enqueue, spiSlot } from '../test/fixtures/bare.js';
import { apListAddTail, apListDel, apListEmpty, apListLength, apListSort } from './aplist.js';
import { isVgicError } from './errors.js';
import { populateLr } from './flush.js';
import { noLockHeld } from './invariants.js';
import { apListCmp, targetOracle, validateInjection } from './oracle.js';
import { queueIrqUnlock } from './queue.js';
import { Vgic } from './vgic.js';

function lockOrderError(fn: () => void): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return null;
}

describe('the lock-order checker', () => {
  it('catches an ap_list_lock taken while an irq lock is held, counts it, and takes nothing', () => {
    const v = bareVgic();
    const s = spiSlot(v, 40);
    expect(v.lockViolations).toBe(0);
    v.lockIrq(s);
    const error = lockOrderError(() => v.lockApList(1));
    expect(isVgicError(error, 'LOCK_ORDER')).toBe(true);
    expect((error as Error).message).toMatch(/ap_list_lock\(vCPU 1\) taken while holding irq_lock/);
    expect(v.lockViolations).toBe(1);
    expect(v.lockWords[v.apListHead(1)]).toBe(0);
    v.unlockIrq(s);
    expect(noLockHeld(v)).toBe(true);
  });

  it('lets the same locks be taken in the right order: ap_list, then irq', () => {
    const v = bareVgic();
    const s = spiSlot(v, 40);
    v.lockApList(1);
    v.lockIrq(s);
    v.unlockIrq(s);
    v.unlockApList(1);
    expect(v.lockViolations).toBe(0);
  });

  it('requires two ap_list_locks to be taken lower vCPU first', () => {
    const v = bareVgic();
    v.lockApList(1);
    v.lockApList(3);
    v.unlockApList(3);
    v.unlockApList(1);
    expect(v.lockViolations).toBe(0);
    v.lockApList(3);
    expect(isVgicError(lockOrderError(() => v.lockApList(1)), 'LOCK_ORDER')).toBe(true);
    expect(v.lockViolations).toBe(1);
    v.unlockApList(3);
  });

  it('catches two irq locks held at once, a lock taken twice, and a release of a lock not held', () => {
    const v = bareVgic();
    const [a, b] = [spiSlot(v, 40), spiSlot(v, 41)];
    v.lockIrq(a);
    expect(isVgicError(lockOrderError(() => v.lockIrq(b)), 'LOCK_ORDER')).toBe(true);
    expect(isVgicError(lockOrderError(() => v.lockIrq(a)), 'LOCK_ORDER')).toBe(true);
    v.unlockIrq(a);
    expect(isVgicError(lockOrderError(() => v.unlockIrq(b)), 'LOCK_ORDER')).toBe(true);
    expect(v.lockViolations).toBe(3);
  });

  it('is off unless asked for, and then costs no check', () => {
    const shape = { nrVcpus: 2, nrSpis: 32, nrLrs: 4, priorityBits: 5, sgiSources: false };
    const v = Vgic.create(shape, false, { lockCheck: false });
    expect(v.lockdep).toBeNull();
    expect(v.locks.kind).toBe('plain');
    const w = Vgic.create(shape, false, { lockCheck: true });
    expect(w.locks.kind).toBe('plain+lockdep');
  });

  it('the plain lock still refuses to take a lock that is held (a self-deadlock)', () => {
    const shape = { nrVcpus: 2, nrSpis: 32, nrLrs: 4, priorityBits: 5, sgiSources: false };
    const v = Vgic.create(shape, false, { lockCheck: false });
    v.lockApList(0);
    expect(isVgicError(lockOrderError(() => v.lockApList(0)), 'LOCK_ORDER')).toBe(true);
    v.unlockApList(0);
  });
});

describe('the contracts a function states ("caller holds ..."), checked where it is entered', () => {
  /** Calling `fn` breaks its contract: LOCK_ORDER, counted, naming the function and the lock it needed. */
  function expectBroken(v: Vgic, fn: () => unknown, message: RegExp): void {
    const before = v.lockViolations;
    const e = lockOrderError(fn);
    expect(isVgicError(e, 'LOCK_ORDER'), `expected LOCK_ORDER, got ${String(e)}`).toBe(true);
    expect((e as Error).message).toMatch(message);
    expect(v.lockViolations).toBe(before + 1);
  }

  it('the irq lock: targetOracle, validateInjection and queueIrqUnlock, without it or with another one', () => {
    const v = bareVgic();
    const [s, t] = [spiSlot(v, 40), spiSlot(v, 41)];
    expectBroken(v, () => targetOracle(v, s), /targetOracle entered without irq_lock\(slot \d+\)/);
    expectBroken(v, () => validateInjection(v, s, true), /validateInjection entered without irq_lock/);
    expectBroken(v, () => queueIrqUnlock(v, s), /queueIrqUnlock entered without irq_lock/);
    v.lockIrq(t);
    expectBroken(v, () => targetOracle(v, s), /targetOracle entered without irq_lock\(slot \d+\) \(holding irq_lock/);
    v.unlockIrq(t);
    // Kept, the contract costs nothing and changes nothing.
    v.lockIrq(s);
    expect(targetOracle(v, s)).toBe(-1);
    expect(validateInjection(v, s, true)).toBe(true);
    v.unlockIrq(s);
    expect(noLockHeld(v)).toBe(true);
  });

  it("an ap_list's lock: adding, removing, counting, sorting and comparing, without it or with another vCPU's", () => {
    const v = bareVgic();
    const [a, b] = [spiSlot(v, 40), spiSlot(v, 41)];
    enqueue(v, 1, a);
    enqueue(v, 1, b);
    expectBroken(v, () => apListAddTail(v, 2, spiSlot(v, 42)), /apListAddTail entered without ap_list_lock\(vCPU 2\)/);
    expectBroken(v, () => apListDel(v, a), /apListDel entered without ap_list_lock\(vCPU 1\)/);
    expectBroken(v, () => apListEmpty(v, 1), /apListEmpty entered without ap_list_lock\(vCPU 1\)/);
    expectBroken(v, () => apListLength(v, 1), /apListLength entered without ap_list_lock\(vCPU 1\)/);
    expectBroken(v, () => apListSort(v, 1), /apListSort entered without ap_list_lock\(vCPU 1\)/);
    expectBroken(v, () => apListCmp(v, a, b), /apListCmp entered without ap_list_lock\(vCPU 1\)/);
    // Another vCPU's list lock is not this list's.
    v.lockApList(0);
    expectBroken(v, () => apListDel(v, a), /apListDel entered without ap_list_lock\(vCPU 1\) \(holding ap_list_lock\(vCPU 0\)\)/);
    v.unlockApList(0);
    // An interrupt on no list has no list lock to be held under.
    v.lockApList(1);
    expectBroken(v, () => apListCmp(v, spiSlot(v, 43), a), /apListCmp entered with slot \d+ on no ap_list/);
    expect(apListLength(v, 1)).toBe(2);
    v.unlockApList(1);
    expect(noLockHeld(v)).toBe(true);
  });

  it('populateLr: both the ap_list_lock of the vCPU it fills and the irq lock of the interrupt', () => {
    const v = bareVgic();
    const s = spiSlot(v, 40);
    enqueue(v, 0, s);
    v.pendingLatch[s] = 1;
    expectBroken(v, () => populateLr(v, 0, s, 0), /populateLr entered without ap_list_lock\(vCPU 0\)/);
    v.lockApList(0);
    expectBroken(v, () => populateLr(v, 0, s, 0), /populateLr entered without irq_lock/);
    v.lockIrq(s);
    populateLr(v, 0, s, 0);
    expect(v.lrIntid[0]).toBe(40);
    v.unlockIrq(s);
    v.unlockApList(0);
  });

  it('checks nothing without the lock-order checker', () => {
    const shape = { nrVcpus: 2, nrSpis: 32, nrLrs: 4, priorityBits: 5, sgiSources: false };
    const v = Vgic.create(shape, false, { lockCheck: false });
    const s = 64;
    expect(() => targetOracle(v, s)).not.toThrow();
    expect(() => apListLength(v, 1)).not.toThrow();
    expect(v.lockViolations).toBe(0);
  });
});

describe('the lock-order checker with the ITS and the LPI map', () => {
  describe('with the ITS and the LPI map: its cmd_lock > its_lock > ap_list_lock > LPI map lock > irq_lock', () => {
    // Each lock of the order, as a pair of take/give functions on a machine with LPIs.
    type Lock = { name: RegExp; take: (v: Vgic) => void; give: (v: Vgic) => void };
    const irqSlot = (v: Vgic): number => spiSlot(v, 40);
    const locks: Lock[] = [
      { name: /its cmd_lock/, take: (v) => v.lockItsCmd(), give: (v) => v.unlockItsCmd() },
      { name: /its_lock/, take: (v) => v.lockIts(), give: (v) => v.unlockIts() },
      { name: /ap_list_lock\(vCPU 1\)/, take: (v) => v.lockApList(1), give: (v) => v.unlockApList(1) },
      { name: /LPI map lock/, take: (v) => v.lockLpiMap(), give: (v) => v.unlockLpiMap() },
      { name: /irq_lock\(slot \d+\)/, take: (v) => v.lockIrq(irqSlot(v)), give: (v) => v.unlockIrq(irqSlot(v)) },
    ];

    it('lets the whole order be taken outermost first, and given back', () => {
      const v = bareVgic({ nrLpis: 8 });
      for (const l of locks) {
        l.take(v);
        // Two ap_list_locks in vCPU order sit between the ITS's locks and the LPI map lock.
        if (/vCPU/.test(l.name.source)) v.lockApList(2);
      }
      for (const l of [...locks].reverse()) {
        if (/vCPU/.test(l.name.source)) v.unlockApList(2);
        l.give(v);
      }
      expect(v.lockViolations).toBe(0);
      expect(noLockHeld(v)).toBe(true);
    });

    for (let outer = 0; outer < locks.length; outer++) {
      for (let inner = outer + 1; inner < locks.length; inner++) {
        const o = locks[outer]!;
        const i = locks[inner]!;
        it(`catches ${o.name.source} taken while holding ${i.name.source}, naming both`, () => {
          const v = bareVgic({ nrLpis: 8 });
          i.take(v);
          const error = lockOrderError(() => o.take(v));
          expect(isVgicError(error, 'LOCK_ORDER')).toBe(true);
          const message = (error as Error).message;
          expect(message).toMatch(new RegExp(`${o.name.source} taken while holding ${i.name.source}`));
          expect(v.lockViolations).toBe(1);
          i.give(v);
          expect(noLockHeld(v)).toBe(true);
        });
      }
    }

    it('catches the ITS and LPI map locks taken twice', () => {
      const v = bareVgic({ nrLpis: 8 });
      for (const l of locks.filter((l) => !/vCPU|slot/.test(l.name.source))) {
        l.take(v);
        expect(isVgicError(lockOrderError(() => l.take(v)), 'LOCK_ORDER')).toBe(true);
        l.give(v);
      }
      expect(v.lockViolations).toBe(3);
    });
  });
});
