/**
 * Property tests: random sequences of host and guest operations on a
 * three-vCPU toy-GIC machine. After every step the engine's invariants hold
 * (an interrupt on at most one ap_list, and on its recorded vCPU's; nothing
 * deliverable missing from every ap_list; no more LRs used than exist), no
 * lock is held, and the lock-order checker never fired. After a final drain
 * every edge that was accepted has been acknowledged, coalesced behind one
 * in a list register, or cleared by the guest: none vanished.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LINE_WORDS } from '../src/cache-line.js';
import {
  CONFIG_EDGE,
  LR_PENDING,
  NONE,
  VCPU_RUNNING,
  isPending,
  type Machine,
  type Vgic,
} from '../src/index.js';
import { FOLD_UNPEND } from '../src/vgic.js';
import { createToy, sgiValue } from './fixtures/toy-gic.js';
import { toyGuest as g } from './fixtures/toy-guest.js';

const VCPUS = 3;
const SPIS = [32, 33, 34, 35, 36, 37, 38, 39];
const SGIS = [0, 1, 2, 3];
const PPIS = [16, 17];
const ALL = [...SGIS, ...PPIS, ...SPIS];

type Cmd =
  | { op: 'inject'; intid: number; level: boolean; vcpu: number }
  | { op: 'enable' | 'disable' | 'setPending' | 'clearPending' | 'setActive' | 'clearActive'; intid: number; vcpu: number }
  | { op: 'route'; intid: number; to: number }
  | { op: 'priority'; intid: number; prio: number; vcpu: number }
  | { op: 'group'; intid: number; group: number; vcpu: number }
  | { op: 'sgi'; from: number; to: number[]; intid: number }
  | { op: 'enter' | 'exit'; vcpu: number }
  | { op: 'ack'; vcpu: number; group: number }
  | { op: 'eoi'; vcpu: number; inOrder: boolean; intid: number }
  | { op: 'dir'; vcpu: number; intid: number }
  | { op: 'pmr'; vcpu: number; pmr: number }
  | { op: 'eoiMode'; vcpu: number; mode: 0 | 1 }
  | { op: 'cpuGroup'; vcpu: number; group: number; on: boolean }
  | { op: 'dist'; groups: number };

const vcpu = fc.integer({ min: 0, max: VCPUS - 1 });
const intid = fc.constantFrom(...ALL);
const spi = fc.constantFrom(...SPIS);
const prio = fc.integer({ min: 0, max: 31 }).map((p) => p << 3);

const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ op: fc.constant('inject' as const), intid: fc.constantFrom(...PPIS, ...SPIS), level: fc.boolean(), vcpu }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constantFrom('enable' as const, 'disable' as const), intid, vcpu }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constantFrom('setPending' as const, 'clearPending' as const, 'setActive' as const, 'clearActive' as const), intid, vcpu }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('route' as const), intid: spi, to: fc.integer({ min: 0, max: VCPUS }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('priority' as const), intid, prio, vcpu }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('group' as const), intid, group: fc.integer({ min: 0, max: 1 }), vcpu }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('sgi' as const), from: vcpu, to: fc.subarray([0, 1, 2], { minLength: 1 }), intid: fc.constantFrom(...SGIS) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constantFrom('enter' as const, 'exit' as const), vcpu }) },
  { weight: 6, arbitrary: fc.record({ op: fc.constant('ack' as const), vcpu, group: fc.integer({ min: 0, max: 1 }) }) },
  { weight: 5, arbitrary: fc.record({ op: fc.constant('eoi' as const), vcpu, inOrder: fc.boolean(), intid }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('dir' as const), vcpu, intid }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('pmr' as const), vcpu, pmr: fc.constantFrom(0, 0x40, 0x80, 0xf0, 0xff) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('eoiMode' as const), vcpu, mode: fc.constantFrom(0 as const, 1 as const) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('cpuGroup' as const), vcpu, group: fc.integer({ min: 0, max: 1 }), on: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('dist' as const), groups: fc.integer({ min: 0, max: 3 }) }) },
);

const config = fc.record({
  lrs: fc.constantFrom(1, 2, 4),
  /** Bit i: SPI 32+i is level-triggered. */
  levelMask: fc.integer({ min: 0, max: 255 }),
  sgiSources: fc.boolean(),
});

/** Bookkeeping of edge instances: each accepted one must be acknowledged, coalesced or cleared. */
interface Ledger {
  accepted: number;
  acked: number;
  cleared: number;
}

class Run {
  readonly m: Machine;
  readonly v: Vgic;
  readonly ledger: Ledger = { accepted: 0, acked: 0, cleared: 0 };
  /** What each vCPU acknowledged and has not EOI'd, innermost last. */
  readonly stacks: { raw: number; group: number }[][] = [[], [], []];

