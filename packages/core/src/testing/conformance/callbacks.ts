/**
 * User code the engine calls — trace listeners, `onLine`, `onKick`,
 * `onEoiNotify`, the host callbacks of hardware-mapped interrupts — runs
 * with no engine lock held and never in the middle of an operation: a
 * callback may call the machine again and finds it whole. A callback that
 * throws does not stop the engine: the host call that led to it throws that
 * error once the engine's work is done, and the machine goes on exactly as
 * if nobody had listened.
 *
 * One workload exercises every callback (injections of each kind, list
 * register overflow, SGIs, migration, the distributor turned off and on,
 * hardware-mapped interrupts, level interrupts the device resamples). It
 * runs with listeners that only record, with listeners that also call back
 * into the machine, and with listeners that throw; all three must give the
 * same deliveries and the same final state.
 */
import { describe, expect } from 'vitest';
import type { Machine } from '../../machine.js';
import type { TraceEvent } from '../../trace.js';
import type { ConformanceContext, Taken } from './context.js';

export const CALLBACK_TESTS: readonly string[] = ['callbacks.reentrant', 'callbacks.throwing', 'callbacks.cpu-model'];

/** What a listener of the throwing run throws. */
class ListenerError extends Error {}

type Mode = 'record' | 'reenter' | 'throw';

/** Listens to everything a machine reports, and checks the machine each time it is called. */
class Listeners {
  readonly acks: string[] = [];
  readonly host: string[] = [];
  /** Problems seen from inside a callback: a lock held, a broken invariant, a query that failed. */
  readonly inside: string[] = [];
  calls = 0;
  thrown = 0;
  /** The throwing run throws only while armed: around calls that are one host call or one guest access. */
  armed = false;
  lastAck: { vcpu: number; intid: number; source: number } | null = null;

  constructor(
    readonly m: Machine,
    readonly mode: Mode,
  ) {}

  /** Runs at the start of every callback. */
  private called(what: string): void {
    this.calls++;
    const m = this.m;
    if (!m.noLockHeld()) this.inside.push(`${what}: a lock is held`);
    const problems = m.checkInvariants();
    if (problems.length > 0) this.inside.push(`${what}: ${problems.join('; ')}`);
    if (this.mode === 'reenter') {
      // Queries that take the engine's locks, from inside the callback.
      try {
        for (let k = 0; k < m.vcpus; k++) m.hasPending(k);
        m.irq(40);
        m.apList(0);
      } catch (e) {
        this.inside.push(`${what}: calling the machine threw ${String(e)}`);
      }
    }
  }

  private after(): void {
    if (this.mode === 'throw' && this.armed) {
      this.thrown++;
      throw new ListenerError(`listener ${this.thrown}`);
    }
  }

  install(): void {
    const m = this.m;
    m.onTrace((e: TraceEvent) => {
      if (e.type === 'ack' && e.intid < 1020) this.lastAck = { vcpu: e.vcpu, intid: e.intid, source: e.source };
      this.called(e.type);
      this.after();
    });
    m.onLine(() => {
      this.called('onLine');
      this.after();
    });
    m.onKick(() => {
      this.called('onKick');
      this.after();
    });
    m.onEoiNotify((intid, vcpu) => {
      this.host.push(`eoi-notify ${intid} ${vcpu}`);
      this.called('onEoiNotify');
      this.after();
    });
    m.onHostDeactivate((h, intid, vcpu) => {
      this.host.push(`deactivate ${h} ${intid} ${vcpu}`);
      this.called('onHostDeactivate');
      this.after();
    });
    m.onHostActivate((h, intid, vcpu) => {
      this.host.push(`activate ${h} ${intid} ${vcpu}`);
      this.called('onHostActivate');
      this.after();
    });
  }
}

