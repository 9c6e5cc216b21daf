/**
 * Save and restore of a GICv2 (core's snapshot module) on the real backend:
 * the property (any reachable state → save → restore → save gives the same
 * document, and the machines then behave the same), restores in mid-flight —
 * SGIs from several sources above all — and the KVM device-attribute façade
 * with its userspace semantics.
 */
import {
  KVM_DEV_ARM_VGIC_GRP_CPU_REGS,
  KVM_DEV_ARM_VGIC_GRP_DIST_REGS,
  createFromSnapshot,
  isVgicError,
  kvmDevice,
  restoreMachine,
  saveMachine,
  type GicSnapshot,
  type KvmVgicDevice,
  type Machine,
} from '@vgic/core';
import { describe, expect, it } from 'vitest';
import {
  PROPERTY_SHAPE,
  checkRestoreMutationProperty,
  checkSaveRestoreProperty,
  expectRestoreRefused,
  restoreMutationRuns,
} from '../../core/src/snapshot/testkit.js';
import { createGicv2, gicv2Guest as guest, type Gicv2Options } from '../src/index.js';

const copy = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;

function gic(o: Partial<Gicv2Options> = {}): Machine {
  const m = createGicv2({ vcpus: 2, spis: 64, ...o });
  guest.init(m);
  return m;
}

function spi(m: Machine, intid: number, vcpu = 0, priority = 0x80, edge = true): void {
  guest.setEdge(m, intid, edge);
  guest.setPriority(m, intid, priority);
  guest.route(m, intid, vcpu);
  guest.enable(m, intid);
}

function restored(doc: GicSnapshot, o: Partial<Gicv2Options> = {}): Machine {
  return createFromSnapshot(copy(doc), { v2: createGicv2 }, o);
}

/** The raw IAR value of SGI `intid` from `source`. */
const sgiRaw = (intid: number, source: number): number => intid | (source << 10);

describe('GICv2 save and restore, as properties', () => {
  it('restore → save gives the saved document, and a continuation behaves the same on both machines', () => {
    checkSaveRestoreProperty(() => createGicv2(PROPERTY_SHAPE), guest, 200);
  });
});

describe('GICv2 restore refuses what it cannot restore', () => {
  const runs = restoreMutationRuns(40);
  it('each random mutation of a busy document is refused with the target unchanged, or restores a sound machine that behaves as a fresh one', { timeout: 30_000 + runs * 1000 }, () => {
    checkRestoreMutationProperty(() => createGicv2(PROPERTY_SHAPE), guest, runs, {
      mutationsPerRun: 25,
      writeBack: ['GICD_CTLR', 'GICD_IGROUPR0', 'GICD_IGROUPR1', 'GICD_IPRIORITYR0', 'GICD_IPRIORITYR6', 'GICD_IPRIORITYR8', 'GICD_IPRIORITYR15', 'GICD_ITARGETSR0', 'GICD_ITARGETSR8', 'GICD_ITARGETSR15', 'GICD_ICFGR2', 'GICD_ICFGR3', 'GICC_CTLR', 'GICC_PMR', 'GICC_BPR', 'GICC_ABPR', 'GICC_APR0', 'GICC_NSAPR0'],
    });
  });
});

