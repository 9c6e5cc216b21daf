/**
 * The ITS at work (KVM: vgic-its.c): the command queue, each command's
 * effect on the tables and on the LPIs, and the translation of an MSI.
 *
 * Locks, as KVM takes them: a GITS_CWRITER write (or GITS_CTLR enabling the
 * ITS) takes the ITS's cmd_lock and processes the queue; each command takes
 * its_lock while it runs, then calls core's LPI functions, which take the
 * ap_list, LPI map and irq locks below it. An MSI takes its_lock alone
 * (KVM's cache lookup takes none, relying on RCU and a reference it takes
 * on the LPI; here a slot DISCARD frees may be reused at once by a MAPTI,
 * and only its_lock keeps a racing MSI off the new LPI).
 *
 * Commands never stall and never report an error (KVM ignores every
 * command error): a command with bad parameters, naming something that is
 * not mapped, or unreadable in guest memory is skipped and CREADR moves on.
 */
import {
  LPI_INTID_BASE,
  NONE,
  lpiAllocate,
  lpiClearPending,
  lpiRelease,
  lpiSetPending,
  lpiSetTarget,
  lpiSlot,
  type Vgic,
} from '@vgic/core';
import { cacheFill, cacheGeneration, cacheInvalidate, cacheLookup, cacheReset } from './cache.js';
import {
  ITS_CMD,
  cmdCollection,
  cmdDevice,
  cmdEvent,
  cmdItt,
  cmdNumber,
  cmdPhysicalId,
  cmdSize,
  cmdTarget,
  cmdTarget2,
  cmdValid,
} from './command.js';
import {
  BASER_VALID,
  ENTRY_BYTES,
  baserReset,
  cbaserAddress,
  cbaserBytes,
  tableEntryAddress,
} from './baser.js';
import { write64, type ItsMemory } from './memory.js';
import type { LpiRedistributors } from './redistributors.js';
import {
  COLLECTION_UNMAPPED,
  H_BASER0_HI,
  H_BASER0_LO,
  H_BASER1_HI,
  H_BASER1_LO,
  H_CBASER_HI,
  H_CBASER_LO,
  H_CREADR,
  H_CWRITER,
  H_ENABLED,
  ItsTables,
  iteKey,
} from './tables.js';

/** KVM's VITS_TYPER_IDBITS: EventIDs of up to 16 bits (MAPD refuses a bigger ITT). */
export const ITS_EVENT_BITS = 16;
/** KVM's VITS_TYPER_DEVBITS: 16-bit DeviceIDs. */
export const ITS_DEVICE_BITS = 16;
const ID_LIMIT = 1 << 16;

const hi32 = (x: bigint): number => Number((x >> 32n) & 0xffff_ffffn);
const lo32 = (x: bigint): number => Number(x & 0xffff_ffffn);

export class Its {
  private readonly cmd = new Uint32Array(8);

  constructor(
    readonly v: Vgic,
    readonly t: ItsTables,
    readonly mem: ItsMemory,
    private readonly rd: LpiRedistributors,
  ) {}

  // ------------------------------------------------------------ registers as values

  get enabled(): boolean {
    return (Atomics.load(this.t.w, H_ENABLED) & 1) !== 0;
  }
  get cbaser(): bigint {
    return this.pair(H_CBASER_LO);
  }
  set cbaser(x: bigint) {
    this.setPair(H_CBASER_LO, x);
  }
  get cwriter(): number {
    return this.t.w[H_CWRITER]!;
  }
  get creadr(): number {
    return this.t.w[H_CREADR]!;
  }
  baser(n: 0 | 1): bigint {
    return this.pair(n === 0 ? H_BASER0_LO : H_BASER1_LO);
  }
  setBaser(n: 0 | 1, x: bigint): void {
    this.setPair(n === 0 ? H_BASER0_LO : H_BASER1_LO, x);
  }
  private pair(lo: number): bigint {
    return (BigInt(this.t.w[lo + 1]!) << 32n) | BigInt(this.t.w[lo]!);
  }
  private setPair(lo: number, x: bigint): void {
    this.t.w[lo] = lo32(x);
    this.t.w[lo + 1] = hi32(x);
  }
  setCwriter(x: number): void {
    this.t.w[H_CWRITER] = x;
  }
  setCreadr(x: number): void {
    this.t.w[H_CREADR] = x;
  }
  setEnabled(on: boolean): void {
    Atomics.store(this.t.w, H_ENABLED, on ? 1 : 0);
  }

  /** The ITS at reset (KVM's vgic_its_create; the caller holds both ITS locks or no thread runs). */
  reset(): void {
    this.t.format();
    cacheReset(this.t);
    this.setBaser(0, baserReset(0));
    this.setBaser(1, baserReset(1));
  }

