/**
 * The GICv2 distributor, GICD (IHI 0048B §4.3, Table 4-1), as KVM's
 * vgic-mmio-v2.c presents it to a guest: a 4 KiB frame whose accesses trap.
 *
 * Each entry below is one register or register array; its handlers reach the
 * engine through core's shared distributor functions. What the table does
 * not list reads as zero and ignores writes, and so does an access of a
 * width or alignment an entry does not allow (KVM's check_region). Per-
 * interrupt words beyond the machine's last interrupt read as zero and
 * ignore writes, because core's `Vgic.slotOf` knows no slot for them.
 *
 * Banked registers (the words for INTIDs 0-31, CPENDSGIR/SPENDSGIR) show the
 * accessing vCPU's private interrupts: handlers get that vCPU.
 */
import {
  ACCESS_8,
  ACCESS_32,
  NONE,
  clearActiveRegister,
  clearEnableRegister,
  clearPendingRegister,
  configRegister,
  distEnable,
  arrayPlace,
  bitWord,
  groupRegister,
  itLinesNumber,
  lowestBit,
  priorityRegister,
  readSgiSources,
  sendSgi,
  setActiveRegister,
  setDistEnable,
  setEnableRegister,
  setPendingRegister,
  setRoute,
  writeSgiSources,
  type ArrayPlace,
  type IntidAt,
  type RegisterDef,
  type Vgic,
} from '@vgic/core';

/** The distributor frame is 4 KiB (vgic_v2_init_dist_iodev returns SZ_4K). */
export const GICD_SIZE = 0x1000;

export const GICD_CTLR = 0x000;
export const GICD_TYPER = 0x004;
export const GICD_IIDR = 0x008;
export const GICD_IGROUPR = 0x080;
export const GICD_ISENABLER = 0x100;
export const GICD_ICENABLER = 0x180;
export const GICD_ISPENDR = 0x200;
export const GICD_ICPENDR = 0x280;
export const GICD_ISACTIVER = 0x300;
export const GICD_ICACTIVER = 0x380;
export const GICD_IPRIORITYR = 0x400;
export const GICD_ITARGETSR = 0x800;
export const GICD_ICFGR = 0xc00;
export const GICD_SGIR = 0xf00;
export const GICD_CPENDSGIR = 0xf10;
export const GICD_SPENDSGIR = 0xf20;
export const GICD_ICPIDR2 = 0xfe8;

/** The GICD registers of one word each. */
export type GicdRegister = 'GICD_CTLR' | 'GICD_TYPER' | 'GICD_IIDR' | 'GICD_SGIR' | 'GICD_ICPIDR2';

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
  | 'GICD_ITARGETSR'
  | 'GICD_ICFGR'
  | 'GICD_CPENDSGIR'
  | 'GICD_SPENDSGIR';

/**
 * Byte offsets of the GICD registers from the distributor's base (IHI 0048B
 * Table 4-1), for an emulator's decoder; for an array register `X<n>` that
 * of `X<0>`, so `X<n>` is at `X + 4n` (IPRIORITYR and ITARGETSR are also
 * byte-accessible: INTID i at `X + i`).
 */
export const GICD_OFFSETS: Readonly<Record<GicdRegister | GicdArrayRegister, number>> = Object.freeze({
  GICD_CTLR,
  GICD_TYPER,
  GICD_IIDR,
  GICD_IGROUPR,
  GICD_ISENABLER,
  GICD_ICENABLER,
  GICD_ISPENDR,
  GICD_ICPENDR,
  GICD_ISACTIVER,
  GICD_ICACTIVER,
  GICD_IPRIORITYR,
  GICD_ITARGETSR,
  GICD_ICFGR,
  GICD_SGIR,
  GICD_CPENDSGIR,
  GICD_SPENDSGIR,
  GICD_ICPIDR2,
});

