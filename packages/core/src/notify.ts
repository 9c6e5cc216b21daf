/**
 * Where the engine runs user code: trace listeners and the `onLine`,
 * `onKick`, `onEoiNotify` and host callbacks. Every call goes through here,
 * and two rules hold for each:
 *
 * - **No engine lock is held, and no operation is half done, when a callback
 *   runs.** The engine calls back only once it has dropped its locks. An
 *   operation that has something to report while it holds a lock, or while a
 *   vCPU is between its entry or exit states (flush, sync, prune, the CPU
 *   interface's acknowledge, EOI and deactivate, a traced injection), holds
 *   the callbacks back (`holdCallbacks`) and runs them, in the order they
 *   happened, when it is done (`releaseCallbacks`). A callback may therefore
 *   call the machine again — take the interrupt its line announced, ask
 *   `hasPending`, inject — and finds it whole.
 * - **A callback that throws does not stop the engine.** Its error is kept
 *   (the first one, per thread), the engine finishes what it was doing and
 *   runs the other callbacks it owes, and the host call that led to it
 *   throws that error when it returns (`rethrowCallbackError`, called by the
 *   `Machine` and the other host entry points). The guest's access or the
 *   host's injection has then fully happened: only its report failed.
 *
 * Nothing here costs anything while nobody listens: each call site tests
 * for a listener first, and a held-back callback is recorded only then.
 */
import type { TraceEvent } from './trace.js';
import { NO_CALLBACK_ERROR, type Vgic } from './vgic.js';

/** A callback held back until the operation that caused it is done: a trace event, or an EOI notification. */
export type Notice = TraceEvent | { type: 'eoiNotify'; intid: number; vcpu: number };

/** An operation begins that holds its callbacks back until it is done. */
export function holdCallbacks(v: Vgic): void {
  v.deferDepth++;
}

/** The operation is done: once the outermost one is, the callbacks it held run, in order. */
export function releaseCallbacks(v: Vgic): void {
  if (--v.deferDepth === 0 && v.deferred.length !== 0) runHeld(v);
}

/**
 * The operation failed inside the engine (a lock-order violation: a bug,
 * never the guest's doing): its held callbacks are dropped rather than run
 * in a state nobody should look at.
 */
export function dropCallbacks(v: Vgic): void {
  if (--v.deferDepth === 0) v.deferred = [];
}

function runHeld(v: Vgic): void {
  // A callback may call the engine again, which may hold callbacks of its
  // own: those go to a fresh list and run when that inner operation is done.
  const held = v.deferred;
  v.deferred = [];
  for (let i = 0; i < held.length; i++) dispatch(v, held[i]!);
}

function dispatch(v: Vgic, n: Notice): void {
  switch (n.type) {
    case 'kick':
      if (v.onKick !== null) callKick(v, v.onKick, n.vcpu);
      break;
    case 'line':
      if (v.onLine !== null) callLine(v, v.onLine, n.vcpu, n.irq, n.fiq);
      break;
    case 'eoiNotify':
      if (v.onEoiNotify !== null) callEoi(v, v.onEoiNotify, n.intid, n.vcpu);
      return;
    case 'hostDeactivate':
      if (v.onHostDeactivate !== null) callHost(v, v.onHostDeactivate, n.hostIntid, n.intid, n.vcpu);
      break;
    case 'hostActivate':
      if (v.onHostActivate !== null) callHost(v, v.onHostActivate, n.hostIntid, n.intid, n.vcpu);
      break;
    case 'hostClearPending':
      if (v.onHostClearPending !== null) callHost(v, v.onHostClearPending, n.hostIntid, n.intid, n.vcpu);
      break;
    default:
      break;
  }
  if (v.tracer !== null) callTracer(v, n);
}

// --- each call keeps the error of its callback, never one from outside it ---
//
// A callback may make host calls of its own; each of those rethrows its own
// callbacks' errors when it returns. So the error slot is emptied for the
// duration of the call and the outer error, if any, put back after.

function failed(v: Vgic, e: unknown): void {
  if (v.callbackError === NO_CALLBACK_ERROR) v.callbackError = e;
}

function restore(v: Vgic, outer: unknown): void {
  if (outer !== NO_CALLBACK_ERROR) v.callbackError = outer;
}

