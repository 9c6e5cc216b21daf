/**
 * The conformance suite: every behaviour the GIC architecture shares across
 * versions, checked through a backend's `GuestOps` driver and the machine's
 * host API. A backend passes it to plug into the core:
 *
 *   import { describeConformance } from '@vgic/core/testing';
 *   describeConformance({ name: 'GICv2', create: createGicv2, guest: gicv2Guest });
 *
 * It registers vitest `describe`/`it` blocks, so it is called from a
 * `*.test.ts` file. After every test each machine it made must satisfy the
 * engine's invariants, hold no lock, and have seen no lock-order violation.
 *
 * Tests have ids (`group` or `group.test`, listed in `CONFORMANCE_TESTS`);
 * `skip` names the ones a backend cannot express, each skipped visibly.
 */
import { afterEach, describe, expect, it, type TestContext } from 'vitest';
import { isVgicError, type VgicErrorCode } from '../errors.js';
import type { Machine } from '../machine.js';
import { CALLBACK_TESTS, describeCallbacks } from './conformance/callbacks.js';
import type { BootOptions, ConformanceContext, ConformanceTarget, Taken } from './conformance/context.js';
import { INJECTION_TESTS, describeInjection } from './conformance/injection.js';
import { TRIGGER_TESTS, describeTrigger } from './conformance/trigger.js';
import { EOIMODE_TESTS, describeEoiMode } from './conformance/eoimode.js';
import { PRIORITY_TESTS, describePriority } from './conformance/priority.js';
import { OVERFLOW_TESTS, describeOverflow } from './conformance/overflow.js';
import { MIGRATION_TESTS, describeMigration } from './conformance/migration.js';
import { ACTIVE_STATE_TESTS, describeActiveState } from './conformance/active-state.js';
import { HW_MAPPED_TESTS, describeHwMapped } from './conformance/hw-mapped.js';
import { GROUPS_TESTS, describeGroups } from './conformance/groups.js';
import { DISTRIBUTOR_TESTS, describeDistributor } from './conformance/distributor.js';
import { HOST_INPUT_TESTS, describeHostInput } from './conformance/host-input.js';
import { FUZZ_TESTS, describeFuzz } from './conformance/fuzz.js';
import { UNHANDLED_TESTS, describeUnhandled } from './conformance/unhandled.js';
import { GROUP_ENABLE_TESTS, describeGroupEnable } from './conformance/group-enable.js';
import { HW_STATE_TESTS, describeHwState } from './conformance/hw-state.js';
import { LEVEL_LATCH_TESTS, describeLevelLatch } from './conformance/level-latch.js';
import { SPILLED_EOI_TESTS, describeSpilledEoi } from './conformance/spilled-eoi.js';
import { LPI_TESTS, describeLpi } from './conformance/lpi.js';

export type { ConformanceContext, ConformanceTarget } from './conformance/context.js';

/** Every test id of the suite, `group.test`. */
export const CONFORMANCE_TESTS: readonly string[] = [
  ...INJECTION_TESTS,
  ...TRIGGER_TESTS,
  ...EOIMODE_TESTS,
  ...PRIORITY_TESTS,
  ...OVERFLOW_TESTS,
  ...MIGRATION_TESTS,
  ...ACTIVE_STATE_TESTS,
  ...HW_MAPPED_TESTS,
  ...GROUPS_TESTS,
  ...DISTRIBUTOR_TESTS,
  ...HOST_INPUT_TESTS,
  ...FUZZ_TESTS,
  ...UNHANDLED_TESTS,
  ...GROUP_ENABLE_TESTS,
  ...SPILLED_EOI_TESTS,
  ...HW_STATE_TESTS,
  ...LEVEL_LATCH_TESTS,
  ...CALLBACK_TESTS,
  ...LPI_TESTS,
];

const SPIS = 64;

