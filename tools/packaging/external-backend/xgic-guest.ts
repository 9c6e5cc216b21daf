/**
 * The guest-operations driver for the X GIC: every operation is a register
 * access by name, as a guest's loads and stores would be.
 */
import type { Machine } from '@vgic/core';
import type { GuestOps } from '@vgic/core/testing';
import { XCPU_CTLR_EOIMODE, sgiValue } from './xgic.js';

function bitReg(name: string, intid: number): string {
  return `${name}${intid >> 5}`;
}

function setBit(m: Machine, name: string, intid: number, vcpu?: number): void {
  m.writeRegister(bitReg(name, intid), (1 << (intid & 31)) >>> 0, { vcpu: vcpu ?? 0 });
}

function ctlr(m: Machine, vcpu: number): number {
  return Number(m.readRegister('XCPU_CTLR', { vcpu }));
}

export const xgicGuest: GuestOps = {
  group: 1,
  maxVcpus: 8,
  init(m, options = {}) {
    m.writeRegister('XDIST_CTLR', 1 << 1);
    for (let k = 0; k < m.vcpus; k++) {
      m.writeRegister('XCPU_CTLR', (1 << 1) | (options.eoiMode === 1 ? XCPU_CTLR_EOIMODE : 0), { vcpu: k });
      m.writeRegister('XCPU_PMR', 0xff, { vcpu: k });
      m.writeRegister('XCPU_BPR1', 0, { vcpu: k });
    }
  },
  enable: (m, intid, vcpu) => setBit(m, 'XDIST_ISENABLER', intid, vcpu),
  disable: (m, intid, vcpu) => setBit(m, 'XDIST_ICENABLER', intid, vcpu),
  setPriority(m, intid, priority, vcpu) {
    m.writeRegister(`XDIST+${0x400 + intid}`, priority & 0xff, { vcpu: vcpu ?? 0, width: 8 });
  },
  setEdge(m, intid, edge) {
    const name = `XDIST_ICFGR${intid >> 4}`;
    const shift = 2 * (intid & 15) + 1;
    const old = Number(m.readRegister(name));
    m.writeRegister(name, edge ? old | (1 << shift) : old & ~(1 << shift));
  },
  route(m, intid, vcpu) {
    m.writeRegister(`XDIST_ROUTER${intid}`, vcpu);
  },
  routeNowhere(m, intid) {
    m.writeRegister(`XDIST_ROUTER${intid}`, 0xff);
    return true;
  },
  setGroup(m, intid, group, vcpu) {
    const name = bitReg('XDIST_IGROUPR', intid);
    const k = vcpu ?? 0;
    const old = Number(m.readRegister(name, { vcpu: k }));
    const bit = 1 << (intid & 31);
    m.writeRegister(name, (group ? old | bit : old & ~bit) >>> 0, { vcpu: k });
  },
  setPending: (m, intid, vcpu) => setBit(m, 'XDIST_ISPENDR', intid, vcpu),
  clearPending: (m, intid, vcpu) => setBit(m, 'XDIST_ICPENDR', intid, vcpu),
  setActive: (m, intid, vcpu) => setBit(m, 'XDIST_ISACTIVER', intid, vcpu),
  clearActive: (m, intid, vcpu) => setBit(m, 'XDIST_ICACTIVER', intid, vcpu),
  ack(m, vcpu, group) {
    return this.ackRaw(m, vcpu, group) & 0x3ff;
  },
  ackRaw(m, vcpu, group = 1) {
    return Number(m.readRegister(group === 0 ? 'XCPU_IAR0' : 'XCPU_IAR1', { vcpu }));
  },
  eoi(m, vcpu, intid, raw, group = 1) {
    m.writeRegister(group === 0 ? 'XCPU_EOIR0' : 'XCPU_EOIR1', raw ?? intid, { vcpu });
  },
  dir(m, vcpu, intid, raw) {
    m.writeRegister('XCPU_DIR', raw ?? intid, { vcpu });
  },
  setPmr: (m, vcpu, pmr) => m.writeRegister('XCPU_PMR', pmr, { vcpu }),
  setBpr: (m, vcpu, bpr) => m.writeRegister('XCPU_BPR1', bpr, { vcpu }),
  setEoiMode(m, vcpu, mode) {
    const old = ctlr(m, vcpu);
    m.writeRegister('XCPU_CTLR', mode ? old | XCPU_CTLR_EOIMODE : old & ~XCPU_CTLR_EOIMODE, { vcpu });
  },
  setGroupEnable(m, vcpu, group, on) {
    const old = ctlr(m, vcpu);
    const bit = 1 << group;
    m.writeRegister('XCPU_CTLR', on ? old | bit : old & ~bit, { vcpu });
  },
  runningPriority: (m, vcpu) => Number(m.readRegister('XCPU_RPR', { vcpu })),
  highestPending: (m, vcpu) => Number(m.readRegister('XCPU_HPPIR', { vcpu })) & 0x3ff,
  sendSgi(m, from, to, intid) {
    m.writeRegister('XDIST_SGIR', sgiValue(intid, to), { vcpu: from });
  },
  broadcastSgi(m, from, intid) {
    const others: number[] = [];
    for (let k = 0; k < m.vcpus; k++) if (k !== from) others.push(k);
    m.writeRegister('XDIST_SGIR', sgiValue(intid, others), { vcpu: from });
  },
  setDistributorEnable(m, groups) {
    m.writeRegister('XDIST_CTLR', groups & 3);
  },
  fuzzRegisters: [
    'XDIST_CTLR',
    'XDIST_IGROUPR0',
    'XDIST_IGROUPR1',
    'XDIST_ISENABLER0',
    'XDIST_ISENABLER1',
    'XDIST_ICENABLER0',
    'XDIST_ICENABLER1',
    'XDIST_ISPENDR0',
    'XDIST_ISPENDR1',
    'XDIST_ICPENDR0',
    'XDIST_ICPENDR1',
    'XDIST_ISACTIVER0',
    'XDIST_ISACTIVER1',
    'XDIST_ICACTIVER0',
    'XDIST_ICACTIVER1',
    'XDIST_IPRIORITYR0',
    'XDIST_IPRIORITYR8',
    'XDIST_IPRIORITYR10',
    'XDIST_ICFGR1',
    'XDIST_ICFGR2',
    'XDIST_SGIR',
    'XDIST_ROUTER32',
    'XDIST_ROUTER40',
    'XCPU_CTLR',
    'XCPU_PMR',
    'XCPU_BPR0',
    'XCPU_BPR1',
    'XCPU_IAR0',
    'XCPU_IAR1',
    'XCPU_EOIR0',
    'XCPU_EOIR1',
    'XCPU_DIR',
    'XCPU_RPR',
    'XCPU_HPPIR',
    'XCPU_APR0',
    'XCPU_APR4',
    'XSYS_SGI',
    'XSYS_IAR1',
  ],
};
