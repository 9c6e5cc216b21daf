/**
 * The engine's state: one buffer laid out as a structure of arrays.
 *
 * An interrupt is an integer handle, its slot. Slots 0..32*nrVcpus-1 are the
 * private interrupts (SGIs 0-15, PPIs 16-31) banked per vCPU, vCPU k's at
 * 32k..32k+31; SPIs follow, INTID 32+n at slot 32*nrVcpus+n; then the LPI
 * slots (`lpiBase`..`nrSlots`-1), each given to an LPI INTID while it is
 * mapped (lpi.ts). Each field of Linux's `struct vgic_irq` is one typed array
 * indexed by slot, LPI slots included, so the ap_list, flush and sync code
 * knows no difference.
 *
 * The same layout over a SharedArrayBuffer is what lets vCPUs run on worker
 * threads: every thread builds its own `Vgic` of views over the one buffer
 * (`Vgic.open`), and nothing on the hot path is a JS object.
 *
 * Locks are words of `lockWords`: slot s's irq_lock at s, vCPU k's
 * ap_list_lock at `apListHead(k)`, then, in a line of their own past the
 * last head, the ITS's cmd_lock and its_lock and the LPI map lock
 * (`lockIndexItsCmd` + 0, 1, 2); each records the id of the thread holding
 * it, from the thread table (`threadTable`, lock-owners.ts). The ap_list is
 * intrusive: `next`/`prev` links per slot, with vCPU k's list head a
 * sentinel at index `apListHead(k)`.
 *
 * What each vCPU thread writes on every delivery — its list head and lock
 * word, its active priorities, its list registers, its run state, kick,
 * used-LR count and output lines — lies in a cache line of its own
 * (`LINE_BYTES` apart from the next vCPU's: `apListHead`, `aprBase`,
 * `lrBase`, and `k * LINE_WORDS` in the `vcpuLines` arrays): when adjacent
 * vCPUs' words shared a line, two vCPU threads took that line from each
 * other on every acknowledge and EOI, and a second thread cost more than it
 * brought.
 */
import { LINE_BYTES, LINE_WORDS } from './cache-line.js';
import { VgicError } from './errors.js';
import { BROKEN_RECORD_WORDS, LockSpace, ownerFor, threadTableWords, type LockOwner } from './lock-owners.js';
import { CheckedLocks, LockDep } from './lockdep.js';
import { atomicLocks, plainLocks, type LockOps } from './locks.js';
import type { Notice } from './notify.js';
import type { Tracer } from './trace.js';
import { GuestMemory } from './guest-memory.js';

/** "No vCPU": an interrupt on no ap_list, or with no target. */
export const NONE = -1;

export const CONFIG_EDGE = 0;
export const CONFIG_LEVEL = 1;

/** List register state bits (as ICH_LR_EL2.State / GICH_LR.State). */
export const LR_PENDING = 1;
export const LR_ACTIVE = 2;

/** Vcpu run states. */
export const VCPU_OUTSIDE = 0;
export const VCPU_RUNNING = 1;
/** Outside, and asleep in WFI until a kick (threaded runners). */
export const VCPU_WFI = 2;

/**
 * Changes to apply at fold (`foldChanges`, one byte per slot, changed under
 * the irq lock). Each records a change made by another agent while the
 * interrupt sits in a running vCPU's list register: that vCPU's fold
 * applies it to what the list register hands back, as KVM applies a change
 * it made while the guest was halted.
 */
export const FOLD_DEACTIVATE = 1;
export const FOLD_ACTIVATE = 2;
export const FOLD_UNPEND = 4;

/** What `Vgic.callbackError` holds when no callback has failed. */
export const NO_CALLBACK_ERROR: unique symbol = Symbol('no callback error');

/** Debug flags, a word of the shared buffer so every thread sees them. */
export const DEBUG_LOCKDEP = 1;
/** Test hook: `queueIrqUnlock` skips its re-check after relocking (a deliberately broken engine). */
export const DEBUG_NO_QUEUE_RECHECK = 2;
/** Test hook: `setDistEnable` reads an interrupt's `apListVcpu` before taking its irq lock (a deliberately broken engine). */
export const DEBUG_UNLOCKED_DIST_ENABLE = 4;
/** Test hook: a backend reads the routing word it updates before taking the irq lock (a deliberately broken engine). */
export const DEBUG_UNLOCKED_ROUTE_UPDATE = 8;
/** Test hook: a deactivation from another vCPU ignores the owner's live list register (a deliberately broken engine). */
export const DEBUG_STALE_LIVE_ACTIVE = 16;

