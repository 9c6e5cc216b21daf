import { describe, expect, it } from 'vitest';
import { createToy, TOY_CPU_BASE } from '../../test/fixtures/toy-gic.js';
import { toyGuest } from '../../test/fixtures/toy-guest.js';
import { isVgicError, type Machine } from '../index.js';
import { createFromSnapshot, gicSnapshotSchema, restoreMachine, saveMachine, type GicSnapshot } from './index.js';
import { checkSchema } from './schema-check.js';

type ToyOptions = Parameters<typeof createToy>[0];

function toy(o: Partial<ToyOptions> = {}): Machine {
  const m = createToy({ vcpus: 2, spis: 64, ...o });
  toyGuest.init(m);
  return m;
}

/** An edge SPI, enabled, routed to `vcpu`, at `priority`. */
function spi(m: Machine, intid: number, vcpu = 0, priority = 0x80): void {
  toyGuest.setEdge(m, intid, true);
  toyGuest.setPriority(m, intid, priority);
  toyGuest.route(m, intid, vcpu);
  toyGuest.enable(m, intid);
}

function copy<T>(x: T): T {
  return JSON.parse(JSON.stringify(x)) as T;
}

/** A fresh machine of the same kind with `doc` restored into it. */
function restored(doc: GicSnapshot, o: Partial<ToyOptions> = {}): Machine {
  const m = createToy({ vcpus: doc.shape.vcpus, spis: doc.shape.spis, lrs: doc.shape.lrs, ...o });
  restoreMachine(m, doc);
  return m;
}

describe('saveMachine', () => {
  it('writes plain JSON that matches the published schema', () => {
    const m = toy();
    spi(m, 40);
    m.inject(40, 1);
    const doc = saveMachine(m);
    expect(copy(doc)).toEqual(doc);
    expect(checkSchema(doc, gicSnapshotSchema)).toBeNull();
    expect(doc).toMatchObject({ version: 1, gic: 'toy', shape: { vcpus: 2, spis: 64, lrs: 4 } });
    expect(doc.spis).toHaveLength(64);
    expect(doc.vcpus[1]!.private.map((i) => i.intid)).toEqual(Array.from({ length: 32 }, (_, i) => i));
    expect(doc.spis[8]).toMatchObject({ intid: 40, enabled: true, pendingLatch: true, active: false, config: 'edge', priority: 0x80 });
  });

  it('makes a running vCPU exit and folds its list registers into the document', () => {
    const m = toy();
    spi(m, 40, 1);
    m.inject(40, 1);
    expect(toyGuest.ack(m, 1)).toBe(40);
    expect(m.isRunning(1)).toBe(true);
    const doc = saveMachine(m);
    expect(m.isRunning(1)).toBe(false);
    expect(doc.spis[8]).toMatchObject({ active: true, pendingLatch: false, activeOn: 1 });
    // The acknowledge set the running priority: AP1R0 bit 0x80 >> 3.
    expect(doc.vcpus[1]!.cpuInterface.ap1r[0]).toBe(1 << (0x80 >> 3));
  });

  it('first moves each queued interrupt to where it now belongs, as each vCPU’s next exit would', () => {
    const m = toy({ vcpus: 3 });
    spi(m, 40, 2);
    for (let k = 0; k < 3; k++) m.exit(k);
    m.inject(40, 1);
    expect(m.irq(40).queued).toBe(2);
    // vCPU 0 moves it while vCPU 2, which holds it, stays outside.
    toyGuest.route(m, 40, 1);
    m.exit(0);
    expect(m.irq(40)).toMatchObject({ queued: 2, target: 1 });
    const doc = saveMachine(m);
    expect(m.irq(40).queued).toBe(1);
    expect(restored(copy(doc)).irq(40).queued).toBe(1);
  });

  it('writes 64-bit routing words and backend words exactly', () => {
    const m = toy();
    const v = m.vgic;
    const slot = v.nrVcpus * 32 + 8;
    v.route[slot * 2] = 0xff;
    v.route[slot * 2 + 1] = 0xfedcba98;
    v.dist[3] = 0xdeadbeef;
    v.vcpuWords[8 + 7] = 0xffffffff;
    const doc = copy(saveMachine(m));
    expect(doc.spis[8]!.route).toBe('0xfedcba98000000ff');
    expect(doc.distributor.words[3]).toBe(0xdeadbeef);
    expect(doc.vcpus[1]!.words[7]).toBe(0xffffffff);
    // Words the toy GIC never writes: restored by core exactly, for a backend that would.
    const m2 = restored(doc, { anyState: true });
    expect([m2.vgic.route[slot * 2], m2.vgic.route[slot * 2 + 1]]).toEqual([0xff, 0xfedcba98]);
    expect(m2.vgic.dist[3]).toBe(0xdeadbeef);
    expect(m2.vgic.vcpuWords[15]).toBe(0xffffffff);
  });
});

