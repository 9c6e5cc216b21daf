/**
 * The lock primitive, in one place so its implementation can change without
 * touching the engine.
 *
 * Every lock is one 32-bit word of the machine's buffer: irq locks first (one
 * per interrupt slot), then one ap_list_lock per vCPU. The engine only ever
 * calls `acquire(words, index)` and `release(words, index)`. The word says
 * who holds the lock — the small per-thread id of lock-owners.ts — so that a
 * lock whose holder died can be told from one that is merely busy:
 *
 *   0                 free
 *   id << 1           held by thread `id`, nobody waiting
 *   id << 1 | 1       held, and its release must look (LOCK_WAITERS): a
 *                     waiter sleeps on the word, or the machine broke
 *   LOCK_BROKEN (-1)  poisoned: the machine is broken (lock-owners.ts);
 *                     taking the lock throws MACHINE_BROKEN until a reset
 *
 * The fast paths are one atomic each, as for a lock that records no owner:
 * a compare-and-swap 0 → `id << 1` to take, an exchange for 0 to give back
 * that finds bit 0 clear (a poisoned word has it set). Anything else goes to
 * the slow paths below, shared by every primitive. (That a thread releases
 * only what it holds is lockdep's to check, as before owners were recorded;
 * the slow path checks it too.)
 *
 * - `PlainLocks` is for a buffer no other thread can see: a store is enough,
 *   and finding a lock already held is a self-deadlock, reported at once.
 *   The buffer's one thread has a fixed id, so the store is of a constant.
 * - `AtomicLocks` is for a SharedArrayBuffer: the compare-and-swap, a short
 *   spin, then a futex protocol sleeping in `Atomics.wait` — with a timeout,
 *   after which the waiter looks whether the holder still lives.
 * - `WasmLocks` (wasm-locks.ts) is `AtomicLocks` with the fast paths in
 *   WebAssembly; the words mean the same, so the two mix on one buffer.
 *
 * A primitive is bound to one thread's view of one machine (`forOwner`,
 * which `Vgic` calls); the exported instances are the unbound defaults, for
 * lock words outside any machine. The order in which locks are taken is
 * checked by `lockdep.ts`, which wraps whichever primitive is in use.
 */
import { VgicError } from './errors.js';
import { BROKEN_STOPPED_HOLDING, LOCK_BROKEN, LOCK_WAITERS, LockOwner, SOLE_THREAD, lockHolder } from './lock-owners.js';

export interface LockOps {
  /** A short name for traces and benchmark tables. */
  readonly kind: string;
  acquire(words: Int32Array, index: number): void;
  release(words: Int32Array, index: number): void;
  /**
   * The same primitive for one thread's view of a machine, recording
   * `owner` in the words it takes. A primitive without it is used as it is
   * (its words then name no thread, and a dead holder cannot be noticed).
   */
  forOwner?(owner: LockOwner): LockOps;
}

/** What a primitive bound to one thread keeps: the thread, and the word a lock it holds reads. */
export abstract class OwnedLocks {
  protected readonly owner: LockOwner;
  protected readonly self: number;

  constructor(owner: LockOwner = LockOwner.standalone) {
    this.owner = owner;
    this.self = owner.word;
  }
}

/** A lock word held by the one thread of an unshared buffer. */
const SOLE_WORD = SOLE_THREAD << 1;

/** For a buffer one thread uses: that thread is SOLE_THREAD, so a held word is a constant. */
export class PlainLocks extends OwnedLocks implements LockOps {
  readonly kind: string = 'plain';

  constructor(owner: LockOwner = LockOwner.standalone) {
    super(owner);
    if (owner.id !== SOLE_THREAD) {
      throw new VgicError(
        'INVALID_CONFIG',
        `PlainLocks is for a buffer only one thread uses (thread ${SOLE_THREAD}); this view is thread ${owner.id}: a shared buffer needs AtomicLocks or WasmLocks`,
      );
    }
  }

  forOwner(owner: LockOwner): LockOps {
    return new PlainLocks(owner);
  }

  acquire(words: Int32Array, index: number): void {
    if (words[index] !== 0) throw heldError(words, index, this.owner);
    words[index] = SOLE_WORD;
  }

  release(words: Int32Array, index: number): void {
    words[index] = 0;
  }
}

export class AtomicLocks extends OwnedLocks implements LockOps {
  readonly kind: string = 'atomic';

  forOwner(owner: LockOwner): LockOps {
    return new AtomicLocks(owner);
  }

  acquire(words: Int32Array, index: number): void {
    if (Atomics.compareExchange(words, index, 0, this.self) !== 0) acquireContended(words, index, this.owner);
  }

  release(words: Int32Array, index: number): void {
    const old = Atomics.exchange(words, index, 0);
    if ((old & LOCK_WAITERS) !== 0) releaseContended(words, index, this.owner, old);
  }
}