/** Indexes of the control words at the start of the buffer. */
export const CTL_MAGIC = 0;
export const CTL_LAYOUT = 1;
export const CTL_VCPUS = 2;
export const CTL_SPIS = 3;
export const CTL_LRS = 4;
export const CTL_PRIBITS = 5;
export const CTL_DEBUG = 6;
/** Distributor group enables, bit g = group g forwards pending interrupts. */
export const CTL_DIST_ENABLE = 7;
export const CTL_LOCK_VIOLATIONS = 8;
/** 1 when SGIs carry a source-vCPU bitmap (GICv2). */
export const CTL_SGI_SOURCES = 9;
/** Four words: is the machine broken, and why (lock-owners.ts). */
export const CTL_BROKEN = 10;
/** The bytes the shape in words 2-5 lays out: opening a buffer checks the shape against it. */
export const CTL_BYTES = 14;
/** The LPI capacity (`VgicShape.nrLpis`). */
export const CTL_LPIS = 16;
/** Words of the backend's own shared state (`VgicShape.backendWords`). */
export const CTL_BACKEND_WORDS = 17;
/** Where the LPI allocator looks for a free slot next (lpi.ts; changed under the LPI map lock). */
export const CTL_LPI_CURSOR = 18;
/** MSIs that found their LPI pending already (coalesced; KVM's vgic_its_trigger_msi on a pending LPI). */
export const CTL_MSI_COALESCED = 19;
/** LPIs unmapped while pending and in no list register: their pending state was dropped. */
export const CTL_LPI_DROPPED_PENDING = 20;
export const CTL_WORDS = 24;

/** Words the backend may use for distributor-wide state of its own. */
export const DIST_WORDS = 32;
/** Words the backend may use per vCPU (redistributor state, affinity). */
export const VCPU_WORDS = 8;
/** Active-priority words per vCPU: AP0R0..3 then AP1R0..3. */
export const APR_WORDS = 8;

/**
 * Entries from one vCPU's list registers to the next's in every list-register
 * array: a cache line of the byte arrays (and more than any vCPU's 16 list registers).
 */
export const LR_STRIDE: number = LINE_BYTES;

export { LINE_BYTES, LINE_WORDS } from './cache-line.js';

/** The first word of every machine buffer: 'VGIC'. */
export const VGIC_MAGIC = 0x56474943;
/**
 * The buffer layout this build reads and writes (its second word). 2: the thread table of lock owners; 3: the header
 * records the state's size; 4: each vCPU's list head, active priorities and list registers in cache lines of their own;
 * 5: LPI slots, the INTID → slot map, the ITS and LPI map lock words and the backend's own state words; 6: the
 * per-vCPU words written on every entry and exit (run state, kick, used LRs, the output lines) a cache line apart.
 */
export const LAYOUT_VERSION = 6;

/** The first LPI INTID (GICv3). */
export const LPI_INTID_BASE = 8192;
/** LPI INTIDs are this many bits wide: INTIDs 8192..65535. */
export const LPI_INTID_BITS = 16;
/** LPI INTIDs any machine can name: the length of the INTID → slot map. */
export const LPI_INTID_SPACE: number = (1 << LPI_INTID_BITS) - LPI_INTID_BASE;

/** Lock words past the ap_list_locks: the ITS's cmd_lock, its its_lock, the LPI map lock. */
export const EXTRA_LOCK_WORDS = 3;

/** What fixes the layout of a machine's buffer. */
export interface VgicShape {
  nrVcpus: number;
  nrSpis: number;
  nrLrs: number;
  /** Implemented priority bits (KVM: 5). */
  priorityBits: number;
  /** GICv2 SGIs carry a source bitmap. */
  sgiSources: boolean;
  /** LPI capacity: how many LPIs may be mapped at once (0, the default: no LPIs). */
  nrLpis?: number;
  /** Words of shared state the backend lays out for itself (`Vgic.backendState`; default 0). */
  backendWords?: number;
}

export interface VgicOpenOptions {
  /** Check the lock order at run time (default: `VGIC_LOCKDEP=1` in the environment, or the buffer's debug word). */
  lockCheck?: boolean;
  /** Replace the lock primitive (the benchmark tries others). */
  locks?: LockOps;
}

/** The element type of a state array. */
export type StateElement = 'i32' | 'u32' | 'u8';

