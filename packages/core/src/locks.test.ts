import { describe, expect, it } from 'vitest';
import { createToy } from '../test/fixtures/toy-gic.js';
import { toyGuest } from '../test/fixtures/toy-guest.js';
import { AtomicLocks } from './locks.js';
import { Vgic } from './vgic.js';

describe('shared mode', () => {
  it('keeps the state in a SharedArrayBuffer behind atomic locks, and runs the same round trip', () => {
    const m = createToy({ vcpus: 2, spis: 64, shared: true });
    expect(m.vgic.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(m.vgic.locks.kind).toBe('atomic+lockdep');
    toyGuest.init(m);
    toyGuest.setPriority(m, 40, 0x80);
    toyGuest.route(m, 40, 1);
    toyGuest.enable(m, 40);
    expect(m.inject(40, 1)).toBe(true);
    expect(toyGuest.ack(m, 1)).toBe(40);
    expect(m.irq(40).active).toBe(true);
    toyGuest.eoi(m, 1, 40);
    m.exit(1);
    expect(m.irq(40)).toMatchObject({ active: false, pending: false, queued: null });
    expect(m.checkInvariants()).toEqual([]);
    expect(m.noLockHeld()).toBe(true);
    expect(m.vgic.lockViolations).toBe(0);
  });

  it('lets a second view over the same buffer see and change the same machine', () => {
    const m = createToy({ vcpus: 2, spis: 32, shared: true });
    toyGuest.init(m);
    toyGuest.enable(m, 40);
    m.inject(40, 1);
    const other = Vgic.open(m.vgic.buffer);
    expect(other.nrVcpus).toBe(2);
    const slot = other.slotOf(40, 0);
    expect(other.pendingLatch[slot]).toBe(1);
    other.lockIrq(slot);
    expect(m.vgic.lockWords[slot]).toBe(1);
    other.unlockIrq(slot);
    expect(m.noLockHeld()).toBe(true);
  });
});

describe('AtomicLocks', () => {
  it('takes a free word, and frees it on release', () => {
    const words = new Int32Array(new SharedArrayBuffer(8));
    const l = new AtomicLocks();
    l.acquire(words, 1);
    expect([words[0], words[1]]).toEqual([0, 1]);
    l.release(words, 1);
    expect(words[1]).toBe(0);
  });
});
