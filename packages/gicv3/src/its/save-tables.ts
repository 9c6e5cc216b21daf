/**
 * KVM_DEV_ARM_ITS_SAVE_TABLES and KVM_DEV_ARM_ITS_RESTORE_TABLES in ITS
 * table ABI revision 0 (vgic_its_save_tables_v0 /
 * vgic_its_restore_tables_v0; the entries in abi.ts): the ITS's mappings
 * written to the tables the guest gave it in guest memory, and read back.
 *
 * Saving writes, for each device in DeviceID order, its ITEs in EventID
 * order into its ITT, then its DTE where GITS_BASER0 (flat or two-level)
 * puts it; then every collection's CTE one after another from GITS_BASER1,
 * closed by an invalid entry unless the table is full. Restoring reads the
 * collection table first (a translation names a collection), then walks the
 * device table following each entry's `next`, and each valid device's ITT.
 * The registers must be restored before (arm-vgic-its.rst: GITS_CBASER,
 * then the other registers but GITS_CTLR, then the tables, then
 * GITS_CTLR).
 *
 * An ITE whose collection was unmapped (MAPC V=0 leaves it none) cannot be
 * written — ABI revision 0 has no field for it (KVM would dereference the
 * missing collection); it is left out: an MSI could never reach it again.
 *
 * Both run under its_lock. They answer null, or the errno KVM would return
 * and why.
 */
import { LPI_INTID_BASE } from '@vgic/core';
import { DTE_MAX_NEXT, ITE_MAX_NEXT, decodeCte, decodeDte, decodeIte, encodeCte, encodeDte, encodeIte } from './abi.js';
import { BASER_INDIRECT, BASER_VALID, ENTRY_BYTES, baserAddress, baserBytes, tableEntryAddress } from './baser.js';
import { ITS_EVENT_BITS, type Its } from './its.js';
import { read64, write64, type Pair } from './memory.js';
import { COLLECTION_UNMAPPED } from './tables.js';

export interface TableError {
  readonly errno: 'EINVAL' | 'EFAULT' | 'EEXIST' | 'ENOMEM';
  readonly why: string;
}

const L2_BYTES = 0x10000;

const fault = (what: string, addr: number): TableError => ({ errno: 'EFAULT', why: `${what} at 0x${addr.toString(16)} is outside guest memory` });

function write(its: Its, addr: number, e: bigint): boolean {
  return write64(its.mem, addr, Number(e & 0xffff_ffffn), Number(e >> 32n));
}

const entry: Pair = [0, 0];
function read(its: Its, addr: number): bigint | null {
  return read64(its.mem, addr, entry) ? (BigInt(entry[1]) << 32n) | BigInt(entry[0]) : null;
}

// ------------------------------------------------------------ save

export function saveTables(its: Its): TableError | null {
  return saveDevices(its) ?? saveCollections(its);
}

function saveDevices(its: Its): TableError | null {
  const t = its.t;
  const baser = its.baser(0);
  if ((baser & BASER_VALID) === 0n) return null;
  const devices: number[] = [];
  for (let e = 0; e < t.caps.devices; e++) if (t.deviceInUse(e)) devices.push(e);
  devices.sort((a, b) => t.deviceId(a) - t.deviceId(b));
  for (let k = 0; k < devices.length; k++) {
    const e = devices[k]!;
    const id = t.deviceId(e);
    const dte = tableEntryAddress(its.mem, baser, id);
    if (dte < 0) return { errno: 'EINVAL', why: `device ${id} has no entry in the device table GITS_BASER0 describes` };
    const err = saveItt(its, e);
    if (err !== null) return err;
    const next = k + 1 < devices.length ? Math.min(t.deviceId(devices[k + 1]!) - id, DTE_MAX_NEXT) : 0;
    if (!write(its, dte, encodeDte(next, t.deviceItt(e), t.deviceEventBits(e)))) return fault(`the DTE of device ${id}`, dte);
  }
  return null;
}

function saveItt(its: Its, dev: number): TableError | null {
  const t = its.t;
  const id = t.deviceId(dev);
  const itt = t.deviceItt(dev);
  const ites: number[] = [];
  for (let i = 0; i < t.caps.translations; i++) {
    if (t.translationInUse(i) && t.translationDevice(i) === id && t.translationCollection(i) >= 0) ites.push(i);
  }
  ites.sort((a, b) => t.translationEvent(a) - t.translationEvent(b));
  for (let k = 0; k < ites.length; k++) {
    const i = ites[k]!;
    const event = t.translationEvent(i);
    const next = k + 1 < ites.length ? Math.min(t.translationEvent(ites[k + 1]!) - event, ITE_MAX_NEXT) : 0;
    const icid = t.collectionId(t.translationCollection(i));
    const at = itt + event * ENTRY_BYTES;
    if (!write(its, at, encodeIte(next, t.translationIntid(i), icid))) return fault(`the ITE of device ${id} event ${event}`, at);
  }
  return null;
}

function saveCollections(its: Its): TableError | null {
  const t = its.t;
  const baser = its.baser(1);
  if ((baser & BASER_VALID) === 0n) return null;
  let at = baserAddress(baser);
  const end = at + baserBytes(baser);
  for (let e = 0; e < t.caps.collections; e++) {
    if (!t.collectionInUse(e)) continue;
    if (at >= end) return { errno: 'EINVAL', why: 'the collection table GITS_BASER1 describes is too small for the collections' };
    if (!write(its, at, encodeCte(t.collectionTarget(e), t.collectionId(e)))) return fault('a CTE', at);
    at += ENTRY_BYTES;
  }
  // A table not filled ends with an invalid entry.
  if (at < end && !write(its, at, 0n)) return fault('the collection table\'s last entry', at);
  return null;
}