/** How many elements a state array has, for a machine's shape. */
export type StateExtent =
  | 'header'
  | 'dist'
  | 'threads'
  | 'locks'
  | 'slots'
  | 'slotsAndHeads'
  | 'routeHalves'
  | 'vcpus'
  | 'vcpuLines'
  | 'aprWords'
  | 'vcpuWords'
  | 'lrs'
  | 'lpis'
  | 'lpiIntids'
  | 'backendWords';

/** The typed array of each element type. */
export interface StateArrayOf {
  i32: Int32Array;
  u32: Uint32Array;
  u8: Uint8Array;
}

/**
 * Every array of the engine's state, declared once, in buffer order: its
 * element type and how many elements it has. The `Vgic` properties of the
 * same names, where each lies in the buffer and the views a thread opens
 * over it are all derived from this table.
 */
export const VGIC_STATE_ARRAYS = {
  /** The header (CTL_*): magic, layout version, shape, debug flags, distributor enables, the broken record. */
  header: ['i32', 'header'],
  /** Words the backend keeps distributor-wide state of its own in. */
  dist: ['u32', 'dist'],
  /**
   * The backend's own shared state, as many words as `VgicShape.backendWords`
   * (the ITS's tables and translation cache): every thread sees it. Int32 so
   * that any word can be taken with `Atomics`, and waited on.
   */
  backendState: ['i32', 'backendWords'],
  /**
   * INTID → slot for LPIs: entry `intid - LPI_INTID_BASE` holds the slot + 1
   * of the mapped LPI, 0 for none (a zeroed buffer maps nothing). Written
   * under the LPI map lock, read lock-free (`lpiSlot`).
   */
  lpiMap: ['i32', 'lpiIntids'],
  /** References to each LPI slot (KVM's vgic_irq refcount), `slot - lpiBase`; changed under the LPI map lock. */
  lpiRefs: ['i32', 'lpis'],
  /**
   * The locks: slot s's irq_lock at s, vCPU k's ap_list_lock at apListHead(k),
   * then, a line past the last, the ITS's cmd_lock, its_lock and the LPI map
   * lock (`lockIndexItsCmd`); each holds its holder's thread id.
   */
  lockWords: ['i32', 'locks'],
  /** What became of each thread id the lock words may name (lock-owners.ts). */
  threadTable: ['i32', 'threads'],
  // --- per slot (struct vgic_irq), 32-bit ---
  intid: ['i32', 'slots'],
  /** ap_list links; vCPU k's list head is the sentinel at apListHead(k). */
  next: ['i32', 'slotsAndHeads'],
  prev: ['i32', 'slotsAndHeads'],
  /** KVM's irq->vcpu: the vCPU whose ap_list holds the interrupt, or NONE. (Where it is delivered is `target`.) */
  apListVcpu: ['i32', 'slots'],
  /** irq->target_vcpu, computed by the backend from the routing word. */
  target: ['i32', 'slots'],
  hostIntid: ['i32', 'slots'],
  /** The list register of `apListVcpu` that holds this interrupt while it runs, or NONE. */
  inLr: ['i32', 'slots'],
  /** The backend's routing word, two 32-bit halves per slot. */
  route: ['u32', 'routeHalves'],
  // --- per vCPU, a cache line apart: vCPU k's word at k·LINE_WORDS ---
  // Each is written on every entry or exit of its vCPU; with neighbours'
  // words in one line, two vCPU threads would take the line from each other.
  runState: ['i32', 'vcpuLines'],
  /** Kick requested (Atomics.wait/notify target for a vCPU in WFI). */
  kick: ['i32', 'vcpuLines'],
  usedLrs: ['i32', 'vcpuLines'],
  irqLine: ['i32', 'vcpuLines'],
  fiqLine: ['i32', 'vcpuLines'],
  /** `irqLine`/`fiqLine` may be out of date: recomputed when read (nobody was listening when they changed). */
  linesStale: ['i32', 'vcpuLines'],
  // --- per vCPU, 32-bit ---
  eoiCount: ['i32', 'vcpus'],
  /** Edges folded into a latch that was already set (coalesced behind an LR). */
  foldCoalesced: ['i32', 'vcpus'],
  /** Active-priority words, APR_WORDS per vCPU from aprBase(k): AP0R0..3 then AP1R0..3. */
  apr: ['u32', 'aprWords'],
  /** Words the backend keeps per-vCPU state of its own in (redistributor state, affinity). */
  vcpuWords: ['u32', 'vcpuWords'],
  // --- list registers, nrLrs per vCPU from lrBase(k), 32-bit ---
  lrSlot: ['i32', 'lrs'],
  lrIntid: ['i32', 'lrs'],
  lrHost: ['i32', 'lrs'],
  // --- per slot, bytes ---
  lineLevel: ['u8', 'slots'],
  pendingLatch: ['u8', 'slots'],
  active: ['u8', 'slots'],
  enabled: ['u8', 'slots'],
  hw: ['u8', 'slots'],
  config: ['u8', 'slots'],
  priority: ['u8', 'slots'],
  group: ['u8', 'slots'],
  /** GICv2 SGIs: bitmap of source vCPUs with the SGI pending. */
  sgiSrc: ['u8', 'slots'],
  /** GICv2 SGIs: the source of the active instance. */
  activeSrc: ['u8', 'slots'],
  /** Changes to apply when the list register holding the interrupt is folded back (FOLD_*). */
  foldChanges: ['u8', 'slots'],
  /** 1 while LPI slot `lpiBase + i` is mapped (changed under its irq lock): an unmapped LPI takes no MSI. */
  lpiLive: ['u8', 'lpis'],
  // --- per vCPU, bytes ---
  /** Underflow requested: more queued than LRs hold. */
  underflowRequested: ['u8', 'vcpus'],
  /** A maintenance interrupt is pending: the vCPU must exit before its next guest access. */
  maintenancePending: ['u8', 'vcpus'],
  // The virtual machine control register (ICH_VMCR / GICH_VMCR) fields.
  pmr: ['u8', 'vcpus'],
  bpr0: ['u8', 'vcpus'],
  bpr1: ['u8', 'vcpus'],
  grpEn0: ['u8', 'vcpus'],
  grpEn1: ['u8', 'vcpus'],
  eoiMode: ['u8', 'vcpus'],
  cbpr: ['u8', 'vcpus'],
  ackCtl: ['u8', 'vcpus'],
  fiqEn: ['u8', 'vcpus'],
  // --- list registers, bytes ---
  lrState: ['u8', 'lrs'],
  lrPrio: ['u8', 'lrs'],
  lrGroup: ['u8', 'lrs'],
  lrHw: ['u8', 'lrs'],
  /** EOI maintenance requested (level-triggered, multi-source SGI). */
  lrEoi: ['u8', 'lrs'],
  /** GICv2 SGI source CPU (GICH_LR.CPUID). */
  lrSrc: ['u8', 'lrs'],
} as const;

