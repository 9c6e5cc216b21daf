import { describe, expect, it } from 'vitest';
import { bareVgic, spiSlot } from '../test/fixtures/bare.js';
import { isVgicError } from './errors.js';
import { noLockHeld } from './invariants.js';
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
    expect(v.lockWords[v.nrSlots + 1]).toBe(0);
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