describe('GICv2 restore refuses state no GICv2 register can hold', () => {
  it('an SPI routed to vCPUs the machine does not have, pending or not: refused before anything is written', () => {
    for (const [route, pending] of [['0x0000000000000004', true], ['0x0000000000000060', true], ['0x0000000000000004', false], ['0x0000000000000080', true], ['0x0000000100000001', false]] as const) {
      const m = gic();
      spi(m, 41);
      m.inject(41, 1);
      m.enter(0);
      const doc = copy(saveMachine(gic()));
      Object.assign(doc.spis[0]!, { route, enabled: true, pendingLatch: pending });
      expectRestoreRefused(m, doc, /spis\[0\]\.route is 0x0+[0-9a-f]+; its ITARGETSR byte may name only vCPUs 0\.\.1/);
      expect(m.isRunning(0)).toBe(true);
      expect(m.checkInvariants()).toEqual([]);
      // The machine is as good as before: a device raises the line and the guest takes it.
      expect(m.inject(32, 1)).toBe(true);
      expect(m.noLockHeld()).toBe(true);
    }
  });

  it('a private interrupt whose target byte is not its own vCPU (ITARGETSR0-7 are read-only), and an edge PPI', () => {
    const m = gic();
    const doc = copy(saveMachine(m));
    doc.vcpus[0]!.private[1]!.route = '0x409aa7ff6f593160';
    expectRestoreRefused(m, doc, /vcpus\[0\]\.private\[1\]\.route is 0x409aa7ff6f593160; a private interrupt targets its own vCPU/);
    const other = copy(saveMachine(m));
    other.vcpus[1]!.private[20]!.route = '0x0000000000000001';
    expectRestoreRefused(m, other, /vcpus\[1\]\.private\[20\]\.route/);
    const edge = copy(saveMachine(m));
    edge.vcpus[0]!.private[27]!.config = 'edge';
    expectRestoreRefused(m, edge, /PPIs are level-triggered on this GIC/);
  });

  it('a distributor that forwards one group only (GICD_CTLR.Enable is both or none), and words GICv2 never writes', () => {
    const m = gic();
    const doc = copy(saveMachine(m));
    doc.distributor.enable = 2;
    expectRestoreRefused(m, doc, /distributor\.enable is 2; GICv2's GICD_CTLR\.Enable forwards both groups or none/);
    const words = copy(saveMachine(m));
    words.vcpus[1]!.words[3] = 7;
    expectRestoreRefused(m, words, /vcpus\[1\]\.words: GICv2 keeps no per-vCPU words/);
  });

  it('a priority mask below what GICC_PMR implements, and binary points below GICC_BPR and GICC_ABPR\'s minimum', () => {
    const m = gic();
    for (const [edit, message] of [
      [(d: GicSnapshot) => (d.vcpus[0]!.cpuInterface.pmr = 0x07), /pmr 0x7 sets bits/],
      [(d: GicSnapshot) => (d.vcpus[0]!.cpuInterface.bpr0 = 1), /bpr0 is 1; the binary point of group 0 is at least 2/],
      [(d: GicSnapshot) => (d.vcpus[1]!.cpuInterface.bpr1 = 0), /bpr1 is 0; the binary point of group 1 is at least 3/],
      [(d: GicSnapshot) => (d.vcpus[0]!.cpuInterface.ap0r[1] = 1), /AP0R1\/AP1R1 do not exist/],
    ] as const) {
      const doc = copy(saveMachine(m));
      edit(doc);
      expectRestoreRefused(m, doc, message);
    }
  });
});

describe('GICv2 restore in mid-flight', () => {
  it('an SGI pending from three sources with one of them active comes back source by source', () => {
    const m = gic({ vcpus: 4 });
    guest.setPriority(m, 1, 0x40, 0);
    for (const from of [3, 1, 2]) guest.sendSgi(m, from, [0], 1);
    expect(guest.ackRaw(m, 0)).toBe(sgiRaw(1, 1));
    const doc = saveMachine(m);
    expect(doc.vcpus[0]!.private[1]).toMatchObject({ active: true, activeSource: 1, sources: 0b1100, pendingLatch: true });
    const m2 = restored(doc);
    expect(m2.irq(1, 0)).toMatchObject({ active: true, sources: [2, 3] });
    guest.eoi(m2, 0, 1, sgiRaw(1, 1));
    expect(guest.ackRaw(m2, 0)).toBe(sgiRaw(1, 2));
    guest.eoi(m2, 0, 1, sgiRaw(1, 2));
    expect(guest.ackRaw(m2, 0)).toBe(sgiRaw(1, 3));
    guest.eoi(m2, 0, 1, sgiRaw(1, 3));
    expect(guest.ackRaw(m2, 0)).toBe(1023);
    expect(m2.irq(1, 0)).toMatchObject({ active: false, pending: false, sources: [] });
  });

  it('the same SGI active on one vCPU and pending on another from the same source stays two interrupts', () => {
    const m = gic({ vcpus: 3 });
    for (let k = 0; k < 3; k++) guest.setPriority(m, 7, 0x20, k);
    guest.sendSgi(m, 0, [1, 2], 7);
    expect(guest.ackRaw(m, 2)).toBe(sgiRaw(7, 0));
    const m2 = restored(saveMachine(m));
    expect(guest.ackRaw(m2, 1)).toBe(sgiRaw(7, 0));
    guest.eoi(m2, 2, 7, sgiRaw(7, 0));
    expect(m2.irq(7, 2).active).toBe(false);
    expect(m2.irq(7, 1).active).toBe(true);
  });

  it('an active SPI whose target moved is still the acking vCPU’s to EOI', () => {
    const m = gic();
    spi(m, 40, 1);
    m.inject(40, 1);
    expect(guest.ack(m, 1)).toBe(40);
    guest.route(m, 40, 0);
    const m2 = restored(saveMachine(m));
    expect(m2.irq(40)).toMatchObject({ active: true, target: 0, queued: 1 });
    guest.eoi(m2, 1, 40);
    expect(m2.irq(40).active).toBe(false);
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

  it('a hardware-mapped level SPI, active: the EOI after the restore deactivates the host interrupt', () => {
    const m = gic();
    spi(m, 50, 0, 0x30, false);
    m.mapHw(50, 600);
    m.inject(50, 1);
    expect(guest.ack(m, 0)).toBe(50);
    const doc = saveMachine(m);
    expect(doc.spis[18]).toMatchObject({ hostIntid: 600, active: true, config: 'level' });
    const m2 = restored(doc);
    const host: number[][] = [];
    m2.onHostDeactivate((h, intid, vcpu) => host.push([h, intid, vcpu]));
    guest.eoi(m2, 0, 50);
    expect(host).toEqual([[600, 50, 0]]);
  });

  it('group 1 with AckCtl, binary points and both active-priority registers come back', () => {
    const m = gic();
    m.writeRegister('GICC_CTLR', 0b11111, { vcpu: 1 });
    m.writeRegister('GICC_BPR', 4, { vcpu: 1 });
    m.writeRegister('GICC_ABPR', 5, { vcpu: 1 });
    m.writeRegister('GICC_APR0', 1 << 9, { vcpu: 1 });
    m.writeRegister('GICC_NSAPR0', 1 << 3, { vcpu: 1 });
    const names = ['GICC_CTLR', 'GICC_PMR', 'GICC_BPR', 'GICC_ABPR', 'GICC_RPR', 'GICC_APR0', 'GICC_NSAPR0'];
    const read = (x: Machine) => names.map((n) => x.readRegister(n, { vcpu: 1 }));
    const m2 = restored(saveMachine(m));
    expect(read(m2)).toEqual(read(m));
    expect(m2.readRegister('GICC_RPR', { vcpu: 1 })).toBe(3 << 3);
  });

  it('refuses a GICv3 document and one for more vCPUs, leaving the machine as it was', () => {
    const m = gic();
    spi(m, 40);
    const v3 = copy(saveMachine(m));
    v3.gic = 'v3';
    const bigger = saveMachine(gic({ vcpus: 4 }));
    m.inject(40, 1);
    m.enter(0);
    const before = new Uint8Array(m.vgic.buffer.slice(0));
    for (const [doc, msg] of [
      [v3, /GICv3 machine; this machine is GICv2/],
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

const GICD_CTLR = 0x000;
const GICD_IGROUPR = 0x080;
const GICD_ISENABLER = 0x100;
const GICD_ISPENDR = 0x200;
const GICD_ICPENDR = 0x280;
const GICD_ISACTIVER = 0x300;
const GICD_IPRIORITYR = 0x400;
const GICD_ITARGETSR = 0x800;
const GICD_ICFGR = 0xc00;
const GICD_SPENDSGIR = 0xf20;
const GICC_CTLR = 0x00;
const GICC_PMR = 0x04;
const GICC_BPR = 0x08;
const GICC_ABPR = 0x1c;
const GICC_APR0 = 0xd0;
const GICC_NSAPR0 = 0xe0;

type Saved = [group: number, vcpu: number, offset: number, value: number][];

/**
 * Save as a VMM does over KVM_DEV_ARM_VGIC_GRP_DIST_REGS / CPU_REGS: the
 * banked words per vCPU (SGI pending state through SPENDSGIR, which keeps the
 * sources; ISPENDR's SGI bits are masked), the SPIs once, then the CPU
 * interfaces.
 */
function kvmSave(dev: KvmVgicDevice, m: Machine): Saved {
  const out: Saved = [];
  const dist = (k: number, off: number, mask = 0xffffffff) => out.push([KVM_DEV_ARM_VGIC_GRP_DIST_REGS, k, off, (dev.readDistReg(off, k) & mask) >>> 0]);
  const words = (32 + m.spis) / 32;
  for (let k = 0; k < m.vcpus; k++) {
    dist(k, GICD_IGROUPR);
    dist(k, GICD_ICFGR + 4);
    for (let n = 0; n < 8; n++) dist(k, GICD_IPRIORITYR + 4 * n);
    dist(k, GICD_ISENABLER);
    dist(k, GICD_ISPENDR, 0xffff0000);
    for (let n = 0; n < 4; n++) dist(k, GICD_SPENDSGIR + 4 * n);
    dist(k, GICD_ISACTIVER);
  }
  for (let n = 1; n < words; n++) {
    dist(0, GICD_IGROUPR + 4 * n);
    dist(0, GICD_ICFGR + 8 * n);
    dist(0, GICD_ICFGR + 8 * n + 4);
    for (let b = 0; b < 8; b++) {
      dist(0, GICD_IPRIORITYR + 32 * n + 4 * b);
      dist(0, GICD_ITARGETSR + 32 * n + 4 * b);
    }
    dist(0, GICD_ISPENDR + 4 * n);
    dist(0, GICD_ISENABLER + 4 * n);
    dist(0, GICD_ISACTIVER + 4 * n);
  }
  dist(0, GICD_CTLR);
  for (let k = 0; k < m.vcpus; k++) {
    for (const off of [GICC_CTLR, GICC_PMR, GICC_BPR, GICC_ABPR, GICC_APR0, GICC_NSAPR0]) {
      out.push([KVM_DEV_ARM_VGIC_GRP_CPU_REGS, k, off, dev.readCpuReg(k, off)]);
    }
  }
  return out;
}

function kvmRestore(dev: KvmVgicDevice, saved: Saved): void {
  for (const [group, k, off, value] of saved) {
    if (group === KVM_DEV_ARM_VGIC_GRP_DIST_REGS) dev.writeDistReg(off, value, k);
    else dev.writeCpuReg(k, off, value);
  }
}

describe('kvmDevice on a GICv2', () => {
  it('a VMM that saves through the attributes and restores them gets the same GIC', () => {
    const m = gic({ vcpus: 3 });
    spi(m, 40, 2, 0x60);
    spi(m, 41, 1, 0x20);
    spi(m, 42, 0, 0x40);
    m.inject(40, 1);
    m.inject(41, 1);
    m.inject(42, 1);
    expect(guest.ack(m, 1)).toBe(41);
    guest.setPriority(m, 3, 0x10, 2);
    guest.sendSgi(m, 0, [2], 3);
    guest.sendSgi(m, 1, [2], 3);
    guest.setPmr(m, 2, 0xe0);
    guest.setEoiMode(m, 1, 1);
    m.writeRegister('GICC_NSAPR0', 1 << 2, { vcpu: 0 });
    const saved = kvmSave(kvmDevice(m), m);

    const m2 = createGicv2({ vcpus: 3, spis: 64 });
    kvmRestore(kvmDevice(m2), saved);
    expect(saveMachine(m2)).toEqual(saveMachine(m));
    expect(m2.checkInvariants()).toEqual([]);
    expect(guest.ackRaw(m2, 2)).toBe(sgiRaw(3, 0));
  });

  it('userspace ISPENDR on an SGI makes the accessing vCPU its source; ICPENDR drops every source', () => {
    const m = gic();
    guest.sendSgi(m, 1, [0], 4);
    const dev = kvmDevice(m);
    dev.writeDistReg(GICD_ISPENDR, 1 << 4, 0);
    expect(m.irq(4, 0).sources).toEqual([0, 1]);
    // The guest's ISPENDR cannot make an SGI pending at all.
    m.writeRegister('GICD_ISPENDR0', 1 << 5, { vcpu: 0 });
    expect(m.irq(5, 0).pending).toBe(false);
    dev.writeDistReg(GICD_ICPENDR, 1 << 4, 0);
    expect(m.irq(4, 0)).toMatchObject({ pending: false, sources: [] });
    // GICv2's userspace reads the pending state, line included.
    spi(m, 40, 0, 0x80, false);
    m.inject(40, 1);
    expect(dev.readDistReg(GICD_ISPENDR + 4)).toBe(1 << 8);
  });

  it('userspace ISACTIVER on an SGI gives it source 0, and does not touch a hardware-mapped SPI', () => {
    const m = gic();
    guest.setPriority(m, 2, 0x40, 1);
    spi(m, 40);
    m.mapHw(40, 70);
    const dev = kvmDevice(m);
    dev.writeDistReg(GICD_ISACTIVER, 1 << 2, 1);
    dev.writeDistReg(GICD_ISACTIVER + 4, 1 << 8);
    expect(m.irq(2, 1)).toMatchObject({ active: true, queued: 1 });
    expect(m.irq(40).active).toBe(false);
    expect(saveMachine(m).vcpus[1]!.private[2]!.activeSource).toBe(0);
  });

  it('the CPU interface registers are the userspace ABI: PMR as the 5-bit VMPriMask', () => {
    const m = gic();
    const dev = kvmDevice(m);
    expect(dev.readCpuReg(0, GICC_PMR)).toBe(0x1f);
    dev.writeCpuReg(1, GICC_PMR, 0x14);
    expect(m.readRegister('GICC_PMR', { vcpu: 1 })).toBe(0xa0);
    dev.writeCpuReg(1, GICC_CTLR, (1 << 9) | 0b10011);
    expect(m.vcpu(1)).toMatchObject({ eoiMode: 1, cbpr: true, groupEnable: [true, true] });
    expect(dev.getAttr(KVM_DEV_ARM_VGIC_GRP_CPU_REGS, (1n << 32n) | BigInt(GICC_CTLR))).toBe(BigInt((1 << 9) | 0b10011));
    expect(dev.readCpuReg(0, 0xfc)).toBe(Number(m.readRegister('GICC_IIDR')));
    expect(() => dev.readCpuReg(0, 0x0c)).toThrow(/GICC\+0xc is not a register KVM_DEV_ARM_VGIC_GRP_CPU_REGS exposes/);
    expect(() => dev.getAttr(KVM_DEV_ARM_VGIC_GRP_CPU_REGS, 2n << 32n)).toThrow(/vCPU 2 does not exist/);
    expect(() => dev.readCpuSysreg(0, 0)).toThrow(/GRP_CPU_SYSREGS is not available on GICv2; its CPU interface is KVM_DEV_ARM_VGIC_GRP_CPU_REGS/);
    expect(() => dev.readRedistReg(0, 0)).toThrow(/GRP_REDIST_REGS is not available on GICv2/);
  });

  it('a binary point below the minimum reads back the minimum, as the guest\'s GICC_BPR and GICC_ABPR do, so a save never holds one', () => {
    const m = gic();
    const dev = kvmDevice(m);
    dev.writeCpuReg(0, GICC_BPR, 0);
    dev.writeCpuReg(0, GICC_ABPR, 1);
    expect([dev.readCpuReg(0, GICC_BPR), dev.readCpuReg(0, GICC_ABPR)]).toEqual([2, 3]);
    expect(m.readRegister('GICC_BPR')).toBe(2);
    restoreMachine(gic(), saveMachine(m));
  });
});