  /**
   * KVM_DEV_ARM_ITS_CTRL_RESET (vgic_its_reset): the tables not valid (their
   * ABI fields kept), the queue registers 0, disabled, every mapping gone.
   * The caller holds its_lock.
   */
  ctrlReset(): void {
    this.setBaser(0, this.baser(0) & ~BASER_VALID);
    this.setBaser(1, this.baser(1) & ~BASER_VALID);
    this.cbaser = 0n;
    this.setCreadr(0);
    this.setCwriter(0);
    this.setEnabled(false);
    this.freeDevices();
    this.freeCollections();
  }

  invalidateCache(): void {
    cacheInvalidate(this.t);
  }

  // ------------------------------------------------------------ the command queue

  /**
   * Process the queue from CREADR to CWRITER (vgic_its_process_commands).
   * Only while the ITS is enabled. A command that cannot be read is skipped
   * (IHI 0069 6.3.2 lets the ITS ignore it; KVM does). The caller holds
   * cmd_lock.
   */
  processCommands(): void {
    if (!this.enabled) return;
    const w = this.t.w;
    const base = cbaserAddress(this.cbaser);
    const size = cbaserBytes(this.cbaser);
    let creadr = w[H_CREADR]!;
    while (w[H_CWRITER] !== creadr) {
      if (this.readCommand(base + creadr)) {
        this.v.lockIts();
        try {
          this.handle(this.cmd);
        } finally {
          this.v.unlockIts();
        }
      }
      creadr += 32;
      if (creadr >= size) creadr = 0;
      w[H_CREADR] = creadr;
    }
  }

  private readCommand(addr: number): boolean {
    for (let i = 0; i < 8; i++) {
      const x = this.mem.read32(addr + i * 4);
      if (x < 0) return false;
      this.cmd[i] = x;
    }
    return true;
  }

  /** One command (vgic_its_handle_command); the caller holds its_lock. */
  handle(c: Uint32Array): void {
    switch (cmdNumber(c)) {
      case ITS_CMD.MAPD:
        this.mapd(cmdDevice(c), cmdValid(c), cmdSize(c), cmdItt(c));
        break;
      case ITS_CMD.MAPC:
        this.mapc(cmdCollection(c), cmdTarget(c), cmdValid(c));
        break;
      case ITS_CMD.MAPTI:
        this.mapti(cmdDevice(c), cmdEvent(c), cmdPhysicalId(c), cmdCollection(c));
        break;
      case ITS_CMD.MAPI:
        this.mapti(cmdDevice(c), cmdEvent(c), cmdEvent(c), cmdCollection(c));
        break;
      case ITS_CMD.MOVI:
        this.movi(cmdDevice(c), cmdEvent(c), cmdCollection(c));
        break;
      case ITS_CMD.DISCARD:
        this.discard(cmdDevice(c), cmdEvent(c));
        break;
      case ITS_CMD.CLEAR:
        this.clear(cmdDevice(c), cmdEvent(c));
        break;
      case ITS_CMD.MOVALL:
        this.movall(cmdTarget(c), cmdTarget2(c));
        break;
      case ITS_CMD.INT:
        this.trigger(cmdDevice(c), cmdEvent(c));
        break;
      case ITS_CMD.INV:
        this.inv(cmdDevice(c), cmdEvent(c));
        break;
      case ITS_CMD.INVALL:
        this.invall(cmdCollection(c));
        break;
      // SYNC: a virtual ITS is always in sync (KVM ignores it). Unknown commands are skipped.
      default:
        break;
    }
  }

  // ------------------------------------------------------------ lookups

  /** The vCPU a collection entry targets, or NONE (no collection, unmapped, or no such vCPU). */
  collectionVcpu(coll: number): number {
    if (coll < 0) return NONE;
    const target = this.t.collectionTarget(coll);
    return target !== COLLECTION_UNMAPPED && target < this.v.nrVcpus ? target : NONE;
  }

  private mapped(coll: number): boolean {
    return coll >= 0 && this.t.collectionTarget(coll) !== COLLECTION_UNMAPPED;
  }

  // ------------------------------------------------------------ the commands

  /** MAPD (vgic_its_cmd_handle_mapd): map, remap (dropping its translations) or unmap a device. */
  private mapd(deviceId: number, valid: boolean, eventBits: number, itt: number): void {
    const t = this.t;
    const dte = tableEntryAddress(this.mem, this.baser(0), deviceId);
    if (dte < 0) return;
    if (valid && eventBits > ITS_EVENT_BITS) return;
    const e = t.findDevice(deviceId);
    // A MAPD of a mapped device invalidates all it had: KVM frees and remaps it.
    if (e >= 0) this.freeDevice(e);
    if (!valid) {
      // KVM (6.12 on) clears the device's table entry, so a save/restore
      // cannot bring the device back.
      write64(this.mem, dte, 0, 0);
      return;
    }
    t.addDevice(deviceId, itt, eventBits);
  }

