/**
 * Who holds a lock, whether that thread still lives, and whether the
 * machine is still fit to use.
 *
 * Every thread that opens a machine gets a small id from the machine's
 * thread table, a few words of the buffer: the lock words it takes record
 * that id (locks.ts). One word per id says what became of the thread:
 *
 *   THREAD_FREE      the id is unused
 *   THREAD_RESERVED  handed to a worker that has not opened the machine yet
 *   THREAD_ALIVE     the thread has the machine open
 *   THREAD_DEAD      the thread ended while it was inside the engine
 *
 * Threads do not announce their own death — a terminated worker runs no
 * more code — so whoever learns of it marks it: the pool that started the
 * worker when it exits (threads/pool.ts), the worker itself when it fails
 * with an exception, or a waiter that finds a lock held by an id that is not
 * alive. Id 0 is never given out, so a lock word that names no thread (a
 * word written by anything but the primitives) reads as held by the dead.
 *
 * A thread that stopped while it held a lock stopped in the middle of a
 * critical section: the state that lock protects may be half-written, and
 * nothing here can tell. So the machine is *broken* — recorded in the
 * buffer, so every thread sees it — and every lock word is poisoned
 * (`LOCK_BROKEN`): each later attempt to take a lock, in any thread, throws
 * `VgicError('MACHINE_BROKEN')` instead of waiting for a holder that will
 * never come back. `Vgic.resetLocks` (called by `Machine.reset` and by
 * restore, which rewrite every word the locks protect) is the way back.
 */
import { VgicError } from './errors.js';
import { lockName } from './lock-names.js';

export const THREAD_FREE = 0;
export const THREAD_RESERVED = 1;
export const THREAD_ALIVE = 2;
export const THREAD_DEAD = 3;

/** Lock-word bit 0: the release must look (a waiter sleeps on the word, or the machine broke). */
export const LOCK_WAITERS = 1;
/** A poisoned lock word: the machine is broken; taking the lock throws MACHINE_BROKEN. */
export const LOCK_BROKEN = -1;

/** Why a machine broke (the record's cause word). */
export const BROKEN_STOPPED_HOLDING = 1;
export const BROKEN_TERMINATED = 2;

/** Words of the broken record: the flag, then thread id + 1, lock index + 1, cause. */
export const BROKEN_RECORD_WORDS = 4;
const R_FLAG = 0;
const R_THREAD = 1;
const R_LOCK = 2;
const R_CAUSE = 3;

/**
 * The id of the one thread of an unshared buffer. No other thread can see
 * such a buffer, so its id is fixed, and a lock it holds reads a constant
 * (which keeps `PlainLocks` a single store).
 */
export const SOLE_THREAD = 1;

/** Thread ids a machine of `nrVcpus` vCPUs has room for: one per vCPU thread, and 63 more (id 0 is never used). */
export function threadTableWords(nrVcpus: number): number {
  return nrVcpus + 64;
}

/** The thread that holds a lock word's lock (0 for a free word; not a valid id for a poisoned one). */
export function lockHolder(word: number): number {
  return word >>> 1;
}

/**
 * The lock words of one machine with its thread table and broken record,
 * as one thread's view sees them.
 */
export class LockSpace {
  readonly words: Int32Array;
  readonly threads: Int32Array;
  private readonly record: Int32Array;
  private readonly nrSlots: number;
  /** vCPU 0's ap_list_lock; vCPU k's is LINE_WORDS·k further (Vgic.apListHead). */
  private readonly headBase: number;
  /** The ITS's cmd_lock (Vgic.lockIndexItsCmd); its_lock and the LPI map lock follow. */
  private readonly extraBase: number;
  private readonly intid: Int32Array;

  constructor(
    words: Int32Array,
    threads: Int32Array,
    record: Int32Array,
    nrSlots: number,
    headBase: number,
    extraBase: number,
    intid: Int32Array,
  ) {
    this.words = words;
    this.threads = threads;
    this.record = record;
    this.nrSlots = nrSlots;
    this.headBase = headBase;
    this.extraBase = extraBase;
    this.intid = intid;
  }

  /** A lock's name for messages: `irq_lock(INTID 40, slot 72)`, `ap_list_lock(vCPU 1)`, `its_lock`. */
  describe(index: number): string {
    if (index < this.nrSlots) return `irq_lock(INTID ${this.intid[index]}, slot ${index})`;
    return lockName(index, this.nrSlots, this.headBase, this.extraBase);
  }

  // ------------------------------------------------------------ thread ids

  state(id: number): number {
    return id > 0 && id < this.threads.length ? Atomics.load(this.threads, id) : THREAD_FREE;
  }

