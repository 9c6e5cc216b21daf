/**
 * The ITS as a VMM sees it through KVM's device attributes
 * (KVM_DEV_TYPE_ARM_VGIC_ITS, Documentation/virt/kvm/devices/
 * arm-vgic-its.rst), beside the GIC's own device (core's `kvmDevice`):
 *
 * - KVM_DEV_ARM_VGIC_GRP_ADDR / KVM_VGIC_ITS_ADDR_TYPE: the frame's base
 *   (fixed when the machine is made: setting it to anything else is refused).
 * - KVM_DEV_ARM_VGIC_GRP_ITS_REGS: the GITS registers by offset, 64-bit
 *   registers 64 bits at a time (8-byte aligned), the others 32 (4-byte
 *   aligned); userspace may write GITS_IIDR (its Revision picks the table
 *   ABI: only 0 exists) and GITS_CREADR (while the ITS is disabled, an
 *   offset inside the queue); GITS_TRANSLATER is not a register here.
 * - KVM_DEV_ARM_VGIC_GRP_CTRL: KVM_DEV_ARM_VGIC_CTRL_INIT (nothing to do),
 *   KVM_DEV_ARM_ITS_CTRL_RESET, KVM_DEV_ARM_ITS_SAVE_TABLES,
 *   KVM_DEV_ARM_ITS_RESTORE_TABLES (save-tables.ts).
 *
 * Restore in the order arm-vgic-its.rst gives: guest RAM and the
 * redistributors first, then GITS_CBASER, the other GITS registers but
 * GITS_CTLR, KVM_DEV_ARM_ITS_RESTORE_TABLES, and GITS_CTLR last.
 *
 * Like KVM (which holds every vCPU out of the guest), every running vCPU
 * exits first. An errno KVM would return is a VgicError: INVALID_ARGUMENT
 * for a bad attribute (EINVAL, ENXIO), INVALID_STATE for EBUSY, EEXIST and
 * a table that cannot be restored or saved (the message says which errno).
 */
import {
  KVM_DEV_ARM_VGIC_CTRL_INIT,
  KVM_DEV_ARM_VGIC_GRP_ADDR,
  KVM_DEV_ARM_VGIC_GRP_CTRL,
  VCPU_RUNNING,
  VgicError,
  syncHwState,
  type Machine,
  type Vgic,
} from '@vgic/core';
import { GITS_IIDR_VALUE, GITS_OFFSETS, cmdOffset, writeBaser, writeCbaser, writeCtlr, writeCwriter } from './frame.js';
import { cbaserBytes } from './baser.js';
import type { Its } from './its.js';
import { itsOfMachine } from './machines.js';
import { restoreTables, saveTables, type TableError } from './save-tables.js';
import { LINE_WORDS } from '@vgic/core';

/** The ITS device's attribute groups and attributes beside core's (arch/arm64/include/uapi/asm/kvm.h). */
export const KVM_DEV_ARM_VGIC_GRP_ITS_REGS = 8;
export const KVM_VGIC_ITS_ADDR_TYPE = 4;
export const KVM_DEV_ARM_ITS_SAVE_TABLES = 1;
export const KVM_DEV_ARM_ITS_RESTORE_TABLES = 2;
export const KVM_DEV_ARM_ITS_CTRL_RESET = 4;

const O = GITS_OFFSETS;
const hex = (n: number): string => `0x${n.toString(16)}`;

function bad(message: string): never {
  throw new VgicError('INVALID_ARGUMENT', message);
}

function u64(x: unknown, what: string): bigint {
  if (typeof x === 'bigint' && x >= 0n && x < 1n << 64n) return x;
  if (typeof x === 'number' && Number.isSafeInteger(x) && x >= 0) return BigInt(x);
  return bad(`${what} is an unsigned 64-bit value (a whole number or a bigint); got ${String(x)}`);
}

