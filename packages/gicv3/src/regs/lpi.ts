/**
 * The redistributors' LPI side (IHI 0069, 5.1 "LPIs"; KVM's vgic-mmio-v3.c
 * and vgic-its.c): GICR_CTLR.EnableLPIs, GICR_PROPBASER (one value shared by
 * every redistributor, as KVM's dist->propbaser), GICR_PENDBASER (per
 * vCPU), GICR_INVLPIR / GICR_INVALLR / GICR_SYNCR, the LPI property table
 * read into the engine and the pending tables read and written back.
 *
 * Only a machine made with LPIs (`lpis` > 0) has any of this; without, the
 * registers read as before (PLPIS = 0, PROPBASER and PENDBASER RAZ/WI).
 *
 * Where the state lives: GICR_PROPBASER in distributor words 0-1, each
 * vCPU's EnableLPIs in its word 0 and its PENDBASER in words 1-2 — words of
 * the shared buffer, so every thread sees them, and a saved document
 * carries them. Each 64-bit register is two 32-bit words written one at a
 * time: every field KVM sanitises lies inside one half, so a half is
 * sanitised and stored on its own (two vCPUs writing the two halves lose
 * neither, as KVM's cmpxchg loop guarantees).
 */
import {
  LPI_INTID_BASE,
  LPI_INTID_BITS,
  NONE,
  VCPU_WORDS,
  lpiClearPending,
  lpiMapped,
  lpiSetConfig,
  lpiSetPending,
  type Vgic,
} from '@vgic/core';

// --- where the state is ---
const DIST_PROPBASER_LO = 0;
const DIST_PROPBASER_HI = 1;
const VCPU_CTLR = 0;
const VCPU_PENDBASER_LO = 1;
const VCPU_PENDBASER_HI = 2;

/** GICR_CTLR.EnableLPIs (bit 0). */
export const GICR_CTLR_ENABLE_LPIS = 1;
/** GICR_TYPER.PLPIS (bit 0): physical LPIs supported. */
export const GICR_TYPER_PLPIS = 1;
/** GICR_PENDBASER.PTZ (bit 62, bit 30 of the high word): the pending table is zero; reads as 0 (KVM). */
export const GICR_PENDBASER_PTZ_HI: number = 1 << 30;

/** A machine with LPIs (the `lpis` option): only then does any of this exist. */
export function hasLpis(v: Vgic): boolean {
  return v.nrLpis !== 0;
}

/** What the rest of the backend is told of the redistributors' LPI state: for the ITS. */
export interface LpiHooks {
  /**
   * A redistributor's EnableLPIs went 1 → 0 (after its LPIs' pending state
   * was dropped): the ITS invalidates its translation cache, as KVM's
   * vgic_its_invalidate_all_caches from vgic_mmio_write_v3r_ctlr.
   */
  lpisDisabled(v: Vgic, vcpu: number): void;
}

/** Hooks that do nothing: a GICv3 without an ITS. */
export const NO_LPI_HOOKS: LpiHooks = { lpisDisabled: () => {} };

// --- sanitising (vgic_sanitise_propbaser / vgic_sanitise_pendbaser) ---

/** InnerCache [9:7] and Shareability [11:10] of either register's low word. */
function sanitiseLowAttributes(lo: number): number {
  let inner = (lo >>> 7) & 7;
  let share = (lo >>> 10) & 3;
  // Avoid any inner non-cacheable mapping: nCnB and nC become RaWb.
  if (inner === 0 || inner === 1) inner = 3;
  // Avoid outer shareable: it becomes inner shareable.
  if (share === 2) share = 1;
  return ((lo & ~((7 << 7) | (3 << 10))) | (inner << 7) | (share << 10)) >>> 0;
}

/** OuterCache [58:56] (bits 26:24 of the high word): only SameAsInner and nC stay; anything else becomes nC. */
function sanitiseOuter(hi: number): number {
  const outer = (hi >>> 24) & 7;
  return outer === 0 || outer === 1 ? hi : ((hi & ~(7 << 24)) | (1 << 24)) >>> 0;
}