/** GICD_CTLR.Enable (bit 0): KVM's GICv2 has one enable for both groups. */
export const GICD_CTLR_ENABLE = 1;

/**
 * GICD_IIDR as KVM reports it: ProductID 0x4b ('K') in bits 31:24, Revision
 * in bits 15:12 (KVM_VGIC_IMP_REV_LATEST, 3, unless the VMM set another; 2
 * and up make IGROUPR guest-configurable), Implementer 0x43b (ARM).
 */
export const GICD_IIDR_VALUE: number = (0x4b << 24) | (3 << 12) | 0x43b;

/**
 * ICPIDR2 reads as zero: KVM's GICv2 distributor has no identification
 * registers (its register table ends at SPENDSGIR, and everything else in the
 * frame is RAZ/WI). A GICv2 of the specification would report ArchRev 2 in
 * bits 7:4 here.
 */
export const GICD_ICPIDR2_VALUE = 0;

// --- helpers ----------------------------------------------------------------

/** A read of `width` bits keeps that many bits of a 32-bit value. */
function widthMask(width: number): number {
  return width === 8 ? 0xff : 0xffffffff;
}

/** Where an array register is, with its section of IHI 0048B. */
function place(name: string, offset: number, count: number, section: string): ArrayPlace {
  return arrayPlace(name, offset, count, `IHI 0048B ${section}`);
}

/** A byte in every lane that names only vCPUs this machine has: ITARGETSR, SPENDSGIR. */
function vcpuMask(v: Vgic): number {
  return (1 << v.nrVcpus) - 1;
}

/**
 * The vCPU an SPI's target byte sends it to: the lowest set bit (KVM uses no
 * 1-of-N distribution). With no bit set KVM still routes to vCPU 0
 * (vgic_mmio_write_target: `targets ? __ffs(targets) : 0`), where the
 * specification would forward the interrupt to no CPU interface; we follow
 * KVM.
 */
export function spiTarget(targets: number): number {
  return targets === 0 ? 0 : lowestBit(targets);
}

// --- handlers -----------------------------------------------------------------

function readCtlr(v: Vgic): number {
  return distEnable(v) !== 0 ? GICD_CTLR_ENABLE : 0;
}

function writeCtlr(v: Vgic, _vcpu: number, _offset: number, _width: number, value: number): void {
  // One bit enables forwarding for both groups, as KVM's GICv2 does
  // (dist->enabled); the specification's EnableGrp1 (bit 1) is not kept.
  setDistEnable(v, (value & GICD_CTLR_ENABLE) !== 0 ? 0b11 : 0);
}

function readTyper(v: Vgic): number {
  // ITLinesNumber (4:0) = interrupts/32 - 1; CPUNumber (7:5) = vCPUs - 1.
  // No SecurityExtn, LSPI 0.
  const itLines = itLinesNumber(v);
  return (itLines | ((v.nrVcpus - 1) << 5)) >>> 0;
}

function readTargets(v: Vgic, vcpu: number, offset: number, width: number): number {
  const intid0 = offset - GICD_ITARGETSR;
  let value = 0;
  for (let i = 0; i < width >> 3; i++) {
    const slot = v.slotOf(intid0 + i, vcpu);
    // Private interrupts hold their own vCPU's bit (set at reset), so each
    // vCPU reads its own bit in ITARGETSR0-7.
    if (slot !== NONE) value |= (v.route[slot * 2]! & 0xff) << (8 * i);
  }
  return value >>> 0;
}

function writeTargets(v: Vgic, vcpu: number, offset: number, width: number, value: number): void {
  const intid0 = offset - GICD_ITARGETSR;
  const mask = vcpuMask(v);
  for (let i = 0; i < width >> 3; i++) {
    const intid = intid0 + i;
    // ITARGETSR0-7 (the private interrupts) are read-only.
    if (intid < 32) continue;
    const slot = v.slotOf(intid, vcpu);
    if (slot === NONE) continue;
    // Bits for vCPUs that do not exist are RAZ/WI.
    const targets = (value >>> (8 * i)) & mask;
    setRoute(v, slot, targets, 0, spiTarget(targets));
  }
}

