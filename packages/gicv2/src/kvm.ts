/**
 * The GICv2's registers as a VMM sees them through KVM's device attributes
 * (Documentation/virt/kvm/devices/arm-vgic.rst), for core's `kvmDevice`:
 * the distributor by offset (a vCPU index in the attribute banks the private
 * interrupts), and KVM_DEV_ARM_VGIC_GRP_CPU_REGS — the CPU interface by
 * GICC offset, which userspace sees as GICH_VMCR's fields
 * (vgic_v2_{get,set}_vmcr via vgic-mmio-v2.c's vgic_v2_cpuif_uaccess):
 *
 * - GICC_CTLR: the group enables, AckCtl, FIQEn, CBPR and EOImode;
 * - GICC_PMR: the 5-bit VMPriMask in bits 4:0 (not the guest's 8-bit view);
 * - GICC_BPR/ABPR: the binary points, never below their minimum;
 * - GICC_APRn/NSAPRn: the active-priority words the priority bits use (the
 *   rest read 0 and ignore writes); GICC_IIDR read-only.
 */
import { type KvmCpuRegs, type KvmSemantics, type Vgic } from '@vgic/core';
import {
  GICC_ABPR,
  GICC_APR,
  GICC_BPR,
  GICC_CTLR,
  GICC_CTLR_ACK_CTL,
  GICC_CTLR_CBPR,
  GICC_CTLR_ENABLE_GRP0,
  GICC_CTLR_ENABLE_GRP1,
  GICC_CTLR_EOI_MODE,
  GICC_CTLR_FIQ_EN,
  GICC_IIDR,
  GICC_IIDR_VALUE,
  GICC_NSAPR,
  GICC_PMR,
} from './regs/gicc.js';

/** The userspace GICC_PMR holds GICH_VMCR.VMPriMask: the top 5 priority bits, shifted down. */
const GICV_PMR_PRIORITY_SHIFT = 3;
const GICV_PMR_PRIORITY_MASK = 0xf8;

function hex(n: number): string {
  return `0x${n.toString(16)}`;
}

/** The word of `v.apr` an APRn/NSAPRn offset names, or -1 for one the priority bits leave out. */
function aprWord(v: Vgic, vcpu: number, offset: number): number {
  const nonSecure = offset >= GICC_NSAPR;
  const n = (offset - (nonSecure ? GICC_NSAPR : GICC_APR)) >> 2;
  return n < v.aprWordsUsed ? v.aprBase(vcpu) + (nonSecure ? 4 : 0) + n : -1;
}

const cpuRegs: KvmCpuRegs = Object.freeze({
  check(offset: number): string | null {
    const known = offset === GICC_CTLR || offset === GICC_PMR || offset === GICC_BPR || offset === GICC_ABPR || offset === GICC_IIDR;
    if (known || (offset >= GICC_APR && offset < GICC_NSAPR + 16 && offset % 4 === 0)) return null;
    return `GICC+${hex(offset)} is not a register KVM_DEV_ARM_VGIC_GRP_CPU_REGS exposes (CTLR 0x0, PMR 0x4, BPR 0x8, ABPR 0x1c, APRn 0xd0, NSAPRn 0xe0, IIDR 0xfc)`;
  },

  read(v: Vgic, vcpu: number, offset: number): number {
    switch (offset) {
      case GICC_CTLR:
        return (
          (v.grpEn0[vcpu] ? GICC_CTLR_ENABLE_GRP0 : 0) |
          (v.grpEn1[vcpu] ? GICC_CTLR_ENABLE_GRP1 : 0) |
          (v.ackCtl[vcpu] ? GICC_CTLR_ACK_CTL : 0) |
          (v.fiqEn[vcpu] ? GICC_CTLR_FIQ_EN : 0) |
          (v.cbpr[vcpu] ? GICC_CTLR_CBPR : 0) |
          (v.eoiMode[vcpu] ? GICC_CTLR_EOI_MODE : 0)
        );
      case GICC_PMR:
        return (v.pmr[vcpu]! & GICV_PMR_PRIORITY_MASK) >>> GICV_PMR_PRIORITY_SHIFT;
      case GICC_BPR:
        return v.bpr0[vcpu]!;
      case GICC_ABPR:
        return v.bpr1[vcpu]!;
      case GICC_IIDR:
        return GICC_IIDR_VALUE >>> 0;
      default: {
        const w = aprWord(v, vcpu, offset);
        return w < 0 ? 0 : v.apr[w]!;
      }
    }
  },

  write(v: Vgic, vcpu: number, offset: number, value: number): void {
    switch (offset) {
      case GICC_CTLR:
        v.grpEn0[vcpu] = value & GICC_CTLR_ENABLE_GRP0 ? 1 : 0;
        v.grpEn1[vcpu] = value & GICC_CTLR_ENABLE_GRP1 ? 1 : 0;
        v.ackCtl[vcpu] = value & GICC_CTLR_ACK_CTL ? 1 : 0;
        v.fiqEn[vcpu] = value & GICC_CTLR_FIQ_EN ? 1 : 0;
        v.cbpr[vcpu] = value & GICC_CTLR_CBPR ? 1 : 0;
        v.eoiMode[vcpu] = value & GICC_CTLR_EOI_MODE ? 1 : 0;
        return;
      case GICC_PMR:
        v.pmr[vcpu] = (value << GICV_PMR_PRIORITY_SHIFT) & GICV_PMR_PRIORITY_MASK;
        return;
      // A binary point below the minimum reads as the minimum, as the
      // guest's GICC_BPR/ABPR do: GICH_VMCR keeps no value it cannot hold.
      case GICC_BPR:
        v.bpr0[vcpu] = Math.max(value & 7, v.bprMin - 1);
        return;
      case GICC_ABPR:
        v.bpr1[vcpu] = Math.max(value & 7, v.bprMin);
        return;
      case GICC_IIDR:
        return;
      default: {
        const w = aprWord(v, vcpu, offset);
        if (w >= 0) v.apr[w] = value;
      }
    }
  },
});

export const gicv2Kvm: KvmSemantics = Object.freeze({
  distributor: 'GICD',
  cpuRegs,
});