export function describeCallbacks(c: ConformanceContext): void {
  const { guest } = c;

  /**
   * Run one host call or one guest access; in the throwing run, it may throw
   * the listeners' error (and only that) — after it has done its work.
   */
  function attempt<T>(l: Listeners, fn: () => T): T | undefined {
    l.armed = true;
    try {
      return fn();
    } catch (e) {
      if (l.mode === 'throw' && e instanceof ListenerError) return undefined;
      throw e;
    } finally {
      l.armed = false;
    }
  }

  /**
   * A guest operation the driver may make of several accesses (GICv3's
   * route and SGI read GICR_TYPER first): one throwing access would stop
   * the driver before the next, so its listeners do not throw.
   */
  function several(l: Listeners, fn: () => void): void {
    fn();
    expect(l.armed).toBe(false);
  }

  /** Acknowledge; when the read threw, what it acknowledged is in the `ack` event the listener saw. */
  function take(m: Machine, l: Listeners, vcpu: number): Taken {
    l.lastAck = null;
    const raw = attempt(l, () => guest.ackRaw(m, vcpu));
    if (raw !== undefined) return { intid: raw & 0x3ff, raw };
    const a = l.lastAck as { vcpu: number; intid: number; source: number } | null;
    if (a === null || a.vcpu !== vcpu) return { intid: 1023, raw: 1023 };
    return { intid: a.intid, raw: a.intid | (a.source << 10) };
  }

  /** Take and finish everything on `vcpu`, lowering a level line as its device would when serviced. */
  function drain(m: Machine, l: Listeners, vcpu: number): void {
    for (let n = 0; n < 50; n++) {
      const t = take(m, l, vcpu);
      if (t.intid >= 1020) return;
      l.acks.push(`${vcpu}:${t.intid}`);
      if (t.intid === 41) attempt(l, () => m.inject(41, 0));
      if (t.intid === 27) attempt(l, () => m.inject(27, 0, 1));
      attempt(l, () => guest.eoi(m, vcpu, t.intid, t.raw));
    }
  }

  /** The workload; returns what the guest saw and the final state. */
  function workload(mode: Mode): { acks: string[]; host: string[]; state: string[]; l: Listeners } {
    const m = c.boot({ vcpus: 2, lrs: 2 });
    const enabled = 1 << guest.group;
    c.spi(m, 40, { to: 1, prio: 0xa0 });
    c.spi(m, 41, { to: 1, prio: 0x90, edge: false });
    c.spi(m, 42, { to: 0, prio: 0x60 });
    c.spi(m, 43, { to: 1, prio: 0x50 });
    m.mapHw(43, 63);
    guest.enable(m, 27, 1);
    guest.setPriority(m, 27, 0x40, 1);
    m.mapHw(27, 27, 1);
    for (let k = 0; k < 2; k++) guest.enable(m, 3, k);
    for (let k = 0; k < 2; k++) m.exit(k);
    const l = new Listeners(m, mode);
    l.install();
    const run = (fn: () => unknown): void => void attempt(l, fn);

    // Injections of each kind, more than the two list registers hold.
    run(() => m.inject(40, 1));
    run(() => m.inject(41, 1));
    run(() => m.inject(43, 1));
    run(() => m.inject(27, 1, 1));
    several(l, () => guest.sendSgi(m, 0, [1], 3));
    run(() => m.inject(42, 1));
    run(() => m.enter(1));
    drain(m, l, 1);
    drain(m, l, 0);

    // A pending SPI moves to another vCPU.
    run(() => m.inject(40, 1));
    run(() => m.enter(1));
    several(l, () => guest.route(m, 40, 0));
    run(() => m.exit(1));
    drain(m, l, 0);
    drain(m, l, 1);

    // The distributor turned off and on with interrupts waiting.
    run(() => c.setDist(m, 0));
    run(() => m.inject(42, 1));
    run(() => m.inject(41, 1));
    several(l, () => guest.route(m, 41, 0));
    run(() => c.setDist(m, enabled));
    drain(m, l, 0);
    drain(m, l, 1);

    // A hardware-mapped interrupt made active and ended by the guest's registers.
    run(() => guest.setActive(m, 43, 0));
    run(() => guest.clearActive(m, 43, 0));
    run(() => m.inject(43, 1));
    drain(m, l, 1);
    run(() => m.exit(0));
    run(() => m.exit(1));

    const state: string[] = [];
    for (const [intid, vcpu] of [[40], [41], [42], [43], [27, 1], [3, 1]] as [number, number?][]) {
      const s = m.irq(intid, vcpu);
      state.push(`${intid}: pending ${s.pending} active ${s.active} queued ${s.queued}`);
    }
    expect(m.noLockHeld()).toBe(true);
    expect(m.checkInvariants()).toEqual([]);
    return { acks: l.acks, host: l.host, state, l };
  }

  describe('callbacks', () => {
    c.test('callbacks.reentrant', 'every callback runs with no lock held, on a whole machine, and may call the machine again', () => {
      const quiet = workload('record');
      const busy = workload('reenter');
      expect(busy.l.inside).toEqual([]);
      expect(quiet.l.inside).toEqual([]);
      expect(busy.l.calls).toBeGreaterThan(50);
      expect({ acks: busy.acks, host: busy.host, state: busy.state }).toEqual({ acks: quiet.acks, host: quiet.host, state: quiet.state });
      // What the workload was built to reach: every kind of delivery, and the host told of each change.
      expect(quiet.acks).toEqual(['1:3', '1:27', '1:43', '1:41', '1:40', '0:42', '0:40', '0:42', '0:41', '1:43']);
      expect(quiet.host).toEqual([
        'deactivate 27 27 1',
        'deactivate 63 43 1',
        'eoi-notify 41 1',
        'eoi-notify 41 0',
        'activate 63 43 0',
        'deactivate 63 43 0',
        'deactivate 63 43 1',
      ]);
    });

    c.test('callbacks.throwing', 'a callback that throws fails the host call that led to it, after the engine has done all its work', () => {
      const quiet = workload('record');
      const failing = workload('throw');
      expect(failing.l.thrown).toBeGreaterThan(50);
      expect(failing.l.inside).toEqual([]);
      expect({ acks: failing.acks, host: failing.host, state: failing.state }).toEqual({ acks: quiet.acks, host: quiet.host, state: quiet.state });
    });

    c.test('callbacks.cpu-model', 'a CPU model takes each interrupt from inside the line callback that announces it', () => {
      const m = c.boot({ vcpus: 2, lrs: 2 });
      const prios = [0xa0, 0x20, 0x60, 0x80, 0x40];
      prios.forEach((prio, i) => c.spi(m, 40 + i, { to: 1, prio }));
      const taken: number[] = [];
      const inside: string[] = [];
      m.onLine((vcpu, irq) => {
        if (!m.noLockHeld()) inside.push('a lock is held');
        const problems = m.checkInvariants();
        if (problems.length > 0) inside.push(problems.join('; '));
        if (vcpu !== 1 || !irq) return;
        // The CPU takes the exception at once: acknowledge, handle, EOI. The
        // EOI may raise the line again, for the next one, from inside this call.
        const t = c.take(m, 1);
        if (t.intid >= 1020) return;
        taken.push(t.intid);
        c.eoi(m, 1, t);
      });
      for (let i = 0; i < prios.length; i++) m.inject(40 + i, 1);
      // Two list registers: each entry brings in what the last one could not.
      for (let n = 0; n < 10 && taken.length < prios.length; n++) {
        m.exit(1);
        m.enter(1);
      }
      expect(inside).toEqual([]);
      expect(taken).toEqual([41, 44, 42, 43, 40]);
      expect(c.takeIntid(m, 1)).toBeGreaterThanOrEqual(1020);
    });
  });
}
