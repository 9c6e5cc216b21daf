import { describe, expect, it } from 'vitest';
import { createToy } from '../../test/fixtures/toy-gic.js';
import { toyGuest } from '../../test/fixtures/toy-guest.js';
import { TOY_CPU_INTERFACE } from '../../test/threads-fixture.js';
import { PHASE_STOP, ThreadControl } from './control.js';
import { GuestCpu } from './guest-cpu.js';
import { releaseHeldLocks, runVcpu } from './runner.js';

function machine() {
  const m = createToy({ vcpus: 1, spis: 32, shared: true, lockCheck: true });
  toyGuest.init(m);
  for (let i = 32; i < 40; i++) toyGuest.enable(m, i);
  m.exit(0);
  return m;
}

describe('the vCPU run loop', () => {
  it('takes everything queued, EOIs it, and leaves the vCPU outside when stopped', () => {
    const m = machine();
    for (let i = 32; i < 40; i++) m.inject(i, 1);
    const control = ThreadControl.create(1);
    const cpu = new GuestCpu(m, 0, control, TOY_CPU_INTERFACE);
    const seen: number[] = [];
    runVcpu(cpu, (c) => {
      const raw = c.ack();
      if (raw >= 1020) {
        control.advance(PHASE_STOP);
        return false;
      }
      seen.push(raw);
      c.eoi(raw);
      return true;
    });
    expect(seen.sort()).toEqual([32, 33, 34, 35, 36, 37, 38, 39]);
    expect(cpu.counters.acks).toBe(8);
    expect(cpu.counters.eois).toBe(8);
    expect(m.isRunning(0)).toBe(false);
    expect(m.checkInvariants()).toEqual([]);
  });

  it('sleeps in WFI until the timeout when nothing is pending, and counts it', () => {
    const m = machine();
    const control = ThreadControl.create(1);
    const cpu = new GuestCpu(m, 0, control, TOY_CPU_INTERFACE);
    let steps = 0;
    runVcpu(
      cpu,
      (c) => {
        if (++steps === 3) control.advance(PHASE_STOP);
        return c.ack() < 1020;
      },
      { wfiTimeoutMs: 1 },
    );
    expect(cpu.counters.wfiSleeps).toBe(2);
    expect(cpu.counters.wfiTimeouts).toBe(2);
    expect(cpu.counters.kicks).toBe(0);
  });

  it('stops on a lock-order violation: counts it, keeps its message and throws it, holding on to the locks', () => {
    const m = machine();
    const v = m.vgic;
    const control = ThreadControl.create(1);
    const cpu = new GuestCpu(m, 0, control, TOY_CPU_INTERFACE);
    let steps = 0;
    const run = (): void =>
      runVcpu(cpu, () => {
        steps++;
        v.lockIrq(v.slotOf(33, 0));
        v.lockApList(0);
        return false;
      });
    expect(run).toThrow(/lock order violated: ap_list_lock\(vCPU 0\) taken while holding irq_lock/);
    expect(steps).toBe(1);
    expect(cpu.counters.lockOrderViolations).toBe(1);
    expect(cpu.counters.errors).toEqual([expect.stringMatching(/^lock order violated/)]);
    // The critical section was cut short: the lock stays held for whoever ends the thread to judge.
    expect(v.lockSpace.heldBy(v.lockOwner.id)).toEqual([v.slotOf(33, 0)]);
  });

  it('releases the locks a lock-order violation left held by this thread', () => {
    const m = machine();
    const v = m.vgic;
    v.lockIrq(v.slotOf(33, 0));
    expect(() => v.lockApList(0)).toThrow(/lock order violated/);
    expect(m.noLockHeld()).toBe(false);
    expect(releaseHeldLocks(v)).toBe(1);
    expect(m.noLockHeld()).toBe(true);
    expect(v.lockdep!.depth).toBe(0);
  });
});