/** GICD_SGIR.TargetListFilter (bits 25:24). */
const SGIR_FILTER_LIST = 0;
const SGIR_FILTER_ALL_BUT_SELF = 1;
const SGIR_FILTER_SELF = 2;

function writeSgir(v: Vgic, vcpu: number, _offset: number, _width: number, value: number): void {
  const intid = value & 0xf;
  const filter = (value >>> 24) & 3;
  let targets: number;
  if (filter === SGIR_FILTER_LIST) targets = (value >>> 16) & 0xff;
  else if (filter === SGIR_FILTER_ALL_BUT_SELF) targets = vcpuMask(v) & ~(1 << vcpu);
  else if (filter === SGIR_FILTER_SELF) targets = 1 << vcpu;
  else return; // 0b11 is reserved: KVM ignores the write.
  // NSATT (bit 15) is ignored: KVM's GIC has one security state, and
  // sends the SGI whatever its group. Target bits for vCPUs that do not
  // exist are ignored.
  for (let target = 0; target < v.nrVcpus; target++) {
    if ((targets >> target) & 1) sendSgi(v, vcpu, target, intid, -1);
  }
}

function readSgiPending(v: Vgic, vcpu: number, offset: number, width: number): number {
  return readSgiSources(v, vcpu, offset & 0xf) & widthMask(width);
}

function writeSgiPending(v: Vgic, vcpu: number, offset: number, width: number, value: number, set: boolean): void {
  // One byte per SGI, bit s for source vCPU s. Source bits for vCPUs that do
  // not exist are ignored, as the specification has them RAZ/WI (KVM keeps
  // them, and would later report a source CPU the guest does not have).
  const lane = vcpuMask(v);
  const mask = (lane | (lane << 8) | (lane << 16) | (lane << 24)) >>> 0;
  writeSgiSources(v, vcpu, offset & 0xf, width >> 3, value & mask, set);
}

// --- the register map ---------------------------------------------------------

const BITS_32 = ACCESS_32;
const BYTES_8_32 = ACCESS_8 | ACCESS_32;

