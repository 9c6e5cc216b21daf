/**
 * The vCPU run loop of a worker thread, KVM's vcpu_run in miniature:
 *
 *   loop {
 *     enter (flush: the ap_list fills the list registers; clears the kick)
 *     the guest takes interrupts until there is nothing to take
 *     exit (sync: fold the list registers back, prune the ap_list)
 *     nothing pending?  WFI: sleep on the vCPU's kick word
 *   }
 *
 * WFI is the analogue of kvm_vcpu_block / kvm_vcpu_kick. The vCPU announces
 * it is asleep (`runState = VCPU_WFI`), looks once more for pending work,
 * and only then waits on `kick[vcpu]` while it is 0. Whoever queues an
 * interrupt for it (`queueIrqUnlock`, a migrating prune) does so under the
 * locks first and then calls `kickVcpu`, which sets the word and notifies
 * when it sees VCPU_WFI. Either the kicker's store comes before the wait
 * (the wait returns at once: the word is no longer 0), or the kicker reads
 * VCPU_WFI and its notify wakes the sleeper; and if the kicker read the run
 * state before the vCPU announced WFI, the work was queued before that, so
 * the re-check finds it. The timeout is a safety net, never the mechanism:
 * the counters say how often it fired.
 *
 * A lock-order violation (lockdep on) throws in the thread that broke the
 * order, and the run loop stops on it as on any other failure: it counts
 * it, and the exception ends the thread, which reports it (`shutdown` names
 * it among its problems; `vgic stress` fails). The loop does not release
 * the locks the thread holds: the violation cut a critical section short,
 * so the state they guard may be half-written, and the worker breaks the
 * machine instead (worker.ts, lock-owners.ts). The shared violation word of
 * the machine has counted it too.
 */
import { LINE_WORDS } from '../cache-line.js';
import { isVgicError } from '../errors.js';
import { CheckedLocks } from '../lockdep.js';
import { VCPU_OUTSIDE, VCPU_WFI, type Vgic } from '../vgic.js';
import { PHASE_STOP } from './control.js';
import type { GuestCpu } from './guest-cpu.js';

/** Take one interrupt (acknowledge, work, EOI/DIR); false when there was nothing to take. */
export type GuestHandler = (cpu: GuestCpu) => boolean;

/** A guest: its handler, and optionally counters of its own for the final report. */
export interface Guest {
  take: GuestHandler;
  report?(): Record<string, number>;
}

/** What a guest module exports: called once in the vCPU's thread with the run's `data`. */
export type GuestFactory = (cpu: GuestCpu, data: unknown) => GuestHandler | Guest | Promise<GuestHandler | Guest>;

export interface RunVcpuOptions {
  /** Longest WFI sleep before looking again without a kick (default 50 ms). */
  wfiTimeoutMs?: number;
  /** Interrupts taken per entry before the loop looks at the phase again (default 256). */
  batch?: number;
}

const MAX_ERRORS = 5;

/**
 * Release every lock this thread's lockdep record says it holds (after a
 * lock-order violation unwound through the engine). Returns how many.
 */
export function releaseHeldLocks(v: Vgic): number {
  const dep = v.lockdep;
  if (dep === null) return 0;
  const inner = v.locks instanceof CheckedLocks ? v.locks.inner : v.locks;
  const n = dep.depth;
  for (let i = n - 1; i >= 0; i--) inner.release(v.lockWords, dep.held[i]!);
  dep.depth = 0;
  return n;
}

function asGuest(g: GuestHandler | Guest): Guest {
  return typeof g === 'function' ? { take: g } : g;
}

/** Run `vcpu` until the control block reaches PHASE_STOP. Counts into `cpu.counters`. */
export function runVcpu(cpu: GuestCpu, guest: GuestHandler | Guest, options: RunVcpuOptions = {}): void {
  const g = asGuest(guest);
  const m = cpu.machine;
  const k = cpu.vcpu;
  const control = cpu.control;
  const c = cpu.counters;
  const timeout = options.wfiTimeoutMs ?? 50;
  const batch = options.batch ?? 256;

  while (control.phase !== PHASE_STOP) {
    let taken = 0;
    try {
      m.enter(k);
      c.entries++;
      while (taken < batch && g.take(cpu)) taken++;
      m.exit(k);
      if (taken === batch || m.hasPending(k)) continue;
      waitForInterrupt(cpu, timeout);
    } catch (e) {
      countFailure(c, e);
      throw e;
    }
  }
  m.exit(k);
  if (g.report) c.guest = g.report();
}

/** A lock-order violation is counted before it ends the thread; every failure's message is kept. */
function countFailure(c: GuestCpu['counters'], e: unknown): void {
  if (isVgicError(e, 'LOCK_ORDER')) c.lockOrderViolations++;
  if (c.errors.length < MAX_ERRORS) c.errors.push(e instanceof Error ? e.message : String(e));
}

/** WFI: announce the sleep, look once more, then wait on the kick word. */
function waitForInterrupt(cpu: GuestCpu, timeoutMs: number): void {
  const m = cpu.machine;
  const v = m.vgic;
  const k = cpu.vcpu;
  const control = cpu.control;
  const c = cpu.counters;
  Atomics.store(v.runState, k * LINE_WORDS, VCPU_WFI);
  let pending: boolean;
  try {
    pending = m.hasPending(k);
  } catch (e) {
    Atomics.store(v.runState, k * LINE_WORDS, VCPU_OUTSIDE);
    throw e;
  }
  if (pending || control.phase === PHASE_STOP) {
    Atomics.store(v.runState, k * LINE_WORDS, VCPU_OUTSIDE);
    return;
  }
  control.setIdle(k, true);
  c.wfiSleeps++;
  const woke = Atomics.wait(v.kick, k * LINE_WORDS, 0, timeoutMs);
  // Announce the wake before anything else, so a main thread watching for
  // quiescence sees the activity (control.ts).
  control.bumpActivity();
  control.setIdle(k, false);
  Atomics.store(v.runState, k * LINE_WORDS, VCPU_OUTSIDE);
  if (woke === 'timed-out') c.wfiTimeouts++;
  else c.kicks++;
}
