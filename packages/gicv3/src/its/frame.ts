/**
 * The GITS frame (IHI 0069, 12.19 "The ITS register descriptions"; KVM's
 * its_registers in vgic-its.c): 128 KiB, the control page (GITS_CTLR ..
 * the ID registers) and the translation page (GITS_TRANSLATER at +0x10040).
 *
 * - GITS_CTLR: Enabled (bit 0) — set only when GITS_CBASER, GITS_BASER0 and
 *   GITS_BASER1 are valid (enabling otherwise is UNPREDICTABLE; KVM ignores
 *   the write); clearing it invalidates the translation cache; Quiescent
 *   (bit 31) while CREADR = CWRITER. Setting it processes queued commands.
 * - GITS_IIDR: KVM's, ProductID 'K', Implementer ARM, Revision = the ITS
 *   table ABI revision (0).
 * - GITS_TYPER: Physical, ITT_entry_size 8 bytes, IDbits and Devbits 16,
 *   PTA 0 (collections target vCPU numbers), CIL 0 (16-bit ICIDs).
 * - GITS_CBASER, GITS_BASER<n>: writable only while the ITS is disabled;
 *   a CBASER write resets CREADR and CWRITER to 0 (baser.ts for the fields).
 *   Writing BASER0 or BASER1 not valid forgets every device or collection.
 * - GITS_CWRITER: bits 19:5; a value past the queue's end is ignored;
 *   any other is taken and the queue processed up to it.
 * - GITS_CREADR: read-only to the guest (the KVM façade may write it).
 * - GITS_TRANSLATER: a vCPU's store carries no requester DeviceID. KVM
 *   delivers MSIs only through KVM_SIGNAL_MSI / irqfd with one, so a vCPU
 *   store here signals nothing (write-ignored); a device's write goes
 *   through `machine.signalMsi` or `itsTranslaterWrite`.
 *
 * The 64-bit registers take 32- and 64-bit accesses; a 64-bit write is one
 * call, so CWRITER and the table registers never pass through half a value.
 */
import { ACCESS_32, ACCESS_64, raz, wi, type RegisterDef, type Vgic } from '@vgic/core';
import { BASER_VALID, baserSanitise, cbaserBytes, cbaserSanitise } from './baser.js';
import type { Its } from './its.js';

export const GITS_SIZE = 0x20000;
export const GITS_TRANSLATER_OFFSET = 0x10040;

/** Byte offsets of the GITS registers from the frame's base (`GITS_BASER` is BASER0; BASER<n> at + 8n). */
export const GITS_OFFSETS: Readonly<Record<GitsRegister | 'GITS_BASER', number>> = Object.freeze({
  GITS_CTLR: 0x0000,
  GITS_IIDR: 0x0004,
  GITS_TYPER: 0x0008,
  GITS_CBASER: 0x0080,
  GITS_CWRITER: 0x0088,
  GITS_CREADR: 0x0090,
  GITS_BASER: 0x0100,
  GITS_PIDR4: 0xffd0,
  GITS_PIDR5: 0xffd4,
  GITS_PIDR6: 0xffd8,
  GITS_PIDR7: 0xffdc,
  GITS_PIDR0: 0xffe0,
  GITS_PIDR1: 0xffe4,
  GITS_PIDR2: 0xffe8,
  GITS_PIDR3: 0xffec,
  GITS_CIDR0: 0xfff0,
  GITS_CIDR1: 0xfff4,
  GITS_CIDR2: 0xfff8,
  GITS_CIDR3: 0xfffc,
  GITS_TRANSLATER: GITS_TRANSLATER_OFFSET,
});

/** The GITS registers of one element each (`GITS_BASER<n>`, n = 0..7, is the array). */
export type GitsRegister =
  | 'GITS_CTLR'
  | 'GITS_IIDR'
  | 'GITS_TYPER'
  | 'GITS_CBASER'
  | 'GITS_CWRITER'
  | 'GITS_CREADR'
  | 'GITS_PIDR4'
  | 'GITS_PIDR5'
  | 'GITS_PIDR6'
  | 'GITS_PIDR7'
  | 'GITS_PIDR0'
  | 'GITS_PIDR1'
  | 'GITS_PIDR2'
  | 'GITS_PIDR3'
  | 'GITS_CIDR0'
  | 'GITS_CIDR1'
  | 'GITS_CIDR2'
  | 'GITS_CIDR3'
  | 'GITS_TRANSLATER';

