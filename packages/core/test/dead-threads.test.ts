/**
 * A thread that dies inside the engine does not hang the machine: the
 * threads that come after it get MACHINE_BROKEN instead of waiting for a
 * lock nobody will release, and a reset or a restore brings the machine
 * back. Each test's timeout is a guard against the hang it is about.
 */
import { describe, expect, it } from 'vitest';
import { ThreadControl, restoreMachine, saveMachine, type Machine } from '../src/index.js';
import { startVcpus } from '../src/threads/index.js';
import { errorCode as code } from './fixtures/errors.js';
import { createToy } from './fixtures/toy-gic.js';
import { toyGuest } from './fixtures/toy-guest.js';
import { FIXTURE_URL, TOY_CPU_INTERFACE } from './threads-fixture.js';

const backend = { module: FIXTURE_URL, attach: 'attachToy' };
const GUARD = { timeout: 30_000 };

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Edge SPIs 40 and 41, routed to vCPU 0 and 1, set up on this thread. */
function bringUp(m: Machine): void {
  toyGuest.init(m, { eoiMode: 0 });
  for (const intid of [40, 41]) {
    toyGuest.route(m, intid, intid - 40);
    toyGuest.enable(m, intid);
  }
  for (let k = 0; k < m.vcpus; k++) m.exit(k);
}

function toyMachine(): Machine {
  const m = createToy({ vcpus: 2, spis: 32, shared: true });
  bringUp(m);
  return m;
}

function start(m: Machine, guest: string, vcpus?: number[]) {
  const control = ThreadControl.create(m.vcpus, 2);
  return startVcpus({
    machine: m,
    backend,
    guest: { module: FIXTURE_URL, export: guest },
    cpuInterface: TOY_CPU_INTERFACE,
    control,
    ...(vcpus && { vcpus }),
  });
}

async function until(what: () => boolean): Promise<void> {
  while (!what()) await sleep(2);
}

/** The machine works: the main thread injects, a vCPU takes and EOIs, the invariants hold. */
function works(m: Machine): void {
  expect(m.inject(40, 1)).toBe(true);
  expect(toyGuest.ack(m, 0)).toBe(40);
  toyGuest.eoi(m, 0, 40);
  m.exit(0);
  expect(m.checkInvariants()).toEqual([]);
}

describe('a thread that dies inside the engine', () => {
  it('terminated while it holds a lock: the main thread\'s inject and saveMachine throw MACHINE_BROKEN; a reset brings the machine back', GUARD, async () => {
    const m = toyMachine();
    const threads = await start(m, 'lockHoldingGuest', [0]);
    await until(() => Atomics.load(threads.control.user, 0) === 1);
    await threads.terminate();

    expect(code(() => m.inject(40, 1))).toBe('MACHINE_BROKEN');
    expect(code(() => m.inject(41, 1))).toBe('MACHINE_BROKEN');
    expect(code(() => saveMachine(m))).toBe('MACHINE_BROKEN');
    expect(m.vgic.broken).toMatch(/stopped while it held ap_list_lock\(vCPU 0\)/);
    expect(m.checkInvariants()).toEqual([expect.stringMatching(/^the machine is broken/)]);

    m.reset();
    expect(m.vgic.broken).toBeNull();
    bringUp(m);
    works(m);
    // Threads start and run on it again.
    const again = await start(m, 'countingGuest');
    m.inject(41, 1);
    const r = await again.shutdown();
    expect(r.problems).toEqual([]);
    expect(r.broken).toBeNull();
    expect(r.counters.map((c) => c.acks)).toEqual([0, 1]);
  });

  it('terminated by shutdown\'s own timeout: the report says the machine is broken, later calls throw MACHINE_BROKEN, and a restore brings it back', GUARD, async () => {
    const m = toyMachine();
    const saved = saveMachine(m);
    const threads = await start(m, 'busyGuest');
    await sleep(50);
    const r = await threads.shutdown({ drain: false, timeoutMs: 200 });

    expect(r.problems).toContain('vCPU 0 did not stop within 200 ms');
    expect(r.problems).toContain('vCPU 1 did not stop within 200 ms');
    expect(r.counters).toEqual([]);
    expect(code(() => m.inject(40, 1))).toBe('MACHINE_BROKEN');
    expect(code(() => saveMachine(m))).toBe('MACHINE_BROKEN');
    expect(r.broken).toMatch(/^the machine is broken: vCPU [01] (stopped while it held (irq|ap_list)_lock|was stopped in the middle of its work)/);
    expect(r.problems).toContain(r.broken);

    restoreMachine(m, saved);
    expect(m.vgic.broken).toBeNull();
    works(m);
  });

  it('failing with an exception while it holds a lock: a main thread already waiting for that lock wakes with MACHINE_BROKEN', GUARD, async () => {
    const m = toyMachine();
    const threads = await start(m, 'failingGuest', [0]);
    await until(() => Atomics.load(threads.control.user, 0) === 1);
    // The worker holds INTID 40's irq lock: this waits until the worker fails.
    expect(code(() => m.inject(40, 1))).toBe('MACHINE_BROKEN');
    const r = await threads.shutdown({ timeoutMs: 2000 });

    expect(r.problems).toContain('vCPU 0: the guest failed in a critical section');
    expect(r.broken).toMatch(/^the machine is broken: vCPU 0 stopped while it held irq_lock\(INTID 40, slot \d+\)/);
  });
});
