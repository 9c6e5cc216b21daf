/**
 * The control block the threads of one run share, beside the machine's own
 * buffer: a small SharedArrayBuffer of 32-bit words that says which phase
 * the run is in and lets the main thread see, without taking a single lock,
 * whether every vCPU has gone quiet.
 *
 * Words (Int32):
 *   0           phase: RUN, QUIESCE, DRAIN, STOP (only ever moves forward)
 *   1           activity: bumped by a vCPU thread each time it wakes from WFI
 *   2..3        reserved
 *   4..4+n-1    idle[k]: vCPU k is asleep in WFI with nothing pending
 *   4+n..       words the run's own code may use (`user`)
 *
 * The main thread must not take engine locks while workers run: a worker
 * that died holding one would block it forever. Everything it needs to
 * decide that a drain has finished is here or in the machine's `kick` words.
 */
import { VgicError } from '../errors.js';

/** Everything runs: vCPUs take interrupts, injector threads inject. */
export const PHASE_RUN = 0;
/** Threads that are not vCPUs (injectors, retargeting) finish; vCPUs go on. */
export const PHASE_QUIESCE = 1;
/** vCPUs take what is left and stop making new work (no new SGIs). */
export const PHASE_DRAIN = 2;
/** vCPUs leave their loop and report. */
export const PHASE_STOP = 3;

const W_PHASE = 0;
const W_ACTIVITY = 1;
const W_IDLE = 4;

export class ThreadControl {
  readonly buffer: SharedArrayBuffer;
  readonly words: Int32Array;
  readonly nrVcpus: number;
  /** Words free for the run's own protocol (the stress test's SGI credits). */
  readonly user: Int32Array;

  /** A new control block for `nrVcpus` vCPUs and `userWords` words of the caller's own. */
  static create(nrVcpus: number, userWords = 0): ThreadControl {
    if (!Number.isInteger(nrVcpus) || nrVcpus < 1) {
      throw new VgicError('INVALID_ARGUMENT', `a control block needs at least one vCPU; got ${String(nrVcpus)}`);
    }
    if (!Number.isInteger(userWords) || userWords < 0) {
      throw new VgicError('INVALID_ARGUMENT', `userWords must be a non-negative integer; got ${String(userWords)}`);
    }
    const buffer = new SharedArrayBuffer((W_IDLE + nrVcpus + userWords) * 4);
    return new ThreadControl(buffer, nrVcpus);
  }

  /** The same control block, opened in another thread. */
  static open(buffer: SharedArrayBuffer, nrVcpus: number): ThreadControl {
    return new ThreadControl(buffer, nrVcpus);
  }

  private constructor(buffer: SharedArrayBuffer, nrVcpus: number) {
    this.buffer = buffer;
    this.nrVcpus = nrVcpus;
    this.words = new Int32Array(buffer);
    this.user = new Int32Array(buffer, (W_IDLE + nrVcpus) * 4);
  }

  get phase(): number {
    return Atomics.load(this.words, W_PHASE);
  }

  /** Move to a later phase (never back). */
  advance(phase: number): void {
    let now = Atomics.load(this.words, W_PHASE);
    while (now < phase) {
      const seen = Atomics.compareExchange(this.words, W_PHASE, now, phase);
      if (seen === now) return;
      now = seen;
    }
  }

  get activity(): number {
    return Atomics.load(this.words, W_ACTIVITY);
  }

  bumpActivity(): void {
    Atomics.add(this.words, W_ACTIVITY, 1);
  }

  isIdle(vcpu: number): boolean {
    return Atomics.load(this.words, W_IDLE + vcpu) !== 0;
  }

  setIdle(vcpu: number, idle: boolean): void {
    Atomics.store(this.words, W_IDLE + vcpu, idle ? 1 : 0);
  }
}
