/**
 * Test support for save and restore (not exported from the package): random
 * operation sequences through a machine's public guest and host surface, and
 * what a run of them observes, so that two machines can be compared step by
 * step. Used by core's snapshot tests and by the backends' restore tests,
 * each with its own GuestOps driver.
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import { isVgicError } from '../errors.js';
import type { Machine } from '../machine.js';
import type { GuestOps } from '../testing/guest.js';
import { restoreMachine } from './restore.js';
import { saveMachine } from './save.js';

export type Op =
  | { kind: 'write'; reg: number; value: number; vcpu: number }
  | { kind: 'read'; reg: number; vcpu: number }
  | { kind: 'guest'; what: GuestBitOp; intid: number; vcpu: number }
  | { kind: 'priority'; intid: number; priority: number; vcpu: number }
  | { kind: 'edge'; intid: number; edge: boolean }
  | { kind: 'route'; intid: number; vcpu: number }
  | { kind: 'group'; intid: number; group: number; vcpu: number }
  | { kind: 'ack'; vcpu: number; group: number }
  | { kind: 'eoi'; vcpu: number; group: number; fromStack: boolean; intid: number }
  | { kind: 'dir'; vcpu: number; fromStack: boolean; intid: number }
  | { kind: 'cpu'; what: 'pmr' | 'bpr' | 'eoimode' | 'grpen'; vcpu: number; value: number; group: number }
  | { kind: 'dist'; groups: number }
  | { kind: 'sgi'; from: number; to: number[]; intid: number }
  | { kind: 'inject'; intid: number; level: boolean; vcpu: number }
  | { kind: 'lineLevel'; intid: number; level: boolean; vcpu: number }
  | { kind: 'map'; intid: number; host: number; vcpu: number }
  | { kind: 'unmap'; intid: number; vcpu: number }
  | { kind: 'enter' | 'exit' | 'hasPending'; vcpu: number };

type GuestBitOp = 'enable' | 'disable' | 'setPending' | 'clearPending' | 'setActive' | 'clearActive';

export interface OpSpace {
  vcpus: number;
  /** INTIDs the operations pick from: a few SGIs, PPIs and SPIs. */
  intids: readonly number[];
  /** Host-injectable INTIDs (PPIs and SPIs). */
  lines: readonly number[];
  /** How many of `guest.fuzzRegisters` random raw accesses may touch. */
  registers: number;
}

/** The INTIDs a machine of `spis` SPIs offers the random operations. */
export function opSpace(vcpus: number, spis: number, guest: GuestOps): OpSpace {
  const spi = spis > 0 ? [32, 33, 31 + spis] : [];
  const lines = [27, ...spi];
  return { vcpus, intids: [1, 2, ...lines], lines, registers: guest.fuzzRegisters.length };
}

/**
 * An OS bringing the GIC up: distributor and CPU interfaces on (`GuestOps.init`),
 * and every interrupt of `space` enabled, each at its own priority.
 */
export function bringUp(m: Machine, guest: GuestOps, space: OpSpace, eoiMode: 0 | 1): void {
  guest.init(m, { eoiMode });
  space.intids.forEach((intid, i) => {
    const prio = (0x10 + 0x10 * i) & 0xf0;
    for (let k = 0; k < (intid < 32 ? m.vcpus : 1); k++) {
      guest.setPriority(m, intid, prio, k);
      guest.enable(m, intid, k);
    }
  });
}