  freeDevice(e: number): void {
    const t = this.t;
    const id = t.deviceId(e);
    for (let i = 0; i < t.caps.translations; i++) {
      if (t.translationInUse(i) && t.translationDevice(i) === id) this.freeTranslation(i);
    }
    this.invalidateCache();
    t.removeDevice(e);
  }

  private freeTranslation(i: number): void {
    const slot = this.t.translationSlot(i);
    this.t.removeTranslation(i);
    lpiRelease(this.v, slot);
  }

  /** Every device and its translations (GITS_BASER0 written not valid, a reset). */
  freeDevices(): void {
    const t = this.t;
    for (let e = 0; e < t.caps.devices; e++) if (t.deviceInUse(e)) this.freeDevice(e);
  }

  /** Every collection (GITS_BASER1 written not valid, a reset); translations keep no collection. */
  freeCollections(): void {
    const t = this.t;
    for (let e = 0; e < t.caps.collections; e++) if (t.collectionInUse(e)) this.freeCollection(e);
  }

  /**
   * vgic_its_free_collection: the translations that named it keep no
   * collection (an MSI to them is dropped until a MOVI... which needs a
   * mapped one: they stay unreachable), their LPIs keep their state.
   */
  private freeCollection(e: number): void {
    const t = this.t;
    for (let i = 0; i < t.caps.translations; i++) {
      if (t.translationInUse(i) && t.translationCollection(i) === e) t.setTranslationCollection(i, -1);
    }
    t.removeCollection(e);
  }

  /** A new unmapped collection, if the collection table can hold `icid` and there is room; or -1. */
  private newCollection(icid: number, target: number): number {
    if (tableEntryAddress(this.mem, this.baser(1), icid) < 0) return -1;
    return this.t.addCollection(icid, target);
  }

  /** MAPC (vgic_its_cmd_handle_mapc): map or retarget a collection, or unmap it. */
  private mapc(icid: number, target: number, valid: boolean): void {
    const t = this.t;
    if (!valid) {
      const e = t.findCollection(icid);
      if (e >= 0) this.freeCollection(e);
      this.invalidateCache();
      return;
    }
    if (target >= this.v.nrVcpus) return;
    const e = t.findCollection(icid);
    if (e < 0) {
      this.newCollection(icid, target);
      return;
    }
    t.setCollectionTarget(e, target);
    // update_affinity_collection: every LPI of the collection follows it.
    for (let i = 0; i < t.caps.translations; i++) {
      if (t.translationInUse(i) && t.translationCollection(i) === e) lpiSetTarget(this.v, t.translationSlot(i), target);
    }
    // The cached translations of the collection would still find their
    // LPIs, but not the new target's EnableLPIs check.
    this.invalidateCache();
  }

  /** MAPTI, and MAPI with pINTID = EventID (vgic_its_cmd_handle_mapi). */
  private mapti(deviceId: number, eventId: number, intid: number, icid: number): void {
    const t = this.t;
    const v = this.v;
    const dev = t.findDevice(deviceId);
    if (dev < 0) return;
    if (eventId >= 2 ** t.deviceEventBits(dev)) return;
    if (intid < LPI_INTID_BASE || intid >= this.rd.intidLimit(v)) return;
    // A second mapping of a mapped event is UNPREDICTABLE: KVM keeps the first.
    if (t.findTranslation(deviceId, eventId) >= 0) return;
    if (t.translationCount >= t.caps.translations) return;
    let coll = t.findCollection(icid);
    let made = false;
    if (coll < 0) {
      // KVM creates the collection, unmapped, for the guest to MAPC later.
      coll = this.newCollection(icid, COLLECTION_UNMAPPED);
      if (coll < 0) return;
      made = true;
    }
    if (!this.addTranslation(deviceId, eventId, intid, coll) && made) t.removeCollection(coll);
  }

  /**
   * A translation of (DeviceID, EventID) to LPI `intid` in collection entry
   * `coll` (vgic_its_alloc_ite + vgic_add_lpi): false when the table is
   * full or no LPI slot is left. A new LPI targets the collection's vCPU
   * and reads its configuration and pending bit; an LPI another
   * translation maps is taken as it is. The caller holds its_lock.
   */
  addTranslation(deviceId: number, eventId: number, intid: number, coll: number, fromGuest = true): boolean {
    const t = this.t;
    const v = this.v;
    if (t.translationCount >= t.caps.translations) return false;
    const fresh = lpiSlot(v, intid) === NONE;
    const slot = lpiAllocate(v, intid);
    if (slot === NONE) return false;
    t.addTranslation(deviceId, eventId, intid, slot, coll);
    if (fresh) {
      lpiSetTarget(v, slot, this.collectionVcpu(coll));
      // A snapshot's restore brings the LPI's state itself, not the guest's tables.
      if (fromGuest) {
        this.rd.readConfig(v, slot);
        this.rd.syncPending(v, slot);
      }
    }
    return true;
  }