  isAlive(id: number): boolean {
    return this.state(id) === THREAD_ALIVE;
  }

  /** A free id, now in `state` (THREAD_ALIVE for the calling thread, THREAD_RESERVED for a worker about to start). */
  claim(state: number = THREAD_ALIVE): number {
    for (let id = 1; id < this.threads.length; id++) {
      if (Atomics.compareExchange(this.threads, id, THREAD_FREE, state) === THREAD_FREE) return id;
    }
    throw new VgicError(
      'INVALID_STATE',
      `this machine has room for ${this.threads.length - 1} threads at once, and every id is taken (ids of threads that died are freed by a reset)`,
    );
  }

  /** The one thread of an unshared buffer has opened it. */
  enterSole(): void {
    Atomics.compareExchange(this.threads, SOLE_THREAD, THREAD_FREE, THREAD_ALIVE);
  }

  /** A worker given a reserved id has opened the machine. */
  enter(id: number): void {
    Atomics.compareExchange(this.threads, id, THREAD_RESERVED, THREAD_ALIVE);
  }

  /** The lock indexes whose word names `id` as holder. */
  heldBy(id: number): number[] {
    const out: number[] = [];
    const w = this.words;
    for (let i = 0; i < w.length; i++) {
      const word = Atomics.load(w, i);
      if (word !== 0 && word !== LOCK_BROKEN && lockHolder(word) === id) out.push(i);
    }
    return out;
  }

  /**
   * Thread `id` has ended: its worker exited, or was terminated. `finished`
   * says it left the engine by itself (it returned, or failed with an
   * exception, and reported so); otherwise it stopped wherever it was.
   * Frees the id when the thread was outside the engine; otherwise breaks
   * the machine. Returns the sentence that says why it broke, or null.
   */
  retire(id: number, finished: boolean): string | null {
    const st = this.state(id);
    if (st === THREAD_FREE) return null;
    if (st === THREAD_RESERVED) {
      // It never opened the machine: it changed nothing.
      Atomics.compareExchange(this.threads, id, THREAD_RESERVED, THREAD_FREE);
      return null;
    }
    if (st === THREAD_DEAD) return this.reason();
    const held = this.heldBy(id);
    if (held.length === 0 && finished) {
      Atomics.compareExchange(this.threads, id, THREAD_ALIVE, THREAD_FREE);
      return null;
    }
    this.breakMachine(id, held[0] ?? -1, held.length > 0 ? BROKEN_STOPPED_HOLDING : BROKEN_TERMINATED);
    return this.reason();
  }

  /**
   * Thread `id` is leaving the engine by an exception, from its own
   * thread: if it still holds locks, the critical section they guard was
   * cut short — break the machine now, so that a thread waiting for one of
   * them learns it without waiting for anyone to notice this thread is gone.
   * Returns whether it broke. (The id stays taken: whoever started the
   * thread frees it with `retire` once the thread has ended.)
   */
  breakIfHolding(id: number): boolean {
    const held = this.heldBy(id);
    if (held.length === 0) return false;
    this.breakMachine(id, held[0]!, BROKEN_STOPPED_HOLDING);
    return true;
  }

  // ------------------------------------------------------------ the broken machine

  isBroken(): boolean {
    return Atomics.load(this.record, R_FLAG) !== 0;
  }

  /**
   * Mark the machine broken because thread `id` stopped (holding `lock`,
   * or -1 for none known), mark the thread dead, and poison every lock word
   * so that no thread takes a lock again until a reset. The first reason
   * recorded is the one kept. Callable from any thread, any number of times.
   */
  breakMachine(id: number, lock: number, cause: number): void {
    const r = this.record;
    if (Atomics.compareExchange(r, R_THREAD, 0, id + 1) === 0) {
      Atomics.store(r, R_LOCK, lock + 1);
      Atomics.store(r, R_CAUSE, cause);
    }
    // The flag first, then the words: a holder whose word is guarded below
    // looks at the flag when it releases (locks.ts, releaseContended).
    Atomics.store(r, R_FLAG, 1);
    if (id > 0 && id < this.threads.length) {
      const st = Atomics.load(this.threads, id);
      if (st === THREAD_ALIVE || st === THREAD_RESERVED) Atomics.compareExchange(this.threads, id, st, THREAD_DEAD);
    }
    for (let i = 0; i < this.words.length; i++) this.poisonWord(i);
  }

