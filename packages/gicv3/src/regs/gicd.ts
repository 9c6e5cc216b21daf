/**
 * The distributor, GICD (IHI 0069, the GICD_* register descriptions; KVM's vgic-mmio-v3.c), a 64 KiB
 * frame, as KVM presents it: one security state (DS = 1), affinity routing
 * always on (ARE = 1). Per-interrupt words for INTIDs 0-31 are RAZ/WI here:
 * private interrupts live in the redistributors.
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
  distEnable,
  bitWord,
  groupRegister,
  itLinesNumber,
  priorityRegister,
  razWi,
  readOnly,
  setActiveRegister,
  setDistEnable,
  setEnableRegister,
  setPendingRegister,
  wi,
  type ArrayPlace,
  type IntidAt,
  type RegisterDef,
  type Vgic,
} from '@vgic/core';
import type { Topology } from '../affinity.js';
import { rerouteOneOfN, writeIrouter, writeIrouterHalf } from '../routing.js';

export const GICD_SIZE = 0x10000;

// --- the register map (IHI 0069, 12.8 "The GIC Distributor register map") ---

/** The GICD registers of one word each. */
export type GicdRegister = 'GICD_CTLR' | 'GICD_TYPER' | 'GICD_IIDR' | 'GICD_TYPER2' | 'GICD_STATUSR' | 'GICD_PIDR2';

/** The GICD array registers: `GICD_ISENABLER<n>` and the like. */
export type GicdArrayRegister =
  | 'GICD_IGROUPR'
  | 'GICD_ISENABLER'
  | 'GICD_ICENABLER'
  | 'GICD_ISPENDR'
  | 'GICD_ICPENDR'
  | 'GICD_ISACTIVER'
  | 'GICD_ICACTIVER'
  | 'GICD_IPRIORITYR'
  | 'GICD_ICFGR'
  | 'GICD_IGRPMODR'
  | 'GICD_IROUTER';

/**
 * Every GICD register name this distributor answers to: a register, or an
 * array register with an index (`GICD_ISENABLER1`). The index is any number
 * to the type — so that `` `GICD_ISENABLER${n}` `` is a name — and checked
 * when the call is made (UNKNOWN_REGISTER for `GICD_ISENABLER32`).
 */
export type GicdRegisterName = GicdRegister | `${GicdArrayRegister}${number}`;

/**
 * Byte offsets of the GICD registers from the distributor's base, for an
 * emulator's decoder: a register's own, and for an array register `X<n>`
 * that of `X<0>`, so that `X<n>` is at `X + 4n` (`GICD_IROUTER<n>`:
 * `+ 8n`, n from 32; `GICD_IPRIORITYR<n>` is also byte-accessible, INTID i
 * at `GICD_IPRIORITYR + i`).
 */
export const GICD_OFFSETS: Readonly<Record<GicdRegister | GicdArrayRegister, number>> = Object.freeze({
  GICD_CTLR: 0x0000,
  GICD_TYPER: 0x0004,
  GICD_IIDR: 0x0008,
  GICD_TYPER2: 0x000c,
  GICD_STATUSR: 0x0010,
  GICD_IGROUPR: 0x0080,
  GICD_ISENABLER: 0x0100,
  GICD_ICENABLER: 0x0180,
  GICD_ISPENDR: 0x0200,
  GICD_ICPENDR: 0x0280,
  GICD_ISACTIVER: 0x0300,
  GICD_ICACTIVER: 0x0380,
  GICD_IPRIORITYR: 0x0400,
  GICD_ICFGR: 0x0c00,
  GICD_IGRPMODR: 0x0d00,
  GICD_IROUTER: 0x6000,
  GICD_PIDR2: 0xffe8,
});
const O = GICD_OFFSETS;

/** Where an array register of the frame is, by its name's offset: the specification's `NAME<n>` unless `spec` says otherwise. */
function place(name: keyof typeof O, count: number, spec = `IHI 0069, ${name}<n>`): ArrayPlace {
  return arrayPlace(name, O[name], count, spec);
}

