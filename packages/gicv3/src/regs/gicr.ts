/**
 * The redistributors, GICR (IHI 0069, the GICR_* register descriptions;
 * KVM's vgic-mmio-v3.c). One per vCPU, 128 KiB each and contiguous: the
 * RD_base frame, then the SGI_base frame at +0x10000 holding the private
 * interrupts' configuration. Any vCPU can reach any redistributor; the
 * handlers' `vcpu` is the redistributor's own vCPU.
 *
 * The LPI registers (GICR_CTLR.EnableLPIs, PROPBASER, PENDBASER, INVLPIR,
 * INVALLR, SYNCR) are lpi.ts's. A machine without LPIs has nothing for them
 * to control: GICR_CTLR's writes are ignored (as KVM ignores them without an
 * ITS), GICR_TYPER.PLPIS reads 0 and the rest are RAZ/WI.
 */
import {
  arrayPlace,
  ACCESS_32,
  ACCESS_64,
  ACCESS_8,
  clearActiveRegister,
  clearEnableRegister,
  clearPendingRegister,
  configRegister,
  groupRegister,
  priorityRegister,
  razWi,
  readOnly,
  setActiveRegister,
  setEnableRegister,
  setPendingRegister,
  wi,
  type ArrayPlace,
  type RegisterDef,
  type Vgic,
} from '@vgic/core';
import type { Topology } from '../affinity.js';
import { KVM_IMPLEMENTATION_REVISION, PIDR2_VALUE } from './gicd.js';
import {
  GICR_TYPER_PLPIS,
  NO_LPI_HOOKS,
  ctlrLpiBits,
  hasLpis,
  readPendbaser,
  readPropbaser,
  writeCtlrLpis,
  writeInvallr,
  writeInvlpir,
  writePendbaser,
  writePropbaser,
  type LpiHooks,
} from './lpi.js';

/** One redistributor: RD_base (64 KiB) + SGI_base (64 KiB). */
export const GICR_SIZE = 0x20000;
export const GICR_SGI_BASE = 0x10000;

// --- the register map (IHI 0069, 12.10 "The GIC Redistributor register map") ---

/** The GICR registers of one word each (the SGI_base ones for INTIDs 0-31 are named `…0`, as the specification names them). */
export type GicrRegister =
  | 'GICR_CTLR'
  | 'GICR_IIDR'
  | 'GICR_TYPER'
  | 'GICR_STATUSR'
  | 'GICR_WAKER'
  | 'GICR_PROPBASER'
  | 'GICR_PENDBASER'
  | 'GICR_INVLPIR'
  | 'GICR_INVALLR'
  | 'GICR_SYNCR'
  | 'GICR_PIDR2'
  | 'GICR_IGROUPR0'
  | 'GICR_ISENABLER0'
  | 'GICR_ICENABLER0'
  | 'GICR_ISPENDR0'
  | 'GICR_ICPENDR0'
  | 'GICR_ISACTIVER0'
  | 'GICR_ICACTIVER0'
  | 'GICR_IGRPMODR0';

/** The GICR array registers: `GICR_IPRIORITYR<n>` (n = 0..7), `GICR_ICFGR<n>` (0, 1). */
export type GicrArrayRegister = 'GICR_IPRIORITYR' | 'GICR_ICFGR';

/** Every GICR register name a redistributor answers to (an array register's index checked when the call is made, as for GICD). */
export type GicrRegisterName = GicrRegister | `${GicrArrayRegister}${number}`;

/**
 * Byte offsets of the GICR registers from a redistributor's base (RD_base;
 * the SGI_base registers at `GICR_SGI_BASE` + their offset in that frame,
 * included here), for an emulator's decoder. Redistributor k's base is
 * `gicrBase + k * GICR_SIZE`. For an array register `X<n>` the offset of
 * `X<0>`: `X<n>` is at `X + 4n`.
 */