/** Call `fn` on behalf of the engine: its error is kept for the host call, never thrown into the engine. */
function invoke<A, B, C>(v: Vgic, fn: (a: A, b: B, c: C) => void, a: A, b: B, c: C): void {
  const outer = v.callbackError;
  v.callbackError = NO_CALLBACK_ERROR;
  try {
    fn(a, b, c);
  } catch (err) {
    failed(v, err);
  }
  restore(v, outer);
}

function callTracer(v: Vgic, e: TraceEvent): void {
  invoke(v, v.tracer!, e, undefined, undefined);
}

function callKick(v: Vgic, fn: (vcpu: number) => void, vcpu: number): void {
  invoke(v, fn, vcpu, undefined, undefined);
}

function callLine(v: Vgic, fn: (vcpu: number, irq: boolean, fiq: boolean) => void, vcpu: number, irq: boolean, fiq: boolean): void {
  invoke(v, fn, vcpu, irq, fiq);
}

function callEoi(v: Vgic, fn: (intid: number, vcpu: number) => void, intid: number, vcpu: number): void {
  invoke(v, fn, intid, vcpu, undefined);
}

/** A host callback, given `(hostIntid, intid, vcpu)`. */
function callHost(v: Vgic, fn: (hostIntid: number, intid: number, vcpu: number) => void, host: number, intid: number, vcpu: number): void {
  invoke(v, fn, host, intid, vcpu);
}

// --- what the engine calls (each after testing for a listener) ---

/** A trace event. Caller has checked `v.tracer !== null`. */
export function emitTrace(v: Vgic, e: TraceEvent): void {
  if (v.deferDepth > 0) v.deferred.push(e);
  else callTracer(v, e);
}

/** `onKick` and the `kick` event. Caller has checked that one of them listens. */
export function notifyKick(v: Vgic, vcpu: number): void {
  if (v.deferDepth > 0) {
    v.deferred.push({ type: 'kick', vcpu });
    return;
  }
  if (v.onKick !== null) callKick(v, v.onKick, vcpu);
  if (v.tracer !== null) callTracer(v, { type: 'kick', vcpu });
}

/** `onLine` and the `line` event. Caller has checked that one of them listens. */
export function notifyLine(v: Vgic, vcpu: number, irq: boolean, fiq: boolean): void {
  if (v.deferDepth > 0) {
    v.deferred.push({ type: 'line', vcpu, irq, fiq });
    return;
  }
  if (v.onLine !== null) callLine(v, v.onLine, vcpu, irq, fiq);
  if (v.tracer !== null) callTracer(v, { type: 'line', vcpu, irq, fiq });
}

/** `onEoiNotify`. Caller has checked that it listens. */
export function notifyEoi(v: Vgic, intid: number, vcpu: number): void {
  if (v.deferDepth > 0) v.deferred.push({ type: 'eoiNotify', intid, vcpu });
  else callEoi(v, v.onEoiNotify!, intid, vcpu);
}

export type HostNotice = 'hostDeactivate' | 'hostActivate' | 'hostClearPending';

/** Does anyone listen for this change of a hardware-mapped interrupt? */
export function hostListens(v: Vgic, type: HostNotice): boolean {
  if (v.tracer !== null) return true;
  switch (type) {
    case 'hostDeactivate':
      return v.onHostDeactivate !== null;
    case 'hostActivate':
      return v.onHostActivate !== null;
    case 'hostClearPending':
      return v.onHostClearPending !== null;
  }
}

/** A change the guest made to a hardware-mapped interrupt, for the host. Caller has checked `hostListens`. */
export function notifyHost(v: Vgic, type: HostNotice, vcpu: number, intid: number, hostIntid: number): void {
  const n: Notice = { type, vcpu, intid, hostIntid };
  if (v.deferDepth > 0) v.deferred.push(n);
  else dispatch(v, n);
}

/**
 * At the end of a host call: throw the first error a callback threw during
 * it (and forget it). The engine's work is done by then; locks are free.
 */
export function rethrowCallbackError(v: Vgic): void {
  const e = v.callbackError;
  if (e === NO_CALLBACK_ERROR) return;
  v.callbackError = NO_CALLBACK_ERROR;
  throw e;
}