// ------------------------------------------------------------ restore

export function restoreTables(its: Its): TableError | null {
  return restoreCollections(its) ?? restoreDevices(its);
}

function restoreCollections(its: Its): TableError | null {
  const t = its.t;
  const baser = its.baser(1);
  if ((baser & BASER_VALID) === 0n) return null;
  const start = baserAddress(baser);
  const end = start + baserBytes(baser);
  for (let at = start; at < end; at += ENTRY_BYTES) {
    const e = read(its, at);
    if (e === null) return fault('a CTE', at);
    const cte = decodeCte(e);
    if (!cte.valid) return null;
    if (cte.target !== COLLECTION_UNMAPPED && cte.target >= its.v.nrVcpus) {
      return { errno: 'EINVAL', why: `collection ${cte.icid} targets vCPU ${cte.target}, which does not exist` };
    }
    if (t.findCollection(cte.icid) >= 0) return { errno: 'EEXIST', why: `collection ${cte.icid} appears twice in the collection table` };
    if (tableEntryAddress(its.mem, baser, cte.icid) < 0) return { errno: 'EINVAL', why: `collection ${cte.icid} is past the collection table` };
    if (t.addCollection(cte.icid, cte.target) < 0) return { errno: 'ENOMEM', why: `more than ${t.caps.collections} collections` };
  }
  return null;
}

/** What a scan of a table says: an error, the last entry found (0), or the table ended first (1). */
type Scan = TableError | 0 | 1;

/**
 * scan_its_table: entries of `esz` bytes from `base`, `bytes` of them, the
 * first with ID `first`; `fn` answers the distance to the next entry to
 * read (0: that was the last, an error: stop).
 */
function scan(its: Its, base: number, bytes: number, first: number, fn: (id: number, e: bigint) => number | TableError): Scan {
  let id = first;
  let at = base;
  let left = bytes;
  while (left > 0) {
    const e = read(its, at);
    if (e === null) return fault('a table entry', at);
    const next = fn(id, e);
    if (typeof next !== 'number') return next;
    if (next <= 0) return 0;
    id += next;
    at += next * ENTRY_BYTES;
    left -= next * ENTRY_BYTES;
  }
  return 1;
}

function restoreDevices(its: Its): TableError | null {
  const baser = its.baser(0);
  if ((baser & BASER_VALID) === 0n) return null;
  const base = baserAddress(baser);
  const bytes = baserBytes(baser);
  const dte = (id: number, e: bigint): number | TableError => restoreDevice(its, id, e);
  let r: Scan;
  if ((baser & BASER_INDIRECT) !== 0n) {
    // Level-1 entries one by one; each valid one a 64 KiB page of DTEs.
    r = scan(its, base, bytes, 0, (index, l1) => {
      if ((l1 >> 63n) === 0n) return 1;
      const page = Number(l1 & 0x000f_ffff_ffff_0000n);
      const inner = scan(its, page, L2_BYTES, index * (L2_BYTES / ENTRY_BYTES), dte);
      return inner;
    });
  } else {
    r = scan(its, base, bytes, 0, dte);
  }
  return typeof r === 'number' ? null : r;
}

function restoreDevice(its: Its, id: number, e: bigint): number | TableError {
  const d = decodeDte(e);
  if (!d.valid) return 1;
  const t = its.t;
  // KVM takes any size here; MAPD never makes one above 16 bits, so neither does a restore.
  if (d.eventBits > ITS_EVENT_BITS) return { errno: 'EINVAL', why: `device ${id} has ${d.eventBits} EventID bits; this ITS has ${ITS_EVENT_BITS}` };
  if (t.findDevice(id) >= 0) return { errno: 'EEXIST', why: `device ${id} appears twice in the device table` };
  const dev = t.addDevice(id, d.itt, d.eventBits);
  if (dev < 0) return { errno: 'ENOMEM', why: `more than ${t.caps.devices} devices` };
  const r = scan(its, d.itt, 2 ** d.eventBits * ENTRY_BYTES, 0, (event, ite) => restoreTranslation(its, id, d.eventBits, event, ite));
  if (typeof r !== 'number') {
    its.freeDevice(dev);
    return r;
  }
  return d.next;
}

function restoreTranslation(its: Its, deviceId: number, eventBits: number, event: number, e: bigint): number | TableError {
  const ite = decodeIte(e);
  if (ite.intid === 0) return 1;
  if (ite.intid < LPI_INTID_BASE) return { errno: 'EINVAL', why: `device ${deviceId} event ${event} maps INTID ${ite.intid}, which is no LPI` };
  if (event + ite.next >= 2 ** eventBits) return { errno: 'EINVAL', why: `device ${deviceId} event ${event}: the next entry is past the ITT` };
  const coll = its.t.findCollection(ite.icid);
  if (coll < 0) return { errno: 'EINVAL', why: `device ${deviceId} event ${event} names collection ${ite.icid}, which the collection table lacks` };
  if (!its.addTranslation(deviceId, event, ite.intid, coll)) return { errno: 'ENOMEM', why: `no room for device ${deviceId} event ${event} (translations or LPIs)` };
  return ite.next;
}

