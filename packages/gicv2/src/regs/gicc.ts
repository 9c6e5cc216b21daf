/**
 * The GICv2 CPU interface a guest sees, GICC (IHI 0048B §4.4, Table 4-2) —
 * in a VM the virtual CPU interface GICV (§5.5), which the hardware serves
 * from the list registers without leaving the guest. An 8 KiB frame:
 * GICC_DIR sits in its second page, at 0x1000.
 *
 * The registers are views of the vCPU's virtual machine control state
 * (GICH_VMCR: group enables, AckCtl, FIQEn, CBPR, EOImode, PMR, BPR, ABPR)
 * and of core's CPU interface functions (acknowledge, EOI, deactivate, HPPI,
 * running priority). Every register is 32-bit only; any other width, and
 * any offset not listed, reads as zero and ignores writes.
 */
import {
  ACCESS_32,
  SPURIOUS,
  SPURIOUS_GROUP1,
  cpuifAck,
  cpuifDir,
  cpuifEoi,
  cpuifHppi,
  cpuifRpr,
  cpuifSetGroupEnable,
  cpuifUpdateLines,
  type RegisterDef,
  type Vgic,
} from '@vgic/core';

/** The CPU interface frame is 8 KiB: GICC_DIR is at 0x1000. */
export const GICC_SIZE = 0x2000;

export const GICC_CTLR = 0x00;
export const GICC_PMR = 0x04;
export const GICC_BPR = 0x08;
export const GICC_IAR = 0x0c;
export const GICC_EOIR = 0x10;
export const GICC_RPR = 0x14;
export const GICC_HPPIR = 0x18;
export const GICC_ABPR = 0x1c;
export const GICC_AIAR = 0x20;
export const GICC_AEOIR = 0x24;
export const GICC_AHPPIR = 0x28;
export const GICC_APR = 0xd0;
export const GICC_NSAPR = 0xe0;
export const GICC_IIDR = 0xfc;
export const GICC_DIR = 0x1000;

/** The GICC registers of one word each. */
export type GiccRegister =
  | 'GICC_CTLR'
  | 'GICC_PMR'
  | 'GICC_BPR'
  | 'GICC_IAR'
  | 'GICC_EOIR'
  | 'GICC_RPR'
  | 'GICC_HPPIR'
  | 'GICC_ABPR'
  | 'GICC_AIAR'
  | 'GICC_AEOIR'
  | 'GICC_AHPPIR'
  | 'GICC_IIDR'
  | 'GICC_DIR';

/** The GICC array registers: `GICC_APR<n>`, `GICC_NSAPR<n>` (n = 0..3). */
export type GiccArrayRegister = 'GICC_APR' | 'GICC_NSAPR';

/**
 * Byte offsets of the GICC registers from the CPU interface's base (IHI
 * 0048B Table 4-2), for an emulator's decoder; `GICC_APR<n>` is at
 * `GICC_APR + 4n`.
 */
export const GICC_OFFSETS: Readonly<Record<GiccRegister | GiccArrayRegister, number>> = Object.freeze({
  GICC_CTLR,
  GICC_PMR,
  GICC_BPR,
  GICC_IAR,
  GICC_EOIR,
  GICC_RPR,
  GICC_HPPIR,
  GICC_ABPR,
  GICC_AIAR,
  GICC_AEOIR,
  GICC_AHPPIR,
  GICC_APR,
  GICC_NSAPR,
  GICC_IIDR,
  GICC_DIR,
});

/** GICC_CTLR bits of the virtual interface (GICV_CTLR); the rest are RAZ/WI. */
export const GICC_CTLR_ENABLE_GRP0: number = 1 << 0;
export const GICC_CTLR_ENABLE_GRP1: number = 1 << 1;
export const GICC_CTLR_ACK_CTL: number = 1 << 2;
export const GICC_CTLR_FIQ_EN: number = 1 << 3;
export const GICC_CTLR_CBPR: number = 1 << 4;
export const GICC_CTLR_EOI_MODE: number = 1 << 9;

