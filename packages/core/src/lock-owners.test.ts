import { describe, expect, it } from 'vitest';
import { createToy } from '../test/fixtures/toy-gic.js';
import { errorCode as code } from '../test/fixtures/errors.js';
import { LOCK_BROKEN, LOCK_WAITERS, LockOwner, SOLE_THREAD, THREAD_ALIVE, THREAD_DEAD, THREAD_FREE, THREAD_RESERVED } from './lock-owners.js';
import { PlainLocks } from './locks.js';
import { Vgic } from './vgic.js';

function shared() {
  return createToy({ vcpus: 2, spis: 32, shared: true });
}

describe('thread ids', () => {
  it('gives the thread that creates a machine an id of its own, and every lock it takes names it', () => {
    const m = shared();
    const v = m.vgic;
    expect(v.lockOwner.id).toBeGreaterThan(0);
    expect(v.lockSpace.state(v.lockOwner.id)).toBe(THREAD_ALIVE);
    v.lockApList(1);
    expect(v.lockWords[v.apListHead(1)]).toBe(v.lockOwner.id << 1);
    expect(v.lockSpace.heldBy(v.lockOwner.id)).toEqual([v.apListHead(1)]);
    v.unlockApList(1);
    expect(v.lockSpace.heldBy(v.lockOwner.id)).toEqual([]);
  });

  it('shares the id between views this thread opens over the same buffer', () => {
    const m = shared();
    const other = Vgic.open(m.vgic.buffer);
    expect(other.lockOwner.id).toBe(m.vgic.lockOwner.id);
    // Reading the shape opens no view and takes no id.
    const before = Array.from(m.vgic.threadTable);
    Vgic.shapeOf(m.vgic.buffer);
    expect(Array.from(m.vgic.threadTable)).toEqual(before);
  });

  it('gives the one thread of an unshared buffer the fixed id, which plain locks write as a constant', () => {
    const m = createToy({ vcpus: 2, spis: 32 });
    expect(m.vgic.lockOwner.id).toBe(SOLE_THREAD);
    expect(Vgic.open(m.vgic.buffer).lockOwner.id).toBe(SOLE_THREAD);
    m.vgic.lockIrq(0);
    expect(m.vgic.lockSpace.heldBy(SOLE_THREAD)).toEqual([0]);
    m.vgic.unlockIrq(0);
    expect(code(() => new PlainLocks(new LockOwner(2, null)))).toBe('INVALID_CONFIG');
  });

  it('frees a reserved id that never opened the machine, and a finished thread that holds nothing', () => {
    const space = shared().vgic.lockSpace;
    const a = space.claim(THREAD_RESERVED);
    expect(space.retire(a, false)).toBeNull();
    expect(space.state(a)).toBe(THREAD_FREE);
    const b = space.claim(THREAD_RESERVED);
    space.enter(b);
    expect(space.state(b)).toBe(THREAD_ALIVE);
    expect(space.retire(b, true)).toBeNull();
    expect(space.state(b)).toBe(THREAD_FREE);
    expect(space.isBroken()).toBe(false);
  });

  it('refuses a thread beyond the table with INVALID_STATE', () => {
    const space = shared().vgic.lockSpace;
    expect(code(() => {
      for (;;) space.claim();
    })).toBe('INVALID_STATE');
  });
});

describe('a thread that ends inside the engine', () => {
  it('breaks the machine when it ends holding a lock: every lock word is poisoned and the lock it held is named', () => {
    const m = shared();
    const v = m.vgic;
    const space = v.lockSpace;
    const dead = space.claim();
    const slot = v.slotOf(40, 0);
    Atomics.store(v.lockWords, slot, dead << 1);
    const why = space.retire(dead, true);
    expect(why).toMatch(new RegExp(`thread ${dead} of this machine stopped while it held irq_lock\\(INTID 40, slot ${slot}\\)`));
    expect(space.state(dead)).toBe(THREAD_DEAD);
    expect(Array.from(v.lockWords).every((w) => w === LOCK_BROKEN)).toBe(true);
    expect(v.broken).toBe(why);
  });

  it('breaks the machine when it was stopped while it ran, even holding nothing', () => {
    const m = shared();
    const space = m.vgic.lockSpace;
    const dead = space.claim();
    expect(space.retire(dead, false)).toMatch(/was stopped in the middle of its work/);
    expect(space.isBroken()).toBe(true);
  });

  it('keeps the first reason when a second thread breaks it too', () => {
    const space = shared().vgic.lockSpace;
    const [a, b] = [space.claim(), space.claim()];
    space.breakMachine(a, -1, 2);
    space.breakMachine(b, 0, 1);
    expect(space.brokenBy()).toEqual({ thread: a, lock: -1, cause: 2 });
  });

  it('leaves a live holder its lock, marked so that its release poisons the word instead of freeing it', () => {
    const m = shared();
    const v = m.vgic;
    v.lockApList(0);
    const dead = v.lockSpace.claim();
    v.lockSpace.breakMachine(dead, -1, 2);
    const word = v.apListHead(0);
    expect(v.lockWords[word]).toBe((v.lockOwner.id << 1) | LOCK_WAITERS);
    v.unlockApList(0);
    expect(v.lockWords[word]).toBe(LOCK_BROKEN);
    expect(code(() => v.lockApList(0))).toBe('MACHINE_BROKEN');
  });

  it('is forgotten by resetLocks: every lock free, the dead ids free again', () => {
    const m = shared();
    const v = m.vgic;
    const dead = v.lockSpace.claim();
    v.lockSpace.breakMachine(dead, v.apListHead(0), 1);
    v.resetLocks();
    expect(v.broken).toBeNull();
    expect(Array.from(v.lockWords).every((w) => w === 0)).toBe(true);
    expect(v.lockSpace.state(dead)).toBe(THREAD_FREE);
    expect(v.lockSpace.state(v.lockOwner.id)).toBe(THREAD_ALIVE);
    v.lockApList(0);
    v.unlockApList(0);
  });
});