export const GICR_OFFSETS: Readonly<Record<GicrRegister | GicrArrayRegister, number>> = Object.freeze({
  GICR_CTLR: 0x0000,
  GICR_IIDR: 0x0004,
  GICR_TYPER: 0x0008,
  GICR_STATUSR: 0x0010,
  GICR_WAKER: 0x0014,
  GICR_PROPBASER: 0x0070,
  GICR_PENDBASER: 0x0078,
  GICR_INVLPIR: 0x00a0,
  GICR_INVALLR: 0x00b0,
  GICR_SYNCR: 0x00c0,
  GICR_PIDR2: 0xffe8,
  GICR_IGROUPR0: 0x1_0080,
  GICR_ISENABLER0: 0x1_0100,
  GICR_ICENABLER0: 0x1_0180,
  GICR_ISPENDR0: 0x1_0200,
  GICR_ICPENDR0: 0x1_0280,
  GICR_ISACTIVER0: 0x1_0300,
  GICR_ICACTIVER0: 0x1_0380,
  GICR_IPRIORITYR: 0x1_0400,
  GICR_ICFGR: 0x1_0c00,
  GICR_IGRPMODR0: 0x1_0d00,
});
const O = GICR_OFFSETS;

/** Where an array register of the frame is, by its name's offset: the specification's `NAME<n>` unless `spec` says otherwise. */
function place(name: keyof typeof O, count: number, spec = `IHI 0069, ${name}<n>`): ArrayPlace {
  return arrayPlace(name, O[name], count, spec);
}

/** GICR_CTLR.CES: ICC_CTLR_EL1.ExtRange is supported (bit 1). */
export const GICR_CTLR_CES: number = 1 << 1;
/** GICR_CTLR.IR: LPI invalidate registers supported (bit 2). */
export const GICR_CTLR_IR: number = 1 << 2;

/**
 * GICR_CTLR as KVM reads it (vgic_mmio_read_v3r_ctlr) on a machine without
 * LPIs: from implementation revision 3 on, IR | CES are set on every
 * redistributor, with or without an ITS; EnableLPIs stays 0, there being no
 * LPIs to enable. With LPIs, EnableLPIs reads as the guest set it.
 */
export const GICR_CTLR_VALUE: number = KVM_IMPLEMENTATION_REVISION >= 3 ? GICR_CTLR_IR | GICR_CTLR_CES : 0;

/** KVM's GICR_IIDR: ProductID 'K', Implementer ARM. */
export const GICR_IIDR_VALUE = 0x4b00_043b;
/** GICR_TYPER.Last: the last redistributor of the contiguous region. */
export const GICR_TYPER_LAST: number = 1 << 4;

/**
 * GICR_TYPER, low word: Processor_Number [23:8] (the vCPU index, as KVM) and
 * Last [4] on the last redistributor. High word: the vCPU's affinity,
 * Aff3.Aff2.Aff1.Aff0 — with Aff3, where KVM reports 0.
 */
function gicrTyperWord(v: Vgic, t: Topology, vcpu: number, high: boolean): number {
  if (high) return t.affinity[vcpu]!;
  const plpis = hasLpis(v) ? GICR_TYPER_PLPIS : 0;
  return (((vcpu & 0xffff) << 8) | (vcpu === v.nrVcpus - 1 ? GICR_TYPER_LAST : 0) | plpis) >>> 0;
}

/** A 64-bit LPI register, 32- or 64-bit accessible, whose handlers see which half an access is. */
function lpiRegister(
  name: GicrRegister,
  read: (v: Vgic, vcpu: number, high: boolean) => number,
  write: (v: Vgic, vcpu: number, high: boolean, value: number) => void,
): RegisterDef {
  return {
    name,
    offset: O[name],
    width: 64,
    access: ACCESS_32 | ACCESS_64,
    spec: `IHI 0069, ${name}`,
    read: (v, vcpu, offset) => read(v, vcpu, (offset & 4) !== 0),
    write: (v, vcpu, offset, _width, value) => write(v, vcpu, (offset & 4) !== 0, value),
  };
}

/** Every bit register of the SGI frame covers INTIDs 0-31 of the redistributor's vCPU. */
const privateWord = (): number => 0;

