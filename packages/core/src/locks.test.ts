import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { createToy } from '../test/fixtures/toy-gic.js';
import { errorCode as code } from '../test/fixtures/errors.js';
import { toyGuest } from '../test/fixtures/toy-guest.js';
import { LOCK_BROKEN, THREAD_DEAD } from './lock-owners.js';
import { CheckedLocks } from './lockdep.js';
import { AtomicLocks } from './locks.js';
import type { Machine } from './machine.js';
import { Vgic } from './vgic.js';

/** One machine per primitive: plain (unshared), Atomics (SharedArrayBuffer), WebAssembly atomics (shared WebAssembly.Memory). */
const PRIMITIVES = [
  { kind: 'plain', make: () => createToy({ vcpus: 2, spis: 32 }) },
  { kind: 'atomic', make: () => createToy({ vcpus: 2, spis: 32, shared: true }) },
  { kind: 'wasm-atomic', make: () => createToy({ vcpus: 2, spis: 32, memory: 'wasm' }) },
] as const;

function bringUp(m: Machine): void {
  toyGuest.init(m);
  toyGuest.route(m, 40, 0);
  toyGuest.enable(m, 40);
  m.exit(0);
}

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
    expect(m.vgic.lockWords[slot]).toBe(other.lockOwner.id << 1);
    other.unlockIrq(slot);
    expect(m.noLockHeld()).toBe(true);
  });
});

describe.each(PRIMITIVES)('the $kind lock primitive', ({ kind, make }) => {
  it('records the holder in the word, frees it on release, and keeps its kind', () => {
    const m = make();
    const v = m.vgic;
    expect(v.locks.kind).toBe(`${kind}+lockdep`);
    v.lockApList(1);
    expect(v.lockWords[v.apListHead(1)]).toBe(v.lockOwner.id << 1);
    v.unlockApList(1);
    expect(v.lockWords[v.apListHead(1)]).toBe(0);
  });

  it('refuses every lock of a broken machine with MACHINE_BROKEN, and works again after a reset', () => {
    const m = make();
    bringUp(m);
    const v = m.vgic;
    v.lockSpace.breakMachine(v.lockSpace.claim(), v.apListHead(0), 1);
    expect(code(() => m.inject(40, 1))).toBe('MACHINE_BROKEN');
    expect(code(() => m.enter(1))).toBe('MACHINE_BROKEN');
    expect(m.checkInvariants()).toEqual([expect.stringMatching(/^the machine is broken: thread \d+ of this machine stopped while it held ap_list_lock\(vCPU 0\)/)]);
    m.reset();
    bringUp(m);
    expect(m.inject(40, 1)).toBe(true);
    expect(toyGuest.ack(m, 0)).toBe(40);
    expect(m.checkInvariants()).toEqual([]);
  });
});

describe.each(PRIMITIVES.filter((p) => p.kind !== 'plain'))('a $kind waiter', ({ make }) => {
  it('whose lock is held by a thread that is not alive gives up with MACHINE_BROKEN instead of waiting for ever', { timeout: 10_000 }, () => {
    const m = make();
    bringUp(m);
    const v = m.vgic;
    // vCPU 0's ap_list_lock as a thread that died would leave it: held by
    // id 0, which no thread ever has (any word the primitives did not write).
    Atomics.store(v.lockWords, v.apListHead(0), 1);
    expect(code(() => m.inject(40, 1))).toBe('MACHINE_BROKEN');
    expect(v.broken).toMatch(/stopped while it held ap_list_lock\(vCPU 0\)/);
    expect(Array.from(v.lockWords).every((w) => w === LOCK_BROKEN)).toBe(true);
  });

  it('that wants a lock this thread already holds, through another view, is told so at once (LOCK_ORDER)', { timeout: 10_000 }, () => {
    const m = make();
    const inner = m.vgic.locks instanceof CheckedLocks ? m.vgic.locks.inner : m.vgic.locks;
    const other = Vgic.open(m.vgic.buffer, { lockCheck: false, locks: inner });
    expect(other.locks.kind).toBe(inner.kind);
    m.vgic.lockApList(0);
    expect(code(() => other.lockApList(0))).toBe('LOCK_ORDER');
    m.vgic.unlockApList(0);
  });
});