/**
 * GICC_IIDR as KVM reports it: ProductID 0x4b in bits 31:20, Architecture
 * version 2 in bits 19:16, Implementer 0x43b (ARM).
 */
export const GICC_IIDR_VALUE: number = (0x4b << 20) | (2 << 16) | 0x43b;

/**
 * Smallest binary points with five preemption bits (KVM's bpr_min = 3):
 * GICC_BPR 2 (group priority bits 7:3), GICC_ABPR one more, 3 (the same
 * split: the aliased register counts from bit 0 of the group priority).
 */
export const GICC_BPR_MIN = 2;
export const GICC_ABPR_MIN = 3;

// --- GICC_CTLR ----------------------------------------------------------------

function readCtlr(v: Vgic, vcpu: number): number {
  return (
    v.grpEn0[vcpu]! |
    (v.grpEn1[vcpu]! << 1) |
    (v.ackCtl[vcpu]! << 2) |
    (v.fiqEn[vcpu]! << 3) |
    (v.cbpr[vcpu]! << 4) |
    (v.eoiMode[vcpu]! << 9)
  );
}

function writeCtlr(v: Vgic, vcpu: number, _offset: number, _width: number, value: number): void {
  v.ackCtl[vcpu] = value & GICC_CTLR_ACK_CTL ? 1 : 0;
  v.fiqEn[vcpu] = value & GICC_CTLR_FIQ_EN ? 1 : 0;
  v.cbpr[vcpu] = value & GICC_CTLR_CBPR ? 1 : 0;
  v.eoiMode[vcpu] = value & GICC_CTLR_EOI_MODE ? 1 : 0;
  // A group enable that changes makes the vCPU look at its ap_list again,
  // as ICC_IGRPEN<n>_EL1 does on GICv3 (core's cpuifSetGroupEnable).
  cpuifSetGroupEnable(v, vcpu, 0, (value & GICC_CTLR_ENABLE_GRP0) !== 0);
  cpuifSetGroupEnable(v, vcpu, 1, (value & GICC_CTLR_ENABLE_GRP1) !== 0);
  // FIQEn and CBPR change what is signalled, and on which line.
  cpuifUpdateLines(v, vcpu);
}

// --- priority mask and binary points --------------------------------------------

function writePmr(v: Vgic, vcpu: number, _offset: number, _width: number, value: number): void {
  // Five priority bits: GICV_PMR bits 2:0 are RAZ/WI (GICH_VMCR.VMPriMask is 5 bits).
  v.pmr[vcpu] = value & v.priorityMask;
  cpuifUpdateLines(v, vcpu);
}

function writeBpr(v: Vgic, vcpu: number, _offset: number, _width: number, value: number): void {
  const bpr = value & 7;
  v.bpr0[vcpu] = bpr < GICC_BPR_MIN ? GICC_BPR_MIN : bpr;
  cpuifUpdateLines(v, vcpu);
}

function writeAbpr(v: Vgic, vcpu: number, _offset: number, _width: number, value: number): void {
  const bpr = value & 7;
  v.bpr1[vcpu] = bpr < GICC_ABPR_MIN ? GICC_ABPR_MIN : bpr;
  cpuifUpdateLines(v, vcpu);
}

// --- acknowledge, EOI, deactivate ----------------------------------------------------

/** Groups GICC_IAR and GICC_HPPIR serve: group 0, and group 1 too when AckCtl is set. */
function iarGroups(v: Vgic, vcpu: number): number {
  return v.ackCtl[vcpu] !== 0 ? 0b11 : 0b01;
}

function readIar(v: Vgic, vcpu: number): number {
  // With AckCtl 0 a group 1 interrupt at the head is not acknowledged here: 1022.
  return cpuifAck(v, vcpu, iarGroups(v, vcpu), SPURIOUS_GROUP1);
}

function writeEoir(v: Vgic, vcpu: number, _offset: number, _width: number, value: number): void {
  // EOIINTID 9:0 and, for an SGI, the source CPUID 12:10 that IAR returned.
  // With AckCtl set GICC_EOIR serves either group.
  cpuifEoi(v, vcpu, value & 0x3ff, (value >>> 10) & 7, v.ackCtl[vcpu] !== 0 ? -1 : 0);
}