/** An arbitrary operation over `space`. */
export function opArbitrary(space: OpSpace): fc.Arbitrary<Op> {
  const vcpu = fc.integer({ min: 0, max: space.vcpus - 1 });
  const intid = fc.constantFrom(...space.intids);
  const line = fc.constantFrom(...space.lines);
  const spi = space.lines.filter((i) => i >= 32);
  const grp = fc.integer({ min: 0, max: 1 });
  // -1: the group the guest's interrupts are in (GuestOps' default).
  const anyGroup = fc.constantFrom(-1, -1, -1, -1, 0, 1);
  const w = (weight: number, arbitrary: fc.Arbitrary<Op>) => ({ weight, arbitrary });
  const ops = [
    // Raw accesses to any register, with any value: rare, they mostly reset things.
    w(1, fc.record({ kind: fc.constant('write' as const), reg: fc.nat(space.registers - 1), value: fc.nat(0xffffffff), vcpu })),
    w(2, fc.record({ kind: fc.constant('read' as const), reg: fc.nat(space.registers - 1), vcpu })),
    w(3, fc.record({ kind: fc.constant('guest' as const), what: fc.constant<GuestBitOp>('enable'), intid, vcpu })),
    w(2, fc.record({ kind: fc.constant('guest' as const), what: fc.constant<GuestBitOp>('setPending'), intid, vcpu })),
    w(2, fc.record({
      kind: fc.constant('guest' as const),
      what: fc.constantFrom<GuestBitOp>('disable', 'clearPending', 'setActive', 'clearActive'),
      intid,
      vcpu,
    })),
    w(2, fc.record({ kind: fc.constant('priority' as const), intid, priority: fc.nat(0xf7), vcpu })),
    w(1, fc.record({ kind: fc.constant('group' as const), intid, group: grp, vcpu })),
    w(6, fc.record({ kind: fc.constant('ack' as const), vcpu, group: anyGroup })),
    w(4, fc.record({ kind: fc.constant('eoi' as const), vcpu, group: anyGroup, fromStack: fc.constantFrom(true, true, false), intid })),
    w(2, fc.record({ kind: fc.constant('dir' as const), vcpu, fromStack: fc.constantFrom(true, true, false), intid })),
    w(2, fc.record({
      kind: fc.constant('cpu' as const),
      what: fc.constantFrom('pmr' as const, 'bpr' as const, 'eoimode' as const, 'grpen' as const),
      vcpu,
      value: fc.nat(255),
      group: grp,
    })),
    w(1, fc.record({ kind: fc.constant('dist' as const), groups: fc.integer({ min: 0, max: 3 }) })),
    w(3, fc.record({
      kind: fc.constant('sgi' as const),
      from: vcpu,
      to: fc.uniqueArray(vcpu, { minLength: 1, maxLength: space.vcpus }),
      intid: fc.integer({ min: 0, max: 3 }),
    })),
    w(4, fc.record({ kind: fc.constant('inject' as const), intid: line, level: fc.constantFrom(true, true, false), vcpu })),
    w(1, fc.record({ kind: fc.constant('lineLevel' as const), intid: line, level: fc.boolean(), vcpu })),
    w(1, fc.record({ kind: fc.constant('map' as const), intid: line, host: fc.integer({ min: 16, max: 1019 }), vcpu })),
    w(1, fc.record({ kind: fc.constant('unmap' as const), intid: line, vcpu })),
    w(3, fc.record({ kind: fc.constant('exit' as const), vcpu })),
    w(1, fc.record({ kind: fc.constantFrom('enter' as const, 'hasPending' as const), vcpu })),
  ];
  if (spi.length > 0) {
    const s = fc.constantFrom(...spi);
    ops.push(w(1, fc.record({ kind: fc.constant('edge' as const), intid: s, edge: fc.boolean() })));
    ops.push(w(3, fc.record({ kind: fc.constant('route' as const), intid: s, vcpu })));
  }
  return fc.oneof(...ops);
}

/**
 * A machine being driven: the raw IAR values each vCPU acknowledged and not
 * yet EOI'd (for well-behaved EOIs), and everything the host saw (host
 * deactivations, EOI notifications, output line changes).
 */
export class Driver {
  readonly stacks: number[][];
  readonly events: string[] = [];

  constructor(
    readonly m: Machine,
    readonly guest: GuestOps,
    stacks?: readonly number[][],
  ) {
    this.stacks = stacks ? stacks.map((s) => [...s]) : Array.from({ length: m.vcpus }, () => []);
    m.onHostDeactivate = (host, intid, vcpu) => this.events.push(`hostDeactivate ${host} ${intid} ${vcpu}`);
    m.onEoiNotify = (intid, vcpu) => this.events.push(`eoiNotify ${intid} ${vcpu}`);
    m.onLine((vcpu, irq, fiq) => this.events.push(`line ${vcpu} ${irq} ${fiq}`));
  }

  /** A driver for `other` (a restored copy) that goes on from where this one is. */
  fork(other: Machine): Driver {
    return new Driver(other, this.guest, this.stacks);
  }

  /** Run one operation; returns what it observed (a read value, an error code, or null). */
  run(op: Op): string | number | boolean | null {
    try {
      return this.step(op);
    } catch (e) {
      if (isVgicError(e)) return `error ${e.code}`;
      throw e;
    }
  }

