/**
 * What a GICv3 guest does, for the shared conformance suite (core's
 * `GuestOps`). Every operation is a guest access through the machine's
 * public surface: GICD/GICR registers by name, ICC_*_EL1 by encoding.
 * Private interrupts are configured by their own vCPU in its redistributor;
 * SPIs through the distributor, by the vCPU given or vCPU 0. LPIs and the
 * ITS: lpi-guest.ts.
 */
import type { Machine } from '@vgic/core';
import type { GuestOps } from '@vgic/core/testing';
import { gicv3LpiGuest } from './lpi-guest.js';
import { GICD_CTLR_ARE, GICD_CTLR_ENABLE_GRP0, GICD_CTLR_ENABLE_GRP1 } from './regs/gicd.js';
import {
  ICC_BPR0_EL1,
  ICC_BPR1_EL1,
  ICC_CTLR_EL1,
  ICC_CTLR_EOIMODE,
  ICC_DIR_EL1,
  ICC_EOIR0_EL1,
  ICC_EOIR1_EL1,
  ICC_HPPIR0_EL1,
  ICC_HPPIR1_EL1,
  ICC_IAR0_EL1,
  ICC_IAR1_EL1,
  ICC_IGRPEN0_EL1,
  ICC_IGRPEN1_EL1,
  ICC_PMR_EL1,
  ICC_RPR_EL1,
  ICC_SGI0R_EL1,
  ICC_SGI1R_EL1,
} from './regs/icc.js';

const SPURIOUS = 1023;

/** A per-interrupt register: GICR_<reg>0 of `vcpu`'s redistributor for INTIDs 0-31, else GICD_<reg><n>. */
function bitReg(reg: string, intid: number, vcpu: number | undefined): { name: string; vcpu: number; rd?: number } {
  if (intid < 32) {
    const k = vcpu ?? 0;
    return { name: `GICR_${reg}0`, vcpu: k, rd: k };
  }
  return { name: `GICD_${reg}${intid >> 5}`, vcpu: vcpu ?? 0 };
}

function writeBit(m: Machine, reg: string, intid: number, vcpu: number | undefined): void {
  const r = bitReg(reg, intid, vcpu);
  m.writeRegister(r.name, 1 << (intid & 31), r.rd === undefined ? { vcpu: r.vcpu } : { vcpu: r.vcpu, rd: r.rd });
}

function modifyBits(m: Machine, name: string, vcpu: number, rd: number | undefined, mask: number, bits: number): void {
  const opts = rd === undefined ? { vcpu } : { vcpu, rd };
  const old = Number(m.readRegister(name, opts));
  m.writeRegister(name, ((old & ~mask) | (bits & mask)) >>> 0, opts);
}

function sysread(m: Machine, vcpu: number, e: typeof ICC_IAR1_EL1): number {
  return Number(m.sysregRead(vcpu, e) ?? BigInt(SPURIOUS));
}

/** A vCPU's affinity as GICR_TYPER[63:32] reports it (Aff3.Aff2.Aff1.Aff0), read by `by`. */
function affinityOf(m: Machine, vcpu: number, by: number): number {
  return Number(BigInt(m.readRegister('GICR_TYPER', { vcpu: by, rd: vcpu })) >> 32n);
}

/** IROUTER's value for a packed affinity: Aff3 in 39:32, Aff2.Aff1.Aff0 in 23:0. */
function irouterFor(aff: number): bigint {
  return (BigInt(aff >>> 24) << 32n) | BigInt(aff & 0xff_ffff);
}

/**
 * ICC_SGI0R/SGI1R_EL1 for one cluster: TargetList [15:0], Aff1 [23:16],
 * INTID [27:24], Aff2 [39:32], RS [47:44], Aff3 [55:48].
 */
function sgiValue(cluster: number, rs: number, targets: number, intid: number): bigint {
  const aff3 = BigInt(cluster >>> 24);
  const aff2 = BigInt((cluster >>> 16) & 0xff);
  const aff1 = BigInt((cluster >>> 8) & 0xff);
  return (aff3 << 48n) | (BigInt(rs) << 44n) | (aff2 << 32n) | (BigInt(intid & 0xf) << 24n) | (aff1 << 16n) | BigInt(targets & 0xffff);
}

/** IRM: every vCPU but the sender. */
const SGI_IRM = 1n << 40n;

