/**
 * vCPUs on worker threads over the toy GIC: WFI and kicks, the drain,
 * counters by message, and the lock-order checker across threads.
 */
import { describe, expect, it } from 'vitest';
import { hostRegisterWrite, isVgicError, type Machine, type VcpuCounters } from '../src/index.js';
import { startVcpus } from '../src/threads/index.js';
import { createToy } from './fixtures/toy-gic.js';
import { toyGuest } from './fixtures/toy-guest.js';
import { FIXTURE_URL, TOY_CPU_INTERFACE } from './threads-fixture.js';

const backend = { module: FIXTURE_URL, attach: 'attachToy' };
const SPIS = [32, 33, 34, 35, 36, 37, 38, 39];

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function sum(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}

/** A shared toy machine, guest set up on this thread: SPI n routed to vCPU n mod vcpus. */
function toyMachine(vcpus: number): Machine {
  const m = createToy({ vcpus, spis: 32, shared: true });
  toyGuest.init(m, { eoiMode: 0 });
  for (const intid of SPIS) {
    toyGuest.route(m, intid, intid % vcpus);
    toyGuest.enable(m, intid);
  }
  for (let k = 0; k < vcpus; k++) m.exit(k);
  return m;
}

function start(m: Machine, guest: string) {
  return startVcpus({ machine: m, backend, guest: { module: FIXTURE_URL, export: guest }, cpuInterface: TOY_CPU_INTERFACE });
}

function acksOf(counters: readonly VcpuCounters[]): number {
  return sum(counters.map((c) => c.acks));
}

