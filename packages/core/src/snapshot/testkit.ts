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
    m.onHostDeactivate((host, intid, vcpu) => this.events.push(`hostDeactivate ${host} ${intid} ${vcpu}`));
    m.onEoiNotify((intid, vcpu) => this.events.push(`eoiNotify ${intid} ${vcpu}`));
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

// ------------------------------------------------------------ restore refuses what it cannot restore

/** One edit of a saved document: which value (an index into its values), and what it becomes. */
export interface Mutation {
  at: number;
  kind: 'typed' | 'int' | 'route' | 'copyRoute' | 'null' | 'delete' | 'junk' | 'nest' | 'resize';
  pick: number;
  bits: number;
}

const INTS = [0, 1, 2, 3, 4, 5, 7, 8, 15, 16, 31, 32, 0x07, 0x80, 0xf8, 0xff, 0x100, 1020, 0xffff, 0xffffff, 0xffffffff, -1, 1.5, 2 ** 32, 2 ** 53];
/** Numbers a field of the document plausibly holds, by field: mostly in its range, now and then just past it. */
const FIELD_VALUES: Readonly<Record<string, readonly number[]>> = {
  group: [0, 1, 0, 1, 2],
  eoiMode: [0, 1, 0, 1, 2],
  enable: [0, 1, 2, 3, 4],
  activeOn: [0, 1, 2, 3],
  activeSource: [0, 1, 2, 3, 8],
  sources: [0, 1, 2, 4, 5, 7, 8, 0xff],
  priority: [0, 0x08, 0x80, 0xa0, 0xf0, 0xf8, 0x07, 0x81],
  pmr: [0, 0x08, 0x80, 0xf0, 0xf8, 0xff, 0x07],
  bpr0: [0, 1, 2, 3, 4, 7],
  bpr1: [0, 2, 3, 4, 7],
  hostIntid: [16, 27, 40, 1019, 0xffffff],
  lrs: [1, 2, 4, 16, 17],
};
const OTHER_VALUES = [0, 0, 1, 2, 3, 0x80, 0xff, 0x1_0000, 0xffff_ffff];
const JUNK: unknown[] = ['x', '', true, [], {}, '0x0000000000000000', Number.NaN, 1e300, [1, 2], { intid: 0 }];

/** A mutation that mostly keeps to values the schema allows, so that the checks past it are what decides. */
export const mutationArbitrary: fc.Arbitrary<Mutation> = fc.record({
  at: fc.nat(),
  kind: fc.constantFrom<Mutation['kind']>(
    ...(['typed', 'typed', 'typed', 'typed', 'typed', 'typed', 'typed', 'typed', 'typed', 'typed', 'typed', 'typed'] as const),
    ...(['route', 'route', 'route', 'copyRoute', 'copyRoute', 'int', 'null', 'delete', 'junk', 'nest', 'resize'] as const),
  ),
  pick: fc.nat(),
  bits: fc.nat(0xffffffff),
});

type Path = (string | number)[];

/** Every value of a document (containers too, none deeper than a snapshot nests), by path, in a fixed order. */
function valuePaths(x: unknown, path: Path = [], out: Path[] = []): Path[] {
  out.push(path);
  if (path.length >= 8) return out;
  if (Array.isArray(x)) x.forEach((y, i) => valuePaths(y, [...path, i], out));
  else if (typeof x === 'object' && x !== null) for (const [k, y] of Object.entries(x)) valuePaths(y, [...path, k], out);
  return out;
}

function hex16(lo: number, hi: number): string {
  return `0x${(hi >>> 0).toString(16).padStart(8, '0')}${(lo >>> 0).toString(16).padStart(8, '0')}`;
}

/** A routing word a guest of either GIC might write, or one no register can hold. */
function someRoute(pick: number, bits: number): string {
  switch (pick % 8) {
    case 0:
      return hex16(1 << (bits % 8), 0); // one GICv2 target (or a GICv3 Aff0)
    case 1:
      return hex16(bits & 0xff, 0); // a GICv2 target byte
    case 2:
      return hex16(bits & 0x00ff_ffff, 0); // a GICv3 Aff2.Aff1.Aff0
    case 3:
      return hex16(0x8000_0000 | (bits & 0xff), 0); // IRM
    case 4:
      return hex16(bits & 0xf, bits >>> 28); // with Aff3
    case 5:
      return hex16(bits, 0); // reserved bits maybe
    case 6:
      return hex16(bits & 0xff, bits); // a high word
    default:
      return hex16(0, 0);
  }
}