// --- GICD_CTLR (12.9.4, the DS = 1 view) ---
export const GICD_CTLR_ENABLE_GRP0: number = 1 << 0;
export const GICD_CTLR_ENABLE_GRP1: number = 1 << 1;
/** ARE (ARE_NS in the two-state view): affinity routing, RAO/WI. */
export const GICD_CTLR_ARE: number = 1 << 4;
/** DS: security disabled, RAO/WI. */
export const GICD_CTLR_DS: number = 1 << 6;

// --- GICD_TYPER (12.9.38) ---
/** IDbits [23:19]: 10 INTID bits without LPIs, encoded as bits - 1 (KVM's INTERRUPT_ID_BITS_SPIS). */
const TYPER_IDBITS = 9 << 19;
/** IDbits with LPIs: 16 INTID bits (KVM's INTERRUPT_ID_BITS_ITS). */
const TYPER_IDBITS_LPIS = 15 << 19;
/** LPIS [17]: LPIs are supported. */
export const GICD_TYPER_LPIS: number = 1 << 17;
/** A3V: Aff3 is supported (beyond KVM). */
export const GICD_TYPER_A3V: number = 1 << 24;
/** RSS: SGI targets with Aff0 0..255 through ICC_SGI1R_EL1.RS (beyond KVM). */
export const GICD_TYPER_RSS: number = 1 << 26;

/**
 * The KVM implementation revision this GIC presents (KVM_VGIC_IMP_REV_3, the
 * default a VMM gets): GICD_IIDR announces it, and what KVM does at that
 * revision follows from it (GICR_CTLR.IR and CES read as one).
 */
export const KVM_IMPLEMENTATION_REVISION = 3;
/** ProductID 'K' (0x4b), Revision 3, Implementer ARM (0x43b): KVM's GICD_IIDR. */
export const GICD_IIDR_VALUE: number = (0x4b << 24) | (KVM_IMPLEMENTATION_REVISION << 12) | 0x43b;
/** ArchRev 3 in PIDR2[7:4], as KVM reports (0x3b). */
export const PIDR2_VALUE = 0x3b;

/** The first INTID of a one-bit-per-interrupt word; the first word (private INTIDs) is RAZ/WI. */
const bitWordAt = (base: number): IntidAt => bitWord(base, true);

function gicdCtlrRead(v: Vgic): number {
  return (distEnable(v) & (GICD_CTLR_ENABLE_GRP0 | GICD_CTLR_ENABLE_GRP1)) | GICD_CTLR_ARE | GICD_CTLR_DS;
}

/**
 * Both group enables are kept, bit g enabling group g — beyond KVM, whose
 * GICv3 distributor has only EnableGrp1 (EnableGrp0 is RAZ/WI there, and a
 * Group-0 interrupt is forwarded whenever Group 1 is enabled). RWP reads 0:
 * every write takes effect at once.
 */
function gicdCtlrWrite(v: Vgic, value: number): void {
  setDistEnable(v, value & (GICD_CTLR_ENABLE_GRP0 | GICD_CTLR_ENABLE_GRP1));
}

/**
 * ITLinesNumber as KVM computes it; CPUNumber 0, as KVM reports it (it means
 * nothing with ARE = 1); LPIs and 16 INTID bits on a machine with LPIs (KVM:
 * with an ITS), else 10; no extended SPIs, no security extension; 1-of-N
 * supported (No1N = 0).
 */
function gicdTyperRead(v: Vgic): number {
  const itLines = itLinesNumber(v);
  const ids = v.nrLpis !== 0 ? TYPER_IDBITS_LPIS | GICD_TYPER_LPIS : TYPER_IDBITS;
  return (itLines | ids | GICD_TYPER_A3V | GICD_TYPER_RSS) >>> 0;
}