describe('vCPU threads', () => {
  it('take every interrupt the main thread injects, asleep in WFI between bursts and woken by the kick', async () => {
    const m = toyMachine(2);
    const threads = await start(m, 'countingGuest');
    let accepted = 0;
    for (let round = 0; round < 10; round++) {
      for (const intid of SPIS) if (m.inject(intid, 1)) accepted++;
      await sleep(20);
    }
    const r = await threads.shutdown();

    expect(r.problems).toEqual([]);
    expect(r.drained).toBe(true);
    expect(r.counters.map((c) => c.vcpu)).toEqual([0, 1]);
    // An edge that came while the first waited in a list register folded into it.
    expect(acksOf(r.counters)).toBe(accepted - sum(Array.from(m.vgic.foldCoalesced)));
    for (const c of r.counters) {
      expect(c.eois).toBe(c.acks);
      // Each vCPU took only the SPIs routed to it.
      for (const key of Object.keys(c.guest)) expect(Number(key.slice(5)) % 2).toBe(c.vcpu);
      expect(c.wfiSleeps).toBeGreaterThan(0);
      expect(c.kicks).toBeGreaterThan(0);
    }
    expect(m.checkInvariants()).toEqual([]);
  });

  it('drain what is still pending when shutdown starts', async () => {
    const m = toyMachine(2);
    const threads = await start(m, 'lateGuest');
    for (const intid of SPIS) expect(m.inject(intid, 1)).toBe(true);
    const r = await threads.shutdown();

    expect(r.drained).toBe(true);
    expect(acksOf(r.counters)).toBe(SPIS.length);
    expect(m.checkInvariants()).toEqual([]);
    for (const intid of SPIS) expect(m.irq(intid).pending).toBe(false);
  });

  it('leave pending interrupts alone when shut down without a drain', async () => {
    const m = toyMachine(2);
    const threads = await start(m, 'lateGuest');
    for (const intid of SPIS) m.inject(intid, 1);
    const r = await threads.shutdown({ drain: false });

    expect(r.drained).toBe(false);
    expect(r.problems).toEqual([]);
    expect(acksOf(r.counters)).toBe(0);
    for (const intid of SPIS) expect(m.irq(intid).pending).toBe(true);
  });

  it('count a lock-order violation in the shared word, and the thread that broke the order goes on', async () => {
    const m = toyMachine(2);
    const threads = await start(m, 'lockBreakingGuest');
    for (const intid of SPIS) m.inject(intid, 1);
    await sleep(20);
    const r = await threads.shutdown();

    expect(r.problems).toEqual([]);
    for (const c of r.counters) {
      expect(c.lockOrderViolations).toBe(1);
      expect(c.errors[0]).toMatch(/ap_list_lock\(vCPU \d\) taken while holding irq_lock/);
    }
    expect(m.vgic.lockViolations).toBe(2);
    // The runner released the irq lock the guest left held; everything was delivered.
    expect(m.noLockHeld()).toBe(true);
    expect(acksOf(r.counters)).toBe(SPIS.length - sum(Array.from(m.vgic.foldCoalesced)));
    expect(m.checkInvariants()).toEqual([]);
  });

  describe('callbacks on worker threads', () => {
    /** After the threads: no lock held, the invariants hold, and the machine still takes an interrupt. */
    function expectWhole(m: Machine): void {
      expect(m.noLockHeld()).toBe(true);
      expect(m.checkInvariants()).toEqual([]);
      expect(m.vgic.lockViolations).toBe(0);
      for (const intid of SPIS) expect(m.irq(intid)).toMatchObject({ pending: false, active: false });
      toyGuest.route(m, 32, 0);
      m.inject(32, 1);
      expect(toyGuest.ack(m, 0)).toBe(32);
      toyGuest.eoi(m, 0, 32);
      expect(m.irq(32)).toMatchObject({ pending: false, active: false });
      expect(m.checkInvariants()).toEqual([]);
    }

    it('a listener on a vCPU thread calls back into the machine from every callback, with no lock held', async () => {
      const m = toyMachine(2);
      const threads = await start(m, 'reenteringGuest');
      let accepted = 0;
      for (let round = 0; round < 20; round++) {
        for (const intid of SPIS) if (m.inject(intid, 1)) accepted++;
        // Retarget half of them (as the distributor's emulation, from this
        // thread that runs no vCPU): the vCPUs' prunes migrate what is pending.
        for (const intid of SPIS.slice(0, 4)) hostRegisterWrite(m, `TDIST_ROUTER${intid}`, (intid + round) % 2);
        await sleep(5);
      }
      const r = await threads.shutdown();

      expect(r.problems).toEqual([]);
      expect(r.drained).toBe(true);
      for (const c of r.counters) {
        expect(c.lockOrderViolations).toBe(0);
        expect(c.errors).toEqual([]);
        expect(c.guest['failures']).toBe(0);
        expect(c.guest['callbacks']).toBeGreaterThan(0);
      }
      expect(acksOf(r.counters)).toBe(accepted - sum(Array.from(m.vgic.foldCoalesced)));
      expectWhole(m);
    });

    it('listeners that throw, on an injecting thread and on the vCPU threads, lose nothing and leave no lock held', async () => {
      const m = toyMachine(2);
      const threads = await start(m, 'eoiThrowingGuest');
      await threads.startTask('injector', { module: FIXTURE_URL, export: 'throwingInjector' });
      await sleep(300);
      const r = await threads.shutdown();

      expect(r.problems).toEqual([]);
      expect(r.drained).toBe(true);
      const task = r.tasks['injector'] as { attempts: number; thrown: number };
      expect(task.attempts).toBeGreaterThan(0);
      // Every injection threw the listener's error — after it was done.
      expect(task.thrown).toBe(task.attempts);
      expect(acksOf(r.counters)).toBeGreaterThan(0);
      for (const c of r.counters) {
        expect(c.lockOrderViolations).toBe(0);
        // Every EOI threw, after it was done (so the runner counted none).
        expect(c.guest['thrown']).toBe(c.acks);
      }
      expectWhole(m);
    });
  });

  it('fail to start, naming the module, when the guest module lacks the export', async () => {
    const m = toyMachine(1);
    const started = startVcpus({ machine: m, backend, guest: { module: FIXTURE_URL, export: 'noSuchGuest' }, cpuInterface: TOY_CPU_INTERFACE });
    const e = await started.then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(isVgicError(e, 'INVALID_ARGUMENT')).toBe(true);
    expect((e as Error).message).toMatch(/vCPU 0: .*threads-fixture\.ts has no function export "noSuchGuest"/);
  });

  it('refuse a machine that is not shared', async () => {
    const m = createToy({ vcpus: 1, spis: 32 });
    await expect(startVcpus({ machine: m, backend, guest: { module: FIXTURE_URL, export: 'countingGuest' } })).rejects.toThrow(/shared: true/);
  });
});