/** PROPBASER_RES0_MASK: bits 63:59, 55:52, 6:5. */
const PROPBASER_RES0_LO = 0x60;
const PROPBASER_RES0_HI = 0xf8f0_0000;
/** PENDBASER_RES0_MASK: bits 63, 61:59, 55:52, 15:12, 6:0 (PTZ, bit 62, is kept). */
const PENDBASER_RES0_LO = 0xf07f;
const PENDBASER_RES0_HI = 0xb8f0_0000;

function sanitisePropbaserHalf(high: boolean, value: number): number {
  return high ? (sanitiseOuter(value) & ~PROPBASER_RES0_HI) >>> 0 : (sanitiseLowAttributes(value) & ~PROPBASER_RES0_LO) >>> 0;
}

function sanitisePendbaserHalf(high: boolean, value: number): number {
  return high ? (sanitiseOuter(value) & ~PENDBASER_RES0_HI) >>> 0 : (sanitiseLowAttributes(value) & ~PENDBASER_RES0_LO) >>> 0;
}

// --- reset ---

/**
 * PROPBASER's and PENDBASER's value at reset (KVM's INITIAL_PROPBASER_VALUE,
 * INITIAL_PENDBASER_VALUE): inner cacheability RaWb, outer SameAsInner,
 * inner shareable, no address.
 */
export const LPI_BASER_RESET: number = (3 << 7) | (1 << 10);

/** The distributor's LPI state at reset: PROPBASER at KVM's initial value (on a machine with LPIs). */
export function lpiResetDist(v: Vgic): void {
  v.dist[DIST_PROPBASER_LO] = hasLpis(v) ? LPI_BASER_RESET : 0;
  v.dist[DIST_PROPBASER_HI] = 0;
}

/** A redistributor's LPI state at reset: LPIs disabled, PENDBASER at KVM's initial value (on a machine with LPIs). */
export function lpiResetVcpu(v: Vgic, vcpu: number): void {
  const at = vcpu * VCPU_WORDS;
  v.vcpuWords[at + VCPU_CTLR] = 0;
  v.vcpuWords[at + VCPU_PENDBASER_LO] = hasLpis(v) ? LPI_BASER_RESET : 0;
  v.vcpuWords[at + VCPU_PENDBASER_HI] = 0;
}

// --- EnableLPIs ---

function ctlrIndex(vcpu: number): number {
  return vcpu * VCPU_WORDS + VCPU_CTLR;
}

/** GICR_CTLR.EnableLPIs of `vcpu`'s redistributor: a lock-free read (the ITS's MSI path asks it). */
export function lpisEnabled(v: Vgic, vcpu: number): boolean {
  return (Atomics.load(v.vcpuWords, ctlrIndex(vcpu)) & GICR_CTLR_ENABLE_LPIS) !== 0;
}

/** GICR_CTLR's EnableLPIs bit as a read shows it. */
export function ctlrLpiBits(v: Vgic, vcpu: number): number {
  return hasLpis(v) ? Atomics.load(v.vcpuWords, ctlrIndex(vcpu)) & GICR_CTLR_ENABLE_LPIS : 0;
}

/**
 * A guest's GICR_CTLR write (vgic_mmio_write_v3r_ctlr). Without LPIs it is
 * ignored, as KVM ignores it without an ITS. EnableLPIs 0 → 1 reads the
 * pending table of the LPIs that target this vCPU (its_sync_lpi_pending_table).
 * 1 → 0 drops their pending state and tells the ITS (`hooks.lpisDisabled`):
 * KVM takes them off the vCPU's ap_list (vgic_flush_pending_lpis) and keeps
 * their latches unqueued until a re-enable overwrites them from the table;
 * dropping them ends in what a re-enable then reads, and keeps every
 * deliverable interrupt on a list. RWP reads 0: the disable is done when the
 * write returns.
 */