export const gicv3Guest: GuestOps = {
  group: 1,
  maxVcpus: 512,

  init(m, options = {}) {
    // Both distributor group enables: a Group-0 interrupt still waits for
    // its CPU interface's IGRPEN0, which stays off unless asked for.
    m.writeRegister('GICD_CTLR', GICD_CTLR_ARE | GICD_CTLR_ENABLE_GRP1 | GICD_CTLR_ENABLE_GRP0);
    const ctlr = options.eoiMode === 1 ? ICC_CTLR_EOIMODE : 0;
    for (let k = 0; k < m.vcpus; k++) {
      m.sysregWrite(k, ICC_PMR_EL1, 0xffn);
      // The smallest binary points: a write of 0 reads back the minimum.
      m.sysregWrite(k, ICC_BPR0_EL1, 0n);
      m.sysregWrite(k, ICC_BPR1_EL1, 0n);
      m.sysregWrite(k, ICC_CTLR_EL1, BigInt(ctlr));
      m.sysregWrite(k, ICC_IGRPEN1_EL1, 1n);
    }
  },

  enable: (m, intid, vcpu) => writeBit(m, 'ISENABLER', intid, vcpu),
  disable: (m, intid, vcpu) => writeBit(m, 'ICENABLER', intid, vcpu),
  setPending: (m, intid, vcpu) => writeBit(m, 'ISPENDR', intid, vcpu),
  clearPending: (m, intid, vcpu) => writeBit(m, 'ICPENDR', intid, vcpu),
  setActive: (m, intid, vcpu) => writeBit(m, 'ISACTIVER', intid, vcpu),
  clearActive: (m, intid, vcpu) => writeBit(m, 'ICACTIVER', intid, vcpu),

  setPriority(m, intid, priority, vcpu) {
    const k = vcpu ?? 0;
    if (intid < 32) m.writeRegister(`GICR+0x${(0x10400 + intid).toString(16)}`, priority & 0xff, { vcpu: k, rd: k, width: 8 });
    else m.writeRegister(`GICD+0x${(0x400 + intid).toString(16)}`, priority & 0xff, { vcpu: k, width: 8 });
  },

  setEdge(m, intid, edge) {
    const bit = 2 << (2 * (intid & 15));
    modifyBits(m, `GICD_ICFGR${intid >> 4}`, 0, undefined, bit, edge ? bit : 0);
  },

  setGroup(m, intid, group, vcpu) {
    const r = bitReg('IGROUPR', intid, vcpu);
    const bit = 1 << (intid & 31);
    modifyBits(m, r.name, r.vcpu, r.rd, bit, group ? bit : 0);
  },

  route(m, intid, vcpu) {
    m.writeRegister(`GICD_IROUTER${intid}`, irouterFor(affinityOf(m, vcpu, 0)));
  },

  routeNowhere(m, intid) {
    const taken = new Set<number>();
    for (let k = 0; k < m.vcpus; k++) taken.add(affinityOf(m, k, 0));
    let aff = 0xffff_ffff;
    while (taken.has(aff)) aff--;
    m.writeRegister(`GICD_IROUTER${intid}`, irouterFor(aff));
    return true;
  },

  ack: (m, vcpu, group = 1) => sysread(m, vcpu, group === 0 ? ICC_IAR0_EL1 : ICC_IAR1_EL1),
  ackRaw: (m, vcpu, group = 1) => sysread(m, vcpu, group === 0 ? ICC_IAR0_EL1 : ICC_IAR1_EL1),

  eoi(m, vcpu, intid, raw, group = 1) {
    m.sysregWrite(vcpu, group === 0 ? ICC_EOIR0_EL1 : ICC_EOIR1_EL1, BigInt(raw ?? intid));
  },

  dir(m, vcpu, intid, raw) {
    m.sysregWrite(vcpu, ICC_DIR_EL1, BigInt(raw ?? intid));
  },

  setPmr: (m, vcpu, pmr) => void m.sysregWrite(vcpu, ICC_PMR_EL1, BigInt(pmr & 0xff)),
  setBpr: (m, vcpu, bpr) => void m.sysregWrite(vcpu, ICC_BPR1_EL1, BigInt(bpr & 7)),

  setEoiMode(m, vcpu, mode) {
    const old = Number(m.sysregRead(vcpu, ICC_CTLR_EL1) ?? 0n);
    m.sysregWrite(vcpu, ICC_CTLR_EL1, BigInt(mode === 1 ? old | ICC_CTLR_EOIMODE : old & ~ICC_CTLR_EOIMODE));
  },

  setGroupEnable(m, vcpu, group, on) {
    m.sysregWrite(vcpu, group === 0 ? ICC_IGRPEN0_EL1 : ICC_IGRPEN1_EL1, on ? 1n : 0n);
  },

  runningPriority: (m, vcpu) => sysread(m, vcpu, ICC_RPR_EL1),

  /** The highest-priority pending interrupt of either group (HPPIR1, else HPPIR0). */
  highestPending(m, vcpu) {
    const g1 = sysread(m, vcpu, ICC_HPPIR1_EL1);
    return g1 !== SPURIOUS ? g1 : sysread(m, vcpu, ICC_HPPIR0_EL1);
  },

  /**
   * One ICC_SGI1R_EL1 write per cluster of targets (one Aff3.Aff2.Aff1 and
   * RS), as Linux's gic_send_ipi does — through ICC_SGI0R_EL1 for targets
   * whose SGI is configured in Group 0, as a guest that made it so would.
   */
  sendSgi(m, from, to, intid) {
    const batches = new Map<string, { group: number; cluster: number; rs: number; targets: number }>();
    for (const k of to) {
      const aff = affinityOf(m, k, from);
      const group = (Number(m.readRegister('GICR_IGROUPR0', { vcpu: from, rd: k })) >>> intid) & 1;
      const cluster = (aff & 0xffff_ff00) >>> 0;
      const rs = (aff & 0xff) >> 4;
      const key = `${group}:${cluster}:${rs}`;
      const b = batches.get(key) ?? { group, cluster, rs, targets: 0 };
      b.targets |= 1 << (aff & 15);
      batches.set(key, b);
    }
    for (const b of batches.values()) {
      m.sysregWrite(from, b.group === 0 ? ICC_SGI0R_EL1 : ICC_SGI1R_EL1, sgiValue(b.cluster, b.rs, b.targets, intid));
    }
  },

  /** IRM = 1 through both SGI registers: each target takes the one matching its SGI's group. */
  broadcastSgi(m, from, intid) {
    const value = SGI_IRM | (BigInt(intid & 0xf) << 24n);
    m.sysregWrite(from, ICC_SGI1R_EL1, value);
    m.sysregWrite(from, ICC_SGI0R_EL1, value);
  },

  fuzzRegisters: [
    'GICD_CTLR',
    'GICD_TYPER',
    'GICD_IIDR',
    'GICD_TYPER2',
    'GICD_STATUSR',
    'GICD_IGROUPR1',
    'GICD_ISENABLER1',
    'GICD_ICENABLER1',
    'GICD_ISPENDR1',
    'GICD_ICPENDR1',
    'GICD_ISACTIVER1',
    'GICD_ICACTIVER1',
    'GICD_IPRIORITYR8',
    'GICD_IPRIORITYR9',
    'GICD_ICFGR2',
    'GICD_ICFGR3',
    'GICD_IGRPMODR1',
    'GICD_IROUTER32',
    'GICD_IROUTER33',
    'GICD_PIDR2',
    'GICD_ISENABLER0',
    'GICD_IPRIORITYR0',
    'GICR_CTLR',
    'GICR_IIDR',
    'GICR_TYPER',
    'GICR_STATUSR',
    'GICR_WAKER',
    'GICR_PIDR2',
    'GICR_IGROUPR0',
    'GICR_ISENABLER0',
    'GICR_ICENABLER0',
    'GICR_ISPENDR0',
    'GICR_ICPENDR0',
    'GICR_ISACTIVER0',
    'GICR_ICACTIVER0',
    'GICR_IPRIORITYR0',
    'GICR_IPRIORITYR7',
    'GICR_ICFGR0',
    'GICR_ICFGR1',
    'GICR_IGRPMODR0',
    'ICC_PMR_EL1',
    'ICC_IAR0_EL1',
    'ICC_EOIR0_EL1',
    'ICC_HPPIR0_EL1',
    'ICC_BPR0_EL1',
    'ICC_AP0R0_EL1',
    'ICC_AP0R1_EL1',
    'ICC_AP1R0_EL1',
    'ICC_AP1R3_EL1',
    'ICC_DIR_EL1',
    'ICC_RPR_EL1',
    'ICC_SGI1R_EL1',
    'ICC_ASGI1R_EL1',
    'ICC_SGI0R_EL1',
    'ICC_IAR1_EL1',
    'ICC_EOIR1_EL1',
    'ICC_HPPIR1_EL1',
    'ICC_BPR1_EL1',
    'ICC_CTLR_EL1',
    'ICC_SRE_EL1',
    'ICC_IGRPEN0_EL1',
    'ICC_IGRPEN1_EL1',
  ],

  lpi: gicv3LpiGuest,
};