/** Another value of the same kind as `old` (a number for a number, a route for a route, null and a number swapped). */
function sameKind(old: unknown, key: string | number, m: Mutation): unknown {
  if (typeof old === 'boolean') return !old;
  if (key === 'route' || key === 'mpidr') return someRoute(m.pick, m.bits);
  if (key === 'config') return old === 'edge' ? 'level' : 'edge';
  const values = FIELD_VALUES[String(key)] ?? OTHER_VALUES;
  if (old === null) return values[m.pick % values.length];
  if (typeof old === 'number') return m.pick % 5 === 0 && (key === 'hostIntid' || key === 'activeOn') ? null : values[m.pick % values.length];
  return old;
}

/** `doc` with one mutation applied (in place); the mutation may make it anything at all. */
export function mutateDocument(doc: unknown, m: Mutation): unknown {
  const all = valuePaths(doc);
  const leaves = all.filter((p) => {
    let x: unknown = doc;
    for (const k of p) x = (x as Record<string | number, unknown>)[k];
    return typeof x !== 'object' || x === null;
  });
  const paths = m.kind === 'typed' && leaves.length > 0 ? leaves : all;
  const path = paths[m.at % paths.length]!;
  if (path.length === 0) return m.kind === 'junk' ? JUNK[m.pick % JUNK.length] : doc;
  let parent = doc as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
  const key = path[path.length - 1]!;
  const old = parent[key];
  switch (m.kind) {
    case 'typed':
      parent[key] = sameKind(old, key, m);
      break;
    case 'int':
      parent[key] = INTS[m.pick % INTS.length];
      break;
    case 'route':
      parent[key] = typeof old === 'string' || m.pick % 4 === 0 ? someRoute(m.pick >>> 2, m.bits) : INTS[m.pick % INTS.length];
      break;
    case 'copyRoute': {
      // Another interrupt's routing word: one a guest wrote, but perhaps for another vCPU.
      const routes = paths.filter((p) => p[p.length - 1] === 'route');
      const from = routes[m.pick % routes.length];
      let src: unknown = doc;
      for (const k of from ?? []) src = (src as Record<string | number, unknown>)[k];
      parent[key] = src;
      break;
    }
    case 'null':
      parent[key] = null;
      break;
    case 'delete':
      if (Array.isArray(parent)) parent.splice(Number(key), 1);
      else delete parent[key];
      break;
    case 'junk':
      parent[key] = JUNK[m.pick % JUNK.length];
      break;
    case 'nest': {
      let deep: unknown = old;
      for (let i = 0; i < 1 + (m.bits % 5000); i++) deep = [deep];
      parent[key] = deep;
      break;
    }
    case 'resize':
      if (Array.isArray(old)) {
        if (m.pick % 2 === 0) old.pop();
        else old.push(old[old.length - 1] ?? 0);
      } else {
        parent[key] = [old];
      }
      break;
  }
  return doc;
}

