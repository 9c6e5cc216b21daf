/**
 * What a GICv2 guest does, said through the machine's public guest surface
 * only: register names and raw frame offsets, read and written by a given
 * vCPU, exactly as its loads and stores would reach the GIC. The shared
 * conformance suite drives the GICv2 backend through this value.
 *
 * A GICv2 guest under KVM keeps everything in group 0 (the reset group):
 * GICC_IAR/EOIR serve it, and with FIQEn clear it is signalled as IRQ.
 */
import type { Machine } from '@vgic/core';
import type { GuestOps } from '@vgic/core/testing';
import {
  GICC_CTLR_EOI_MODE,
  GICC_CTLR_ENABLE_GRP0,
  giccRegisters,
} from './regs/gicc.js';
import {
  GICD_CPENDSGIR,
  GICD_CTLR_ENABLE,
  GICD_IPRIORITYR,
  GICD_ITARGETSR,
  GICD_SPENDSGIR,
  gicdRegisters,
} from './regs/gicd.js';

/** A byte-wide guest store to the distributor at `offset`. */
function gicdByte(m: Machine, vcpu: number, offset: number, value: number): void {
  m.writeRegister(`GICD+0x${offset.toString(16)}`, value & 0xff, { vcpu, width: 8 });
}

function read(m: Machine, name: string, vcpu: number): number {
  return Number(m.readRegister(name, { vcpu }));
}

function write(m: Machine, name: string, vcpu: number, value: number): void {
  m.writeRegister(name, value >>> 0, { vcpu });
}

/** The bit of `intid` in its one-bit-per-interrupt word, e.g. GICD_ISENABLER1 for INTID 40. */
function writeIrqBit(m: Machine, reg: string, intid: number, vcpu: number): void {
  write(m, `${reg}${intid >> 5}`, vcpu, 1 << (intid & 31));
}

/** Read-modify-write of one bit field of `name`. */
function updateBits(m: Machine, name: string, vcpu: number, mask: number, on: boolean): void {
  const before = read(m, name, vcpu);
  write(m, name, vcpu, on ? before | mask : before & ~mask);
}

/** Array register names a fuzzer hammers: the first few elements and the last. */
function fuzzNames(): string[] {
  const names: string[] = [];
  for (const reg of [...gicdRegisters, ...giccRegisters]) {
    const count = reg.count ?? 1;
    if (count === 1) {
      names.push(reg.name);
      continue;
    }
    for (const n of new Set([0, 1, 2, 3, 8, 9, 10, count - 1])) if (n < count) names.push(`${reg.name}${n}`);
  }
  return names;
}

export const gicv2Guest: GuestOps = {
  group: 0,
  maxVcpus: 8,

  init(m, options = {}) {
    write(m, 'GICD_CTLR', 0, GICD_CTLR_ENABLE);
    const ctlr = GICC_CTLR_ENABLE_GRP0 | (options.eoiMode === 1 ? GICC_CTLR_EOI_MODE : 0);
    for (let k = 0; k < m.vcpus; k++) {
      write(m, 'GICC_PMR', k, 0xff);
      // 0 is below the minimum: the register keeps its smallest binary point.
      write(m, 'GICC_BPR', k, 0);
      write(m, 'GICC_CTLR', k, ctlr);
    }
  },

  enable(m, intid, vcpu = 0) {
    writeIrqBit(m, 'GICD_ISENABLER', intid, vcpu);
  },

  disable(m, intid, vcpu = 0) {
    writeIrqBit(m, 'GICD_ICENABLER', intid, vcpu);
  },

  setPriority(m, intid, priority, vcpu = 0) {
    gicdByte(m, vcpu, GICD_IPRIORITYR + intid, priority);
  },

  setEdge(m, intid, edge) {
    updateBits(m, `GICD_ICFGR${intid >> 4}`, 0, 2 << (2 * (intid & 15)), edge);
  },

  route(m, intid, vcpu) {
    gicdByte(m, 0, GICD_ITARGETSR + intid, 1 << vcpu);
  },

  routeNowhere() {
    // An empty ITARGETSR byte still routes to vCPU 0 on KVM.
    return false;
  },

  setGroup(m, intid, group, vcpu = 0) {
    updateBits(m, `GICD_IGROUPR${intid >> 5}`, vcpu, 1 << (intid & 31), group !== 0);
  },

  setPending(m, intid, vcpu = 0) {
    // GICv2 SGIs are made pending per source (ISPENDR ignores them): the
    // vCPU names itself as the source, as KVM does for a VMM's ISPENDR write.
    if (intid < 16) gicdByte(m, vcpu, GICD_SPENDSGIR + intid, 1 << vcpu);
    else writeIrqBit(m, 'GICD_ISPENDR', intid, vcpu);
  },

  clearPending(m, intid, vcpu = 0) {
    if (intid < 16) gicdByte(m, vcpu, GICD_CPENDSGIR + intid, 0xff);
    else writeIrqBit(m, 'GICD_ICPENDR', intid, vcpu);
  },

  setActive(m, intid, vcpu = 0) {
    writeIrqBit(m, 'GICD_ISACTIVER', intid, vcpu);
  },

  clearActive(m, intid, vcpu = 0) {
    writeIrqBit(m, 'GICD_ICACTIVER', intid, vcpu);
  },

  ack(m, vcpu, group) {
    return gicv2Guest.ackRaw(m, vcpu, group) & 0x3ff;
  },

  ackRaw(m, vcpu, group = 0) {
    return read(m, group === 1 ? 'GICC_AIAR' : 'GICC_IAR', vcpu);
  },

  eoi(m, vcpu, intid, raw, group = 0) {
    write(m, group === 1 ? 'GICC_AEOIR' : 'GICC_EOIR', vcpu, raw ?? intid);
  },

  dir(m, vcpu, intid, raw) {
    write(m, 'GICC_DIR', vcpu, raw ?? intid);
  },

  setPmr(m, vcpu, pmr) {
    write(m, 'GICC_PMR', vcpu, pmr);
  },

  setBpr(m, vcpu, bpr) {
    write(m, 'GICC_BPR', vcpu, bpr);
  },

  setEoiMode(m, vcpu, mode) {
    updateBits(m, 'GICC_CTLR', vcpu, GICC_CTLR_EOI_MODE, mode === 1);
  },

  setGroupEnable(m, vcpu, group, on) {
    updateBits(m, 'GICC_CTLR', vcpu, 1 << group, on);
  },

  runningPriority(m, vcpu) {
    return read(m, 'GICC_RPR', vcpu);
  },

  highestPending(m, vcpu) {
    return read(m, 'GICC_HPPIR', vcpu) & 0x3ff;
  },

  sendSgi(m, from, to, intid) {
    let targets = 0;
    for (const t of to) targets |= 1 << t;
    // TargetListFilter 0: the CPUTargetList in bits 23:16.
    write(m, 'GICD_SGIR', from, ((targets & 0xff) << 16) | (intid & 0xf));
  },

  broadcastSgi(m, from, intid) {
    // TargetListFilter 1: every vCPU but the sender.
    write(m, 'GICD_SGIR', from, (1 << 24) | (intid & 0xf));
  },

  fuzzRegisters: fuzzNames(),
};