/** The state arrays as `Vgic` properties: one typed array per `VGIC_STATE_ARRAYS` entry. */
export type VgicStateArrays = {
  readonly [F in keyof typeof VGIC_STATE_ARRAYS]: StateArrayOf[(typeof VGIC_STATE_ARRAYS)[F][0]];
};

const STATE_ARRAY_NAMES = Object.keys(VGIC_STATE_ARRAYS) as (keyof VgicStateArrays)[];

/** Where the ap_list heads begin in `lockWords`/`next`/`prev`: past the slots, at a cache line's start. */
function headBaseOf(nrSlots: number): number {
  return Math.ceil(nrSlots / LINE_WORDS) * LINE_WORDS;
}

/** Extents whose arrays hold per-vCPU blocks a line apart: laid at a line's start, so each block keeps to its lines. */
const LINE_ALIGNED: ReadonlySet<StateExtent> = new Set<StateExtent>(['slotsAndHeads', 'locks', 'aprWords', 'lrs', 'vcpuLines']);

/** The ITS's cmd_lock in `lockWords`: the start of the line past the last vCPU's head (its_lock and the LPI map lock follow). */
function extraLocksOf(nrSlots: number, nrVcpus: number): number {
  return headBaseOf(nrSlots) + nrVcpus * LINE_WORDS;
}

function extentOf(e: StateExtent, s: VgicShape): number {
  const lpis = s.nrLpis ?? 0;
  const slots = s.nrVcpus * 32 + s.nrSpis + lpis;
  switch (e) {
    case 'header':
      return CTL_WORDS;
    case 'dist':
      return DIST_WORDS;
    case 'threads':
      return threadTableWords(s.nrVcpus);
    case 'locks':
      return extraLocksOf(slots, s.nrVcpus) + EXTRA_LOCK_WORDS;
    case 'slots':
      return slots;
    // The arrays of per-vCPU blocks end with the last vCPU's last word, so
    // the size a shape lays out depends on each count (machine-options.ts).
    case 'slotsAndHeads':
      return headBaseOf(slots) + Math.max(0, s.nrVcpus - 1) * LINE_WORDS + 1;
    case 'routeHalves':
      return slots * 2;
    case 'vcpus':
      return s.nrVcpus;
    // A whole line each: the word after the last vCPU's is no other array's.
    case 'vcpuLines':
      return s.nrVcpus * LINE_WORDS;
    case 'aprWords':
      return Math.max(0, s.nrVcpus - 1) * LINE_WORDS + APR_WORDS;
    case 'vcpuWords':
      return s.nrVcpus * VCPU_WORDS;
    case 'lrs':
      return Math.max(0, s.nrVcpus - 1) * LR_STRIDE + s.nrLrs;
    case 'lpis':
      return lpis;
    case 'lpiIntids':
      return lpis > 0 ? LPI_INTID_SPACE : 0;
    case 'backendWords':
      return s.backendWords ?? 0;
  }
}