function readHppir(v: Vgic, vcpu: number): number {
  return cpuifHppi(v, vcpu, iarGroups(v, vcpu), SPURIOUS_GROUP1);
}

function readAiar(v: Vgic, vcpu: number): number {
  // The aliased registers serve group 1 only; a group 0 interrupt at the head gives 1023.
  return cpuifAck(v, vcpu, 0b10, SPURIOUS);
}

function writeAeoir(v: Vgic, vcpu: number, _offset: number, _width: number, value: number): void {
  cpuifEoi(v, vcpu, value & 0x3ff, (value >>> 10) & 7, 1);
}

function readAhppir(v: Vgic, vcpu: number): number {
  return cpuifHppi(v, vcpu, 0b10, SPURIOUS);
}

function writeDir(v: Vgic, vcpu: number, _offset: number, _width: number, value: number): void {
  cpuifDir(v, vcpu, value & 0x3ff, (value >>> 10) & 7);
}

// --- active priorities ------------------------------------------------------------

/**
 * GICC_APR0 holds group 0's active priorities and GICC_NSAPR0 group 1's,
 * one bit per group priority (32 with five priority bits). APR1-3 and
 * NSAPR1-3 are not implemented: RAZ/WI, as on KVM's GICv2 hosts.
 */
function aprIndex(v: Vgic, vcpu: number, offset: number, base: number, group: number): number {
  const n = (offset - base) >> 2;
  return n === 0 ? v.aprBase(vcpu) + group * 4 : -1;
}

function readApr(v: Vgic, vcpu: number, offset: number, base: number, group: number): number {
  const at = aprIndex(v, vcpu, offset, base, group);
  return at < 0 ? 0 : v.apr[at]!;
}

function writeApr(v: Vgic, vcpu: number, offset: number, base: number, group: number, value: number): void {
  const at = aprIndex(v, vcpu, offset, base, group);
  if (at < 0) return;
  v.apr[at] = value >>> 0;
  // The running priority follows the active priorities.
  cpuifUpdateLines(v, vcpu);
}

// --- the register map -------------------------------------------------------------

const ignore = (): void => {};