export function describeConformance(target: ConformanceTarget): void {
  const { guest } = target;
  const skip = new Set(target.skip ?? []);
  for (const id of skip) {
    if (!CONFORMANCE_TESTS.some((t) => t === id || t.startsWith(`${id}.`))) {
      throw new Error(`describeConformance: no test or group "${id}" to skip; the ids are in CONFORMANCE_TESTS`);
    }
  }
  const machines: Machine[] = [];
  const vcpus = Math.min(4, guest.maxVcpus);
  const other = guest.group === 0 ? 1 : 0;

  /** The running test's context: what a helper skips the test with when the backend lacks what it needs. */
  let running: TestContext | null = null;

  function test(id: string, title: string, fn: () => void): void {
    const group = id.slice(0, id.indexOf('.'));
    const skipped = skip.has(id) || skip.has(group);
    (skipped ? it.skip : it)(`${title} [${id}]`, (ctx) => {
      running = ctx;
      try {
        fn();
      } finally {
        running = null;
      }
    });
  }

  /** The distributor's control register (the backend's `distributor` capability); skips the test without one. */
  function distributorControl(m: Machine): string {
    const control = m.backend.distributor?.control;
    if (control !== undefined) return control;
    const reason = `${target.name} has no GuestOps.setDistributorEnable and declares no distributor registers (GicBackend.distributor)`;
    if (running !== null) running.skip(reason);
    throw new Error(reason);
  }

  /** A machine brought up as an OS would, recorded for the after-test checks. */
  function boot(o: BootOptions = {}): Machine {
    const m = target.create({ vcpus: o.vcpus ?? vcpus, spis: SPIS, lrs: o.lrs ?? 4, ...(o.lpis !== undefined && { lpis: o.lpis }), ...o.options });
    machines.push(m);
    guest.init(m, { eoiMode: o.eoiMode ?? 0 });
    return m;
  }

  /** Configure an SPI (trigger before enable, as the kernel's selftest does). */
  function spi(m: Machine, intid: number, o: { prio?: number; edge?: boolean; to?: number } = {}): void {
    guest.setEdge(m, intid, o.edge ?? true);
    guest.setPriority(m, intid, o.prio ?? 0xa0);
    guest.route(m, intid, o.to ?? 0);
    guest.enable(m, intid);
  }

  function take(m: Machine, vcpu: number): Taken {
    const raw = guest.ackRaw(m, vcpu);
    return { intid: raw & 0x3ff, raw };
  }

  function takeIntid(m: Machine, vcpu: number): number {
    return take(m, vcpu).intid;
  }

  function eoi(m: Machine, vcpu: number, t: Taken): void {
    guest.eoi(m, vcpu, t.intid, t.raw);
  }

  /** EOI, and DIR when the vCPU runs with EOImode 1. */
  function finish(m: Machine, vcpu: number, t: Taken, eoiMode: 0 | 1): void {
    guest.eoi(m, vcpu, t.intid, t.raw);
    if (eoiMode === 1) guest.dir(m, vcpu, t.intid, t.raw);
  }

  /** Take and finish everything `vcpu` has; returns the INTIDs in the order taken. */
  function drain(m: Machine, vcpu: number, eoiMode: 0 | 1 = 0, limit = 200): number[] {
    const out: number[] = [];
    for (let n = 0; n < limit; n++) {
      const t = take(m, vcpu);
      if (t.intid >= 1020) return out;
      out.push(t.intid);
      finish(m, vcpu, t, eoiMode);
    }
    return out;
  }

  function skipTest(reason: string): never {
    if (running !== null) running.skip(reason);
    throw new Error(reason);
  }

  function setDist(m: Machine, groups: number): void {
    if (guest.setDistributorEnable) guest.setDistributorEnable(m, groups);
    else m.writeRegister(distributorControl(m), groups);
  }

  /** The BPR value whose group priority is bits [7:shift] of the guest's group (BPR0 counts one less). */
  function bprFor(shift: number): number {
    return guest.group === 0 ? shift - 1 : shift;
  }

  function expectError(fn: () => unknown, code: VgicErrorCode, m: Machine): void {
    const before = new Uint8Array(m.vgic.buffer).slice();
    let thrown: unknown = null;
    try {
      fn();
    } catch (e) {
      thrown = e;
    }
    expect(isVgicError(thrown, code), `expected a VgicError ${code}, got ${String(thrown)}`).toBe(true);
    const after = new Uint8Array(m.vgic.buffer);
    let changed = -1;
    for (let i = 0; i < before.length; i++) {
      if (before[i] !== after[i]) {
        changed = i;
        break;
      }
    }
    expect(changed, 'a refused call changed the machine state').toBe(-1);
  }

  const ctx: ConformanceContext = {
    target,
    guest,
    vcpus,
    other,
    spis: SPIS,
    test,
    boot,
    spi,
    take,
    takeIntid,
    eoi,
    finish,
    drain,
    setDist,
    bprFor,
    skip: skipTest,
    expectError,
  };

  describe(`${target.name} conformance`, () => {
    afterEach(() => {
      for (const m of machines) {
        expect(m.checkInvariants()).toEqual([]);
        expect(m.noLockHeld()).toBe(true);
        expect(m.vgic.lockViolations).toBe(0);
      }
      machines.length = 0;
    });

    describeInjection(ctx);
    describeTrigger(ctx);
    describeEoiMode(ctx);
    describePriority(ctx);
    describeOverflow(ctx);
    describeMigration(ctx);
    describeActiveState(ctx);
    describeHwMapped(ctx);
    describeGroups(ctx);
    describeDistributor(ctx);
    describeHostInput(ctx);
    describeFuzz(ctx);
    describeUnhandled(ctx);
    describeGroupEnable(ctx);
    describeSpilledEoi(ctx);
    describeHwState(ctx);
    describeLevelLatch(ctx);
    describeCallbacks(ctx);
    describeLpi(ctx);
  });
}