  constructor(readonly cfg: { lrs: number; levelMask: number; sgiSources: boolean }) {
    this.m = createToy({ vcpus: VCPUS, spis: 32, lrs: cfg.lrs, sgiSources: cfg.sgiSources });
    this.v = this.m.vgic;
    g.init(this.m);
    for (const [i, s] of SPIS.entries()) {
      g.setEdge(this.m, s, ((cfg.levelMask >> i) & 1) === 0);
      g.setPriority(this.m, s, 0x80);
      g.route(this.m, s, i % VCPUS);
      g.enable(this.m, s);
    }
    for (let k = 0; k < VCPUS; k++) for (const p of [...SGIS, ...PPIS]) {
      g.setPriority(this.m, p, 0x80, k);
      g.enable(this.m, p, k);
    }
  }

  slot(intid: number, vcpu: number): number {
    return this.v.slotOf(intid, vcpu);
  }

  isEdge(intid: number): boolean {
    return intid < 16 || (intid >= 32 && this.v.config[this.slot(intid, 0)] === CONFIG_EDGE);
  }

  /** A pending instance waits in a running vCPU's list register (and no ICPENDR has claimed it yet). */
  liveLrPending(slot: number): number {
    const v = this.v;
    const owner = v.apListVcpu[slot]!;
    const k = v.inLr[slot]!;
    if (owner === NONE || k === NONE || v.runState[owner * LINE_WORDS] !== VCPU_RUNNING) return 0;
    if ((v.foldChanges[slot]! & FOLD_UNPEND) !== 0) return 0;
    return (v.lrState[v.lrBase(owner) + k]! & LR_PENDING) !== 0 ? 1 : 0;
  }

  step(c: Cmd): void {
    const { m, v, ledger } = this;
    const v2Sgi = (i: number) => this.cfg.sgiSources && i < 16;
    switch (c.op) {
      case 'inject': {
        const on = c.level;
        const accepted = m.inject(c.intid, on, c.intid < 32 ? c.vcpu : undefined);
        if (on && accepted && this.isEdge(c.intid)) ledger.accepted++;
        break;
      }
      case 'enable':
        g.enable(m, c.intid, c.vcpu);
        break;
      case 'disable':
        g.disable(m, c.intid, c.vcpu);
        break;
      case 'setPending': {
        // The trapped write exits the writer first; doing it here lets us read the state the write sees.
        m.exit(c.vcpu);
        const s = this.slot(c.intid, c.vcpu);
        if (this.isEdge(c.intid) && !v2Sgi(c.intid) && v.pendingLatch[s] === 0) ledger.accepted++;
        g.setPending(m, c.intid, c.vcpu);
        break;
      }
      case 'clearPending': {
        m.exit(c.vcpu);
        const s = this.slot(c.intid, c.vcpu);
        if (this.isEdge(c.intid) && !v2Sgi(c.intid)) ledger.cleared += v.pendingLatch[s]! + this.liveLrPending(s);
        g.clearPending(m, c.intid, c.vcpu);
        break;
      }
      case 'setActive':
        g.setActive(m, c.intid, c.vcpu);
        break;
      case 'clearActive':
        g.clearActive(m, c.intid, c.vcpu);
        break;
      case 'route':
        if (c.to === VCPUS) g.routeNowhere(m, c.intid);
        else g.route(m, c.intid, c.to);
        break;
      case 'priority':
        g.setPriority(m, c.intid, c.prio, c.vcpu);
        break;
      case 'group':
        g.setGroup(m, c.intid, c.group, c.vcpu);
        break;
      case 'sgi': {
        m.exit(c.from);
        for (const t of c.to) {
          const s = this.slot(c.intid, t);
          const fresh = this.cfg.sgiSources ? (v.sgiSrc[s]! & (1 << c.from)) === 0 : v.pendingLatch[s] === 0;
          if (fresh) ledger.accepted++;
        }
        m.writeRegister('TDIST_SGIR', sgiValue(c.intid, c.to), { vcpu: c.from });
        break;
      }
      case 'enter':
        m.enter(c.vcpu);
        break;
      case 'exit':
        m.exit(c.vcpu);
        break;
      case 'ack': {
        const raw = g.ackRaw(m, c.vcpu, c.group);
        const id = raw & 0x3ff;
        if (id < 1020) {
          if (this.isEdge(id)) ledger.acked++;
          this.stacks[c.vcpu]!.push({ raw, group: c.group });
        }
        break;
      }
      case 'eoi': {
        const stack = this.stacks[c.vcpu]!;
        const top = c.inOrder ? stack.pop() : undefined;
        if (top) g.eoi(m, c.vcpu, top.raw & 0x3ff, top.raw, top.group);
        else g.eoi(m, c.vcpu, c.intid);
        break;
      }
      case 'dir':
        g.dir(m, c.vcpu, c.intid);
        break;
      case 'pmr':
        g.setPmr(m, c.vcpu, c.pmr);
        break;
      case 'eoiMode':
        g.setEoiMode(m, c.vcpu, c.mode);
        break;
      case 'cpuGroup':
        g.setGroupEnable(m, c.vcpu, c.group, c.on);
        break;
      case 'dist':
        g.setDistributorEnable!(m, c.groups);
        break;
    }
  }

