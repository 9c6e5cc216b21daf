/**
 * The ITS for an integrator, a scenario runner or a test: what its tables
 * hold, a device's write to GITS_TRANSLATER, and a command queued as a
 * guest's ITS driver queues one.
 */
import { VgicError, describeValue, hostWrite, resolveHostRegister, type Machine } from '@vgic/core';
import { cbaserAddress, cbaserBytes } from './baser.js';
import { encodeItsCommand, ITS_CMD_BYTES, type ItsCommand } from './command.js';
import { GITS_OFFSETS, GITS_TRANSLATER_OFFSET } from './frame.js';
import { itsOfMachine } from './machines.js';
import { tableContents } from './snapshot.js';
import { H_DEBUG } from './tables.js';

export interface ItsDeviceState {
  readonly device: number;
  readonly itt: number;
  /** EventID bits. */
  readonly size: number;
}
export interface ItsCollectionState {
  readonly collection: number;
  /** The target vCPU, or null for a collection that exists unmapped. */
  readonly target: number | null;
}
export interface ItsTranslationState {
  readonly device: number;
  readonly event: number;
  readonly intid: number;
  /** The ICID, or null when the collection was unmapped (MAPC V=0) after the translation was made. */
  readonly collection: number | null;
}
export interface ItsState {
  readonly enabled: boolean;
  readonly cbaser: bigint;
  readonly cwriter: number;
  readonly creadr: number;
  /** GITS_BASER0 (device table) and GITS_BASER1 (collection table). */
  readonly baser: readonly [bigint, bigint];
  readonly devices: readonly ItsDeviceState[];
  readonly collections: readonly ItsCollectionState[];
  readonly translations: readonly ItsTranslationState[];
}

/**
 * What machine `m`'s ITS holds, sorted by IDs: plain data, nothing
 * changed (its_lock is held while it is read). Throws INVALID_CONFIG for a
 * machine without an ITS.
 */
export function itsState(m: Machine): ItsState {
  const its = itsOfMachine(m);
  const v = m.vgic;
  v.lockIts();
  try {
    return {
      enabled: its.enabled,
      cbaser: its.cbaser,
      cwriter: its.cwriter,
      creadr: its.creadr,
      baser: [its.baser(0), its.baser(1)],
      ...tableContents(its),
    };
  } finally {
    v.unlockIts();
  }
}

/**
 * Test hooks for machine `m`'s ITS (ITS_DEBUG_* bits), in its shared state
 * so every thread's view sees them. 0 turns them off.
 */
export function setItsDebug(m: Machine, flags: number): void {
  if (typeof flags !== 'number' || flags >>> 0 !== flags) throw new VgicError('INVALID_ARGUMENT', `ITS debug flags are a u32; got ${describeValue(flags)}`);
  Atomics.store(itsOfMachine(m).t.w, H_DEBUG, flags);
}

/**
 * A device's 32-bit write of `value` (its EventID) to guest physical
 * `address` as requester `deviceId`, as a PCI model makes an MSI from its
 * MSI-X table entry: when `address` is this machine's GITS_TRANSLATER, the
 * MSI `machine.signalMsi` signals; any other address is none (false), as
 * KVM finds no ITS at a doorbell that is not one (vgic_msi_to_its).
 */
export function itsTranslaterWrite(m: Machine, deviceId: number, address: number | bigint, value: number): boolean {
  itsOfMachine(m);
  const base = m.frameMap.named('GITS')!.frame.base;
  if (typeof address !== 'number' && typeof address !== 'bigint') {
    throw new VgicError('INVALID_ARGUMENT', `the MSI address is a guest physical address; got ${describeValue(address)}`);
  }
  if (BigInt(address) !== BigInt(base + GITS_TRANSLATER_OFFSET)) return false;
  return m.signalMsi(deviceId, value);
}

/**
 * Queue command `c` as a guest's ITS driver does: its 32 bytes at
 * GITS_CBASER + GITS_CWRITER in guest memory, then a write of GITS_CWRITER
 * moved on by 32 (wrapping at the queue's end), which makes the ITS process
 * it if it is enabled. False, and nothing written, when the queue's slot is
 * outside guest memory. Throws INVALID_ARGUMENT for a command that does not
 * encode.
 *
 * `by` is who writes GITS_CWRITER. A vCPU number: that vCPU's store, a
 * trapped access around which it exits and re-enters — so only from the
 * thread that runs that vCPU (its list registers are that thread's). `'host'`:
 * the emulation of the trapped store alone (`hostWrite`), from a thread that
 * runs no vCPU, such as a VMM's main thread while the vCPUs run on workers.
 */
export function queueItsCommand(m: Machine, c: ItsCommand, by: number | 'host' = 0): boolean {
  // Refused before anything is written: a misuse changes nothing, guest memory included.
  if (by !== 'host' && !(typeof by === 'number' && Number.isInteger(by) && by >= 0 && by < m.vcpus)) {
    throw new VgicError('INVALID_VCPU', `queueItsCommand: by must be 'host' or a vCPU 0..${m.vcpus - 1}; got ${describeValue(by)}`);
  }
  const its = itsOfMachine(m);
  const bytes = encodeItsCommand(c);
  const cbaser = its.cbaser;
  const at = cbaserAddress(cbaser) + its.cwriter;
  const mem = m.vgic.memory;
  for (let i = 0; i < ITS_CMD_BYTES; i += 4) {
    mem.fault = false;
    mem.read32(at + i);
    if (mem.fault) return false;
  }
  const dv = new DataView(bytes.buffer);
  for (let i = 0; i < ITS_CMD_BYTES; i += 4) mem.write32(at + i, dv.getUint32(i, true));
  let next = its.cwriter + ITS_CMD_BYTES;
  if (next >= cbaserBytes(cbaser)) next = 0;
  if (by === 'host') {
    hostWrite(m, resolveHostRegister(m, 'GITS_CWRITER'), BigInt(next));
    return true;
  }
  const base = m.frameMap.named('GITS')!.frame.base;
  m.mmioWrite(by, base + GITS_OFFSETS.GITS_CWRITER, 64, BigInt(next));
  return true;
}
