/**
 * Save and restore of a GICv3 (core's snapshot module) on the real backend:
 * the property (any reachable state → save → restore → save gives the same
 * document, and the machines then behave the same), restores in mid-flight,
 * affinities, and the KVM device-attribute façade with its userspace
 * semantics.
 */
import {
  KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS,
  KVM_DEV_ARM_VGIC_GRP_DIST_REGS,
  KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO,
  KVM_DEV_ARM_VGIC_GRP_REDIST_REGS,
  createFromSnapshot,
  isVgicError,
  kvmDevice,
  restoreMachine,
  saveMachine,
  sysregKey,
  type GicSnapshot,
  type KvmVgicDevice,
  type Machine,
} from '@vgic/core';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  PROPERTY_SHAPE,
  checkRestoreMutationProperty,
  checkSaveRestoreProperty,
  expectRestoreRefused,
  restoreMutationRuns,
} from '../../core/src/snapshot/testkit.js';
import {
  ICC_AP0R0_EL1,
  ICC_AP1R0_EL1,
  ICC_BPR0_EL1,
  ICC_BPR1_EL1,
  ICC_CTLR_EL1,
  ICC_IGRPEN0_EL1,
  ICC_IGRPEN1_EL1,
  ICC_PMR_EL1,
  ICC_SRE_EL1,
  IROUTER_IRM,
  createGicv3,
  gicv3Guest as guest,
  type Gicv3Options,
} from '../src/index.js';

const copy = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;

function gic(o: Partial<Gicv3Options> = {}): Machine {
  const m = createGicv3({ vcpus: 2, spis: 64, ...o });
  guest.init(m);
  return m;
}

function spi(m: Machine, intid: number, vcpu = 0, priority = 0x80, edge = true): void {
  guest.setEdge(m, intid, edge);
  guest.setPriority(m, intid, priority);
  guest.route(m, intid, vcpu);
  guest.enable(m, intid);
}

function restored(doc: GicSnapshot, o: Partial<Gicv3Options> = {}): Machine {
  return createFromSnapshot(copy(doc), { v3: createGicv3 }, o);
}

describe('GICv3 save and restore, as properties', () => {
  it('restore → save gives the saved document, and a continuation behaves the same on both machines', () => {
    checkSaveRestoreProperty(() => createGicv3(PROPERTY_SHAPE), guest, 200);
  });
});

describe('GICv3 restore refuses what it cannot restore', () => {
  const runs = restoreMutationRuns(40);
  it('each random mutation of a busy document is refused with the target unchanged, or restores a sound machine that behaves as a fresh one', { timeout: 30_000 + runs * 1000 }, () => {
    checkRestoreMutationProperty(() => createGicv3(PROPERTY_SHAPE), guest, runs, {
      mutationsPerRun: 25,
      writeBack: ['GICD_CTLR', 'GICD_IGROUPR1', 'GICD_IPRIORITYR8', 'GICD_IPRIORITYR15', 'GICD_ICFGR2', 'GICD_ICFGR3', 'GICD_IROUTER32', 'GICD_IROUTER33', 'GICD_IROUTER63', 'GICR_IGROUPR0', 'GICR_IPRIORITYR0', 'GICR_IPRIORITYR6', 'ICC_PMR_EL1', 'ICC_BPR0_EL1', 'ICC_BPR1_EL1', 'ICC_CTLR_EL1', 'ICC_AP0R0_EL1', 'ICC_AP1R0_EL1', 'ICC_IGRPEN0_EL1', 'ICC_IGRPEN1_EL1'],
    });
  });
});