export function writeCtlrLpis(v: Vgic, vcpu: number, value: number, hooks: LpiHooks): void {
  if (!hasLpis(v)) return;
  const at = ctlrIndex(vcpu);
  if ((value & GICR_CTLR_ENABLE_LPIS) !== 0) {
    if (Atomics.compareExchange(v.vcpuWords, at, 0, GICR_CTLR_ENABLE_LPIS) !== 0) return;
    lpiSyncPendingTable(v, vcpu);
  } else {
    if (Atomics.compareExchange(v.vcpuWords, at, GICR_CTLR_ENABLE_LPIS, 0) !== GICR_CTLR_ENABLE_LPIS) return;
    for (let s = v.lpiBase; s < v.nrSlots; s++) {
      if (lpiMapped(v, s) && Atomics.load(v.target, s) === vcpu) lpiClearPending(v, s);
    }
    hooks.lpisDisabled(v, vcpu);
  }
}

// --- PROPBASER, PENDBASER ---

/** GICR_PROPBASER's half (high: bits 63:32), as every redistributor reads it. */
export function readPropbaser(v: Vgic, high: boolean): number {
  if (!hasLpis(v)) return 0;
  return Atomics.load(v.dist, high ? DIST_PROPBASER_HI : DIST_PROPBASER_LO);
}

/** A guest write of one half of GICR_PROPBASER through `vcpu`'s redistributor: ignored while its LPIs are enabled (KVM). */
export function writePropbaser(v: Vgic, vcpu: number, high: boolean, value: number): void {
  if (!hasLpis(v) || Atomics.load(v.vcpuWords, ctlrIndex(vcpu)) !== 0) return;
  Atomics.store(v.dist, high ? DIST_PROPBASER_HI : DIST_PROPBASER_LO, sanitisePropbaserHalf(high, value >>> 0));
}

/** `vcpu`'s GICR_PENDBASER half; PTZ reads as 0 (vgic_mmio_read_pendbase). */
export function readPendbaser(v: Vgic, vcpu: number, high: boolean): number {
  if (!hasLpis(v)) return 0;
  const w = Atomics.load(v.vcpuWords, vcpu * VCPU_WORDS + (high ? VCPU_PENDBASER_HI : VCPU_PENDBASER_LO));
  return high ? (w & ~GICR_PENDBASER_PTZ_HI) >>> 0 : w;
}

/** A guest write of one half of `vcpu`'s GICR_PENDBASER: ignored while its LPIs are enabled (KVM). */
export function writePendbaser(v: Vgic, vcpu: number, high: boolean, value: number): void {
  if (!hasLpis(v) || Atomics.load(v.vcpuWords, ctlrIndex(vcpu)) !== 0) return;
  Atomics.store(v.vcpuWords, vcpu * VCPU_WORDS + (high ? VCPU_PENDBASER_HI : VCPU_PENDBASER_LO), sanitisePendbaserHalf(high, value >>> 0));
}

/** The property table's guest physical address: PROPBASER.PA, bits 51:12. */
function propTableBase(v: Vgic): number {
  const lo = Atomics.load(v.dist, DIST_PROPBASER_LO) & 0xffff_f000;
  const hi = Atomics.load(v.dist, DIST_PROPBASER_HI) & 0x000f_ffff;
  return hi * 0x1_0000_0000 + (lo >>> 0);
}

/** `vcpu`'s pending table's guest physical address: PENDBASER.PA, bits 51:16. */
function pendTableBase(v: Vgic, vcpu: number): number {
  const lo = Atomics.load(v.vcpuWords, vcpu * VCPU_WORDS + VCPU_PENDBASER_LO) & 0xffff_0000;
  const hi = Atomics.load(v.vcpuWords, vcpu * VCPU_WORDS + VCPU_PENDBASER_HI) & 0x000f_ffff;
  return hi * 0x1_0000_0000 + (lo >>> 0);
}