/** The registers KVM_DEV_ARM_VGIC_GRP_ITS_REGS reaches, by offset: the width userspace uses. */
function regWidth(offset: number): 32 | 64 | 0 {
  if (offset === O.GITS_CTLR || offset === O.GITS_IIDR) return 32;
  if (offset === O.GITS_TYPER || offset === O.GITS_CBASER || offset === O.GITS_CWRITER || offset === O.GITS_CREADR) return 64;
  if (offset >= O.GITS_BASER && offset < O.GITS_BASER + 0x40) return 64;
  if (offset >= O.GITS_PIDR4 && offset <= O.GITS_CIDR3) return 32;
  return 0;
}

/** Why GITS_CREADR cannot be given `off` now, thrown (vgic_mmio_uaccess_write_its_creadr); the caller holds cmd_lock. */
function checkCreadr(its: Its, off: number): void {
  if (its.enabled) throw new VgicError('INVALID_STATE', 'GITS_CREADR can be written only while the ITS is disabled (EBUSY)');
  if (off >= cbaserBytes(its.cbaser)) bad(`GITS_CREADR ${hex(off)} is past the command queue (EINVAL)`);
}

export class KvmItsDevice {
  constructor(readonly machine: Machine) {
    itsOfMachine(machine); // refuses a machine without an ITS
  }

  private get v(): Vgic {
    return this.machine.vgic;
  }
  private get its(): Its {
    return itsOfMachine(this.machine);
  }

  /** Every vCPU out of the guest, as KVM's lock_all_vcpus. */
  private stopVcpus(): void {
    const v = this.v;
    for (let k = 0; k < v.nrVcpus; k++) if (v.runState[k * LINE_WORDS] === VCPU_RUNNING) syncHwState(v, k);
  }

  /** KVM_GET_DEVICE_ATTR. */
  getAttr(group: number, attr: bigint | number): bigint {
    const a = Number(u64(attr, 'attr') & 0xffff_ffffn);
    switch (group) {
      case KVM_DEV_ARM_VGIC_GRP_ADDR:
        if (a !== KVM_VGIC_ITS_ADDR_TYPE) bad(`KVM_DEV_ARM_VGIC_GRP_ADDR attribute ${a} is not KVM_VGIC_ITS_ADDR_TYPE (4)`);
        return BigInt(this.machine.frameMap.named('GITS')!.frame.base);
      case KVM_DEV_ARM_VGIC_GRP_ITS_REGS:
        return this.readReg(a);
      default:
        return bad(`attribute group ${String(group)} cannot be read on the ITS device`);
    }
  }

  /** KVM_SET_DEVICE_ATTR. */
  setAttr(group: number, attr: bigint | number, value: bigint | number = 0): void {
    const a = Number(u64(attr, 'attr') & 0xffff_ffffn);
    const val = u64(value, 'the attribute value');
    switch (group) {
      case KVM_DEV_ARM_VGIC_GRP_ADDR: {
        if (a !== KVM_VGIC_ITS_ADDR_TYPE) bad(`KVM_DEV_ARM_VGIC_GRP_ADDR attribute ${a} is not KVM_VGIC_ITS_ADDR_TYPE (4)`);
        const base = this.machine.frameMap.named('GITS')!.frame.base;
        if (val !== BigInt(base)) throw new VgicError('INVALID_STATE', `the ITS is at ${hex(base)}, fixed when the machine was made (EEXIST)`);
        return;
      }
      case KVM_DEV_ARM_VGIC_GRP_ITS_REGS:
        this.writeReg(a, val);
        return;
      case KVM_DEV_ARM_VGIC_GRP_CTRL:
        this.ctrl(a);
        return;
      default:
        bad(`attribute group ${String(group)} cannot be written on the ITS device`);
    }
  }

  private check(offset: number): 32 | 64 {
    const width = regWidth(offset);
    if (width === 0) bad(`ITS register offset ${hex(offset)} is no register KVM_DEV_ARM_VGIC_GRP_ITS_REGS reaches (ENXIO)`);
    if (offset % (width / 8) !== 0) bad(`ITS register offset ${hex(offset)} is not ${width / 8}-byte aligned (EINVAL)`);
    return width;
  }