export function gicrRegisters(topo: (v: Vgic) => Topology, hooks: LpiHooks = NO_LPI_HOOKS): RegisterDef[] {
  return [
    // --- RD_base ---
    {
      name: 'GICR_CTLR',
      offset: O.GICR_CTLR,
      width: 32,
      access: ACCESS_32,
      spec: 'IHI 0069, GICR_CTLR',
      read: (v, vcpu) => (GICR_CTLR_VALUE | ctlrLpiBits(v, vcpu)) >>> 0,
      write: (v, vcpu, _offset, _width, value) => writeCtlrLpis(v, vcpu, value, hooks),
    },
    readOnly('GICR_IIDR', O.GICR_IIDR, 'IHI 0069, GICR_IIDR', () => GICR_IIDR_VALUE),
    {
      name: 'GICR_TYPER',
      offset: O.GICR_TYPER,
      width: 64,
      access: ACCESS_32 | ACCESS_64,
      mode: 'ro',
      spec: 'IHI 0069, GICR_TYPER',
      read: (v, vcpu, offset) => gicrTyperWord(v, topo(v), vcpu, (offset & 4) !== 0),
      write: wi,
    },
    razWi('GICR_STATUSR', O.GICR_STATUSR, 'IHI 0069, GICR_STATUSR'),
    // KVM: ProcessorSleep and ChildrenAsleep always read 0 — a vCPU's
    // redistributor is always awake, and a guest polling ChildrenAsleep
    // after clearing ProcessorSleep finishes at once.
    razWi('GICR_WAKER', O.GICR_WAKER, 'IHI 0069, GICR_WAKER'),
    lpiRegister('GICR_PROPBASER', (v, _vcpu, high) => readPropbaser(v, high), writePropbaser),
    lpiRegister('GICR_PENDBASER', readPendbaser, writePendbaser),
    lpiRegister('GICR_INVLPIR', () => 0, writeInvlpir),
    lpiRegister('GICR_INVALLR', () => 0, (v, vcpu, high) => writeInvallr(v, vcpu, high)),
    // Never busy: an invalidation is done when its write returns.
    razWi('GICR_SYNCR', O.GICR_SYNCR, 'IHI 0069, GICR_SYNCR'),
    {
      name: 'GICR_PIDR2',
      offset: O.GICR_PIDR2,
      width: 32,
      access: ACCESS_32,
      mode: 'ro',
      spec: 'IHI 0069, GICR_PIDR2 (identification registers)',
      read: () => PIDR2_VALUE,
      write: wi,
    },
    // --- SGI_base ---
    groupRegister(place('GICR_IGROUPR0', 1, 'IHI 0069, GICR_IGROUPR0'), privateWord),
    setEnableRegister(place('GICR_ISENABLER0', 1, 'IHI 0069, GICR_ISENABLER0'), privateWord),
    clearEnableRegister(place('GICR_ICENABLER0', 1, 'IHI 0069, GICR_ICENABLER0'), privateWord),
    setPendingRegister(place('GICR_ISPENDR0', 1, 'IHI 0069, GICR_ISPENDR0'), privateWord),
    clearPendingRegister(place('GICR_ICPENDR0', 1, 'IHI 0069, GICR_ICPENDR0'), privateWord),
    setActiveRegister(place('GICR_ISACTIVER0', 1, 'IHI 0069, GICR_ISACTIVER0'), privateWord),
    clearActiveRegister(place('GICR_ICACTIVER0', 1, 'IHI 0069, GICR_ICACTIVER0'), privateWord),
    priorityRegister(
      place('GICR_IPRIORITYR', 8),
      (offset) => offset - O.GICR_IPRIORITYR,
      ACCESS_8 | ACCESS_32,
    ),
    // ICFGR0 (SGIs, always edge) and ICFGR1 (PPIs, level): read-only, as in KVM.
    configRegister(place('GICR_ICFGR', 2, 'IHI 0069, GICR_ICFGR0, GICR_ICFGR1'), (offset) =>
      offset === O.GICR_ICFGR ? 0 : 16,
    ),
    razWi('GICR_IGRPMODR0', O.GICR_IGRPMODR0, 'IHI 0069, GICR_IGRPMODR0'),
  ];
}