  private step(op: Op): string | number | boolean | null {
    const { m, guest } = this;
    const regs = guest.fuzzRegisters;
    switch (op.kind) {
      case 'write':
        m.writeRegister(regs[op.reg]!, op.value, { vcpu: op.vcpu, width: 32 });
        return null;
      case 'read':
        return Number(m.readRegister(regs[op.reg]!, { vcpu: op.vcpu, width: 32 }));
      case 'guest':
        guest[op.what](m, op.intid, op.vcpu);
        return null;
      case 'priority':
        guest.setPriority(m, op.intid, op.priority, op.vcpu);
        return null;
      case 'edge':
        guest.setEdge(m, op.intid, op.edge);
        return null;
      case 'route':
        guest.route(m, op.intid, op.vcpu);
        return null;
      case 'group':
        guest.setGroup(m, op.intid, op.group, op.vcpu);
        return null;
      case 'ack': {
        const raw = guest.ackRaw(m, op.vcpu, op.group < 0 ? undefined : op.group);
        if ((raw & 0x3ff) < 1020) this.stacks[op.vcpu]!.push(raw);
        return raw;
      }
      case 'eoi': {
        const raw = op.fromStack ? this.stacks[op.vcpu]!.pop() : undefined;
        guest.eoi(m, op.vcpu, (raw ?? op.intid) & 0x3ff, raw, op.group < 0 ? undefined : op.group);
        return null;
      }
      case 'dir': {
        const stack = this.stacks[op.vcpu]!;
        const raw = op.fromStack && stack.length > 0 ? stack[0] : undefined;
        guest.dir(m, op.vcpu, (raw ?? op.intid) & 0x3ff, raw);
        return null;
      }
      case 'cpu':
        if (op.what === 'pmr') guest.setPmr(m, op.vcpu, op.value);
        else if (op.what === 'bpr') guest.setBpr(m, op.vcpu, op.value & 7);
        else if (op.what === 'eoimode') guest.setEoiMode(m, op.vcpu, (op.value & 1) as 0 | 1);
        else guest.setGroupEnable(m, op.vcpu, op.group, (op.value & 1) === 1);
        return null;
      case 'dist':
        guest.setDistributorEnable?.(m, op.groups);
        return null;
      case 'sgi':
        guest.sendSgi(m, op.from, op.to, op.intid);
        return null;
      case 'inject':
        return m.inject(op.intid, op.level, op.intid < 32 ? op.vcpu : undefined);
      case 'lineLevel':
        return m.setLineLevel(op.intid, op.level, op.intid < 32 ? op.vcpu : undefined);
      case 'map':
        m.mapHw(op.intid, op.host, op.intid < 32 ? op.vcpu : undefined);
        return null;
      case 'unmap':
        m.unmapHw(op.intid, op.intid < 32 ? op.vcpu : undefined);
        return null;
      case 'enter':
        m.enter(op.vcpu);
        return null;
      case 'exit':
        m.exit(op.vcpu);
        return null;
      case 'hasPending':
        return m.hasPending(op.vcpu);
    }
  }
}

/** The state a guest or host could tell apart: every interrupt and every vCPU, ap_lists as sets. */
export function observableState(m: Machine): unknown {
  const irqs: unknown[] = [];
  for (let k = 0; k < m.vcpus; k++) for (let i = 0; i < 32; i++) irqs.push(m.irq(i, k));
  for (let i = 32; i < 32 + m.spis; i++) irqs.push(m.irq(i));
  const vcpus: unknown[] = [];
  for (let k = 0; k < m.vcpus; k++) {
    const { kickPending: _kick, apList, ...rest } = m.vcpu(k);
    vcpus.push({ ...rest, apList: [...apList].sort((a, b) => a - b) });
  }
  return { irqs, vcpus };
}

/** The machine shape the save/restore property runs on: small, so random operations meet. */
export const PROPERTY_SHAPE = { vcpus: 3, spis: 32, lrs: 2 } as const;

/**
 * The save/restore property: from any state random guest and host operations
 * reach (mostly after a guest brought its interrupts up, sometimes from
 * reset), save → restore into a fresh machine → save gives the same
 * document, and the two machines then behave the same under any
 * continuation. `create` makes a machine of `PROPERTY_SHAPE`.
 */
export function checkSaveRestoreProperty(create: () => Machine, guest: GuestOps, numRuns: number): void {
  const space = opSpace(PROPERTY_SHAPE.vcpus, PROPERTY_SHAPE.spis, guest);
  const ops = fc.array(opArbitrary(space), { maxLength: 80, size: 'max' });
  const start = fc.constantFrom('up' as const, 'up' as const, 'up-eoimode1' as const, 'reset' as const);
  fc.assert(
    fc.property(start, ops, ops, (init, before, after) => {
      const m1 = create();
      if (init !== 'reset') bringUp(m1, guest, space, init === 'up' ? 0 : 1);
      const d1 = new Driver(m1, guest);
      for (const op of before) d1.run(op);

      const doc = saveMachine(m1);
      const m2 = create();
      restoreMachine(m2, JSON.parse(JSON.stringify(doc)));
      expect(saveMachine(m2)).toEqual(doc);
      expect(m2.checkInvariants()).toEqual([]);
      expect(observableState(m2)).toEqual(observableState(m1));

      const mark = d1.events.length;
      const d2 = d1.fork(m2);
      for (const op of after) {
        const seen = d1.run(op);
        expect(d2.run(op), JSON.stringify(op)).toEqual(seen);
      }
      expect(d2.events).toEqual(d1.events.slice(mark));
      expect(observableState(m2)).toEqual(observableState(m1));
      expect(m1.checkInvariants()).toEqual([]);
    }),
    { numRuns },
  );
}