/** Lays the state arrays out one after another, each aligned to its element or a line; with no buffer, only measures. */
class Layout {
  offset = 0;
  constructor(readonly buffer: ArrayBufferLike | null) {}
  array(kind: StateElement, n: number, align: number): Int32Array | Uint32Array | Uint8Array {
    const size = kind === 'u8' ? 1 : 4;
    const a = Math.max(size, align);
    this.offset = (this.offset + a - 1) & ~(a - 1);
    const at = this.offset;
    this.offset += n * size;
    const b = this.buffer;
    if (kind === 'i32') return b ? new Int32Array(b, at, n) : new Int32Array(0);
    if (kind === 'u32') return b ? new Uint32Array(b, at, n) : new Uint32Array(0);
    return b ? new Uint8Array(b, at, n) : new Uint8Array(0);
  }
}

/**
 * Why shared state cannot be made here. Browsers give a page
 * SharedArrayBuffer (and shared WebAssembly memory) only when it is
 * cross-origin isolated; the single-threaded engine needs neither.
 */
export const NO_SHARED_MEMORY: string =
  'this runtime has no SharedArrayBuffer, which shared state needs: a browser page has it only when cross-origin ' +
  'isolated (served with Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp); ' +
  'a machine created without `shared` needs neither';

/** Can this runtime hold a machine's state in shared memory? */
export function sharedMemorySupported(): boolean {
  return typeof SharedArrayBuffer === 'function';
}

function envLockCheck(): boolean {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  return env?.['VGIC_LOCKDEP'] === '1';
}

/** The state arrays are declared by `VGIC_STATE_ARRAYS`; the class adds the shape and this thread's own state. */
export interface Vgic extends VgicStateArrays {}

export class Vgic {
  readonly nrVcpus: number;
  readonly nrSpis: number;
  readonly nrLrs: number;
  readonly nrSlots: number;
  /** LPI capacity (0: no LPIs). */
  readonly nrLpis: number;
  /** The first LPI slot: nrVcpus*32 + nrSpis (= nrSlots on a machine without LPIs). */
  readonly lpiBase: number;
  /** Words of `backendState`. */
  readonly backendWords: number;
  /** The ITS's cmd_lock in `lockWords`; its_lock is the next word, the LPI map lock the one after. */
  readonly lockIndexItsCmd: number;
  /** vCPU 0's ap_list head in `lockWords`/`next`/`prev`; vCPU k's is LINE_WORDS·k further (`apListHead`). */
  readonly headBase: number;
  readonly priorityBits: number;
  /** Priority field mask: the implemented high bits (5 bits: 0xf8). */
  readonly priorityMask: number;
  /** Smallest binary point: 8 - preemption bits (KVM's bpr_min). */
  readonly bprMin: number;
  readonly aprWordsUsed: number;
  readonly sgiSources: boolean;
  readonly buffer: ArrayBufferLike;
  readonly shared: boolean;

  // The state arrays (`VGIC_STATE_ARRAYS`) are properties too, defined by the constructor.

  // --- per thread, not in the buffer ---
  locks: LockOps;
  readonly lockdep: LockDep | null;
  /** The lock words with the thread table and the broken record. */
  readonly lockSpace: LockSpace;
  /** This thread, as the lock words it takes name it. */
  readonly lockOwner: LockOwner;
  tracer: Tracer | null = null;
  /**
   * Guest physical memory as this thread reaches it (the LPI tables, the
   * ITS's tables and command queue): set by the machine from its
   * `guestMemory` option; without one every access faults.
   */
  memory: GuestMemory = new GuestMemory();
  /** Called when a vCPU's virtual IRQ/FIQ line changes. */
  onLine: ((vcpu: number, irq: boolean, fiq: boolean) => void) | null = null;
  /** Called when something is queued for a vCPU (kvm_vcpu_kick). */
  onKick: ((vcpu: number) => void) | null = null;
  /** Called when the guest deactivates a hardware-mapped interrupt. */
  onHostDeactivate: ((hostIntid: number, intid: number, vcpu: number) => void) | null = null;
  /** Called when the guest EOIs a level-triggered interrupt (kvm_notify_acked_irq), so a device can resample. */
  onEoiNotify: ((intid: number, vcpu: number) => void) | null = null;
  /** Called when the guest makes a hardware-mapped interrupt active (ISACTIVER, ISPENDR): the host interrupt is made active. */
  onHostActivate: ((hostIntid: number, intid: number, vcpu: number) => void) | null = null;
  /** Called when the guest clears a hardware-mapped interrupt's pending state (ICPENDR): so is the host interrupt's. */
  onHostClearPending: ((hostIntid: number, intid: number, vcpu: number) => void) | null = null;

