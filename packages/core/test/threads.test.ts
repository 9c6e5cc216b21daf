/**
 * vCPUs on worker threads over the toy GIC: WFI and kicks, the drain,
 * counters by message, and the lock-order checker across threads.
 */
import { describe, expect, it } from 'vitest';
import { hostRegisterWrite, isVgicError, lpiAllocate, lpiSetConfig, lpiSetTarget, type Machine, type VcpuCounters } from '../src/index.js';
import { startVcpus } from '../src/threads/index.js';
import { errorCode } from './fixtures/errors.js';
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

  it('stop the run on a lock-order violation in a vCPU thread: shutdown names it, and the machine refuses use until reset', async () => {
    const m = toyMachine(1);
    const threads = await start(m, 'lockBreakingGuest');
    const r = await threads.shutdown({ timeoutMs: 2000 });

    expect(r.problems).toEqual([
      expect.stringMatching(/^vCPU 0: lock order violated: ap_list_lock\(vCPU 0\) taken while holding irq_lock/),
      '1 lock-order violation in the threads: the engine broke its own lock order',
      expect.stringMatching(/^the machine is broken: vCPU 0 stopped while it held irq_lock\(INTID 40, slot \d+\)/),
    ]);
    // The thread stopped: no counters, and nobody released the lock behind its back.
    expect(r.counters).toEqual([]);
    expect(m.vgic.lockViolations).toBe(1);
    expect(errorCode(() => m.inject(40, 1))).toBe('MACHINE_BROKEN');
  });

  it('report a lock-order violation that a task thread caught and lived through', async () => {
    const m = toyMachine(2);
    const threads = await start(m, 'countingGuest');
    await threads.startTask('breaker', { module: FIXTURE_URL, export: 'lockBreakingTask' });
    const r = await threads.shutdown();

    expect(r.tasks).toEqual({ breaker: 'caught' });
    expect(r.problems).toEqual(['1 lock-order violation in the threads: the engine broke its own lock order']);
    expect(r.broken).toBeNull();
    expect(m.noLockHeld()).toBe(true);
  });

  it('give a task thread the guest memory over shared buffers, and its MSIs reach a vCPU thread', async () => {
    const ram = new SharedArrayBuffer(0x1000);
    const m = createToy({ vcpus: 1, spis: 32, shared: true, lpis: 8, msi: true, guestMemory: [{ base: 0x4000_0000, buffer: ram }] });
    toyGuest.init(m, { eoiMode: 0 });
    const slot = lpiAllocate(m.vgic, 8192);
    lpiSetConfig(m.vgic, slot, 0xa1);
    lpiSetTarget(m.vgic, slot, 0);
    m.exit(0);
    m.memory.write32(0x4000_0100, 0x1234_5678);
    const threads = await startVcpus({
      machine: m,
      backend: { module: FIXTURE_URL, attach: 'attachToy' },
      backendOptions: { msi: true },
      guest: { module: FIXTURE_URL, export: 'countingGuest' },
      cpuInterface: TOY_CPU_INTERFACE,
    });
    await threads.startTask('device', { module: FIXTURE_URL, export: 'guestMemoryTask', data: { at: 0x4000_0100 } });
    const r = await threads.shutdown();

    expect(r.problems).toEqual([]);
    expect(r.tasks).toEqual({ device: { read: 0x1234_5678, fault: false, msi: true } });
    expect(new DataView(ram).getUint32(0x104, true)).toBe(~0x1234_5678 >>> 0);
    // The guest on vCPU 0 took the LPI (the counting guest keys INTIDs by their low 10 bits).
    expect(acksOf(r.counters)).toBe(1);
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