  /** MOVI (vgic_its_cmd_handle_movi): move a translation's LPI to another (mapped) collection. */
  private movi(deviceId: number, eventId: number, icid: number): void {
    const t = this.t;
    const i = t.findTranslation(deviceId, eventId);
    if (i < 0 || !this.mapped(t.translationCollection(i))) return;
    const coll = t.findCollection(icid);
    if (!this.mapped(coll)) return;
    t.setTranslationCollection(i, coll);
    this.invalidateCache();
    lpiSetTarget(this.v, t.translationSlot(i), this.collectionVcpu(coll));
  }

  /** DISCARD (vgic_its_cmd_handle_discard): drop a translation whose collection is mapped. */
  private discard(deviceId: number, eventId: number): void {
    const t = this.t;
    const i = t.findTranslation(deviceId, eventId);
    if (i < 0 || !this.mapped(t.translationCollection(i))) return;
    const itt = t.deviceItt(t.findDevice(deviceId));
    this.invalidateCache();
    this.freeTranslation(i);
    // KVM (6.12 on) clears the ITT entry too.
    write64(this.mem, itt + eventId * ENTRY_BYTES, 0, 0);
  }

  /** CLEAR (vgic_its_cmd_handle_clear): KVM asks only that the translation exists. */
  private clear(deviceId: number, eventId: number): void {
    const i = this.t.findTranslation(deviceId, eventId);
    if (i >= 0) lpiClearPending(this.v, this.t.translationSlot(i));
  }

  /** INV (vgic_its_cmd_handle_inv): re-read the LPI's property byte. */
  private inv(deviceId: number, eventId: number): void {
    const i = this.t.findTranslation(deviceId, eventId);
    if (i >= 0) this.rd.readConfig(this.v, this.t.translationSlot(i));
  }

  /** INVALL (vgic_its_cmd_handle_invall): re-read every LPI targeting the collection's vCPU. */
  private invall(icid: number): void {
    const t = this.t;
    const vcpu = this.collectionVcpu(t.findCollection(icid));
    if (vcpu === NONE) return;
    for (let i = 0; i < t.caps.translations; i++) {
      if (!t.translationInUse(i)) continue;
      const slot = t.translationSlot(i);
      if (this.v.target[slot] === vcpu) this.rd.readConfig(this.v, slot);
    }
  }

  /** MOVALL (vgic_its_cmd_handle_movall): every LPI targeting `from` targets `to`. */
  private movall(from: number, to: number): void {
    const t = this.t;
    const v = this.v;
    if (from >= v.nrVcpus || to >= v.nrVcpus) return;
    if (from === to) return;
    for (let i = 0; i < t.caps.translations; i++) {
      if (!t.translationInUse(i)) continue;
      const slot = t.translationSlot(i);
      // Targets change only under its_lock, which the command holds.
      if (v.target[slot] === from) lpiSetTarget(v, slot, to);
    }
    this.invalidateCache();
  }

  // ------------------------------------------------------------ MSIs

  /**
   * The slot an MSI reaches, caching the translation (vgic_its_resolve_lpi):
   * NONE when the ITS is disabled, the event has no translation, its
   * collection is unmapped or names no vCPU, or that vCPU's redistributor
   * has LPIs disabled. The caller holds its_lock.
   */
  private resolve(deviceId: number, eventId: number): number {
    if (!this.enabled) return NONE;
    if (deviceId >= ID_LIMIT || eventId >= ID_LIMIT) return NONE;
    const t = this.t;
    const key = iteKey(deviceId, eventId);
    const cached = cacheLookup(t, key);
    if (cached >= 0) return cached;
    const gen = cacheGeneration(t);
    const i = t.findTranslation(deviceId, eventId);
    if (i < 0) return NONE;
    const vcpu = this.collectionVcpu(t.translationCollection(i));
    if (vcpu === NONE || !this.rd.lpisEnabled(this.v, vcpu)) return NONE;
    const slot = t.translationSlot(i);
    cacheFill(t, key, slot, gen);
    return slot;
  }

  /** INT, and an MSI under its_lock (vgic_its_trigger_msi). */
  private trigger(deviceId: number, eventId: number): boolean {
    const slot = this.resolve(deviceId, eventId);
    return slot !== NONE && lpiSetPending(this.v, slot);
  }

  /** A device's write of `eventId` to GITS_TRANSLATER (KVM_SIGNAL_MSI): false when it reaches no LPI. */
  signal(deviceId: number, eventId: number): boolean {
    this.v.lockIts();
    try {
      return this.trigger(deviceId, eventId);
    } finally {
      this.v.unlockIts();
    }
  }
}

export { hi32, lo32 };