describe('AtomicLocks', () => {
  it('takes a free word, and frees it on release', () => {
    const words = new Int32Array(new SharedArrayBuffer(8));
    const l = new AtomicLocks();
    l.acquire(words, 1);
    // Lock words outside a machine are held by the standalone owner, id 1.
    expect([words[0], words[1]]).toEqual([0, 2]);
    l.release(words, 1);
    expect(words[1]).toBe(0);
  });

  it('refuses to release a lock another thread holds, and gives the word back, when its slow path sees it', () => {
    const m = createToy({ vcpus: 1, spis: 32, shared: true, lockCheck: false });
    const v = m.vgic;
    const other = v.lockSpace.claim();
    // Held by another thread, with a waiter: the release looks at the word.
    Atomics.store(v.lockWords, v.apListHead(0), (other << 1) | 1);
    expect(code(() => v.unlockApList(0))).toBe('LOCK_ORDER');
    expect(v.lockWords[v.apListHead(0)]).toBe((other << 1) | 1);
    // Every case, with the lock-order checker on (as the tests run).
    const checked = Vgic.open(m.vgic.buffer, { lockCheck: true });
    expect(code(() => checked.unlockApList(0))).toBe('LOCK_ORDER');
  });
});

/** A worker that opens the machine and waits for vCPU 0's ap_list_lock; it posts what the wait ended with. */
const WAITER = `
const { parentPort, workerData } = require('node:worker_threads');
import('tsx/esm/api')
  .then(({ register }) => { register(); return import(workerData.vgic); })
  .then(({ Vgic }) => {
    const v = Vgic.open(workerData.buffer, { lockCheck: false });
    parentPort.postMessage({ type: 'waiting' });
    try {
      v.lockApList(0);
      parentPort.postMessage({ type: 'took' });
    } catch (e) {
      parentPort.postMessage({ type: 'error', code: e.code, message: e.message });
    }
  });
`;

function waiterIn(m: Machine): { worker: Worker; outcome: Promise<{ type: string; code?: string; message?: string }>; waiting: Promise<void> } {
  const worker = new Worker(WAITER, { eval: true, workerData: { buffer: m.vgic.buffer, vgic: new URL('./vgic.ts', import.meta.url).href } });
  let onWaiting!: () => void;
  const waiting = new Promise<void>((r) => (onWaiting = r));
  const outcome = new Promise<{ type: string; code?: string; message?: string }>((resolve, reject) => {
    worker.on('message', (msg: { type: string }) => (msg.type === 'waiting' ? onWaiting() : resolve(msg)));
    worker.on('error', reject);
  });
  return { worker, outcome, waiting };
}

/** vCPU 0's ap_list_lock held by another thread's id, and a worker asleep waiting for it. */
async function waitingBehindAnotherThread() {
  const m = createToy({ vcpus: 1, spis: 32, shared: true, lockCheck: false });
  const v = m.vgic;
  const holder = v.lockSpace.claim();
  Atomics.store(v.lockWords, v.apListHead(0), holder << 1);
  const w = waiterIn(m);
  await w.waiting;
  await new Promise((r) => setTimeout(r, 50));
  return { v, holder, w };
}

describe('a waiter in another thread', () => {
  it('notices, at its next look, that the holder was marked dead, and breaks the machine', { timeout: 20_000 }, async () => {
    const { v, holder, w } = await waitingBehindAnotherThread();
    // What the pool does when it learns the holder's worker is gone, without poisoning: the waiter must find out by itself.
    Atomics.store(v.threadTable, holder, THREAD_DEAD);
    const r = await w.outcome;
    await w.worker.terminate();
    expect(r).toMatchObject({ type: 'error', code: 'MACHINE_BROKEN' });
    expect(v.lockSpace.brokenBy()).toMatchObject({ thread: holder, lock: v.apListHead(0) });
  });

  it('is woken with MACHINE_BROKEN when the holder is retired', { timeout: 20_000 }, async () => {
    const { v, holder, w } = await waitingBehindAnotherThread();
    expect(v.lockSpace.retire(holder, false)).toMatch(/stopped while it held ap_list_lock\(vCPU 0\)/);
    const r = await w.outcome;
    await w.worker.terminate();
    expect(r).toMatchObject({ type: 'error', code: 'MACHINE_BROKEN' });
  });

  it('takes the lock when a live holder releases it', { timeout: 20_000 }, async () => {
    const m = createToy({ vcpus: 1, spis: 32, shared: true, lockCheck: false });
    const v = m.vgic;
    v.lockApList(0);
    const w = waiterIn(m);
    await w.waiting;
    await new Promise((r) => setTimeout(r, 50));
    v.unlockApList(0);
    const r = await w.outcome;
    await w.worker.terminate();
    expect(r).toEqual({ type: 'took' });
    expect(v.broken).toBeNull();
  });
});
