/** An ITS machine brought up as a guest's drivers bring one up, for the package's tests (not exported). */
import { irqState, lpiSlot, type Machine } from '@vgic/core';
import { createGicv3, type Gicv3Machine, type Gicv3Options } from '../machine.js';
import { bringUp } from '../fixtures.js';
import { queueItsCommand } from './api.js';
import type { ItsCommand } from './command.js';
import { DEFAULT_GITS_BASE } from './options.js';

export const RAM: number = 0x4000_0000;
export const RAM_SIZE: number = 0x40_0000;
/** The LPI property table (GICR_PROPBASER): one byte per LPI from 8192. */
export const PROP: number = RAM + 0x1_0000;
/** vCPU k's pending table (GICR_PENDBASER), 64 KiB apart. */
export const PEND: number = RAM + 0x2_0000;
export const DEVICE_TABLE: number = RAM + 0x10_0000;
export const COLLECTION_TABLE: number = RAM + 0x11_0000;
/** The command queue: one 4 KiB page, 128 commands. */
export const QUEUE: number = RAM + 0x12_0000;
/** Device d's ITT. */
export const itt = (d: number): number => RAM + 0x20_0000 + d * 0x1000;
export const GITS: number = DEFAULT_GITS_BASE;

/** A property byte: priority 0xa0, enabled. */
export const PROP_ENABLED: number = 0xa1;

export interface ItsRig {
  readonly m: Gicv3Machine;
  readonly ram: DataView;
  /**
   * Queue one command (as the guest's driver does) and let the ITS process
   * it; the GITS_CWRITER write is `by`'s (default vCPU 0), a trapping access:
   * that vCPU exits and re-enters around it; `'host'` from a thread that runs
   * no vCPU (see `queueItsCommand`).
   */
  cmd(c: ItsCommand, by?: number | 'host'): void;
  /** The slot of LPI `intid`, or -1. */
  slot(intid: number): number;
}

export interface RigOptions {
  vcpus?: number;
  lpis?: number;
  /** Leave the redistributors' EnableLPIs and the ITS off. */
  noEnable?: boolean;
  its?: Gicv3Options['its'];
  shared?: boolean;
}

/** A GICv3 machine with an ITS and guest RAM, the LPI tables set up, LPIs 8192.. enabled at priority 0xa0, the ITS enabled. */
export function itsRig(o: RigOptions = {}): ItsRig {
  const vcpus = o.vcpus ?? 2;
  const buffer = o.shared === true ? new SharedArrayBuffer(RAM_SIZE) : new ArrayBuffer(RAM_SIZE);
  const m = createGicv3({
    vcpus,
    its: o.its ?? true,
    ...(o.lpis !== undefined && { lpis: o.lpis }),
    ...(o.shared === true && { shared: true }),
    guestMemory: [{ base: RAM, buffer }],
  });
  const ram = new DataView(buffer);
  bringUp(m);
  new Uint8Array(buffer, PROP - RAM, 0x1_0000).fill(PROP_ENABLED);
  // 16 INTID bits: IDbits = 15.
  m.writeRegister('GICR_PROPBASER', BigInt(PROP) | 15n, { rd: 0 });
  for (let k = 0; k < vcpus; k++) {
    m.writeRegister('GICR_PENDBASER', BigInt(PEND + k * 0x1_0000), { rd: k });
  }
  m.writeRegister('GITS_BASER0', (1n << 63n) | BigInt(DEVICE_TABLE));
  m.writeRegister('GITS_BASER1', (1n << 63n) | BigInt(COLLECTION_TABLE));
  m.writeRegister('GITS_CBASER', (1n << 63n) | BigInt(QUEUE));
  if (o.noEnable !== true) enableAll(m);
  return {
    m,
    ram,
    cmd: (c, by = 0) => {
      if (!queueItsCommand(m, c, by)) throw new Error('the command queue is outside guest RAM');
    },
    slot: (intid) => lpiSlot(m.vgic, intid),
  };
}

/** Every redistributor's EnableLPIs, and the ITS. */
export function enableAll(m: Machine): void {
  for (let k = 0; k < m.vcpus; k++) m.writeRegister('GICR_CTLR', 1, { rd: k });
  m.writeRegister('GITS_CTLR', 1);
}

/** Device `d` mapped with 16 events; collection c → vCPU c for each vCPU. */
export function mapDeviceAndCollections(r: ItsRig, d = 1): void {
  r.cmd({ cmd: 'MAPD', device: d, itt: itt(d), size: 4, valid: true });
  for (let k = 0; k < r.m.vcpus; k++) r.cmd({ cmd: 'MAPC', collection: k, target: k, valid: true });
}

/** LPI `intid` as the engine holds it (its slot's state), or null when it is not mapped. */
export function lpi(m: Machine, intid: number): { pending: boolean; enabled: boolean; priority: number; target: number; queued: number } | null {
  const v = m.vgic;
  const s = lpiSlot(v, intid);
  if (s < 0) return null;
  return { pending: irqState(v, s).pending, enabled: v.enabled[s] !== 0, priority: v.priority[s]!, target: v.target[s]!, queued: v.apListVcpu[s]! };
}
