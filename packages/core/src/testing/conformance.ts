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
import type { ConformanceContext, ConformanceTarget, Taken } from './conformance/context.js';
import { GROUP_ENABLE_TESTS, describeGroupEnable } from './conformance/group-enable.js';
import { HW_STATE_TESTS, describeHwState } from './conformance/hw-state.js';
import { LEVEL_LATCH_TESTS, describeLevelLatch } from './conformance/level-latch.js';
import { SPILLED_EOI_TESTS, describeSpilledEoi } from './conformance/spilled-eoi.js';

export type { ConformanceContext, ConformanceTarget } from './conformance/context.js';

/** Every test id of the suite, `group.test`. */
export const CONFORMANCE_TESTS: readonly string[] = [
  'injection.edge-spi',
  'injection.level-spi',
  'injection.eoi-notify',
  'injection.ppi',
  'injection.sgi-self',
  'injection.sgi-other',
  'injection.sgi-broadcast',
  'injection.lines',
  'trigger.edge-coalesce',
  'trigger.edge-while-active',
  'trigger.level-lowered',
  'trigger.level-ispendr',
  'trigger.icpendr',
  'trigger.icpendr-live',
  'eoimode.0',
  'eoimode.1',
  'eoimode.1-any-order',
  'eoimode.1-dir-other-vcpu',
  'priority.order',
  'priority.hppir',
  'pmr.masking',
  'pmr.zero',
  'preemption.nesting',
  'preemption.binary-point',
  'overflow.pending',
  'overflow.sgis',
  'overflow.active',
  'migration.pending',
  'migration.active',
  'migration.nowhere',
  'active.isactiver',
  'active.restore-dir',
  'active.icactiver-live',
  'hw.eoi',
  'hw.dir',
  'hw.ppi',
  'hw.outside-lrs',
  'groups.cpu-interface',
  'groups.distributor',
  'groups.disabled-does-not-block',
  'distributor.disable',
  'host.errors',
  'host.unmapped-address',
  'fuzz.registers',
  // Behaviours in modules of their own (conformance/*.ts), each listing its ids.
  ...GROUP_ENABLE_TESTS,
  ...SPILLED_EOI_TESTS,
  ...HW_STATE_TESTS,
  ...LEVEL_LATCH_TESTS,
  ...CALLBACK_TESTS,
];

const LR_COUNTS = [1, 4, 16] as const;
const IDLE = 0xff;
const SPURIOUS = 1023;
const SPIS = 64;