export const gicdRegisters: readonly RegisterDef[] = [
  {
    // IHI 0048B §4.3.1 Distributor Control Register
    name: 'GICD_CTLR',
    offset: GICD_CTLR,
    width: 32,
    access: BITS_32,
    spec: 'IHI 0048B 4.3.1',
    read: readCtlr,
    write: writeCtlr,
  },
  {
    // IHI 0048B §4.3.2 Interrupt Controller Type Register
    name: 'GICD_TYPER',
    offset: GICD_TYPER,
    width: 32,
    access: BITS_32,
    mode: 'ro',
    spec: 'IHI 0048B 4.3.2',
    read: readTyper,
    write: () => {},
  },
  {
    // IHI 0048B §4.3.3 Distributor Implementer Identification Register
    name: 'GICD_IIDR',
    offset: GICD_IIDR,
    width: 32,
    access: BITS_32,
    mode: 'ro',
    spec: 'IHI 0048B 4.3.3',
    read: () => GICD_IIDR_VALUE >>> 0,
    write: () => {},
  },
  // IHI 0048B §4.3.4 Interrupt Group Registers (guest-writable from IIDR revision 2)
  groupRegister(place('GICD_IGROUPR', GICD_IGROUPR, 32, '4.3.4'), bitWord(GICD_IGROUPR)),
  // IHI 0048B §4.3.5-4.3.6 Interrupt Set-/Clear-Enable Registers
  setEnableRegister(place('GICD_ISENABLER', GICD_ISENABLER, 32, '4.3.5'), bitWord(GICD_ISENABLER)),
  clearEnableRegister(place('GICD_ICENABLER', GICD_ICENABLER, 32, '4.3.6'), bitWord(GICD_ICENABLER)),
  // IHI 0048B §4.3.7-4.3.8 Interrupt Set-/Clear-Pending Registers (SGI bits WI: they have SPENDSGIR/CPENDSGIR)
  setPendingRegister(place('GICD_ISPENDR', GICD_ISPENDR, 32, '4.3.7'), bitWord(GICD_ISPENDR)),
  clearPendingRegister(place('GICD_ICPENDR', GICD_ICPENDR, 32, '4.3.8'), bitWord(GICD_ICPENDR)),
  // IHI 0048B §4.3.9-4.3.10 Interrupt Set-/Clear-Active Registers
  setActiveRegister(place('GICD_ISACTIVER', GICD_ISACTIVER, 32, '4.3.9'), bitWord(GICD_ISACTIVER)),
  clearActiveRegister(place('GICD_ICACTIVER', GICD_ICACTIVER, 32, '4.3.10'), bitWord(GICD_ICACTIVER)),
  // IHI 0048B §4.3.11 Interrupt Priority Registers: byte-accessible; five
  // priority bits are implemented (VGIC_PRI_BITS), so 0xff reads 0xf8.
  priorityRegister(place('GICD_IPRIORITYR', GICD_IPRIORITYR, 255, '4.3.11'), (offset) => offset - GICD_IPRIORITYR, BYTES_8_32),
  {
    // IHI 0048B §4.3.12 Interrupt Processor Targets Registers: byte-accessible;
    // ITARGETSR0-7 read-only, each vCPU reading its own bit.
    name: 'GICD_ITARGETSR',
    offset: GICD_ITARGETSR,
    count: 255,
    width: 32,
    access: BYTES_8_32,
    spec: 'IHI 0048B 4.3.12',
    read: readTargets,
    write: writeTargets,
  },
  // IHI 0048B §4.3.13 Interrupt Configuration Registers: two bits per
  // interrupt; SGIs (edge) and PPIs (level) read-only, as in KVM.
  configRegister(place('GICD_ICFGR', GICD_ICFGR, 64, '4.3.13'), (offset) => (offset - GICD_ICFGR) << 2),
  {
    // IHI 0048B §4.3.15 Software Generated Interrupt Register: write-only.
    name: 'GICD_SGIR',
    offset: GICD_SGIR,
    width: 32,
    access: BITS_32,
    mode: 'wo',
    spec: 'IHI 0048B 4.3.15',
    read: () => 0,
    write: writeSgir,
  },
  {
    // IHI 0048B §4.3.16 SGI Clear-Pending Registers: one byte per SGI, a bit per source vCPU.
    name: 'GICD_CPENDSGIR',
    offset: GICD_CPENDSGIR,
    count: 4,
    width: 32,
    access: BYTES_8_32,
    spec: 'IHI 0048B 4.3.16',
    read: readSgiPending,
    write: (v, vcpu, offset, width, value) => writeSgiPending(v, vcpu, offset, width, value, false),
  },
  {
    // IHI 0048B §4.3.17 SGI Set-Pending Registers
    name: 'GICD_SPENDSGIR',
    offset: GICD_SPENDSGIR,
    count: 4,
    width: 32,
    access: BYTES_8_32,
    spec: 'IHI 0048B 4.3.17',
    read: readSgiPending,
    write: (v, vcpu, offset, width, value) => writeSgiPending(v, vcpu, offset, width, value, true),
  },
  {
    // IHI 0048B §4.3.18 Peripheral ID2 Register (reads as KVM's: zero)
    name: 'GICD_ICPIDR2',
    offset: GICD_ICPIDR2,
    width: 32,
    access: BITS_32,
    mode: 'ro',
    spec: 'IHI 0048B 4.3.18',
    read: () => GICD_ICPIDR2_VALUE,
    write: () => {},
  },
];