/**
 * The number of LPI INTIDs the guest's property table covers, as an INTID
 * limit: 1 << min(PROPBASER.IDbits + 1, 16) (KVM's max_lpis_propbaser; the
 * ITS's MAPTI refuses an INTID at or above it).
 */
export function lpiIntidLimit(v: Vgic): number {
  const idBits = (Atomics.load(v.dist, DIST_PROPBASER_LO) & 0x1f) + 1;
  return 2 ** Math.min(idBits, LPI_INTID_BITS);
}

/**
 * update_lpi_config: read LPI `slot`'s byte of the property table
 * (PROPBASER.PA + intid - 8192) and apply it (`lpiSetConfig`). A byte
 * outside guest memory leaves the LPI as it is, as a failed
 * kvm_read_guest does. No lock needed; takes the slot's irq lock.
 */
export function lpiReadConfig(v: Vgic, slot: number): void {
  const intid = v.intid[slot]!;
  const mem = v.memory;
  const wasFault = mem.fault;
  mem.fault = false;
  const prop = mem.read8(propTableBase(v) + intid - LPI_INTID_BASE);
  const missed = mem.fault;
  mem.fault = wasFault || missed;
  if (!missed) lpiSetConfig(v, slot, prop);
}

/** The pending bit of `intid` in `vcpu`'s pending table: 1, 0, or NONE when the byte is outside guest memory. */
function readPendingBit(v: Vgic, vcpu: number, intid: number): number {
  const mem = v.memory;
  const wasFault = mem.fault;
  mem.fault = false;
  const byte = mem.read8(pendTableBase(v, vcpu) + (intid >>> 3));
  const missed = mem.fault;
  mem.fault = wasFault || missed;
  return missed ? NONE : (byte >>> (intid & 7)) & 1;
}

/**
 * vgic_v3_lpi_sync_pending_status: a new LPI's pending state from its target
 * vCPU's pending table (nothing when it has no target, or the byte is
 * outside guest memory). A set bit is consumed: cleared in the table, as
 * KVM clears it. As KVM, PTZ and EnableLPIs are not looked at.
 */
export function lpiSyncPendingBit(v: Vgic, slot: number): void {
  const vcpu = Atomics.load(v.target, slot);
  if (vcpu === NONE) return;
  const intid = v.intid[slot]!;
  const bit = readPendingBit(v, vcpu, intid);
  if (bit === NONE) return;
  if (bit === 0) {
    lpiClearPending(v, slot);
    return;
  }
  lpiSetPending(v, slot);
  const at = pendTableBase(v, vcpu) + (intid >>> 3);
  v.memory.write8(at, v.memory.read8(at) & ~(1 << (intid & 7)));
}

/**
 * its_sync_lpi_pending_table: EnableLPIs went 0 → 1 on `vcpu`: every mapped
 * LPI that targets it takes its pending state from the vCPU's pending table
 * (set or clear); the table is left as it is.
 */
export function lpiSyncPendingTable(v: Vgic, vcpu: number): void {
  for (let s = v.lpiBase; s < v.nrSlots; s++) {
    if (!lpiMapped(v, s) || Atomics.load(v.target, s) !== vcpu) continue;
    const bit = readPendingBit(v, vcpu, v.intid[s]!);
    if (bit === 1) lpiSetPending(v, s);
    else if (bit === 0) lpiClearPending(v, s);
  }
}

/**
 * vgic_v3_save_pending_tables: write every mapped LPI's pending state to its
 * target vCPU's pending table (a byte is written only when it changes; an
 * LPI with no target is skipped). For a machine whose vCPUs are outside
 * (a state being saved): a pending state in a live list register is not seen.
 */
export function lpiSavePendingTables(v: Vgic): void {
  const mem = v.memory;
  for (let s = v.lpiBase; s < v.nrSlots; s++) {
    if (!lpiMapped(v, s)) continue;
    const vcpu = v.target[s]!;
    if (vcpu === NONE) continue;
    const intid = v.intid[s]!;
    const at = pendTableBase(v, vcpu) + (intid >>> 3);
    const wasFault = mem.fault;
    mem.fault = false;
    const byte = mem.read8(at);
    if (!mem.fault) {
      const bit = 1 << (intid & 7);
      const next = v.pendingLatch[s] !== 0 ? byte | bit : byte & ~bit;
      if (next !== byte) mem.write8(at, next);
    }
    mem.fault = wasFault || mem.fault;
  }
}