/** A copy of the machine's state bytes: exact enough to show a refused call changed nothing. */
export function stateBytes(m: Machine): Uint8Array {
  return new Uint8Array(m.vgic.buffer).slice();
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** `restoreMachine(m, doc)` is refused with INVALID_SNAPSHOT, its message matching `message`, and no byte of `m` changed. */
export function expectRestoreRefused(m: Machine, doc: unknown, message: RegExp): void {
  const before = stateBytes(m);
  let error: unknown;
  try {
    restoreMachine(m, doc);
  } catch (e) {
    error = e;
  }
  expect(isVgicError(error, 'INVALID_SNAPSHOT'), String(error)).toBe(true);
  expect((error as Error).message).toMatch(message);
  expect(sameBytes(before, stateBytes(m)), 'the refused restore changed the machine').toBe(true);
}

/**
 * Read every register of `names` (for a banked or per-vCPU one, as each
 * vCPU) and write the value back. On a state some guest could have made
 * this changes nothing a save sees; on one no register can hold (reserved
 * bits, a binary point below the minimum) the write makes it what the
 * register can hold, and the saved document moves.
 */
function writeBack(m: Machine, names: readonly string[]): void {
  for (const name of names) {
    for (let k = 0; k < m.vcpus; k++) {
      const r = m.resolve(name, { vcpu: k });
      m.writeRegister(name, m.readRegister(name, { vcpu: k, ...(r.kind === 'mmio' && r.rd !== null && { rd: k }) }), {
        vcpu: k,
        ...(r.kind === 'mmio' && r.rd !== null && { rd: k }),
      });
    }
  }
}

/** How many busy machines the restore property tries: `VGIC_RESTORE_RUNS` in the environment, or `runs`. */
export function restoreMutationRuns(runs: number): number {
  const env = Number(process.env['VGIC_RESTORE_RUNS']);
  return Number.isSafeInteger(env) && env > 0 ? env : runs;
}

export interface RestoreMutationOptions {
  /** Registers a guest can read and write back unchanged (the configuration ones: priorities, routes, masks, binary points). */
  writeBack: readonly string[];
  /** Mutated documents tried on each busy machine. */
  mutationsPerRun: number;
}

/**
 * Restore validates everything before it writes anything. From a busy
 * machine (interrupts pending, active and in list registers on several
 * vCPUs, hardware-mapped ones, GICv2 SGI sources) a document is saved, and
 * each of `mutationsPerRun` random mutations of it is restored onto another
 * busy machine, whose vCPUs run. Each is either refused — INVALID_SNAPSHOT,
 * every byte of the target as it was — or restores to a machine that passes
 * `checkInvariants`, that is what a fresh machine given the same document
 * is (the same saved document, the same behaviour under any continuation),
 * and whose configuration registers hold values a guest could have written
 * (reading each and writing it back moves nothing). `create` makes a machine
 * of `PROPERTY_SHAPE`.
 */
export function checkRestoreMutationProperty(create: () => Machine, guest: GuestOps, numRuns: number, o: RestoreMutationOptions): void {
  const space = opSpace(PROPERTY_SHAPE.vcpus, PROPERTY_SHAPE.spis, guest);
  const busy = fc.array(opArbitrary(space), { minLength: 10, maxLength: 60, size: 'max' });
  const then = fc.array(opArbitrary(space), { maxLength: 20, size: 'max' });
  const mutations = fc.array(fc.array(mutationArbitrary, { minLength: 1, maxLength: 2 }), { minLength: o.mutationsPerRun, maxLength: o.mutationsPerRun });
  fc.assert(
    fc.property(busy, busy, mutations, then, (sourceOps, targetOps, edits, after) => {
      const source = create();
      bringUp(source, guest, space, 0);
      const ds = new Driver(source, guest);
      for (const op of sourceOps) ds.run(op);
      const saved = JSON.stringify(saveMachine(source));

      const target = create();
      bringUp(target, guest, space, 1);
      let dt = new Driver(target, guest);
      for (const op of targetOps) dt.run(op);

      for (const edit of edits) {
        const doc = JSON.parse(saved) as unknown;
        let mutated = doc;
        for (const e of edit) mutated = mutateDocument(mutated, e);
        const before = stateBytes(target);
        try {
          restoreMachine(target, mutated);
        } catch (e) {
          expect(isVgicError(e, 'INVALID_SNAPSHOT'), String(e)).toBe(true);
          expect(sameBytes(before, stateBytes(target)), `a refused restore changed the machine (${(e as Error).message})`).toBe(true);
          continue;
        }
        const why = JSON.stringify(edit);
        expect(target.checkInvariants(), why).toEqual([]);
        const fresh = create();
        restoreMachine(fresh, mutated);
        const restored = saveMachine(target);
        expect(saveMachine(fresh), why).toEqual(restored);
        expect(observableState(fresh), why).toEqual(observableState(target));

        writeBack(fresh, o.writeBack);
        expect(saveMachine(fresh), `${why}: a value no guest write leaves in a register`).toEqual(restored);

        const twinMachine = create();
        restoreMachine(twinMachine, mutated);
        const twin = new Driver(twinMachine, guest);
        dt = new Driver(target, guest);
        for (const op of after) expect(dt.run(op), `${why} then ${JSON.stringify(op)}`).toEqual(twin.run(op));
        expect(dt.events, why).toEqual(twin.events);
        expect(target.checkInvariants(), why).toEqual([]);
      }
    }),
    { numRuns },
  );
}