  /** After every step: sound state, no lock held, no lock-order violation. */
  check(after: string): void {
    const problems = this.m.checkInvariants();
    expect(problems, after).toEqual([]);
    expect(this.m.noLockHeld(), after).toBe(true);
    expect(this.v.lockViolations, after).toBe(0);
    expect(this.v.lockdep?.depth ?? 0, after).toBe(0);
  }

  /**
   * Make everything deliverable to someone and take it all: every line low,
   * everything enabled, in group 1, routed, unmasked, nothing active and no
   * active priority; then every vCPU acknowledges and EOIs until a whole
   * round finds nothing.
   */
  drain(): void {
    const { m } = this;
    for (const s of SPIS) {
      if (!this.isEdge(s)) m.inject(s, 0);
      g.route(m, s, s % VCPUS);
    }
    g.setDistributorEnable!(m, 3);
    for (let k = 0; k < VCPUS; k++) {
      for (const p of PPIS) m.inject(p, 0, k);
      m.writeRegister('TDIST_ICACTIVER0', 0xffffffff, { vcpu: k });
      m.writeRegister('TDIST_IGROUPR0', 0xffffffff, { vcpu: k });
      m.writeRegister('TDIST_ISENABLER0', 0xffffffff, { vcpu: k });
      for (const i of [...SGIS, ...PPIS]) g.setPriority(m, i, 0x80, k);
    }
    m.writeRegister('TDIST_ICACTIVER1', 0xffffffff);
    m.writeRegister('TDIST_IGROUPR1', 0xffffffff);
    m.writeRegister('TDIST_ISENABLER1', 0xffffffff);
    for (const s of SPIS) g.setPriority(m, s, 0x80);
    for (let k = 0; k < VCPUS; k++) {
      m.writeRegister('TCPU_CTLR', 0b11, { vcpu: k });
      g.setPmr(m, k, 0xff);
      for (let w = 0; w < 8; w++) m.writeRegister(`TCPU_APR${w}`, 0, { vcpu: k });
      this.stacks[k]!.length = 0;
    }
    for (let round = 0; round < 100; round++) {
      let took = 0;
      for (let k = 0; k < VCPUS; k++) {
        m.exit(k);
        for (;;) {
          const raw = g.ackRaw(m, k, 1);
          const id = raw & 0x3ff;
          if (id >= 1020) break;
          took++;
          if (this.isEdge(id)) this.ledger.acked++;
          g.eoi(m, k, id, raw, 1);
          this.check(`drain: vCPU ${k} took ${id}`);
        }
      }
      if (took === 0) break;
    }
    for (let k = 0; k < VCPUS; k++) m.exit(k);
  }
}

function runSequence(cfg: { lrs: number; levelMask: number; sgiSources: boolean }, cmds: Cmd[]): void {
  const r = new Run(cfg);
  r.check('init');
  cmds.forEach((c, i) => {
    r.step(c);
    r.check(`step ${i}: ${JSON.stringify(c)}`);
  });
  r.drain();
  const v = r.v;
  for (let s = 0; s < v.nrSlots; s++) {
    expect(isPending(v, s) || v.sgiSrc[s] !== 0, `INTID ${v.intid[s]} (slot ${s}) still pending after the drain`).toBe(false);
    expect(v.active[s], `INTID ${v.intid[s]} (slot ${s}) still active after the drain`).toBe(0);
    expect(v.apListVcpu[s], `INTID ${v.intid[s]} still queued after the drain`).toBe(NONE);
  }
  let coalesced = 0;
  for (let k = 0; k < VCPUS; k++) coalesced += v.foldCoalesced[k]!;
  const { accepted, acked, cleared } = r.ledger;
  expect({ accepted, accountedFor: acked + coalesced + cleared }).toEqual({ accepted, accountedFor: accepted });
}

describe('random operation sequences', () => {
  it('keep the invariants after every step, and every accepted edge is acknowledged, coalesced or cleared', () => {
    fc.assert(
      fc.property(config, fc.array(cmd, { maxLength: 80 }), (cfg, cmds) => runSequence(cfg, cmds)),
      { numRuns: 300 },
    );
  });

  it('hold for long sequences on one list register', () => {
    fc.assert(
      fc.property(
        fc.record({ lrs: fc.constant(1), levelMask: fc.integer({ min: 0, max: 255 }), sgiSources: fc.boolean() }),
        fc.array(cmd, { minLength: 100, maxLength: 250 }),
        (cfg, cmds) => runSequence(cfg, cmds),
      ),
      { numRuns: 60 },
    );
  });
});