// --- INVLPIR, INVALLR ---

/**
 * GICR_INVLPIR (vgic_mmio_write_invlpi): re-read the property byte of the
 * LPI the low word names, whichever redistributor it targets, as KVM. A
 * write of the high half (vPE fields) or to a redistributor whose LPIs are
 * off is ignored. SYNCR never reads busy: the work is done when the write
 * returns.
 */
export function writeInvlpir(v: Vgic, vcpu: number, high: boolean, value: number): void {
  if (high || !hasLpis(v) || !lpisEnabled(v, vcpu)) return;
  const slot = v.lpiSlotOf(value >>> 0);
  if (slot !== NONE) lpiReadConfig(v, slot);
}

/** GICR_INVALLR (vgic_its_invall): re-read the property byte of every LPI that targets this redistributor. */
export function writeInvallr(v: Vgic, vcpu: number, high: boolean): void {
  if (high || !hasLpis(v) || !lpisEnabled(v, vcpu)) return;
  for (let s = v.lpiBase; s < v.nrSlots; s++) {
    if (lpiMapped(v, s) && Atomics.load(v.target, s) === vcpu) lpiReadConfig(v, s);
  }
}

// --- what a saved document may hold in these words (restore-check.ts) ---

/**
 * The distributor words a document may hold: PROPBASER as a write leaves it
 * (sanitised) in words 0-1 on a machine with LPIs; every other word 0. A
 * sentence saying what is wrong, or null.
 */
export function checkLpiDistWords(v: Vgic, words: readonly number[]): string | null {
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    const lpiWord = hasLpis(v) && (i === DIST_PROPBASER_LO || i === DIST_PROPBASER_HI);
    if (!lpiWord && w !== 0) {
      return hasLpis(v)
        ? `word ${i} is not GICR_PROPBASER's (words 0-1); GICv3 keeps nothing else there, so it is 0`
        : 'GICv3 keeps no distributor words of its own without LPIs; they are all 0';
    }
    if (lpiWord && sanitisePropbaserHalf(i === DIST_PROPBASER_HI, w) !== w) {
      return `GICR_PROPBASER's ${i === DIST_PROPBASER_HI ? 'high' : 'low'} word 0x${w.toString(16)} has bits no write leaves (reserved, or attributes KVM replaces)`;
    }
  }
  return null;
}

/** A vCPU's words a document may hold: EnableLPIs (0 or 1) in word 0, PENDBASER sanitised in words 1-2, on a machine with LPIs; the rest 0. */
export function checkLpiVcpuWords(v: Vgic, words: readonly number[]): string | null {
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    const lpiWord = hasLpis(v) && i <= VCPU_PENDBASER_HI;
    if (!lpiWord && w !== 0) {
      return hasLpis(v)
        ? `word ${i} holds nothing on GICv3 (0: EnableLPIs, 1-2: GICR_PENDBASER), so it is 0`
        : 'GICv3 keeps no per-vCPU words of its own without LPIs; they are all 0';
    }
    if (!lpiWord) continue;
    if (i === VCPU_CTLR && (w & ~GICR_CTLR_ENABLE_LPIS) !== 0) return `word 0 (GICR_CTLR.EnableLPIs) is 0 or 1; got ${w}`;
    if (i !== VCPU_CTLR && sanitisePendbaserHalf(i === VCPU_PENDBASER_HI, w) !== w) {
      return `GICR_PENDBASER's ${i === VCPU_PENDBASER_HI ? 'high' : 'low'} word 0x${w.toString(16)} has bits no write leaves (reserved, or attributes KVM replaces)`;
    }
  }
  return null;
}
