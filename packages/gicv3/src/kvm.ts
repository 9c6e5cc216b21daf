/**
 * The GICv3's registers as a VMM sees them through KVM's device attributes
 * (Documentation/virt/kvm/devices/arm-vgic-v3.rst), for core's `kvmDevice`:
 * the distributor and each vCPU's redistributor by offset, the CPU
 * interface as the system registers vgic-sys-reg-v3.c exposes.
 *
 * - ISPENDR/ICPENDR and ISACTIVER/ICACTIVER of both frames take KVM's
 *   userspace semantics (core applies them; here is only which is which).
 * - ICC_CTLR_EL1 (set_gic_ctlr): PRIbits and IDbits may not grow, SEIS and
 *   A3V must match what this GIC reports.
 * - ICC_SRE_EL1 (set_gic_sre): SRE cannot be cleared.
 * - AP0Rn/AP1Rn exist only for n below the words the priority bits use.
 * - KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES writes the LPIs' pending bits to the
 *   guest's pending tables.
 */
import type { KvmSemantics, SysregDef, Vgic } from '@vgic/core';
import { lpiSavePendingTables } from './regs/lpi.js';

/** ICC_CTLR_EL1 fields userspace may not change (IHI 0069 12.2.6). */
const ICC_CTLR_PRIBITS_SHIFT = 8;
const ICC_CTLR_IDBITS_SHIFT = 11;
const ICC_CTLR_SEIS = 1 << 14;
const ICC_CTLR_A3V = 1 << 15;
const ICC_SRE_SRE = 1n;

/** The CPU interface system registers KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS exposes (vgic-sys-reg-v3.c). */
const CPU_SYSREG_NAMES: readonly string[] = Object.freeze([
  'ICC_PMR_EL1',
  'ICC_BPR0_EL1',
  'ICC_BPR1_EL1',
  'ICC_CTLR_EL1',
  'ICC_SRE_EL1',
  'ICC_IGRPEN0_EL1',
  'ICC_IGRPEN1_EL1',
  'ICC_AP0R0_EL1',
  'ICC_AP0R1_EL1',
  'ICC_AP0R2_EL1',
  'ICC_AP0R3_EL1',
  'ICC_AP1R0_EL1',
  'ICC_AP1R1_EL1',
  'ICC_AP1R2_EL1',
  'ICC_AP1R3_EL1',
]);

function field(x: number, shift: number): number {
  return (x >>> shift) & 7;
}

/** set_gic_ctlr: the priority and INTID bits may not grow, SEIS and A3V must match. */
function checkCtlr(current: number, value: number): string | null {
  if (field(value, ICC_CTLR_PRIBITS_SHIFT) > field(current, ICC_CTLR_PRIBITS_SHIFT)) {
    return `ICC_CTLR_EL1.PRIbits ${field(value, ICC_CTLR_PRIBITS_SHIFT)} is more than this GIC implements (${field(current, ICC_CTLR_PRIBITS_SHIFT)})`;
  }
  if (field(value, ICC_CTLR_IDBITS_SHIFT) > field(current, ICC_CTLR_IDBITS_SHIFT)) {
    return `ICC_CTLR_EL1.IDbits ${field(value, ICC_CTLR_IDBITS_SHIFT)} is more than this GIC implements (${field(current, ICC_CTLR_IDBITS_SHIFT)})`;
  }
  if (((value ^ current) & (ICC_CTLR_SEIS | ICC_CTLR_A3V)) !== 0) return 'ICC_CTLR_EL1.SEIS and A3V must match this GIC';
  return null;
}

const AP_REGISTER = /^ICC_AP[01]R(\d)_EL1$/;

export const gicv3Kvm: KvmSemantics = Object.freeze({
  distributor: 'GICD',
  redistributor: 'GICR',
  // KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES: vgic_v3_save_pending_tables.
  savePendingTables: lpiSavePendingTables,
  cpuSysregs: Object.freeze({
    names: CPU_SYSREG_NAMES,
    available(v: Vgic, r: SysregDef): string | null {
      const ap = AP_REGISTER.exec(r.name);
      if (ap !== null && Number(ap[1]) >= v.aprWordsUsed) {
        return `${r.name} does not exist with ${v.priorityBits} priority bits (AP<n>R0..${v.aprWordsUsed - 1})`;
      }
      return null;
    },
    checkWrite(v: Vgic, vcpu: number, r: SysregDef, value: bigint): string | null {
      if (r.name === 'ICC_CTLR_EL1' && r.read !== undefined) return checkCtlr(r.read(v, vcpu) >>> 0, Number(value & 0xffffffffn));
      // The system register interface cannot be turned off.
      if (r.name === 'ICC_SRE_EL1' && (value & ICC_SRE_SRE) === 0n) {
        return 'ICC_SRE_EL1.SRE must stay set: the GICv3 CPU interface is system registers only';
      }
      return null;
    },
  }),
});
