/**
 * The lock primitive, in one place so its implementation can change without
 * touching the engine.
 *
 * Every lock is one 32-bit word of the machine's buffer: irq locks first (one
 * per interrupt slot), then one ap_list_lock per vCPU. The engine only ever
 * calls `acquire(words, index)` and `release(words, index)`.
 *
 * - `PlainLocks` is for a buffer no other thread can see: a store is enough,
 *   and finding a lock already held is a self-deadlock, reported at once.
 * - `AtomicLocks` is for a SharedArrayBuffer: compare-and-swap to take the
 *   lock, a short spin, then the three-state futex protocol (0 free,
 *   1 held, 2 held with waiters) sleeping in `Atomics.wait`.
 *
 * The order in which locks are taken is checked by `lockdep.ts`, which wraps
 * whichever primitive is in use.
 */
import { VgicError } from './errors.js';

export interface LockOps {
  /** A short name for traces and benchmark tables. */
  readonly kind: string;
  acquire(words: Int32Array, index: number): void;
  release(words: Int32Array, index: number): void;
}

export class PlainLocks implements LockOps {
  readonly kind: string = 'plain';

  acquire(words: Int32Array, index: number): void {
    if (words[index] !== 0) {
      throw new VgicError('LOCK_ORDER', `lock ${index} is already held: one thread cannot wait for itself`);
    }
    words[index] = 1;
  }

  release(words: Int32Array, index: number): void {
    words[index] = 0;
  }
}

const SPINS = 64;

export class AtomicLocks implements LockOps {
  readonly kind: string = 'atomic';

  acquire(words: Int32Array, index: number): void {
    if (Atomics.compareExchange(words, index, 0, 1) === 0) return;
    for (let n = 0; n < SPINS; n++) {
      if (Atomics.load(words, index) === 0 && Atomics.compareExchange(words, index, 0, 1) === 0) return;
    }
    // Contended: announce a waiter (2) and sleep until the holder wakes us.
    while (Atomics.exchange(words, index, 2) !== 0) {
      Atomics.wait(words, index, 2);
    }
  }

  release(words: Int32Array, index: number): void {
    if (Atomics.exchange(words, index, 0) === 2) Atomics.notify(words, index, 1);
  }
}

export const plainLocks: LockOps = new PlainLocks();
export const atomicLocks: LockOps = new AtomicLocks();