/** A small deterministic PRNG (mulberry32): the fuzz run is the same on every machine. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}


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
  function boot(o: { vcpus?: number; lrs?: number; eoiMode?: 0 | 1 } = {}): Machine {
    const m = target.create({ vcpus: o.vcpus ?? vcpus, spis: SPIS, lrs: o.lrs ?? 4 });
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

    describe('injection', () => {
      test('injection.edge-spi', 'an edge SPI is delivered once to its target and deactivated by EOI', () => {
        const m = boot({ vcpus: 2 });
        spi(m, 40, { to: 1 });
        expect(m.inject(40, 1)).toBe(true);
        expect(m.inject(40, 0)).toBe(false);
        expect(takeIntid(m, 0)).toBe(SPURIOUS);
        const t = take(m, 1);
        expect(t.intid).toBe(40);
        expect(m.irq(40)).toMatchObject({ active: true, pending: false });
        eoi(m, 1, t);
        expect(m.irq(40)).toMatchObject({ active: false, pending: false });
        expect(takeIntid(m, 1)).toBe(SPURIOUS);
      });

      test('injection.level-spi', 'a level SPI is delivered again after EOI while its line is high, and not once it is low', () => {
        const m = boot({ vcpus: 2 });
        spi(m, 41, { to: 1, edge: false });
        expect(m.inject(41, 1)).toBe(true);
        expect(m.inject(41, 1)).toBe(false);
        let t = take(m, 1);
        expect(t.intid).toBe(41);
        expect(m.irq(41).active).toBe(true);
        eoi(m, 1, t);
        t = take(m, 1);
        expect(t.intid).toBe(41);
        expect(m.inject(41, 0)).toBe(true);
        eoi(m, 1, t);
        expect(takeIntid(m, 1)).toBe(SPURIOUS);
        expect(m.irq(41)).toMatchObject({ active: false, pending: false });
      });

      test('injection.eoi-notify', 'the device is told when the guest is done with a level interrupt', () => {
        const m = boot({ vcpus: 2 });
        const calls: [number, number][] = [];
        m.onEoiNotify((intid, vcpu) => calls.push([intid, vcpu]));
        spi(m, 41, { to: 1, edge: false });
        m.inject(41, 1);
        const t = take(m, 1);
        m.inject(41, 0);
        expect(calls).toEqual([]);
        eoi(m, 1, t);
        m.exit(1);
        expect(calls).toEqual([[41, 1]]);
      });

      test('injection.ppi', 'a PPI is delivered to the vCPU it names, and to no other', () => {
        const m = boot({ vcpus: 2 });
        guest.setPriority(m, 27, 0x80, 1);
        guest.enable(m, 27, 1);
        guest.enable(m, 27, 0);
        expect(m.inject(27, 1, 1)).toBe(true);
        expect(takeIntid(m, 0)).toBe(SPURIOUS);
        const t = take(m, 1);
        expect(t.intid).toBe(27);
        m.inject(27, 0, 1);
        eoi(m, 1, t);
        expect(takeIntid(m, 1)).toBe(SPURIOUS);
        expect(m.irq(27, 0)).toMatchObject({ pending: false, active: false });
        expect(m.irq(27, 1)).toMatchObject({ pending: false, active: false });
      });

      test('injection.sgi-self', 'an SGI a vCPU sends itself is delivered to it', () => {
        const m = boot({ vcpus: 2 });
        guest.enable(m, 3, 0);
        guest.setPriority(m, 3, 0x40, 0);
        guest.sendSgi(m, 0, [0], 3);
        const t = take(m, 0);
        expect(t.intid).toBe(3);
        expect(takeIntid(m, 1)).toBe(SPURIOUS);
        eoi(m, 0, t);
        expect(m.irq(3, 0)).toMatchObject({ pending: false, active: false });
        expect(takeIntid(m, 0)).toBe(SPURIOUS);
      });

      test('injection.sgi-other', 'an SGI sent to a list of vCPUs is delivered once to each of them', () => {
        const m = boot({ vcpus: 3 });
        for (let k = 0; k < 3; k++) guest.enable(m, 5, k);
        guest.sendSgi(m, 1, [0, 2], 5);
        expect(takeIntid(m, 1)).toBe(SPURIOUS);
        for (const k of [0, 2]) {
          const t = take(m, k);
          expect(t.intid).toBe(5);
          // GICv2 reports the source vCPU in bits 12:10.
          expect(t.raw === t.intid || ((t.raw >> 10) & 7) === 1).toBe(true);
          eoi(m, k, t);
          expect(takeIntid(m, k)).toBe(SPURIOUS);
        }
      });

      test('injection.sgi-broadcast', 'a broadcast SGI reaches every vCPU but the sender', () => {
        const m = boot({ vcpus: 3 });
        for (let k = 0; k < 3; k++) guest.enable(m, 7, k);
        guest.broadcastSgi(m, 2, 7);
        expect(takeIntid(m, 2)).toBe(SPURIOUS);
        expect(drain(m, 0)).toEqual([7]);
        expect(drain(m, 1)).toEqual([7]);
      });

      test('injection.lines', "the vCPU's interrupt line rises when an interrupt can be taken and falls when it is", () => {
        const m = boot({ vcpus: 2 });
        const seen: [number, boolean][] = [];
        const stop = m.onLine((vcpu, irq, fiq) => seen.push([vcpu, irq || fiq]));
        spi(m, 40, { to: 1 });
        m.inject(40, 1);
        expect(m.hasPending(1)).toBe(true);
        expect(m.hasPending(0)).toBe(false);
        m.enter(1);
        expect(m.irqLine(1) || m.fiqLine(1)).toBe(true);
        const t = take(m, 1);
        expect(m.irqLine(1) || m.fiqLine(1)).toBe(false);
        expect(m.hasPending(1)).toBe(false);
        eoi(m, 1, t);
        stop();
        expect(seen).toEqual([
          [1, true],
          [1, false],
        ]);
      });
    });

    describe('level and edge', () => {
      test('trigger.edge-coalesce', 'edges that arrive while an interrupt is pending are one interrupt', () => {
        const m = boot();
        spi(m, 40);
        expect(m.inject(40, 1)).toBe(true);
        m.inject(40, 0);
        expect(m.inject(40, 1)).toBe(false);
        expect(drain(m, 0)).toEqual([40]);
      });

      test('trigger.edge-while-active', 'an edge that arrives while its interrupt is active is delivered after deactivation', () => {
        const m = boot();
        spi(m, 40);
        m.inject(40, 1);
        const t = take(m, 0);
        m.inject(40, 0);
        expect(m.inject(40, 1)).toBe(true);
        expect(m.irq(40)).toMatchObject({ active: true, pending: true });
        expect(takeIntid(m, 0)).toBe(SPURIOUS);
        eoi(m, 0, t);
        expect(drain(m, 0)).toEqual([40]);
      });

      test('trigger.level-lowered', 'a level interrupt lowered before it is acknowledged is not delivered', () => {
        const m = boot();
        spi(m, 41, { edge: false });
        m.inject(41, 1);
        expect(m.inject(41, 0)).toBe(true);
        expect(takeIntid(m, 0)).toBe(SPURIOUS);
        expect(m.irq(41).pending).toBe(false);
      });

      test('trigger.level-ispendr', 'a level interrupt made pending by the guest is delivered once with its line low', () => {
        const m = boot();
        spi(m, 41, { edge: false });
        guest.setPending(m, 41);
        expect(drain(m, 0)).toEqual([41]);
        expect(m.irq(41)).toMatchObject({ pending: false, active: false });
      });

      test('trigger.icpendr', 'clearing a pending edge interrupt drops it', () => {
        const m = boot({ vcpus: 2 });
        spi(m, 40, { to: 1 });
        m.inject(40, 1);
        guest.clearPending(m, 40, 0);
        expect(m.irq(40).pending).toBe(false);
        expect(takeIntid(m, 1)).toBe(SPURIOUS);
      });

      test('trigger.icpendr-live', "clearing a pending interrupt held in a running vCPU's list register drops it there too", () => {
        const m = boot({ vcpus: 2 });
        spi(m, 40, { to: 1 });
        m.inject(40, 1);
        expect(guest.highestPending(m, 1)).toBe(40);
        guest.clearPending(m, 40, 0);
        expect(m.irq(40).pending).toBe(false);
        expect(takeIntid(m, 1)).toBe(SPURIOUS);
      });
    });

    describe('EOImode', () => {
      test('eoimode.0', 'EOImode 0: EOI drops the running priority and deactivates', () => {
        const m = boot();
        spi(m, 40, { prio: 0xa0 });
        m.inject(40, 1);
        const t = take(m, 0);
        expect(guest.runningPriority(m, 0)).toBe(0xa0);
        eoi(m, 0, t);
        expect(guest.runningPriority(m, 0)).toBe(IDLE);
        expect(m.irq(40).active).toBe(false);
      });

      test('eoimode.1', 'EOImode 1: EOI only drops the priority; DIR deactivates', () => {
        const m = boot({ eoiMode: 1 });
        spi(m, 40, { prio: 0xa0 });
        m.inject(40, 1);
        const t = take(m, 0);
        eoi(m, 0, t);
        expect(guest.runningPriority(m, 0)).toBe(IDLE);
        expect(m.irq(40).active).toBe(true);
        m.inject(40, 0);
        m.inject(40, 1);
        expect(takeIntid(m, 0)).toBe(SPURIOUS);
        guest.dir(m, 0, t.intid, t.raw);
        expect(m.irq(40).active).toBe(false);
        expect(drain(m, 0, 1)).toEqual([40]);
      });

      test('eoimode.1-any-order', 'EOImode 1: interrupts may be deactivated in any order', () => {
        const m = boot({ eoiMode: 1 });
        spi(m, 40, { prio: 0xa0 });
        spi(m, 41, { prio: 0x20 });
        m.inject(40, 1);
        const a = take(m, 0);
        m.inject(41, 1);
        const b = take(m, 0);
        expect([a.intid, b.intid]).toEqual([40, 41]);
        eoi(m, 0, b);
        eoi(m, 0, a);
        expect(guest.runningPriority(m, 0)).toBe(IDLE);
        guest.dir(m, 0, a.intid, a.raw);
        expect(m.irq(40).active).toBe(false);
        expect(m.irq(41).active).toBe(true);
        guest.dir(m, 0, b.intid, b.raw);
        expect(m.irq(41).active).toBe(false);
        expect(takeIntid(m, 0)).toBe(SPURIOUS);
      });

      test('eoimode.1-dir-other-vcpu', 'EOImode 1: another vCPU may deactivate an SPI', () => {
        const m = boot({ vcpus: 2, eoiMode: 1 });
        spi(m, 40, { to: 0 });
        guest.setPending(m, 40);
        const t = take(m, 0);
        expect(t.intid).toBe(40);
        eoi(m, 0, t);
        guest.dir(m, 1, 40);
        expect(m.irq(40).active).toBe(false);
        m.inject(40, 1);
        expect(drain(m, 0, 1)).toEqual([40]);
      });
    });

    describe('priority', () => {
      for (const lrs of LR_COUNTS) {
        test('priority.order', `pending interrupts are taken by priority, then by INTID (${lrs} LRs)`, () => {
          const m = boot({ lrs });
          const prios = [0xa0, 0x20, 0x60, 0x60, 0xf0, 0x00];
          prios.forEach((prio, i) => spi(m, 40 + i, { prio }));
          for (let i = 0; i < prios.length; i++) m.inject(40 + i, 1);
          expect(drain(m, 0)).toEqual([45, 41, 42, 43, 40, 44]);
        });
      }

      test('priority.hppir', 'the highest-priority pending interrupt can be read without acknowledging it', () => {
        const m = boot();
        spi(m, 40, { prio: 0x80 });
        spi(m, 41, { prio: 0x40 });
        m.inject(40, 1);
        m.inject(41, 1);
        expect(guest.highestPending(m, 0)).toBe(41);
        expect(guest.highestPending(m, 0)).toBe(41);
        expect(drain(m, 0)).toEqual([41, 40]);
        expect(guest.highestPending(m, 0)).toBe(SPURIOUS);
      });
    });

    describe('priority mask', () => {
      test('pmr.masking', 'an interrupt at or below the priority mask waits until the mask is raised', () => {
        const m = boot();
        guest.setPmr(m, 0, 0x80);
        spi(m, 40, { prio: 0x80 });
        spi(m, 41, { prio: 0x78 });
        m.inject(40, 1);
        expect(takeIntid(m, 0)).toBe(SPURIOUS);
        expect(m.irqLine(0) || m.fiqLine(0)).toBe(false);
        expect(m.hasPending(0)).toBe(false);
        m.inject(41, 1);
        expect(drain(m, 0)).toEqual([41]);
        guest.setPmr(m, 0, 0xff);
        expect(m.hasPending(0)).toBe(true);
        expect(drain(m, 0)).toEqual([40]);
      });

      test('pmr.zero', 'a priority mask of 0 holds back even priority 0', () => {
        const m = boot();
        guest.setPmr(m, 0, 0);
        spi(m, 40, { prio: 0 });
        m.inject(40, 1);
        expect(takeIntid(m, 0)).toBe(SPURIOUS);
        guest.setPmr(m, 0, 0xff);
        expect(drain(m, 0)).toEqual([40]);
      });
    });

    describe('preemption', () => {
      test('preemption.nesting', 'only a higher priority preempts an active interrupt', () => {
        const m = boot();
        spi(m, 40, { prio: 0x80 });
        spi(m, 41, { prio: 0x80 });
        spi(m, 42, { prio: 0xc0 });
        spi(m, 43, { prio: 0x40 });
        m.inject(40, 1);
        const a = take(m, 0);
        expect(a.intid).toBe(40);
        m.inject(41, 1);
        m.inject(42, 1);
        expect(takeIntid(m, 0)).toBe(SPURIOUS);
        m.inject(43, 1);
        const b = take(m, 0);
        expect(b.intid).toBe(43);
        expect(guest.runningPriority(m, 0)).toBe(0x40);
        eoi(m, 0, b);
        expect(guest.runningPriority(m, 0)).toBe(0x80);
        expect(takeIntid(m, 0)).toBe(SPURIOUS);
        eoi(m, 0, a);
        expect(drain(m, 0)).toEqual([41, 42]);
      });

      test('preemption.binary-point', 'the binary point groups priorities: no preemption within a group priority', () => {
        const m = boot();
        guest.setBpr(m, 0, bprFor(5));
        spi(m, 40, { prio: 0x50 });
        spi(m, 41, { prio: 0x48 });
        spi(m, 42, { prio: 0x30 });
        m.inject(40, 1);
        const a = take(m, 0);
        expect(a.intid).toBe(40);
        expect(guest.runningPriority(m, 0)).toBe(0x40);
        m.inject(41, 1);
        expect(takeIntid(m, 0)).toBe(SPURIOUS);
        m.inject(42, 1);
        const b = take(m, 0);
        expect(b.intid).toBe(42);
        expect(guest.runningPriority(m, 0)).toBe(0x20);
        eoi(m, 0, b);
        eoi(m, 0, a);
        expect(drain(m, 0)).toEqual([41]);

        // With the smallest binary point every implemented priority bit counts.
        const n = boot();
        spi(n, 40, { prio: 0x50 });
        spi(n, 41, { prio: 0x48 });
        n.inject(40, 1);
        const c = take(n, 0);
        n.inject(41, 1);
        const d = take(n, 0);
        expect([c.intid, d.intid]).toEqual([40, 41]);
        eoi(n, 0, d);
        eoi(n, 0, c);
      });
    });

    describe('list-register overflow', () => {
      for (const lrs of LR_COUNTS) {
        test('overflow.pending', `more pending interrupts than list registers are all delivered, in order (${lrs} LRs)`, () => {
          const m = boot({ lrs });
          const n = 2 * lrs + 3;
          const expected: { intid: number; prio: number }[] = [];
          for (let i = 0; i < n; i++) {
            const prio = (i % 31) << 3;
            spi(m, 40 + i, { prio });
            expected.push({ intid: 40 + i, prio });
          }
          for (let i = 0; i < n; i++) m.inject(40 + i, 1);
          expected.sort((a, b) => a.prio - b.prio || a.intid - b.intid);
          expect(drain(m, 0)).toEqual(expected.map((e) => e.intid));
        });

        test('overflow.sgis', `all sixteen SGIs at once are each delivered once (${lrs} LRs)`, () => {
          const m = boot({ vcpus: 2, lrs });
          for (let i = 0; i < 16; i++) {
            guest.setPriority(m, i, (i + 1) * 8, 1);
            guest.enable(m, i, 1);
          }
          for (let i = 15; i >= 0; i--) guest.sendSgi(m, 0, [1], i);
          expect(drain(m, 1)).toEqual([...Array(16).keys()]);
          expect(takeIntid(m, 0)).toBe(SPURIOUS);
        });

        for (const eoiMode of [0, 1] as const) {
          test('overflow.active', `31 nested active interrupts with ${lrs} LRs are all EOI'd and deactivated (EOImode ${eoiMode})`, () => {
            const m = boot({ lrs, eoiMode });
            const taken: Taken[] = [];
            for (let i = 0; i < 31; i++) spi(m, 40 + i, { prio: 0xf0 - 8 * i });
            for (let i = 0; i < 31; i++) {
              m.inject(40 + i, 1);
              const t = take(m, 0);
              expect(t.intid).toBe(40 + i);
              taken.push(t);
            }
            expect(guest.runningPriority(m, 0)).toBe(0x00);
            for (let i = 0; i < 31; i++) expect(m.irq(40 + i).active).toBe(true);
            for (let i = 30; i >= 0; i--) {
              eoi(m, 0, taken[i]!);
              expect(guest.runningPriority(m, 0)).toBe(i === 0 ? IDLE : 0xf0 - 8 * (i - 1));
            }
            if (eoiMode === 1) for (const t of taken) guest.dir(m, 0, t.intid, t.raw);
            m.exit(0);
            for (let i = 0; i < 31; i++) expect(m.irq(40 + i)).toMatchObject({ active: false, pending: false });
            expect(m.vcpu(0).apr.every((w) => w === 0)).toBe(true);
            expect(guest.runningPriority(m, 0)).toBe(IDLE);
            expect(takeIntid(m, 0)).toBe(SPURIOUS);
          });
        }
      }
    });

    describe('migration', () => {
      test('migration.pending', 'a pending SPI retargeted before it is taken is delivered to its new vCPU', () => {
        const m = boot({ vcpus: 2 });
        spi(m, 40, { to: 0 });
        m.inject(40, 1);
        expect(guest.highestPending(m, 0)).toBe(40);
        guest.route(m, 40, 1);
        // The kicked vCPU 0 exits and re-enters: the interrupt moves.
        expect(takeIntid(m, 0)).toBe(SPURIOUS);
        expect(drain(m, 1)).toEqual([40]);
      });

      test('migration.active', 'an active SPI stays with its vCPU when retargeted; its next edge follows the new route', () => {
        const m = boot({ vcpus: 2 });
        spi(m, 40, { to: 0 });
        m.inject(40, 1);
        const t = take(m, 0);
        guest.route(m, 40, 1);
        m.inject(40, 0);
        m.inject(40, 1);
        expect(takeIntid(m, 1)).toBe(SPURIOUS);
        expect(m.irq(40)).toMatchObject({ active: true, pending: true, queued: 0 });
        eoi(m, 0, t);
        m.exit(0);
        expect(m.irq(40)).toMatchObject({ active: false, pending: true, queued: 1 });
        expect(takeIntid(m, 0)).toBe(SPURIOUS);
        expect(drain(m, 1)).toEqual([40]);
      });

      test('migration.nowhere', 'an SPI routed to no vCPU waits, and is delivered once routed', () => {
        const m = boot({ vcpus: 2 });
        spi(m, 40, { to: 0 });
        if (!guest.routeNowhere(m, 40)) return;
        m.inject(40, 1);
        expect(takeIntid(m, 0)).toBe(SPURIOUS);
        expect(takeIntid(m, 1)).toBe(SPURIOUS);
        expect(m.irq(40)).toMatchObject({ pending: true, queued: null });
        guest.route(m, 40, 1);
        expect(drain(m, 1)).toEqual([40]);
      });
    });

    describe('active state', () => {
      test('active.isactiver', 'ISACTIVER makes an interrupt active without delivering it; ICACTIVER ends it', () => {
        const m = boot({ vcpus: 2 });
        spi(m, 40, { to: 1 });
        guest.setActive(m, 40, 0);
        expect(m.irq(40)).toMatchObject({ active: true, pending: false, queued: 1 });
        m.inject(40, 1);
        expect(takeIntid(m, 1)).toBe(SPURIOUS);
        guest.clearActive(m, 40, 0);
        expect(m.irq(40).active).toBe(false);
        expect(drain(m, 1)).toEqual([40]);
      });

      test('active.restore-dir', 'an active state restored by ISACTIVER is deactivated by DIR (SGI, PPI, SPI)', () => {
        const m = boot({ vcpus: 2, eoiMode: 1 });
        spi(m, 40, { to: 1 });
        guest.enable(m, 27, 1);
        guest.enable(m, 2, 1);
        guest.setActive(m, 40, 1);
        guest.setActive(m, 27, 1);
        guest.setActive(m, 2, 1);
        for (const [intid, vcpu] of [[40, undefined], [27, 1], [2, 1]] as const) {
          expect(m.irq(intid, vcpu).active).toBe(true);
        }
        guest.dir(m, 1, 40);
        guest.dir(m, 1, 27);
        // A GICv2 SGI names the source of its active instance: the vCPU that wrote ISACTIVER (as KVM records it).
        guest.dir(m, 1, 2, m.backend.sgiSources ? 2 | (1 << 10) : 2);
        m.exit(1);
        for (const [intid, vcpu] of [[40, undefined], [27, 1], [2, 1]] as const) {
          expect(m.irq(intid, vcpu).active).toBe(false);
        }
        expect(takeIntid(m, 1)).toBe(SPURIOUS);
      });

      test('active.icactiver-live', "ICACTIVER ends an interrupt active in a running vCPU's list register", () => {
        const m = boot({ vcpus: 2 });
        spi(m, 40, { to: 1 });
        m.inject(40, 1);
        const t = take(m, 1);
        guest.clearActive(m, 40, 0);
        expect(m.irq(40).active).toBe(false);
        m.inject(40, 1);
        eoi(m, 1, t);
        expect(drain(m, 1)).toEqual([40]);
        expect(m.irq(40).active).toBe(false);
      });
    });

    describe('hardware-mapped interrupts', () => {
      function hwMachine(eoiMode: 0 | 1, lrs = 4): { m: Machine; calls: number[][] } {
        const m = boot({ vcpus: 2, eoiMode, lrs });
        const calls: number[][] = [];
        m.onHostDeactivate((host, intid, vcpu) => calls.push([host, intid, vcpu]));
        return { m, calls };
      }

      test('hw.eoi', "EOI of a hardware-mapped interrupt deactivates its host interrupt (EOImode 0)", () => {
        const { m, calls } = hwMachine(0);
        spi(m, 40, { to: 1 });
        m.mapHw(40, 60);
        m.inject(40, 1);
        const t = take(m, 1);
        expect(calls).toEqual([]);
        eoi(m, 1, t);
        expect(calls).toEqual([[60, 40, 1]]);
        expect(m.irq(40).active).toBe(false);
      });

      test('hw.dir', 'with EOImode 1 the host interrupt is deactivated by DIR, not by EOI', () => {
        const { m, calls } = hwMachine(1);
        spi(m, 40, { to: 1 });
        m.mapHw(40, 60);
        m.inject(40, 1);
        const t = take(m, 1);
        eoi(m, 1, t);
        expect(calls).toEqual([]);
        guest.dir(m, 1, t.intid, t.raw);
        expect(calls).toEqual([[60, 40, 1]]);
      });

      test('hw.ppi', 'a hardware-mapped PPI (a timer) is deactivated at the host', () => {
        const { m, calls } = hwMachine(0);
        guest.enable(m, 27, 1);
        m.mapHw(27, 27, 1);
        m.inject(27, 1, 1);
        const t = take(m, 1);
        expect(t.intid).toBe(27);
        m.inject(27, 0, 1);
        eoi(m, 1, t);
        expect(calls).toEqual([[27, 27, 1]]);
      });

      test('hw.outside-lrs', 'a hardware-mapped interrupt deactivated outside the list registers still reaches the host', () => {
        const { m, calls } = hwMachine(0, 1);
        spi(m, 40, { to: 1, prio: 0xa0 });
        spi(m, 41, { to: 1, prio: 0x20 });
        m.mapHw(40, 60);
        m.inject(40, 1);
        const a = take(m, 1);
        m.inject(41, 1);
        const b = take(m, 1);
        expect([a.intid, b.intid]).toEqual([40, 41]);
        eoi(m, 1, b);
        eoi(m, 1, a);
        expect(calls).toEqual([[60, 40, 1]]);
        m.exit(1);
        expect(m.irq(40).active).toBe(false);
      });
    });

    describe('group enables', () => {
      test('groups.cpu-interface', "an interrupt whose group is disabled at the vCPU's interface waits until it is enabled", () => {
        const m = boot({ vcpus: 2 });
        spi(m, 40, { to: 1 });
        guest.setGroupEnable(m, 1, guest.group, false);
        m.inject(40, 1);
        expect(takeIntid(m, 1)).toBe(SPURIOUS);
        expect(m.irqLine(1) || m.fiqLine(1)).toBe(false);
        guest.setGroupEnable(m, 1, guest.group, true);
        expect(drain(m, 1)).toEqual([40]);
      });

      test('groups.distributor', 'an interrupt of a group the distributor does not forward is not delivered', () => {
        const m = boot({ vcpus: 2 });
        setDist(m, 1 << guest.group);
        spi(m, 40, { to: 1 });
        guest.setGroup(m, 40, other);
        guest.setGroupEnable(m, 1, other, true);
        m.inject(40, 1);
        expect(m.irq(40)).toMatchObject({ pending: true, queued: null });
        expect(guest.ack(m, 1, other)).toBeGreaterThanOrEqual(1020);
        setDist(m, (1 << guest.group) | (1 << other));
        expect(guest.ack(m, 1, other)).toBe(40);
      });

      test('groups.disabled-does-not-block', 'pending interrupts of a disabled group do not hold back those of an enabled one (1 LR)', () => {
        const m = boot({ vcpus: 1, lrs: 1 });
        setDist(m, (1 << guest.group) | (1 << other));
        spi(m, 40, { prio: 0x10 });
        spi(m, 41, { prio: 0x80 });
        guest.setGroup(m, 40, other);
        guest.setGroupEnable(m, 0, other, false);
        m.inject(40, 1);
        m.inject(41, 1);
        expect(drain(m, 0)).toEqual([41]);
        expect(m.irq(40).pending).toBe(true);
      });
    });

    describe('distributor', () => {
      test('distributor.disable', 'a disabled distributor delivers nothing; enabling it delivers what waits', () => {
        const m = boot({ vcpus: 2 });
        spi(m, 40, { to: 1 });
        setDist(m, 0);
        m.inject(40, 1);
        expect(m.hasPending(1)).toBe(false);
        expect(takeIntid(m, 1)).toBe(SPURIOUS);
        expect(m.irq(40)).toMatchObject({ pending: true, queued: null });
        setDist(m, 1 << guest.group);
        expect(drain(m, 1)).toEqual([40]);
      });
    });

    describe('host input', () => {
      test('host.errors', 'bad host input is refused with a VgicError code and changes nothing', () => {
        const m = boot({ vcpus: 2 });
        spi(m, 40, { to: 1 });
        m.inject(40, 1);
        const limit = 32 + SPIS;
        for (const intid of [0, 3, 15]) expectError(() => m.inject(intid, 1, 0), 'INVALID_INTID', m);
        for (const intid of [1020, 1021, 1022, 1023]) expectError(() => m.inject(intid, 1), 'INVALID_INTID', m);
        for (const intid of [limit, 1019, 1024, 5120, -1, 40.5, Number.NaN]) {
          expectError(() => m.inject(intid, 1), 'INVALID_INTID', m);
        }
        expectError(() => m.inject(27, 1), 'INVALID_VCPU', m);
        expectError(() => m.inject(27, 1, 2), 'INVALID_VCPU', m);
        expectError(() => m.inject(27, 1, -1), 'INVALID_VCPU', m);
        expectError(() => m.inject(40, 1, 7), 'INVALID_VCPU', m);
        expectError(() => m.inject(40, 2 as 1), 'INVALID_ARGUMENT', m);
        expectError(() => m.mapHw(3, 3, 0), 'INVALID_INTID', m);
        expectError(() => m.mapHw(1023, 60), 'INVALID_INTID', m);
        expectError(() => m.mapHw(27, 27), 'INVALID_VCPU', m);
        expectError(() => m.enter(2), 'INVALID_VCPU', m);
        expectError(() => m.exit(-1), 'INVALID_VCPU', m);
        expectError(() => m.hasPending(9), 'INVALID_VCPU', m);
        expectError(() => m.mmioRead(2, m.frames[0]!.base, 32), 'INVALID_VCPU', m);
        expect(drain(m, 1)).toEqual([40]);
      });

      test('host.unmapped-address', 'an address no frame holds is reported to the caller, not thrown', () => {
        const m = boot();
        let end = 0;
        for (const f of m.frames) end = Math.max(end, f.base + f.size * (f.perVcpu ? m.vcpus : 1));
        const nowhere = end + 0x10_0000;
        expect(m.mmioRead(0, nowhere, 32)).toBeUndefined();
        expect(m.mmioWrite(0, nowhere, 32, 1)).toBe(false);
        expect(m.sysregRead(0, { op0: 0, op1: 7, crn: 15, crm: 15, op2: 7 })).toBeUndefined();
      });
    });

    describe('guest register traffic', () => {
      for (const lrs of LR_COUNTS) {
        test('fuzz.registers', `random guest register traffic never throws nor breaks the invariants (${lrs} LRs)`, () => {
          const seed = 0x5eed + lrs;
          const rnd = prng(seed);
          const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
          const m = boot({ vcpus: Math.min(3, guest.maxVcpus), lrs });
          for (let i = 32; i < 48; i++) spi(m, i, { prio: (i & 15) << 4, edge: (i & 1) === 0, to: i % m.vcpus });
          const widths = [8, 16, 32, 64] as const;
          const value = (): bigint => {
            const r = rnd();
            if (r < 0.1) return 0n;
            if (r < 0.2) return 0xffff_ffff_ffff_ffffn;
            if (r < 0.4) return BigInt(1 << Math.floor(rnd() * 32)) & 0xffff_ffffn;
            return (BigInt(Math.floor(rnd() * 2 ** 32)) << 32n) | BigInt(Math.floor(rnd() * 2 ** 32));
          };
          for (let step = 0; step < 1500; step++) {
            const vcpu = Math.floor(rnd() * m.vcpus);
            const r = rnd();
            let what = '';
            try {
              if (r < 0.55) {
                const name = pick(guest.fuzzRegisters);
                const width = pick(widths);
                const rd = Math.floor(rnd() * m.vcpus);
                if (rnd() < 0.5) {
                  what = `read ${name} width ${width} on vCPU ${vcpu}`;
                  m.readRegister(name, { vcpu, width, rd });
                } else {
                  const val = value();
                  what = `write ${name} = 0x${val.toString(16)} width ${width} on vCPU ${vcpu}`;
                  m.writeRegister(name, val, { vcpu, width, rd });
                }
              } else if (r < 0.8) {
                const f = pick(m.frames);
                const span = f.size * (f.perVcpu ? m.vcpus : 1);
                const addr = f.base + Math.floor(rnd() * span);
                const width = pick(widths);
                if (rnd() < 0.5) {
                  what = `mmioRead ${f.name}+0x${(addr - f.base).toString(16)} width ${width} on vCPU ${vcpu}`;
                  m.mmioRead(vcpu, addr, width);
                } else {
                  const val = value();
                  what = `mmioWrite ${f.name}+0x${(addr - f.base).toString(16)} = 0x${val.toString(16)} width ${width} on vCPU ${vcpu}`;
                  m.mmioWrite(vcpu, addr, width, width === 64 ? val : Number(BigInt.asUintN(width, val)));
                }
              } else if (r < 0.9) {
                const intid = rnd() < 0.2 ? 16 + Math.floor(rnd() * 16) : 32 + Math.floor(rnd() * SPIS);
                const level = rnd() < 0.6;
                what = `inject ${intid} level ${level}`;
                m.inject(intid, level, intid < 32 ? vcpu : undefined);
              } else if (r < 0.95) {
                what = `enter/exit vCPU ${vcpu}`;
                if (rnd() < 0.5) m.enter(vcpu);
                else m.exit(vcpu);
              } else {
                const enc = { op0: 3, op1: Math.floor(rnd() * 8), crn: Math.floor(rnd() * 16), crm: Math.floor(rnd() * 16), op2: Math.floor(rnd() * 8) };
                what = `sysreg ${JSON.stringify(enc)} on vCPU ${vcpu}`;
                if (rnd() < 0.5) m.sysregRead(vcpu, enc);
                else m.sysregWrite(vcpu, enc, value());
              }
            } catch (e) {
              throw new Error(`step ${step} (seed ${seed}): ${what} threw ${String(e)}`);
            }
            const problems = m.checkInvariants();
            if (problems.length > 0 || !m.noLockHeld() || m.vgic.lockViolations !== 0) {
              throw new Error(`step ${step} (seed ${seed}): after ${what}: ${problems.join('; ') || 'a lock is held'}`);
            }
          }
        });
      }
    });

    describeGroupEnable(ctx);
    describeSpilledEoi(ctx);
    describeHwState(ctx);
    describeLevelLatch(ctx);
    describeCallbacks(ctx);
  });
}