describe('GICv3 restore refuses state no GICv3 register can hold', () => {
  it('an IROUTER with its reserved bits set (63:40, 30:24), which a guest write never leaves there', () => {
    const m = gic();
    spi(m, 40, 1);
    m.inject(40, 1);
    m.enter(1);
    for (const route of ['0xffffffffffffffff', '0x0000010000000000', '0x0000000001000000', '0x0000000040000001']) {
      const doc = copy(saveMachine(gic()));
      Object.assign(doc.spis[0]!, { route, enabled: true, pendingLatch: true });
      expectRestoreRefused(m, doc, /spis\[0\]\.route is 0x[0-9a-f]{16}; GICD_IROUTER's bits 63:40 and 30:24 are reserved/);
    }
    expect(m.isRunning(1)).toBe(true);
    // Aff3, IRM and an affinity no vCPU has are all things a guest may write.
    const doc = copy(saveMachine(gic()));
    doc.spis[0]!.route = '0x0000000580ff0000';
    doc.spis[1]!.route = '0x0000000000000009';
    restoreMachine(m, doc);
    expect(m.readRegister('GICD_IROUTER32')).toBe(0x5_80ff_0000n);
    expect(m.irq(33).target).toBeNull();
  });

  it('a private interrupt whose routing word is not its vCPU\'s affinity, and an edge PPI', () => {
    const m = gic({ mpidr: [0x100, 0x101] });
    const doc = copy(saveMachine(m));
    doc.vcpus[1]!.private[3]!.route = '0x0000000000000100';
    expectRestoreRefused(m, doc, /vcpus\[1\]\.private\[3\]\.route is 0x0000000000000100; a private interrupt's routing word is its own vCPU's affinity \(0\.0\.1\.1\)/);
    const edge = copy(saveMachine(m));
    edge.vcpus[0]!.private[30]!.config = 'edge';
    expectRestoreRefused(m, edge, /PPIs are level-triggered on this GIC/);
  });

  it('a CPU interface with AckCtl or without FIQEn (the system-register interface has no AckCtl; FIQEn is RES1)', () => {
    const m = gic();
    const ack = copy(saveMachine(m));
    Object.assign(ack.vcpus[0]!.cpuInterface, { eoiMode: 1, ackCtl: true, cbpr: true });
    expectRestoreRefused(m, ack, /vcpus\[0\]\.cpuInterface\.ackCtl: GICv3's CPU interface has no AckCtl/);
    const fiq = copy(saveMachine(m));
    fiq.vcpus[1]!.cpuInterface.fiqEn = false;
    expectRestoreRefused(m, fiq, /vcpus\[1\]\.cpuInterface\.fiqEn: GICv3 signals group 0 as FIQ/);
  });

  it('a hardware-mapped SGI, active and pending, and a priority mask or binary point the CPU interface does not implement', () => {
    const m = gic();
    for (const [edit, message] of [
      [(d: GicSnapshot) => Object.assign(d.vcpus[0]!.private[3]!, { active: true, pendingLatch: true, hostIntid: 7 }), /private\[3\]: an SGI cannot be hardware-mapped/],
      [(d: GicSnapshot) => (d.vcpus[0]!.cpuInterface.pmr = 0x07), /pmr 0x7 sets bits/],
      [(d: GicSnapshot) => (d.vcpus[0]!.cpuInterface.bpr0 = 0), /bpr0 is 0; the binary point of group 0 is at least 2/],
      [(d: GicSnapshot) => (d.shape.lrs = 64), /shape\.lrs is 64; no GICv3 machine has more than 16/],
    ] as const) {
      const doc = copy(saveMachine(m));
      edit(doc);
      expectRestoreRefused(m, doc, message);
    }
  });

  it('a document nested 20,000 deep: INVALID_SNAPSHOT, not a stack overflow', () => {
    const m = gic();
    const text = JSON.stringify(saveMachine(m)).replace('"activeOn":null', `"activeOn":${'['.repeat(20000)}${']'.repeat(20000)}`);
    expectRestoreRefused(m, JSON.parse(text), /nests deeper than a GIC snapshot does/);
  });
});

describe('core README, "Save and restore"', () => {
  it('runs its example as written', () => {
    const readme = readFileSync(new URL('../../core/README.md', import.meta.url), 'utf8');
    const section = readme.slice(readme.indexOf('## Save and restore'));
    const code = /```ts\n([\s\S]*?)```/.exec(section)![1]!;
    const body = code.replace(/^import .*$/gm, '');
    const logged: unknown[] = [];
    const run = new Function('createFromSnapshot', 'saveMachine', 'createGicv3', 'console', body) as (...a: unknown[]) => void;
    run(createFromSnapshot, saveMachine, createGicv3, { log: (x: unknown) => logged.push(x) });
    expect(logged).toEqual([40n]);
  });
});

describe('GICv3 restore in mid-flight', () => {
  it('an active SPI whose route moved is still the acking vCPU’s to EOI', () => {
    const m = gic();
    spi(m, 40, 1);
    m.inject(40, 1);
    expect(guest.ack(m, 1)).toBe(40);
    guest.route(m, 40, 0);
    const m2 = restored(saveMachine(m));
    expect(m2.irq(40)).toMatchObject({ active: true, target: 0, queued: 1 });
    guest.eoi(m2, 1, 40);
    expect(m2.irq(40).active).toBe(false);
    expect(guest.runningPriority(m2, 1)).toBe(0xff);
  });

  it('pending and active at once: after the EOI the second edge is taken', () => {
    const m = gic();
    spi(m, 40);
    m.inject(40, 1);
    expect(guest.ack(m, 0)).toBe(40);
    m.inject(40, 1);
    const m2 = restored(saveMachine(m));
    expect(m2.irq(40)).toMatchObject({ active: true, pending: true });
    guest.eoi(m2, 0, 40);
    expect(guest.ack(m2, 0)).toBe(40);
  });

  it('nested actives across EOImode 1: priority drop done, deactivation pending, restored and finished', () => {
    const m = gic();
    guest.setEoiMode(m, 0, 1);
    spi(m, 40, 0, 0x80);
    spi(m, 41, 0, 0x40);
    m.inject(40, 1);
    expect(guest.ack(m, 0)).toBe(40);
    m.inject(41, 1);
    expect(guest.ack(m, 0)).toBe(41);
    guest.eoi(m, 0, 41); // priority drop only
    const doc = saveMachine(m);
    expect(doc.vcpus[0]!.cpuInterface).toMatchObject({ eoiMode: 1, ap1r: [1 << (0x80 >> 3), 0, 0, 0] });
    const m2 = restored(doc);
    expect(guest.runningPriority(m2, 0)).toBe(0x80);
    guest.dir(m2, 0, 41);
    guest.eoi(m2, 0, 40);
    guest.dir(m2, 0, 40);
    expect([m2.irq(40).active, m2.irq(41).active, guest.runningPriority(m2, 0)]).toEqual([false, false, 0xff]);
  });

  it('a hardware-mapped timer PPI, active with its line high: the EOI deactivates the host interrupt', () => {
    const m = gic();
    guest.setPriority(m, 27, 0x20, 1);
    guest.enable(m, 27, 1);
    m.mapHw(27, 30, 1);
    m.inject(27, 1, 1);
    expect(guest.ack(m, 1)).toBe(27);
    const doc = saveMachine(m);
    expect(doc.vcpus[1]!.private[27]).toMatchObject({ hostIntid: 30, active: true, activeOn: 1, config: 'level' });
    const m2 = restored(doc);
    const host: number[][] = [];
    m2.onHostDeactivate((h, intid, vcpu) => host.push([h, intid, vcpu]));
    guest.eoi(m2, 1, 27);
    expect(host).toEqual([[30, 27, 1]]);
  });

  it('SGIs pending on several vCPUs and one active come back where they were', () => {
    const m = gic({ vcpus: 3 });
    for (let k = 0; k < 3; k++) guest.setPriority(m, 5, 0x40, k);
    guest.sendSgi(m, 0, [1, 2], 5);
    expect(guest.ack(m, 2)).toBe(5);
    guest.sendSgi(m, 1, [2], 5);
    const m2 = restored(saveMachine(m));
    expect(m2.irq(5, 1)).toMatchObject({ pending: true, active: false });
    expect(m2.irq(5, 2)).toMatchObject({ pending: true, active: true });
    expect(guest.ack(m2, 1)).toBe(5);
    guest.eoi(m2, 2, 5);
    expect(guest.ack(m2, 2)).toBe(5);
  });

  it('keeps custom affinities: createFromSnapshot makes the machine with them, and a machine with others refuses', () => {
    const mpidr = [0x100, 0x1_0000_0000n];
    const m = gic({ mpidr });
    spi(m, 40, 1);
    const doc = saveMachine(m);
    expect(doc.shape.mpidr).toEqual(['0x0000000000000100', '0x0000000100000000']);
    expect(doc.spis[8]!.route).toBe('0x0000000100000000');
    const m2 = restored(doc);
    expect(m2.irq(40).target).toBe(1);
    expect(saveMachine(m2)).toEqual(doc);
    const other = createGicv3({ vcpus: 2, spis: 64 });
    expect(() => restoreMachine(other, doc)).toThrow(/vCPU 0 has affinity 0x0000000000000100; this machine's has 0x0000000000000000/);
  });

  it('a 1-of-N (IRM) SPI is routed again from the restored group enables', () => {
    const m = gic({ vcpus: 3 });
    spi(m, 40);
    m.writeRegister('GICD_IROUTER40', BigInt(IROUTER_IRM));
    guest.setGroupEnable(m, 0, 1, false);
    expect(m.irq(40).target).toBe(1);
    const m2 = restored(saveMachine(m));
    expect(m2.irq(40).target).toBe(1);
    m2.inject(40, 1);
    expect(guest.ack(m2, 1)).toBe(40);
  });

  it('refuses a GICv2 document and one for more vCPUs, leaving the machine as it was', () => {
    const m = gic();
    spi(m, 40);
    const v2 = copy(saveMachine(m));
    v2.gic = 'v2';
    const bigger = saveMachine(gic({ vcpus: 4 }));
    m.inject(40, 1);
    m.enter(0);
    const before = new Uint8Array(m.vgic.buffer.slice(0));
    for (const [doc, msg] of [
      [v2, /GICv2 machine; this machine is GICv3/],
      [bigger, /the snapshot has 4 vCPUs; this machine has 2/],
    ] as const) {
      let error: unknown;
      try {
        restoreMachine(m, doc);
      } catch (e) {
        error = e;
      }
      expect(isVgicError(error, 'INVALID_SNAPSHOT')).toBe(true);
      expect((error as Error).message).toMatch(msg);
    }
    expect(new Uint8Array(m.vgic.buffer)).toEqual(before);
    expect(m.isRunning(0)).toBe(true);
  });
});

// ---------------------------------------------------------------- the KVM façade

const GICD_CTLR = 0x0000;
const GICD_IGROUPR = 0x0080;
const GICD_ISENABLER = 0x0100;
const GICD_ICENABLER = 0x0180;
const GICD_ISPENDR = 0x0200;
const GICD_ICPENDR = 0x0280;
const GICD_ISACTIVER = 0x0300;
const GICD_IPRIORITYR = 0x0400;
const GICD_ICFGR = 0x0c00;
const GICD_IROUTER = 0x6000;
const SGI = 0x10000;
const CPU_SYSREGS = [ICC_PMR_EL1, ICC_BPR0_EL1, ICC_BPR1_EL1, ICC_CTLR_EL1, ICC_IGRPEN0_EL1, ICC_IGRPEN1_EL1, ICC_AP0R0_EL1, ICC_AP1R0_EL1];

/** Everything a VMM saves through the device attributes, in attribute order. */
type Saved = [group: number, vcpu: number, key: number, value: number | bigint][];

/** Save as QEMU's arm_gicv3_kvm.c does: redistributors, distributor, line levels, CPU interface. */
function kvmSave(dev: KvmVgicDevice, m: Machine): Saved {
  const out: Saved = [];
  const dist = (off: number) => out.push([KVM_DEV_ARM_VGIC_GRP_DIST_REGS, 0, off, dev.readDistReg(off)]);
  for (let k = 0; k < m.vcpus; k++) {
    const rd = (off: number) => out.push([KVM_DEV_ARM_VGIC_GRP_REDIST_REGS, k, off, dev.readRedistReg(k, off)]);
    rd(SGI + GICD_IGROUPR);
    rd(SGI + GICD_ICFGR + 4);
    for (let n = 0; n < 8; n++) rd(SGI + GICD_IPRIORITYR + 4 * n);
    rd(SGI + GICD_ISENABLER);
    out.push([KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO, k, 0, dev.readLineLevel(0, k)]);
    rd(SGI + GICD_ISPENDR);
    rd(SGI + GICD_ISACTIVER);
  }
  dist(GICD_CTLR);
  for (let n = 1; n < (32 + m.spis) / 32; n++) {
    dist(GICD_IGROUPR + 4 * n);
    dist(GICD_ICFGR + 8 * n);
    dist(GICD_ICFGR + 8 * n + 4);
    for (let b = 0; b < 8; b++) dist(GICD_IPRIORITYR + 32 * n + 4 * b);
    for (let i = 0; i < 32; i++) {
      dist(GICD_IROUTER + 8 * (32 * n + i));
      dist(GICD_IROUTER + 8 * (32 * n + i) + 4);
    }
    out.push([KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO, 0, 32 * n, dev.readLineLevel(32 * n)]);
    dist(GICD_ISPENDR + 4 * n);
    dist(GICD_ISENABLER + 4 * n);
    dist(GICD_ISACTIVER + 4 * n);
  }
  for (let k = 0; k < m.vcpus; k++) {
    for (const r of CPU_SYSREGS) out.push([KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS, k, sysregKey(r), dev.readCpuSysreg(k, r)]);
  }
  return out;
}

function kvmRestore(dev: KvmVgicDevice, saved: Saved): void {
  for (const [group, k, key, value] of saved) {
    if (group === KVM_DEV_ARM_VGIC_GRP_DIST_REGS) dev.writeDistReg(key, Number(value));
    else if (group === KVM_DEV_ARM_VGIC_GRP_REDIST_REGS) dev.writeRedistReg(k, key, Number(value));
    else if (group === KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO) dev.writeLineLevel(key, Number(value), k);
    else dev.writeCpuSysreg(k, key, value);
  }
}

describe('kvmDevice on a GICv3', () => {
  it('a VMM that saves through the attributes and restores in QEMU’s order gets the same GIC', () => {
    const m = gic({ vcpus: 3 });
    spi(m, 40, 2, 0x60);
    spi(m, 41, 1, 0x20, false);
    spi(m, 42, 0, 0x40);
    m.writeRegister('GICD_IROUTER43', 0x1_0000_0000n); // Aff3 = 1: no such vCPU
    m.inject(40, 1);
    m.inject(41, 1);
    m.inject(42, 1);
    expect(guest.ack(m, 1)).toBe(41);
    guest.setPriority(m, 20, 0x10, 2);
    guest.enable(m, 20, 2);
    m.inject(20, 1, 2);
    guest.setPmr(m, 2, 0xe0);
    guest.setEoiMode(m, 1, 1);
    guest.sendSgi(m, 0, [1, 2], 3);
    const dev = kvmDevice(m);
    const saved = kvmSave(dev, m);

    const m2 = createGicv3({ vcpus: 3, spis: 64 });
    kvmRestore(kvmDevice(m2), saved);
    expect(saveMachine(m2)).toEqual(saveMachine(m));
    expect(m2.checkInvariants()).toEqual([]);
    guest.eoi(m2, 1, 41);
    guest.dir(m2, 1, 41);
    expect(m2.irq(41)).toMatchObject({ active: false, pending: true, lineLevel: true });
  });

  it('userspace ISPENDR writes the pending latch itself, whatever the trigger; ICPENDR is ignored', () => {
    const m = gic();
    spi(m, 40, 0, 0x80, false);
    m.inject(40, 1);
    const dev = kvmDevice(m);
    // The line is high but the latch is clear: userspace reads the latch.
    expect(dev.readDistReg(GICD_ISPENDR + 4)).toBe(0);
    expect(m.readRegister('GICD_ISPENDR1')).toBe(1 << 8);
    dev.writeDistReg(GICD_ISPENDR + 4, (1 << 8) | (1 << 9));
    expect([m.irq(40).pendingLatch, m.irq(41).pendingLatch]).toEqual([true, true]);
    dev.writeDistReg(GICD_ICPENDR + 4, 1 << 8);
    expect(m.irq(40).pendingLatch).toBe(true);
    expect(dev.readDistReg(GICD_ICPENDR + 4)).toBe(0);
    dev.writeDistReg(GICD_ISPENDR + 4, 1 << 9);
    expect([m.irq(40).pendingLatch, m.irq(41).pendingLatch]).toEqual([false, true]);
    expect(m.irq(40).pending).toBe(true);
  });

  it('userspace ISACTIVER sets the active state without running the guest, but not a hardware-mapped one', () => {
    const m = gic();
    spi(m, 40, 1);
    spi(m, 41, 1);
    m.mapHw(41, 99);
    m.enter(1);
    const dev = kvmDevice(m);
    dev.writeDistReg(GICD_ISACTIVER + 4, (1 << 8) | (1 << 9));
    expect(m.isRunning(1)).toBe(false);
    expect(m.irq(40)).toMatchObject({ active: true, queued: 1 });
    expect(m.irq(41).active).toBe(false);
    expect(dev.readDistReg(GICD_ISACTIVER + 4)).toBe(1 << 8);
    // Private interrupts are the redistributors': the distributor's first word is RAZ/WI.
    dev.writeDistReg(GICD_ISENABLER, 0xffff_ffff);
    expect(dev.readDistReg(GICD_ISENABLER)).toBe(0);
    dev.writeDistReg(GICD_ICENABLER + 4, 1 << 8);
    expect(m.irq(40).enabled).toBe(false);
  });

  it('line levels: set whatever the trigger and queued when raised, read for level-triggered interrupts only', () => {
    const m = gic();
    spi(m, 40, 0, 0x80, true);
    spi(m, 41, 0, 0x80, false);
    const dev = kvmDevice(m);
    dev.writeLineLevel(32, (1 << 8) | (1 << 9));
    expect([m.irq(40).lineLevel, m.irq(41).lineLevel]).toEqual([true, true]);
    expect(m.irq(41)).toMatchObject({ pending: true, queued: 0 });
    expect(dev.readLineLevel(32)).toBe(1 << 9);
    dev.writeLineLevel(0, 1 << 27, 1);
    expect(m.irq(27, 1).lineLevel).toBe(true);
    expect(() => dev.readLineLevel(40)).toThrow(/multiple of 32/);
    expect(dev.readLineLevel(992)).toBe(0);
  });

  it('raw attributes name vCPUs by MPIDR, as KVM encodes them', () => {
    const m = gic({ mpidr: [0x0, 0x0102] });
    const dev = kvmDevice(m);
    guest.setPmr(m, 1, 0xa0);
    const attr = (mpidr: number, low: number) => (BigInt(mpidr) << 32n) | BigInt(low);
    expect(dev.getAttr(KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS, attr(0x0102, sysregKey(ICC_PMR_EL1)))).toBe(0xa0n);
    dev.setAttr(KVM_DEV_ARM_VGIC_GRP_REDIST_REGS, attr(0x0102, SGI + GICD_ISENABLER), 1 << 27);
    expect(m.irq(27, 1).enabled).toBe(true);
    expect(dev.getAttr(KVM_DEV_ARM_VGIC_GRP_REDIST_REGS, attr(0x0102, 0x0c))).toBe(0x0102n);
    expect(() => dev.getAttr(KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS, attr(0x0103, sysregKey(ICC_PMR_EL1)))).toThrow(/no vCPU has affinity 0x103/);
  });

  it('the CPU interface registers take userspace values as KVM does, and refuse what KVM refuses', () => {
    const m = gic();
    const dev = kvmDevice(m);
    const ctlr = dev.readCpuSysreg(0, ICC_CTLR_EL1);
    dev.writeCpuSysreg(0, ICC_CTLR_EL1, ctlr | 3n);
    expect(m.vcpu(0)).toMatchObject({ cbpr: true, eoiMode: 1 });
    expect(() => dev.writeCpuSysreg(0, ICC_CTLR_EL1, ctlr | (7n << 8n))).toThrow(/PRIbits 7 is more than this GIC implements \(4\)/);
    expect(() => dev.writeCpuSysreg(0, ICC_SRE_EL1, 0)).toThrow(/SRE must stay set/);
    expect(dev.readCpuSysreg(0, ICC_SRE_EL1)).toBe(7n);
    dev.writeCpuSysreg(0, ICC_AP1R0_EL1, 1 << 4);
    expect(guest.runningPriority(m, 0)).toBe(4 << 3);
    expect(() => dev.readCpuSysreg(0, { op0: 3, op1: 0, crn: 12, crm: 9, op2: 1 })).toThrow(/ICC_AP1R1_EL1 does not exist with 5 priority bits/);
    expect(() => dev.readCpuSysreg(0, { op0: 3, op1: 0, crn: 12, crm: 12, op2: 0 })).toThrow(/not one KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS exposes/);
    expect(() => dev.readCpuReg(0, 0)).toThrow(/GRP_CPU_REGS is not available on GICv3; its CPU interface is KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS/);
    expect(() => dev.readDistReg(0x3)).toThrow(/multiple of 4/);
    expect(() => dev.readDistReg(0x5000)).toThrow(/GICD\+0x5000 is no register/);
  });
});