/** Every GITS register name. */
export type GitsRegisterName = GitsRegister | `GITS_BASER${number}`;

/** The 64-bit GITS registers (a name reads all 64 bits; `width: 32` its low half). */
export type GitsWideName = 'GITS_TYPER' | 'GITS_CBASER' | 'GITS_CWRITER' | 'GITS_CREADR' | `GITS_BASER${number}`;

export const GITS_CTLR_ENABLED = 1;
export const GITS_CTLR_QUIESCENT: number = 1 << 31;

/** KVM's GITS_IIDR with ITS table ABI revision 0: ProductID 'K' [31:24], Revision [15:12], Implementer ARM [11:0]. */
export const GITS_IIDR_VALUE = 0x4b00_043b;

/** GITS_TYPER (low word; the high word is 0): Physical [0], ITT_entry_size − 1 [7:4], IDbits − 1 [12:8], Devbits − 1 [17:13]. */
export const GITS_TYPER_VALUE: number = 1 | (7 << 4) | (15 << 8) | (15 << 13);

/** The ID registers as KVM reads them (vgic_mmio_read_its_idregs): PIDR0..4 and CIDR0..3; the rest 0. */
const ID_REGISTERS: ReadonlyMap<number, number> = new Map([
  [0xffd0, 0x40], // PIDR4: a 64 KiB software-visible page
  [0xffe0, 0x92], // PIDR0: part number [7:0]
  [0xffe4, 0xb4], // PIDR1: part number [11:8]
  [0xffe8, 0x3b], // PIDR2: ArchRev GICv3, JEDEC
  [0xfff0, 0x0d],
  [0xfff4, 0xf0],
  [0xfff8, 0x05],
  [0xfffc, 0xb1],
]);

/** The command queue offset a CWRITER (or CREADR) value names: bits 19:5. */
export const cmdOffset = (x: number): number => x & 0x000f_ffe0;

/** A 64-bit register after a 32-bit write of one half (update_64bit_reg). */
function withHalf(old: bigint, high: boolean, value: number): bigint {
  const v = BigInt(value >>> 0);
  return high ? (old & 0xffff_ffffn) | (v << 32n) : (old & ~0xffff_ffffn) | v;
}
const half = (x: bigint, high: boolean): number => Number((high ? x >> 32n : x) & 0xffff_ffffn);
const whole = (lo: number, hi: number): bigint => (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);

/** GITS_CTLR write (vgic_mmio_write_its_ctlr): the caller holds cmd_lock. */
export function writeCtlr(its: Its, value: number): void {
  const on = (value & GITS_CTLR_ENABLED) !== 0;
  if (!its.enabled && on) {
    const ready = (its.baser(0) & BASER_VALID) !== 0n && (its.baser(1) & BASER_VALID) !== 0n && (its.cbaser & BASER_VALID) !== 0n;
    if (!ready) return;
  }
  its.setEnabled(on);
  if (!on) its.invalidateCache();
  its.processCommands();
}

/** GITS_CBASER write while disabled: CREADR and CWRITER start again at 0. The caller holds cmd_lock. */
export function writeCbaser(its: Its, value: bigint): void {
  if (its.enabled) return;
  its.cbaser = cbaserSanitise(value);
  its.setCreadr(0);
  its.setCwriter(0);
}

/** GITS_CWRITER write: the caller holds cmd_lock. */
export function writeCwriter(its: Its, value: number): void {
  const off = cmdOffset(value);
  if (off >= cbaserBytes(its.cbaser)) return;
  its.setCwriter(off);
  its.processCommands();
}

/** GITS_BASER<n> write while disabled (n = 0, 1; the others are WI). */
export function writeBaser(v: Vgic, its: Its, n: number, value: bigint): void {
  if (its.enabled || (n !== 0 && n !== 1)) return;
  const reg = baserSanitise(n, value);
  its.setBaser(n, reg);
  if ((reg & BASER_VALID) === 0n) {
    // KVM takes its_lock so a save or restore cannot race this.
    v.lockIts();
    try {
      if (n === 0) its.freeDevices();
      else its.freeCollections();
    } finally {
      v.unlockIts();
    }
  }
}

function withCmdLock<T>(v: Vgic, f: () => T): T {
  v.lockItsCmd();
  try {
    return f();
  } finally {
    v.unlockItsCmd();
  }
}