export function gicdRegisters(topo: (v: Vgic) => Topology): RegisterDef[] {
  // IROUTER<0..31> would be the private interrupts': there are none.
  const irouterBase = O.GICD_IROUTER + 32 * 8;

  const irouter: RegisterDef = {
    name: 'GICD_IROUTER',
    offset: irouterBase,
    count: 988,
    stride: 8,
    firstIndex: 32,
    width: 64,
    access: ACCESS_32 | ACCESS_64,
    spec: 'IHI 0069, GICD_IROUTER<n>',
    read(v, _vcpu, offset) {
      const intid = 32 + ((offset - irouterBase) >> 3);
      if (intid >= v.spiLimit) return 0;
      const slot = v.slotOf(intid, 0);
      return v.route[slot * 2 + ((offset >> 2) & 1)]!;
    },
    write(v, _vcpu, offset, _width, value) {
      const intid = 32 + ((offset - irouterBase) >> 3);
      if (intid >= v.spiLimit) return;
      writeIrouterHalf(v, topo(v), v.slotOf(intid, 0), (offset & 4) !== 0, value);
    },
    write64(v, _vcpu, offset, lo, hi) {
      const intid = 32 + ((offset - irouterBase) >> 3);
      if (intid >= v.spiLimit) return;
      writeIrouter(v, topo(v), v.slotOf(intid, 0), lo, hi);
    },
  };

  return [
    {
      name: 'GICD_CTLR',
      offset: O.GICD_CTLR,
      width: 32,
      access: ACCESS_32,
      spec: 'IHI 0069, GICD_CTLR',
      read: (v) => gicdCtlrRead(v),
      write: (v, _vcpu, _offset, _width, value) => gicdCtlrWrite(v, value),
    },
    readOnly('GICD_TYPER', O.GICD_TYPER, 'IHI 0069, GICD_TYPER', gicdTyperRead),
    readOnly('GICD_IIDR', O.GICD_IIDR, 'IHI 0069, GICD_IIDR', () => GICD_IIDR_VALUE),
    // No GICv4.1 vSGIs: nASSGIcap = 0, as KVM without them.
    readOnly('GICD_TYPER2', O.GICD_TYPER2, 'IHI 0069, GICD_TYPER2', () => 0),
    // No errors to report. (KVM reads all ones here.)
    razWi('GICD_STATUSR', O.GICD_STATUSR, 'IHI 0069, GICD_STATUSR'),
    groupRegister(place('GICD_IGROUPR', 32), bitWordAt(O.GICD_IGROUPR), (v, i0) =>
      // An IRM = 1 SPI's 1-of-N choice follows its group.
      rerouteOneOfN(v, -1, i0, i0 + 32),
    ),
    setEnableRegister(place('GICD_ISENABLER', 32), bitWordAt(O.GICD_ISENABLER)),
    clearEnableRegister(place('GICD_ICENABLER', 32), bitWordAt(O.GICD_ICENABLER)),
    setPendingRegister(place('GICD_ISPENDR', 32), bitWordAt(O.GICD_ISPENDR)),
    clearPendingRegister(place('GICD_ICPENDR', 32), bitWordAt(O.GICD_ICPENDR)),
    setActiveRegister(place('GICD_ISACTIVER', 32), bitWordAt(O.GICD_ISACTIVER)),
    clearActiveRegister(place('GICD_ICACTIVER', 32), bitWordAt(O.GICD_ICACTIVER)),
    priorityRegister(
      place('GICD_IPRIORITYR', 255),
      (offset) => (offset < O.GICD_IPRIORITYR + 32 ? -1 : offset - O.GICD_IPRIORITYR),
      ACCESS_8 | ACCESS_32,
    ),
    configRegister(place('GICD_ICFGR', 64), (offset) => {
      const n = (offset - O.GICD_ICFGR) >> 2;
      return n < 2 ? -1 : n * 16;
    }),
    // With DS = 1 the modifier bit does not exist: RAZ/WI, as in KVM.
    razWi('GICD_IGRPMODR', O.GICD_IGRPMODR, 'IHI 0069, GICD_IGRPMODR<n>', 32),
    irouter,
    {
      name: 'GICD_PIDR2',
      offset: O.GICD_PIDR2,
      width: 32,
      access: ACCESS_32,
      mode: 'ro',
      spec: 'IHI 0069, GICD_PIDR2 (identification registers)',
      read: () => PIDR2_VALUE,
      write: wi,
    },
  ];
}
