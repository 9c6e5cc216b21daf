/**
 * A small lockdep: checks every lock acquisition against the order of the
 * engine (DESIGN.md, "Lock order", "LPIs and the ITS"):
 *
 *   its->cmd_lock
 *     its->its_lock
 *       vgic_cpu.ap_list_lock
 *         LPI map lock
 *           vgic_irq.irq_lock
 *
 * - a lock is never taken while one that nests inside it is held (an
 *   ap_list_lock while an irq lock or the LPI map lock is held, the its_lock
 *   while an ap_list_lock is held, ...);
 * - two ap_list_locks are taken lower vCPU first;
 * - at most one irq lock is held at a time;
 * - a lock is released only by the thread that holds it.
 *
 * The held-lock record is per thread (each thread builds its own `LockDep`
 * over the shared buffer); the violation count is a word of the shared buffer
 * so that every thread's violations add up in one place. A violation throws
 * a `VgicError` with code `LOCK_ORDER`: it is a bug in the engine, never the
 * guest's doing, and should stop the run loudly.
 */
import { LINE_WORDS } from './cache-line.js';
import { VgicError } from './errors.js';
import { RANK_AP_LIST, lockName, lockRank } from './lock-names.js';
import type { LockOps } from './locks.js';

const MAX_HELD = 8;

export class LockDep {
  /** Lock indexes held by this thread, in acquisition order. */
  readonly held: Int32Array = new Int32Array(MAX_HELD);
  depth = 0;
  private readonly nrSlots: number;
  /** vCPU 0's ap_list_lock; vCPU k's is LINE_WORDS·k further (Vgic.apListHead). */
  private readonly headBase: number;
  /** The ITS's cmd_lock (Vgic.lockIndexItsCmd); its_lock and the LPI map lock follow. */
  private readonly extraBase: number;
  private readonly counter: Int32Array;
  private readonly counterIndex: number;

  constructor(nrSlots: number, headBase: number, extraBase: number, counter: Int32Array, counterIndex: number) {
    this.nrSlots = nrSlots;
    this.headBase = headBase;
    this.extraBase = extraBase;
    this.counter = counter;
    this.counterIndex = counterIndex;
  }

  describe(index: number): string {
    return lockName(index, this.nrSlots, this.headBase, this.extraBase);
  }

  private rank(index: number): number {
    return lockRank(index, this.nrSlots, this.extraBase);
  }

  private violation(message: string): never {
    Atomics.add(this.counter, this.counterIndex, 1);
    const held = Array.from(this.held.subarray(0, this.depth), (i) => this.describe(i)).join(', ') || 'nothing';
    throw new VgicError('LOCK_ORDER', `lock order violated: ${message} (holding ${held})`);
  }

  /** Called before `index` is acquired. */
  check(index: number): void {
    if (this.depth >= MAX_HELD) this.violation(`more than ${MAX_HELD} locks held`);
    const rank = this.rank(index);
    for (let k = 0; k < this.depth; k++) {
      const h = this.held[k]!;
      if (h === index) this.violation(`${this.describe(index)} taken twice`);
      const heldRank = this.rank(h);
      // Irq locks share a rank: one at a time. ap_list_locks share one too: in vCPU order.
      if (heldRank > rank || (heldRank === rank && rank !== RANK_AP_LIST)) {
        this.violation(`${this.describe(index)} taken while holding ${this.describe(h)}`);
      }
      if (heldRank === RANK_AP_LIST && rank === RANK_AP_LIST && h > index) {
        this.violation(`${this.describe(index)} taken after ${this.describe(h)}: the lower vCPU's comes first`);
      }
    }
  }

  acquired(index: number): void {
    this.held[this.depth++] = index;
  }

  released(index: number): void {
    for (let k = this.depth - 1; k >= 0; k--) {
      if (this.held[k] === index) {
        this.held.copyWithin(k, k + 1, this.depth);
        this.depth--;
        return;
      }
    }
    this.violation(`${this.describe(index)} released but not held by this thread`);
  }

  /** Forget every lock this thread recorded as held: after a reset or restore freed them all. */
  forget(): void {
    this.depth = 0;
  }

  isHeld(index: number): boolean {
    for (let k = 0; k < this.depth; k++) if (this.held[k] === index) return true;
    return false;
  }

  /**
   * A function entered "with the irq lock held" checks its contract here (as
   * the kernel's lockdep_assert_held): `index` is the lock's word, a slot for
   * an irq lock, the vCPU's list head (Vgic.apListHead) for an ap_list_lock,
   * or `Vgic.lockIndexItsCmd` + 0, 1, 2 for the ITS's locks and the LPI map's.
   */
  assertHeld(index: number, where: string): void {
    if (!this.isHeld(index)) this.violation(`${where} entered without ${this.describe(index)}`);
  }

  /** A function entered "with the vCPU's ap_list_lock held" checks it here. */
  assertApListHeld(vcpu: number, where: string): void {
    this.assertHeld(this.headBase + vcpu * LINE_WORDS, where);
  }

  /**
   * A function entered "with the lock of the ap_list that holds `slot`"
   * checks it here; `apListVcpu` is that list's vCPU. A slot on no list has no
   * list lock to hold: a violation too.
   */
  assertListOfHeld(owner: number, slot: number, where: string): void {
    if (owner < 0) this.violation(`${where} entered with slot ${slot} on no ap_list`);
    this.assertHeld(this.headBase + owner * LINE_WORDS, where);
  }

  /**
   * A function that "returns with every lock dropped" checks it here: no
   * ap_list_lock, LPI map lock or irq lock is held. The ITS's locks, which
   * nest outside all of them, may be: its commands queue interrupts holding
   * them, as KVM's do.
   */
  assertNoneHeld(where: string): void {
    for (let k = 0; k < this.depth; k++) {
      if (this.rank(this.held[k]!) >= RANK_AP_LIST) this.violation(`${where} returned with locks held`);
    }
  }
}

/** The lock primitive with every acquisition checked by a `LockDep`. */
export class CheckedLocks implements LockOps {
  readonly kind: string;
  readonly inner: LockOps;
  readonly dep: LockDep;

  constructor(inner: LockOps, dep: LockDep) {
    this.inner = inner;
    this.dep = dep;
    this.kind = `${inner.kind}+lockdep`;
  }

  acquire(words: Int32Array, index: number): void {
    this.dep.check(index);
    this.inner.acquire(words, index);
    this.dep.acquired(index);
  }

  release(words: Int32Array, index: number): void {
    this.dep.released(index);
    this.inner.release(words, index);
  }
}
