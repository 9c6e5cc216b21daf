/**
 * KVM's ITS table ABI, revision 0 (Documentation/virt/kvm/devices/
 * arm-vgic-its.rst): the 8-byte little-endian entries
 * KVM_DEV_ARM_ITS_SAVE_TABLES writes to guest memory and
 * KVM_DEV_ARM_ITS_RESTORE_TABLES reads back.
 *
 * - DTE (device table, indexed by DeviceID):
 *   V [63] | next [62:49] | ITT_addr [48:5] (address bits 51:8) | Size [4:0] (EventID bits − 1).
 * - ITE (a device's ITT, indexed by EventID):
 *   next [63:48] | pINTID [47:16] | ICID [15:0]; pINTID 0 marks an invalid entry.
 * - CTE (collection table, in no order): V [63] | RDBase [51:16] | ICID [15:0];
 *   RDBase is the target vCPU (PTA = 0), 0xffffffff for an unmapped collection.
 *
 * `next` is the distance in IDs to the next valid entry of the same table
 * (0: this is the last), capped at 2^14 − 1 for DTEs and 2^16 − 1 for ITEs
 * (KVM's VITS_DTE_MAX_DEVID_OFFSET, VITS_ITE_MAX_EVENTID_OFFSET); a
 * restore follows it to skip empty stretches.
 */

export const DTE_MAX_NEXT: number = (1 << 14) - 1;
export const ITE_MAX_NEXT: number = (1 << 16) - 1;

export interface Dte {
  readonly valid: boolean;
  readonly next: number;
  /** The ITT's address (256-byte aligned). */
  readonly itt: number;
  /** EventID bits. */
  readonly eventBits: number;
}

export function encodeDte(next: number, itt: number, eventBits: number): bigint {
  return (1n << 63n) | (BigInt(Math.min(next, DTE_MAX_NEXT)) << 49n) | (BigInt(Math.floor(itt / 256)) << 5n) | BigInt((eventBits - 1) & 0x1f);
}

export function decodeDte(e: bigint): Dte {
  return {
    valid: (e >> 63n) !== 0n,
    next: Number((e >> 49n) & 0x3fffn),
    itt: Number((e >> 5n) & 0xfff_ffff_ffffn) * 256,
    eventBits: Number(e & 0x1fn) + 1,
  };
}

export interface Ite {
  readonly next: number;
  /** 0: an invalid entry. */
  readonly intid: number;
  readonly icid: number;
}

export function encodeIte(next: number, intid: number, icid: number): bigint {
  return (BigInt(Math.min(next, ITE_MAX_NEXT)) << 48n) | (BigInt(intid >>> 0) << 16n) | BigInt(icid & 0xffff);
}

export function decodeIte(e: bigint): Ite {
  return { next: Number(e >> 48n), intid: Number((e >> 16n) & 0xffff_ffffn), icid: Number(e & 0xffffn) };
}

export interface Cte {
  readonly valid: boolean;
  /** The target vCPU, or 0xffffffff for an unmapped collection. */
  readonly target: number;
  readonly icid: number;
}

export function encodeCte(target: number, icid: number): bigint {
  return (1n << 63n) | (BigInt(target >>> 0) << 16n) | BigInt(icid & 0xffff);
}

export function decodeCte(e: bigint): Cte {
  // KVM reads RDBase as the 32 bits above ICID: (u32)(val >> 16).
  return { valid: (e >> 63n) !== 0n, target: Number((e >> 16n) & 0xffff_ffffn), icid: Number(e & 0xffffn) };
}