  /** A GITS register as userspace reads it: the guest's view, 64-bit registers whole. */
  readReg(offset: number): bigint {
    const width = this.check(offset);
    const g = this.machine.frameMap.named('GITS')!.frame.base;
    this.stopVcpus();
    return BigInt(this.machine.mmioRead(0, g + offset, width)!);
  }

  /**
   * A GITS register as userspace writes it (vgic_its_attr_regs_access).
   * A write it refuses is refused before any vCPU is made to exit, so that
   * it changes nothing.
   */
  writeReg(offset: number, value: bigint): void {
    const width = this.check(offset);
    const its = this.its;
    const v = this.v;
    if (width === 32 && value > 0xffff_ffffn) bad(`ITS register ${hex(offset)} is 32 bits; got ${value}`);
    const lo = Number(value & 0xffff_ffffn);
    if (offset === O.GITS_IIDR) {
      // vgic_mmio_uaccess_write_its_iidr: the Revision picks the table ABI; only revision 0 exists.
      const rev = (lo >>> 12) & 0xf;
      if (rev !== ((GITS_IIDR_VALUE >>> 12) & 0xf)) bad(`GITS_IIDR.Revision ${rev} is no ITS table ABI revision this ITS has (only 0)`);
      this.stopVcpus();
      return;
    }
    if (offset === O.GITS_CREADR) {
      const off = cmdOffset(lo);
      this.cmdLocked(() => checkCreadr(its, off));
      this.stopVcpus();
      // Checked again: another thread may have enabled the ITS or moved its queue meanwhile.
      this.cmdLocked(() => {
        checkCreadr(its, off);
        its.setCreadr(off);
      });
      return;
    }
    this.stopVcpus();
    if (offset === O.GITS_CTLR) return this.cmdLocked(() => writeCtlr(its, lo));
    if (offset === O.GITS_CBASER) return this.cmdLocked(() => writeCbaser(its, value));
    if (offset === O.GITS_CWRITER) return this.cmdLocked(() => writeCwriter(its, lo));
    if (offset >= O.GITS_BASER && offset < O.GITS_BASER + 0x40) return writeBaser(v, its, (offset - O.GITS_BASER) >> 3, value);
    // GITS_TYPER and the ID registers are read-only.
  }

  private cmdLocked(f: () => void): void {
    this.v.lockItsCmd();
    try {
      f();
    } finally {
      this.v.unlockItsCmd();
    }
  }

  private ctrl(attr: number): void {
    if (attr === KVM_DEV_ARM_VGIC_CTRL_INIT) return;
    if (attr !== KVM_DEV_ARM_ITS_CTRL_RESET && attr !== KVM_DEV_ARM_ITS_SAVE_TABLES && attr !== KVM_DEV_ARM_ITS_RESTORE_TABLES) {
      bad(`KVM_DEV_ARM_VGIC_GRP_CTRL attribute ${attr} is not one the ITS device has (ENXIO)`);
    }
    const its = this.its;
    const v = this.v;
    this.stopVcpus();
    let err: TableError | null = null;
    v.lockIts();
    try {
      if (attr === KVM_DEV_ARM_ITS_CTRL_RESET) its.ctrlReset();
      else if (attr === KVM_DEV_ARM_ITS_SAVE_TABLES) err = saveTables(its);
      else err = restoreTables(its);
    } finally {
      v.unlockIts();
    }
    if (err !== null) {
      const what = attr === KVM_DEV_ARM_ITS_SAVE_TABLES ? 'KVM_DEV_ARM_ITS_SAVE_TABLES' : 'KVM_DEV_ARM_ITS_RESTORE_TABLES';
      throw new VgicError('INVALID_STATE', `${what} failed (${err.errno}): ${err.why}`);
    }
  }
}

/** The ITS device of a machine made with `its` (KVM_CREATE_DEVICE of KVM_DEV_TYPE_ARM_VGIC_ITS). */
export function kvmItsDevice(machine: Machine): KvmItsDevice {
  return new KvmItsDevice(machine);
}