describe('restoreMachine', () => {
  it('gives back the same document when saved again', () => {
    const m = toy({ vcpus: 3 });
    spi(m, 40, 2, 0x40);
    spi(m, 41, 1, 0x20);
    m.inject(40, 1);
    m.inject(41, 1);
    toyGuest.ack(m, 1);
    toyGuest.setPmr(m, 0, 0xc0);
    const doc = saveMachine(m);
    const m2 = restored(copy(doc));
    expect(saveMachine(m2)).toEqual(doc);
    expect(m2.checkInvariants()).toEqual([]);
  });

  it('keeps an active SPI on the vCPU it is active on after its route moved, so that vCPU can EOI it', () => {
    const m = toy();
    spi(m, 40, 1);
    m.inject(40, 1);
    expect(toyGuest.ack(m, 1)).toBe(40);
    toyGuest.route(m, 40, 0);
    const m2 = restored(copy(saveMachine(m)));
    expect(m2.irq(40)).toMatchObject({ active: true, target: 0, queued: 1 });
    toyGuest.eoi(m2, 1, 40);
    expect(m2.irq(40).active).toBe(false);
    expect(toyGuest.runningPriority(m2, 1)).toBe(0xff);
  });

  it('restores pending and active at once: after the EOI the guest takes the second edge', () => {
    const m = toy();
    spi(m, 40);
    m.inject(40, 1);
    expect(toyGuest.ack(m, 0)).toBe(40);
    m.inject(40, 1);
    const doc = saveMachine(m);
    expect(doc.spis[8]).toMatchObject({ active: true, pendingLatch: true });
    const m2 = restored(copy(doc));
    expect(m2.irq(40)).toMatchObject({ active: true, pending: true });
    toyGuest.eoi(m2, 0, 40);
    expect(toyGuest.ack(m2, 0)).toBe(40);
    toyGuest.eoi(m2, 0, 40);
    expect(m2.irq(40)).toMatchObject({ active: false, pending: false });
  });

  it('brings back a GICv2-style SGI from several sources, one source at a time, after the active one', () => {
    const m = toy({ vcpus: 3, sgiSources: true });
    toyGuest.setPriority(m, 2, 0x40, 0);
    toyGuest.sendSgi(m, 1, [0], 2);
    toyGuest.sendSgi(m, 2, [0], 2);
    const first = toyGuest.ackRaw(m, 0);
    expect(first).toBe(2 | (1 << 10));
    const doc = saveMachine(m);
    expect(doc.vcpus[0]!.private[2]).toMatchObject({ active: true, activeSource: 1, sources: 0b100, pendingLatch: true });
    const m2 = restored(copy(doc), { sgiSources: true });
    toyGuest.eoi(m2, 0, 2, first);
    expect(toyGuest.ackRaw(m2, 0)).toBe(2 | (2 << 10));
    toyGuest.eoi(m2, 0, 2, 2 | (2 << 10));
    expect(m2.irq(2, 0)).toMatchObject({ active: false, pending: false, sources: [] });
  });

  it('keeps a hardware mapping: the guest’s EOI after the restore deactivates the host interrupt', () => {
    const m = toy();
    spi(m, 40);
    m.mapHw(40, 77);
    m.inject(40, 1);
    expect(toyGuest.ack(m, 0)).toBe(40);
    const doc = saveMachine(m);
    expect(doc.spis[8]).toMatchObject({ hostIntid: 77, active: true });
    const m2 = restored(copy(doc));
    const seen: number[][] = [];
    m2.onHostDeactivate((host, intid, vcpu) => seen.push([host, intid, vcpu]));
    toyGuest.eoi(m2, 0, 40);
    expect(seen).toEqual([[77, 40, 0]]);
  });

  it('brings back the CPU interface: PMR, binary points, EOImode, group enables and active priorities', () => {
    const m = toy();
    toyGuest.setPmr(m, 1, 0xa8);
    m.writeRegister('TCPU_BPR0', 4, { vcpu: 1 });
    m.writeRegister('TCPU_BPR1', 5, { vcpu: 1 });
    toyGuest.setEoiMode(m, 1, 1);
    toyGuest.setGroupEnable(m, 1, 0, true);
    m.writeRegister('TCPU_APR4', 1 << 6, { vcpu: 1 });
    const names = ['TCPU_CTLR', 'TCPU_PMR', 'TCPU_BPR0', 'TCPU_BPR1', 'TCPU_RPR', 'TCPU_APR0', 'TCPU_APR4'];
    const read = (x: Machine) => names.map((n) => x.readRegister(n, { vcpu: 1 }));
    const m2 = restored(copy(saveMachine(m)));
    expect(read(m2)).toEqual(read(m));
    expect(m2.readRegister('TCPU_RPR', { vcpu: 1 })).toBe(6 << 3);
  });

  it('replaces the state of a machine whose vCPUs run: afterwards each is outside and its lines are low', () => {
    const blank = saveMachine(toy());
    const m = toy();
    spi(m, 40);
    m.inject(40, 1);
    m.enter(0);
    expect(m.irqLine(0)).toBe(true);
    const lines: [number, boolean][] = [];
    m.onLine((k, irq) => lines.push([k, irq]));
    restoreMachine(m, blank);
    expect(m.isRunning(0)).toBe(false);
    expect(lines).toEqual([[0, false]]);
    expect(m.irq(40)).toMatchObject({ pending: false, enabled: false, queued: null });
    expect(m.checkInvariants()).toEqual([]);
    expect(saveMachine(m)).toEqual(blank);
  });

  it('restores on a machine with fewer list registers: the guest takes the same interrupts in the same order', () => {
    const m = toy({ lrs: 4 });
    const prios = [0x60, 0x20, 0x50, 0x10, 0x40, 0x30];
    prios.forEach((p, i) => {
      spi(m, 40 + i, 0, p);
      m.inject(40 + i, 1);
    });
    const m2 = restored(copy(saveMachine(m)), { lrs: 2 });
    const drain = (x: Machine): number[] => {
      const out: number[] = [];
      for (let n = 0; n < 8; n++) {
        const i = toyGuest.ack(x, 0);
        if (i === 1023) break;
        out.push(i);
        toyGuest.eoi(x, 0, i);
      }
      return out;
    };
    expect(drain(m2)).toEqual([43, 41, 45, 44, 42, 40]);
    expect(drain(m)).toEqual([43, 41, 45, 44, 42, 40]);
  });
});