  // --- callbacks held back, and their errors (notify.ts); per thread ---
  /** Engine operations under way that hold their callbacks back until they are done. */
  deferDepth = 0;
  /** The callbacks held back meanwhile, in the order they happened (filled only while someone listens). */
  deferred: Notice[] = [];
  /** The first error a callback threw since the host call began, or NO_CALLBACK_ERROR. */
  callbackError: unknown = NO_CALLBACK_ERROR;

  static bytesFor(shape: VgicShape): number {
    const probe = new Layout(null);
    Vgic.lay(probe, shape);
    return probe.offset;
  }

  private static lay(l: Layout, s: VgicShape): VgicStateArrays {
    const out: Record<string, Int32Array | Uint32Array | Uint8Array> = {};
    for (const name of STATE_ARRAY_NAMES) {
      const [kind, extent] = VGIC_STATE_ARRAYS[name];
      out[name] = l.array(kind, extentOf(extent, s), LINE_ALIGNED.has(extent) ? LINE_BYTES : 1);
    }
    return out as unknown as VgicStateArrays;
  }

  /** Lay out a new, zeroed machine state; `shared` puts it in a SharedArrayBuffer. */
  static create(shape: VgicShape, shared: boolean, options: VgicOpenOptions = {}): Vgic {
    const bytes = Vgic.bytesFor(shape);
    if (shared && !sharedMemorySupported()) throw new VgicError('INVALID_CONFIG', NO_SHARED_MEMORY);
    const buffer = shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes);
    return Vgic.init(buffer, shape, options);
  }

  /** Lay out a new machine state in a buffer the caller provides (zeroed, at least `bytesFor(shape)` bytes). */
  static init(buffer: ArrayBufferLike, shape: VgicShape, options: VgicOpenOptions = {}): Vgic {
    const ctl = new Int32Array(buffer, 0, CTL_WORDS);
    ctl[CTL_MAGIC] = VGIC_MAGIC;
    ctl[CTL_LAYOUT] = LAYOUT_VERSION;
    ctl[CTL_VCPUS] = shape.nrVcpus;
    ctl[CTL_SPIS] = shape.nrSpis;
    ctl[CTL_LRS] = shape.nrLrs;
    ctl[CTL_PRIBITS] = shape.priorityBits;
    ctl[CTL_SGI_SOURCES] = shape.sgiSources ? 1 : 0;
    ctl[CTL_LPIS] = shape.nrLpis ?? 0;
    ctl[CTL_BACKEND_WORDS] = shape.backendWords ?? 0;
    ctl[CTL_BYTES] = Vgic.bytesFor(shape);
    if (options.lockCheck ?? envLockCheck()) ctl[CTL_DEBUG] = (ctl[CTL_DEBUG] ?? 0) | DEBUG_LOCKDEP;
    const v = new Vgic(buffer, shape, options);
    v.resetLinks();
    return v;
  }

  /** Views over a buffer another thread laid out (worker threads). */
  static open(buffer: ArrayBufferLike, options: VgicOpenOptions = {}): Vgic {
    return new Vgic(buffer, Vgic.shapeOf(buffer), options);
  }

  /** The shape recorded in a machine buffer (opens no view: the caller gets no thread id). */
  static shapeOf(buffer: ArrayBufferLike): VgicShape {
    const ctl = new Int32Array(buffer, 0, CTL_WORDS);
    if (ctl[CTL_MAGIC] !== VGIC_MAGIC || ctl[CTL_LAYOUT] !== LAYOUT_VERSION) {
      throw new VgicError('INVALID_ARGUMENT', 'the buffer does not hold a vgic machine of this layout version');
    }
    return {
      nrVcpus: ctl[CTL_VCPUS]!,
      nrSpis: ctl[CTL_SPIS]!,
      nrLrs: ctl[CTL_LRS]!,
      priorityBits: ctl[CTL_PRIBITS]!,
      sgiSources: ctl[CTL_SGI_SOURCES] === 1,
      nrLpis: ctl[CTL_LPIS]!,
      backendWords: ctl[CTL_BACKEND_WORDS]!,
    };
  }

  private constructor(buffer: ArrayBufferLike, shape: VgicShape, options: VgicOpenOptions) {
    this.buffer = buffer;
    this.shared = typeof SharedArrayBuffer !== 'undefined' && buffer instanceof SharedArrayBuffer;
    this.nrVcpus = shape.nrVcpus;
    this.nrSpis = shape.nrSpis;
    this.nrLrs = shape.nrLrs;
    this.nrLpis = shape.nrLpis ?? 0;
    this.backendWords = shape.backendWords ?? 0;
    this.lpiBase = shape.nrVcpus * 32 + shape.nrSpis;
    this.nrSlots = this.lpiBase + this.nrLpis;
    this.headBase = headBaseOf(this.nrSlots);
    this.lockIndexItsCmd = extraLocksOf(this.nrSlots, shape.nrVcpus);
    this.priorityBits = shape.priorityBits;
    this.priorityMask = (0xff << (8 - shape.priorityBits)) & 0xff;
    this.bprMin = 8 - shape.priorityBits;
    this.aprWordsUsed = Math.max(1, 1 << (shape.priorityBits - 5));
    this.sgiSources = shape.sgiSources;
    const arrays = Vgic.lay(new Layout(buffer), shape);
    // Defined rather than assigned: V8 turns an object that gains this many
    // properties by keyed stores into a dictionary, while definitions keep
    // them fast, read-only fields of the one hidden class every Vgic has —
    // what the hot paths' loads need to stay monomorphic.
    for (const name of STATE_ARRAY_NAMES) Object.defineProperty(this, name, { value: arrays[name], enumerable: true });

    this.lockSpace = new LockSpace(
      this.lockWords,
      this.threadTable,
      this.header.subarray(CTL_BROKEN, CTL_BROKEN + BROKEN_RECORD_WORDS),
      this.nrSlots,
      this.headBase,
      this.lockIndexItsCmd,
      this.intid,
    );
    this.lockOwner = ownerFor(buffer, this.lockSpace);
    const given = options.locks ?? (this.shared ? atomicLocks : plainLocks);
    const base = given.forOwner ? given.forOwner(this.lockOwner) : given;
    const check = options.lockCheck ?? ((this.header[CTL_DEBUG]! & DEBUG_LOCKDEP) !== 0 || envLockCheck());
    if (check) {
      this.lockdep = new LockDep(this.nrSlots, this.headBase, this.lockIndexItsCmd, this.header, CTL_LOCK_VIOLATIONS);
      this.locks = new CheckedLocks(base, this.lockdep);
    } else {
      this.lockdep = null;
      this.locks = base;
    }
  }

  get shape(): VgicShape {
    return {
      nrVcpus: this.nrVcpus,
      nrSpis: this.nrSpis,
      nrLrs: this.nrLrs,
      priorityBits: this.priorityBits,
      sgiSources: this.sgiSources,
      nrLpis: this.nrLpis,
      backendWords: this.backendWords,
    };
  }

  /** Empty every ap_list and every list register; no interrupt is queued. */
  resetLinks(): void {
    for (let s = 0; s < this.nrSlots; s++) {
      this.next[s] = NONE;
      this.prev[s] = NONE;
      this.apListVcpu[s] = NONE;
      this.inLr[s] = NONE;
    }
    for (let k = 0; k < this.nrVcpus; k++) {
      const head = this.apListHead(k);
      this.next[head] = head;
      this.prev[head] = head;
      this.usedLrs[k * LINE_WORDS] = 0;
    }
  }

  // --- slot addressing ---

  /**
   * The one INTID → slot lookup: the slot of `intid` as `vcpu` sees it
   * (private interrupts are banked per vCPU, SPIs shared), or NONE when this
   * machine has no such interrupt (negative, past its last SPI). `vcpu` is
   * the caller's to have checked; for an SPI it does not matter. Guest
   * accesses name any INTID, so a miss is an answer, not an error; host
   * operations check the INTID first (Machine.hostSlot) to say what is wrong.
   */
  slotOf(intid: number, vcpu: number): number {
    if (intid < 32) return intid >= 0 ? vcpu * 32 + intid : NONE;
    if (intid < this.spiLimit) return this.spiSlot(intid);
    return this.lpiSlotOf(intid);
  }

  /** The slot of SPI `intid`, which the caller knows is one of this machine's (32..spiLimit-1). */
  spiSlot(intid: number): number {
    return this.nrVcpus * 32 + intid - 32;
  }

  /** The slot LPI `intid` is mapped to, or NONE (lock-free: lpi.ts's `lpiSlot`). */
  lpiSlotOf(intid: number): number {
    const i = intid - LPI_INTID_BASE;
    if (i < 0 || i >= this.lpiMap.length) return NONE;
    return Atomics.load(this.lpiMap, i) - 1;
  }

  /** The vCPU a private slot belongs to, or NONE for an SPI or an LPI. */
  slotVcpu(slot: number): number {
    return slot < this.nrVcpus * 32 ? slot >> 5 : NONE;
  }

  /** A shared interrupt's slot (an SPI's or an LPI's). */
  isSpiSlot(slot: number): boolean {
    return slot >= this.nrVcpus * 32;
  }

  /** An LPI slot (mapped or not). */
  isLpiSlot(slot: number): boolean {
    return slot >= this.lpiBase && slot < this.nrSlots;
  }

  /** Highest INTID + 1 of this machine's SPIs. */
  get spiLimit(): number {
    return 32 + this.nrSpis;
  }

  /** vCPU `vcpu`'s ap_list head: its sentinel in `next`/`prev` and its ap_list_lock in `lockWords`. */
  apListHead(vcpu: number): number {
    return this.headBase + vcpu * LINE_WORDS;
  }

  /** vCPU `vcpu`'s first active-priority word in `apr` (AP0R0; AP1R0 is 4 further). */
  aprBase(vcpu: number): number {
    return vcpu * LINE_WORDS;
  }

  /** vCPU `vcpu`'s first list register in the list-register arrays (`lrState`, `lrSlot`, ...); LR k is k further. */
  lrBase(vcpu: number): number {
    return vcpu * LR_STRIDE;
  }

  // --- locks (thin wrappers so call sites read as the kernel's) ---

  lockIrq(slot: number): void {
    this.locks.acquire(this.lockWords, slot);
  }

  unlockIrq(slot: number): void {
    this.locks.release(this.lockWords, slot);
  }

  lockApList(vcpu: number): void {
    this.locks.acquire(this.lockWords, this.apListHead(vcpu));
  }

  unlockApList(vcpu: number): void {
    this.locks.release(this.lockWords, this.apListHead(vcpu));
  }

  /** its->cmd_lock: held while the ITS works through its command queue. Outermost of all. */
  lockItsCmd(): void {
    this.locks.acquire(this.lockWords, this.lockIndexItsCmd);
  }

  unlockItsCmd(): void {
    this.locks.release(this.lockWords, this.lockIndexItsCmd);
  }

  /** its->its_lock: the ITS's device, collection and translation mappings. Inside cmd_lock, outside every ap_list_lock. */
  lockIts(): void {
    this.locks.acquire(this.lockWords, this.lockIndexItsCmd + 1);
  }

  unlockIts(): void {
    this.locks.release(this.lockWords, this.lockIndexItsCmd + 1);
  }

  /** The LPI map lock (KVM's lpi_xa lock): inside the ap_list_locks, outside every irq lock. */
  lockLpiMap(): void {
    this.locks.acquire(this.lockWords, this.lockIndexItsCmd + 2);
  }

  unlockLpiMap(): void {
    this.locks.release(this.lockWords, this.lockIndexItsCmd + 2);
  }

  get debugFlags(): number {
    return Atomics.load(this.header, CTL_DEBUG);
  }

  setDebugFlag(flag: number, on: boolean): void {
    if (on) Atomics.or(this.header, CTL_DEBUG, flag);
    else Atomics.and(this.header, CTL_DEBUG, ~flag);
  }

  /**
   * Why the machine refuses to take locks (a thread stopped inside the
   * engine: lock-owners.ts), or null while it is sound.
   */
  get broken(): string | null {
    return this.lockSpace.reason();
  }

  /**
   * Free every lock, forget that the machine was broken, and clear this
   * thread's lock-order record: for reset and restore, which rewrite every
   * word the locks protect. No other thread may be inside the machine.
   */
  resetLocks(): void {
    this.lockSpace.reset();
    this.lockdep?.forget();
  }

  /** Lock-order violations seen by any thread of this machine. */
  get lockViolations(): number {
    return Atomics.load(this.header, CTL_LOCK_VIOLATIONS);
  }
}