const SPINS = 64;
/**
 * How long a waiter sleeps before it looks whether the holder still lives.
 * Engine critical sections last microseconds, so this only paces the look
 * for a dead holder; a live holder's release wakes the waiter at once.
 */
export const LOCK_WAIT_MS = 20;

/**
 * The slow path of every primitive's acquire (the word was not free): spin
 * a little, then sleep as a waiter. A waiter wakes when the holder releases
 * (it set LOCK_WAITERS, so the release notifies), when the machine breaks
 * (poisoning notifies every sleeper), or every LOCK_WAIT_MS to look at the
 * holder: a holder that is not alive broke the machine, and so does this
 * waiter — it throws MACHINE_BROKEN instead of waiting for ever.
 */
export function acquireContended(words: Int32Array, index: number, owner: LockOwner): void {
  const self = owner.word;
  for (let n = 0; n < SPINS; n++) {
    if (Atomics.load(words, index) === 0 && Atomics.compareExchange(words, index, 0, self) === 0) return;
  }
  const space = owner.space;
  for (;;) {
    let word = Atomics.load(words, index);
    if (word === 0) {
      // Taken after a wait: others may sleep on it too, so its release must
      // look (the "locked, contended" state of Drepper's futex mutex).
      if (Atomics.compareExchange(words, index, 0, self | LOCK_WAITERS) !== 0) continue;
      if (space !== null && space.isBroken()) {
        releaseContended(words, index, owner, Atomics.exchange(words, index, 0));
        throw space.brokenError();
      }
      return;
    }
    if (word === LOCK_BROKEN || (space !== null && space.isBroken())) throw heldError(words, index, owner);
    if (lockHolder(word) === owner.id) throw heldError(words, index, owner);
    if ((word & LOCK_WAITERS) === 0) {
      if (Atomics.compareExchange(words, index, word, word | LOCK_WAITERS) !== word) continue;
      word |= LOCK_WAITERS;
    }
    if (space === null) {
      Atomics.wait(words, index, word);
    } else if (Atomics.wait(words, index, word, LOCK_WAIT_MS) === 'timed-out' && Atomics.load(words, index) === word) {
      // Still held by the same thread, after the look as before it (a
      // release racing the timeout changed the word): a holder that is not
      // alive will never release it.
      const holder = lockHolder(word);
      if (!space.isAlive(holder)) {
        space.breakMachine(holder, index, BROKEN_STOPPED_HOLDING);
        throw space.brokenError();
      }
    }
  }
}

/**
 * The slow path of every primitive's release. The fast path has exchanged
 * the word for 0 already and found LOCK_WAITERS set in it (`old`): a waiter
 * sleeps on it, or the machine broke while this thread held it (breaking
 * sets LOCK_WAITERS on the words of live holders and poisons the rest, bit
 * 0 included) — or the lock was another thread's.
 */
export function releaseContended(words: Int32Array, index: number, owner: LockOwner, old: number): void {
  const space = owner.space;
  if (old !== LOCK_BROKEN && lockHolder(old) !== owner.id) {
    // Not this thread's to release: give the word back what it held.
    if (old !== 0) Atomics.compareExchange(words, index, 0, old);
    const name = space?.describe(index) ?? `lock ${index}`;
    const holder = old === 0 ? 'nobody holds it' : `thread ${lockHolder(old)} holds it`;
    throw new VgicError('LOCK_ORDER', `${name} released by thread ${owner.id}, but ${holder}`);
  }
  if (old !== LOCK_BROKEN) Atomics.notify(words, index, 1);
  // On a broken machine the word must not stay free. (Whoever breaks it
  // raises the flag before it poisons the words, so a release that freed a
  // word after the poisoner passed it sees the flag here; a thread that took
  // the word meanwhile gets it guarded, and poisons it when it releases.)
  if (old === LOCK_BROKEN || (space !== null && space.isBroken())) {
    if (space !== null) space.poisonWord(index);
    else if (Atomics.compareExchange(words, index, 0, LOCK_BROKEN) === 0) Atomics.notify(words, index);
  }
}

/** Why a lock this thread wants cannot be had: the machine is broken, or this thread holds it already. */
function heldError(words: Int32Array, index: number, owner: LockOwner): VgicError {
  const space = owner.space;
  if (space !== null && space.isBroken()) return space.brokenError();
  const word = words[index]!;
  if (word === LOCK_BROKEN) return new VgicError('MACHINE_BROKEN', `lock ${index} is poisoned: the machine it belongs to is broken`);
  const name = space?.describe(index) ?? `lock ${index}`;
  return new VgicError('LOCK_ORDER', `${name} is already held: one thread cannot wait for itself`);
}

export const plainLocks: LockOps = new PlainLocks();
export const atomicLocks: LockOps = new AtomicLocks();
