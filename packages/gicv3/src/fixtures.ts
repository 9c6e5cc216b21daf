/** Fixtures the package's tests share (not exported by the package). */
import type { AccessWidth, Machine } from '@vgic/core';
import { ICC_IGRPEN0_EL1, ICC_IGRPEN1_EL1, ICC_PMR_EL1 } from './regs/icc.js';

/** Distributor on for both groups, every vCPU's CPU interface open for `groups` (bit g: group g). */
export function bringUp(m: Machine, groups = 2): void {
  m.writeRegister('GICD_CTLR', 0x13);
  for (let k = 0; k < m.vcpus; k++) {
    m.sysregWrite(k, ICC_PMR_EL1, 0xffn);
    if (groups & 1) m.sysregWrite(k, ICC_IGRPEN0_EL1, 1n);
    if (groups & 2) m.sysregWrite(k, ICC_IGRPEN1_EL1, 1n);
  }
}

/** A 32-bit register read as a number. */
export function read32(m: Machine, name: string, options: { vcpu?: number; rd?: number; width?: AccessWidth } = {}): number {
  return Number(m.readRegister(name, options));
}

/** The vCPUs that have private interrupt `intid` pending. */
export function pendingOn(m: Machine, intid: number): number[] {
  const out: number[] = [];
  for (let k = 0; k < m.vcpus; k++) if (m.irq(intid, k).pending) out.push(k);
  return out;
}