export const giccRegisters: readonly RegisterDef[] = [
  {
    // IHI 0048B §4.4.1 CPU Interface Control Register (GICV_CTLR, §5.5)
    name: 'GICC_CTLR',
    offset: GICC_CTLR,
    width: 32,
    access: ACCESS_32,
    spec: 'IHI 0048B 4.4.1',
    read: readCtlr,
    write: writeCtlr,
  },
  {
    // IHI 0048B §4.4.2 Interrupt Priority Mask Register
    name: 'GICC_PMR',
    offset: GICC_PMR,
    width: 32,
    access: ACCESS_32,
    spec: 'IHI 0048B 4.4.2',
    read: (v, vcpu) => v.pmr[vcpu]!,
    write: writePmr,
  },
  {
    // IHI 0048B §4.4.3 Binary Point Register
    name: 'GICC_BPR',
    offset: GICC_BPR,
    width: 32,
    access: ACCESS_32,
    spec: 'IHI 0048B 4.4.3',
    read: (v, vcpu) => v.bpr0[vcpu]!,
    write: writeBpr,
  },
  {
    // IHI 0048B §4.4.4 Interrupt Acknowledge Register: SGIs carry the source CPU in bits 12:10.
    name: 'GICC_IAR',
    offset: GICC_IAR,
    width: 32,
    access: ACCESS_32,
    mode: 'ro',
    spec: 'IHI 0048B 4.4.4',
    read: readIar,
    write: ignore,
  },
  {
    // IHI 0048B §4.4.5 End of Interrupt Register
    name: 'GICC_EOIR',
    offset: GICC_EOIR,
    width: 32,
    access: ACCESS_32,
    mode: 'wo',
    spec: 'IHI 0048B 4.4.5',
    read: () => 0,
    write: writeEoir,
  },
  {
    // IHI 0048B §4.4.6 Running Priority Register (0xff when nothing is active)
    name: 'GICC_RPR',
    offset: GICC_RPR,
    width: 32,
    access: ACCESS_32,
    mode: 'ro',
    spec: 'IHI 0048B 4.4.6',
    read: (v, vcpu) => cpuifRpr(v, vcpu),
    write: ignore,
  },
  {
    // IHI 0048B §4.4.7 Highest Priority Pending Interrupt Register
    name: 'GICC_HPPIR',
    offset: GICC_HPPIR,
    width: 32,
    access: ACCESS_32,
    mode: 'ro',
    spec: 'IHI 0048B 4.4.7',
    read: readHppir,
    write: ignore,
  },
  {
    // IHI 0048B §4.4.8 Aliased Binary Point Register (group 1 when CBPR is 0)
    name: 'GICC_ABPR',
    offset: GICC_ABPR,
    width: 32,
    access: ACCESS_32,
    spec: 'IHI 0048B 4.4.8',
    read: (v, vcpu) => v.bpr1[vcpu]!,
    write: writeAbpr,
  },
  {
    // IHI 0048B §4.4.9 Aliased Interrupt Acknowledge Register (group 1)
    name: 'GICC_AIAR',
    offset: GICC_AIAR,
    width: 32,
    access: ACCESS_32,
    mode: 'ro',
    spec: 'IHI 0048B 4.4.9',
    read: readAiar,
    write: ignore,
  },
  {
    // IHI 0048B §4.4.10 Aliased End of Interrupt Register (group 1)
    name: 'GICC_AEOIR',
    offset: GICC_AEOIR,
    width: 32,
    access: ACCESS_32,
    mode: 'wo',
    spec: 'IHI 0048B 4.4.10',
    read: () => 0,
    write: writeAeoir,
  },
  {
    // IHI 0048B §4.4.11 Aliased Highest Priority Pending Interrupt Register (group 1)
    name: 'GICC_AHPPIR',
    offset: GICC_AHPPIR,
    width: 32,
    access: ACCESS_32,
    mode: 'ro',
    spec: 'IHI 0048B 4.4.11',
    read: readAhppir,
    write: ignore,
  },
  {
    // IHI 0048B §4.4.12 Active Priorities Registers (group 0; only APR0 implemented)
    name: 'GICC_APR',
    offset: GICC_APR,
    count: 4,
    width: 32,
    access: ACCESS_32,
    spec: 'IHI 0048B 4.4.12',
    read: (v, vcpu, offset) => readApr(v, vcpu, offset, GICC_APR, 0),
    write: (v, vcpu, offset, _w, value) => writeApr(v, vcpu, offset, GICC_APR, 0, value),
  },
  {
    // IHI 0048B §4.4.13 Non-secure Active Priorities Registers (group 1; only NSAPR0 implemented)
    name: 'GICC_NSAPR',
    offset: GICC_NSAPR,
    count: 4,
    width: 32,
    access: ACCESS_32,
    spec: 'IHI 0048B 4.4.13',
    read: (v, vcpu, offset) => readApr(v, vcpu, offset, GICC_NSAPR, 1),
    write: (v, vcpu, offset, _w, value) => writeApr(v, vcpu, offset, GICC_NSAPR, 1, value),
  },
  {
    // IHI 0048B §4.4.14 CPU Interface Identification Register
    name: 'GICC_IIDR',
    offset: GICC_IIDR,
    width: 32,
    access: ACCESS_32,
    mode: 'ro',
    spec: 'IHI 0048B 4.4.14',
    read: () => GICC_IIDR_VALUE >>> 0,
    write: ignore,
  },
  {
    // IHI 0048B §4.4.15 Deactivate Interrupt Register (effective with EOImode 1)
    name: 'GICC_DIR',
    offset: GICC_DIR,
    width: 32,
    access: ACCESS_32,
    mode: 'wo',
    spec: 'IHI 0048B 4.4.15',
    read: () => 0,
    write: writeDir,
  },
];