describe('createFromSnapshot', () => {
  it('builds a machine of the document’s shape with its state', () => {
    const m = toy({ vcpus: 3, spis: 96, lrs: 6 });
    spi(m, 100, 2);
    m.inject(100, 1);
    const doc = copy(saveMachine(m));
    const m2 = createFromSnapshot(doc, { toy: createToy });
    expect([m2.vcpus, m2.spis, m2.lrs]).toEqual([3, 96, 6]);
    expect(saveMachine(m2)).toEqual(doc);
  });

  it('passes options on to the factory', () => {
    const doc = saveMachine(toy());
    const m2 = createFromSnapshot(doc, { toy: createToy }, { cpuBase: 0x3000_0000 });
    expect(m2.resolve('TCPU_PMR')).toMatchObject({ addr: 0x3000_0004 });
    expect(TOY_CPU_BASE).not.toBe(0x3000_0000);
  });

  it('refuses a GIC version it has no factory for, and a shape the factory cannot build', () => {
    const doc = saveMachine(toy());
    expect(() => createFromSnapshot(doc, { v2: createToy })).toThrow(/no factory for "toy" was given \(given: v2\)/);
    const big = copy(doc);
    big.shape.vcpus = 9;
    expect(() => createFromSnapshot(big, { toy: createToy })).toThrow(/no GICtoy machine of the snapshot's shape can be built: vcpus must be 1..8/);
  });
});

describe('restoreMachine refuses a document it cannot restore, and changes nothing', () => {
  const base = (): GicSnapshot => {
    const m = toy();
    spi(m, 40);
    m.inject(40, 1);
    return copy(saveMachine(m));
  };
  type Case = [string, () => unknown, RegExp, Partial<ToyOptions>?];
  const edit = (f: (d: GicSnapshot & Record<string, unknown>) => void) => () => {
    const d = base() as GicSnapshot & Record<string, unknown>;
    f(d);
    return d;
  };
  const cases: Case[] = [
    ['not an object', () => 'snapshot', /a GIC snapshot is a JSON object; got string/],
    ['null', () => null, /JSON object; got null/],
    ['no version', edit((d) => delete (d as Record<string, unknown>)['version']), /no "version": it is not a GIC snapshot/],
    ['an unknown version', edit((d) => ((d as Record<string, unknown>)['version'] = 3)), /snapshot version 3 is not supported; this build reads versions 1 and 2/],
    ['a priority out of range', edit((d) => (d.spis[0]!.priority = 256)), /\$\.spis\[0\]\.priority must be at most 255/],
    ['an unknown field', edit((d) => ((d.spis[3] as unknown as Record<string, unknown>)['extra'] = 1)), /\$\.spis\[3\] has an unknown field "extra"/],
    ['a missing field', edit((d) => delete (d.vcpus[0]!.cpuInterface as unknown as Record<string, unknown>)['pmr']), /\$\.vcpus\[0\]\.cpuInterface has no "pmr"/],
    ['a routing word not in hex', edit((d) => (d.spis[0]!.route = '12')), /\$\.spis\[0\]\.route must match/],
    ['another GIC version', edit((d) => (d.gic = 'v3')), /the snapshot is of a GICv3 machine; this machine is GICtoy/],
    ['more vCPUs than the machine', () => copy(saveMachine(toy({ vcpus: 4 }))), /the snapshot has 4 vCPUs; this machine has 2/],
    ['fewer vCPUs than the machine', () => copy(saveMachine(toy({ vcpus: 1 }))), /the snapshot has 1 vCPU; this machine has 2/],
    ['other SPIs', () => copy(saveMachine(toy({ spis: 32 }))), /the snapshot has 32 SPIs; this machine has 64/],
    ['interrupts out of order', edit((d) => ([d.spis[0], d.spis[1]] = [d.spis[1]!, d.spis[0]!])), /spis\[0\]\.intid must be 32/],
    ['unimplemented priority bits', edit((d) => (d.spis[0]!.priority = 0x07)), /priority 0x7 sets bits this GIC does not implement \(it implements 0xf8\)/],
    ['SGI sources on a GIC without them', edit((d) => (d.vcpus[0]!.private[1]!.sources = 1)), /only GICv2 SGIs have "sources"/],
    ['a level-triggered SGI', edit((d) => (d.vcpus[0]!.private[1]!.config = 'level')), /SGIs are edge-triggered/],
    ['activeOn for an inactive interrupt', edit((d) => (d.spis[8]!.activeOn = 0)), /activeOn is only meaningful for an active interrupt/],
    ['activeOn naming no vCPU', edit((d) => Object.assign(d.spis[9]!, { active: true, activeOn: 5 })), /spis\[9\]\.activeOn must be a vCPU 0\.\.1; got 5/],
    ['a private interrupt active on another vCPU', edit((d) => Object.assign(d.vcpus[1]!.private[20]!, { active: true, activeOn: 0 })), /private\[20\]\.activeOn must be 1/],
    ['backend words of another layout', edit((d) => d.distributor.words.pop()), /distributor\.words must hold 32 words; it holds 31/],
    ['vCPUs listed out of order', edit((d) => (d.vcpus[1]!.vcpu = 0)), /vcpus\[1\]\.vcpu must be 1; got 0/],
    ['MPIDRs on a GIC without redistributors', edit((d) => (d.shape.mpidr = ['0x0000000000000000', '0x0000000000000001'])), /this GICtoy has none/],
    // Values no write of the CPU interface's registers can leave there.
    ['a priority mask with unimplemented bits', edit((d) => (d.vcpus[0]!.cpuInterface.pmr = 0x07)), /cpuInterface\.pmr 0x7 sets bits the priority mask does not implement/],
    ['a group 0 binary point below the minimum', edit((d) => (d.vcpus[1]!.cpuInterface.bpr0 = 0)), /vcpus\[1\]\.cpuInterface\.bpr0 is 0; the binary point of group 0 is at least 2/],
    ['a group 1 binary point below the minimum', edit((d) => (d.vcpus[0]!.cpuInterface.bpr1 = 2)), /bpr1 is 2; the binary point of group 1 is at least 3/],
    ['an active-priority word five priority bits leave out', edit((d) => (d.vcpus[0]!.cpuInterface.ap1r[3] = 0xffffffff)), /AP0R3\/AP1R3 do not exist with 5 priority bits/],
    ['a hardware-mapped SGI', edit((d) => (d.vcpus[0]!.private[3]!.hostIntid = 5)), /private\[3\]: an SGI cannot be hardware-mapped/],
    ['an SGI with its line high', edit((d) => (d.vcpus[1]!.private[2]!.lineLevel = true)), /private\[2\]: an SGI has no input line/],
    ['more list registers than the backend has', edit((d) => (d.shape.lrs = 64)), /shape\.lrs is 64; no GICtoy machine has more than 16 list registers/],
    // Documents that are no JSON a snapshot could be.
    ['a value nested 20,000 deep', edit((d) => (d.spis[0]!.activeOn = JSON.parse(`${'['.repeat(20000)}${']'.repeat(20000)}`))), /nests deeper than a GIC snapshot does \(at \$\.spis\[0\]\.activeOn/],
    ['an extra field nested 20,000 deep', edit((d) => (d['extra'] = JSON.parse(`${'{"a":'.repeat(20000)}1${'}'.repeat(20000)}`))), /nests deeper than a GIC snapshot does/],
    ['a document that contains itself', edit((d) => ((d.vcpus[0] as unknown as Record<string, unknown>)['private'] = [d])), /nests deeper than a GIC snapshot does/],
    ['a million-element array', edit((d) => (d.spis = new Array(1_000_000).fill(d.spis[0]))), /holds more values than a snapshot of its machine can/],
    ['a bigint', edit((d) => ((d.spis[0] as unknown as Record<string, unknown>)['priority'] = 0x80n)), /\$\.spis\[0\]\.priority is 128n, which no JSON document holds/],
    [
      'a field whose getter throws',
      edit((d) =>
        Object.defineProperty(d.spis[0]!, 'priority', {
          enumerable: true,
          get() {
            throw new Error('no');
          },
        }),
      ),
      /cannot be read at \$\.spis\[0\]\.priority/,
    ],
    [
      'a Proxy whose traps throw',
      edit((d) => {
        const trap = (): never => {
          throw new Error('no');
        };
        d.vcpus[0]!.cpuInterface = new Proxy({}, { ownKeys: trap, get: trap }) as typeof d.vcpus[0]['cpuInterface'];
      }),
      /cannot be read at \$\.vcpus\[0\]\.cpuInterface/,
    ],
  ];

  it.each(cases)('%s', (_name, make, message, options) => {
    const m = toy(options);
    spi(m, 41);
    m.inject(41, 1);
    m.enter(0);
    const before = new Uint8Array(m.vgic.buffer.slice(0));
    let error: unknown;
    try {
      restoreMachine(m, make());
    } catch (e) {
      error = e;
    }
    expect(isVgicError(error, 'INVALID_SNAPSHOT')).toBe(true);
    expect((error as Error).message).toMatch(message);
    expect(new Uint8Array(m.vgic.buffer)).toEqual(before);
    expect(m.isRunning(0)).toBe(true);
  });

  it('reads a getter once: a field that answers differently on a second read is restored as it first answered', () => {
    const m = toy();
    const d = base();
    let reads = 0;
    Object.defineProperty(d.spis[8]!, 'priority', { enumerable: true, get: () => (reads++ === 0 ? 0x40 : 0x07) });
    restoreMachine(m, d);
    expect(reads).toBe(1);
    expect(m.irq(40).priority).toBe(0x40);
  });

  it('a GICv2-style SGI whose pending latch disagrees with its sources', () => {
    const m = toy({ sgiSources: true });
    const d = copy(saveMachine(m));
    d.vcpus[0]!.private[3]!.pendingLatch = true;
    expect(() => restoreMachine(m, d)).toThrow(/pending exactly when it has sources; pendingLatch is true with sources 0/);
    d.vcpus[0]!.private[3]!.sources = 0b1000;
    expect(() => restoreMachine(m, d)).toThrow(/sources names a vCPU this machine does not have/);
  });
});