/** The GITS frame's registers over the ITS `itsOf(v)` gives. */
export function gitsRegisters(itsOf: (v: Vgic) => Its): RegisterDef[] {
  const O = GITS_OFFSETS;
  const wide = (
    name: string,
    offset: number,
    read: (its: Its) => bigint,
    write: ((v: Vgic, its: Its, value: bigint, offset: number) => void) | null,
    extra: Partial<RegisterDef> = {},
  ): RegisterDef => ({
    name,
    offset,
    width: 64,
    access: ACCESS_32 | ACCESS_64,
    mode: write === null ? 'ro' : 'rw',
    spec: `IHI 0069, ${name}`,
    read: (v, _vcpu, off) => half(read(itsOf(v)), (off & 4) !== 0),
    write:
      write === null
        ? wi
        : (v, _vcpu, off, _width, value) => {
            const its = itsOf(v);
            write(v, its, withHalf(read(its), (off & 4) !== 0, value), off);
          },
    ...(write !== null && {
      write64: (v: Vgic, _vcpu: number, off: number, lo: number, hi: number) => write(v, itsOf(v), whole(lo, hi), off),
    }),
    ...extra,
  });
  return [
    {
      name: 'GITS_CTLR',
      offset: O.GITS_CTLR,
      width: 32,
      access: ACCESS_32,
      spec: 'IHI 0069, GITS_CTLR',
      read: (v) =>
        withCmdLock(v, () => {
          const its = itsOf(v);
          return ((its.creadr === its.cwriter ? GITS_CTLR_QUIESCENT : 0) | (its.enabled ? GITS_CTLR_ENABLED : 0)) >>> 0;
        }),
      write: (v, _vcpu, _off, _width, value) => withCmdLock(v, () => writeCtlr(itsOf(v), value)),
    },
    {
      name: 'GITS_IIDR',
      offset: O.GITS_IIDR,
      width: 32,
      access: ACCESS_32,
      mode: 'ro',
      spec: 'IHI 0069, GITS_IIDR',
      read: () => GITS_IIDR_VALUE,
      write: wi,
    },
    wide('GITS_TYPER', O.GITS_TYPER, () => BigInt(GITS_TYPER_VALUE), null),
    wide('GITS_CBASER', O.GITS_CBASER, (its) => its.cbaser, (v, its, value) => withCmdLock(v, () => writeCbaser(its, value))),
    wide('GITS_CWRITER', O.GITS_CWRITER, (its) => BigInt(its.cwriter), (v, its, value) =>
      withCmdLock(v, () => writeCwriter(its, Number(value & 0xffff_ffffn))),
    ),
    wide('GITS_CREADR', O.GITS_CREADR, (its) => BigInt(its.creadr), null),
    {
      ...wide('GITS_BASER', O.GITS_BASER, () => 0n, null),
      count: 8,
      stride: 8,
      mode: 'rw',
      spec: 'IHI 0069, GITS_BASER<n>',
      read: (v, _vcpu, off) => {
        const n = (off - O.GITS_BASER) >> 3;
        return n < 2 ? half(itsOf(v).baser(n as 0 | 1), (off & 4) !== 0) : 0;
      },
      write: (v, _vcpu, off, _width, value) => {
        const n = (off - O.GITS_BASER) >> 3;
        if (n > 1) return;
        const its = itsOf(v);
        writeBaser(v, its, n, withHalf(its.baser(n as 0 | 1), (off & 4) !== 0, value));
      },
      write64: (v, _vcpu, off, lo, hi) => writeBaser(v, itsOf(v), (off - O.GITS_BASER) >> 3, whole(lo, hi)),
    },
    ...[...ID_REGISTERS.keys(), 0xffd4, 0xffd8, 0xffdc, 0xffec].sort((a, b) => a - b).map(
      (offset): RegisterDef => {
        const name = (Object.keys(O) as (keyof typeof O)[]).find((k) => O[k] === offset)!;
        const value = ID_REGISTERS.get(offset) ?? 0;
        return { name, offset, width: 32, access: ACCESS_32, mode: 'ro', spec: `IHI 0069, ${name} (identification registers)`, read: () => value, write: wi };
      },
    ),
    {
      name: 'GITS_TRANSLATER',
      offset: O.GITS_TRANSLATER,
      width: 32,
      access: ACCESS_32,
      mode: 'wo',
      spec: 'IHI 0069, GITS_TRANSLATER',
      read: raz,
      write: wi,
    },
  ];
}