  /**
   * Leave lock word `i` poisoned, or held by a live thread with its
   * waiters bit set, so that its holder's release takes the slow path, sees
   * the machine broken and poisons it then. Free words and words of dead
   * holders are poisoned at once, and their sleepers woken to see it.
   */
  poisonWord(i: number): void {
    const w = this.words;
    for (;;) {
      const word = Atomics.load(w, i);
      if (word === LOCK_BROKEN) return;
      if (word === 0 || !this.isAlive(lockHolder(word))) {
        if (Atomics.compareExchange(w, i, word, LOCK_BROKEN) === word) {
          Atomics.notify(w, i);
          return;
        }
      } else if ((word & LOCK_WAITERS) !== 0 || Atomics.compareExchange(w, i, word, word | LOCK_WAITERS) === word) {
        return;
      }
    }
  }

  /** What broke the machine: the thread, a lock it held (-1: none known) and the cause; null while it is sound. */
  brokenBy(): { thread: number; lock: number; cause: number } | null {
    if (!this.isBroken()) return null;
    const r = this.record;
    return { thread: Atomics.load(r, R_THREAD) - 1, lock: Atomics.load(r, R_LOCK) - 1, cause: Atomics.load(r, R_CAUSE) };
  }

  /** What thread `thread` did that broke the machine, as the end of a sentence ("stopped while it held …"). */
  describeBreak(b: { lock: number; cause: number }): string {
    return b.cause === BROKEN_STOPPED_HOLDING && b.lock >= 0
      ? `stopped while it held ${this.describe(b.lock)}`
      : 'was stopped in the middle of its work';
  }

  /** Why the machine is broken, as a sentence; null while it is sound. */
  reason(): string | null {
    const b = this.brokenBy();
    if (b === null) return null;
    const who = b.thread > 0 ? `thread ${b.thread}` : 'a thread the lock word does not name';
    return `${who} of this machine ${this.describeBreak(b)}, so the state it was changing may be half-written`;
  }

  brokenError(): VgicError {
    return new VgicError(
      'MACHINE_BROKEN',
      `the machine is broken: ${this.reason() ?? 'it was marked broken'}; reset it (machine.reset()) or restore a saved state (restoreMachine) before using it again`,
    );
  }

  /**
   * Every lock free, the broken record cleared, the ids of dead threads
   * freed. Only with no other thread inside the machine (reset, restore).
   */
  reset(): void {
    this.words.fill(0);
    this.record.fill(0);
    for (let id = 1; id < this.threads.length; id++) {
      if (this.threads[id] === THREAD_DEAD) this.threads[id] = THREAD_FREE;
    }
  }
}

/** The thread a lock primitive takes locks for: its id, the word its held locks read, and the machine it watches. */
export class LockOwner {
  readonly id: number;
  /** What a lock word holds while this thread holds the lock (no waiters). */
  readonly word: number;
  /** The machine's thread table and broken record; null for lock words outside any machine. */
  readonly space: LockSpace | null;

  constructor(id: number, space: LockSpace | null) {
    this.id = id;
    this.word = id << 1;
    this.space = space;
  }

  /** The owner of lock words outside any machine: no thread table, so no dead holder can be noticed. */
  static readonly standalone: LockOwner = new LockOwner(SOLE_THREAD, null);
}

// Ids are per thread: module state is per thread (each worker loads its own
// copy of this module), so this map says which id this thread has for each
// machine buffer it opened. Views opened again over the same buffer in the
// same thread share the id: a thread that waits for a lock it holds itself
// through another view is a self-deadlock, and is reported as one.
const ids = new WeakMap<object, number>();

/**
 * This thread's id for the machine in `buffer`: SOLE_THREAD for an unshared
 * buffer; for a shared one the id it already has, the one its starter
 * reserved for it (`adoptThread`), or a new one.
 */
export function ownerFor(buffer: ArrayBufferLike, space: LockSpace): LockOwner {
  if (typeof SharedArrayBuffer === 'undefined' || !(buffer instanceof SharedArrayBuffer)) {
    space.enterSole();
    return new LockOwner(SOLE_THREAD, space);
  }
  let id = ids.get(buffer);
  const st = id === undefined ? THREAD_FREE : space.state(id);
  if (id !== undefined && st === THREAD_RESERVED) space.enter(id);
  else if (id === undefined || st !== THREAD_ALIVE) {
    id = space.claim();
    ids.set(buffer, id);
  }
  return new LockOwner(id, space);
}

/**
 * Before this thread opens the machine in `buffer`: use `id`, which the
 * thread that started this one reserved for it (`LockSpace.claim(THREAD_RESERVED)`),
 * so that it knows whose locks to look at when this thread ends.
 */
export function adoptThread(buffer: ArrayBufferLike, id: number): void {
  ids.set(buffer, id);
}
