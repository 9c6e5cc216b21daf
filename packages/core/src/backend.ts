/**
 * The contract a GIC version implements to plug into the core.
 *
 * A backend is a value, made by a factory from its options (frame bases,
 * affinities). Its required surface is small: its version and limits, the
 * MMIO frames it decodes (each a table of registers), its system registers,
 * how it resets an interrupt and a vCPU, how it computes an interrupt's
 * target from its routing word, and how it encodes a list register. The core
 * owns the interrupt state, the ap_lists, the list registers and the virtual
 * CPU interface; the backend reaches them through the functions of `mmio.ts`
 * and `cpuif.ts`.
 *
 * Everything else a version knows is an optional capability, declared as a
 * member the backend may leave out; the parts of core that need one say so,
 * and refuse (or, in the published test suites, skip) what a backend lacks:
 *
 * - `vcpuAffinity` — vCPUs named by affinity: saved documents, restore, the
 *   KVM façade's attribute encoding.
 * - `guestCpu` — the registers a guest's interrupt handler uses and how it
 *   sends an SGI: `GuestCpu`, the guest of a vCPU thread.
 * - `distributor` — distributor registers by what they do, for a thread that
 *   runs no vCPU: the stress suite's retargeting, toggling and halves threads.
 * - `kvm` — the KVM device-attribute (userspace) semantics of its registers:
 *   `kvmDevice`.
 * - `checkSnapshot` — what a saved document holds that its registers never
 *   could: `restoreMachine`.
 * - `limits.maxLpis` — LPIs (GICv3): a machine may be made with `lpis` up to
 *   it; without it only `lpis: 0`.
 * - `stateWords` — words of shared state the backend lays out for itself in
 *   the machine's buffer (`Vgic.backendState`): the ITS's tables and cache.
 * - `msi` — message-signalled interrupts (an ITS): `Machine.signalMsi`
 *   (KVM_SIGNAL_MSI); a machine whose backend lacks it refuses the call.
 * - `snapshotState` — state of the backend's own beyond its words (the
 *   ITS's): its part of a saved document (`saveMachine`, `restoreMachine`).
 *
 * The core names no register of any GIC version (a test in core keeps it
 * so). A backend must pass the conformance suite in `@vgic/core/testing`.
 */
import type { GicSnapshot } from './snapshot/document.js';
import type { Vgic, VgicShape } from './vgic.js';

/** Access widths, as bits of `RegisterDef.access`. */
export const ACCESS_8 = 1;
export const ACCESS_16 = 2;
export const ACCESS_32 = 4;
export const ACCESS_64 = 8;

export type AccessWidth = 8 | 16 | 32 | 64;

/** The width of an access as a register handler sees it: a 64-bit access arrives as two 32-bit halves. */
export type HandlerWidth = 8 | 16 | 32;

/** The `access` bit for a width in bits, or 0 for a width that is not one. */
export function accessBit(width: number): number {
  switch (width) {
    case 8:
      return ACCESS_8;
    case 16:
      return ACCESS_16;
    case 32:
      return ACCESS_32;
    case 64:
      return ACCESS_64;
    default:
      return 0;
  }
}

/**
 * One register, or one array of registers, of an MMIO frame.
 *
 * Handlers see at most 32 bits: a 64-bit access to a 64-bit register is two
 * 32-bit calls, low word first. `offset` is the byte offset in the frame
 * (for a per-vCPU frame, in that vCPU's part); `vcpu` is whose view the
 * access has: the accessing vCPU for a distributor or CPU interface, the
 * redistributor's own vCPU for a redistributor. Handlers never throw.
 */
export interface RegisterDef {
  /** As the specification writes it, without an array index: `GICD_ISENABLER`. */
  readonly name: string;
  readonly offset: number;
  /** Elements of an array register (`GICD_ISENABLER<n>`); 1 for a single register. */
  readonly count?: number;
  /** Bytes from one element to the next (default: width / 8). */
  readonly stride?: number;
  /** The specification's index of the first element (`GICD_IROUTER<n>` starts at 32). */
  readonly firstIndex?: number;
  /** Natural width in bits. */
  readonly width: 32 | 64;
  /** Allowed access widths (ACCESS_* bits); any other width is RAZ/WI. */
  readonly access: number;
  /** Read-only, write-only or both (a write to a read-only register is ignored). */
  readonly mode?: 'ro' | 'wo' | 'rw';
  /** The specification section, for the register's documentation. */
  readonly spec?: string;
  /**
   * The pending or active state a one-bit-per-interrupt array sets or
   * clears (ISPENDR-like, ICACTIVER-like): set by core's
   * set/clearPending/ActiveRegister builders. The KVM device façade gives
   * such arrays their userspace semantics.
   */
  readonly stateBits?: StateBits;
  /**
   * A read of `width` bits at byte `offset` of the frame (for a per-vCPU
   * frame, of `vcpu`'s part). A 64-bit access reaches the handler as its two
   * 32-bit halves, so `width` is 8, 16 or 32 here.
   */
  read(v: Vgic, vcpu: number, offset: number, width: HandlerWidth): number;
  /** A write of `width` bits (8, 16 or 32, as for `read`); `value` holds the access's low `width` bits. */
  write(v: Vgic, vcpu: number, offset: number, width: HandlerWidth, value: number): void;
  /**
   * A 64-bit write in one call, for a register whose halves must change
   * together (GICv3's IROUTER: a route never passes through a mix of the old
   * and new value). Without it, a 64-bit write is two `write` calls.
   */
  write64?(v: Vgic, vcpu: number, offset: number, lo: number, hi: number): void;
}

export interface FrameDef {
  /** `GICD`, `GICC`, `GICR`: the prefix register names and raw offsets (`GICD+0x100`) use. */
  readonly name: string;
  /** Guest physical base address. */
  readonly base: number;
  /** Bytes of one frame (for a per-vCPU frame, of one vCPU's frame). */
  readonly size: number;
  /** One frame per vCPU, `size` bytes apart (redistributors). */
  readonly perVcpu: boolean;
  /**
   * Does a guest access trap to the hypervisor (the vCPU exits, the access is
   * emulated, the vCPU re-enters)? Distributors and redistributors do; a CPU
   * interface served from the list registers does not.
   */
  readonly traps: boolean;
  readonly registers: readonly RegisterDef[];
}

/** A system register's `op0, op1, CRn, CRm, op2`, as an instruction decoder produces it. */
export interface SysregEncoding {
  readonly op0: number;
  readonly op1: number;
  readonly crn: number;
  readonly crm: number;
  readonly op2: number;
}

/** A field of an encoding: a whole number 0..max (a `typeof` first: `>>>` throws for a bigint). */
function field(x: unknown, max: number): number {
  return typeof x === 'number' && x >>> 0 === x && x <= max ? x : -1;
}

/**
 * The packed form of an encoding (KVM's sys_reg()): op0<<14 | op1<<11 |
 * CRn<<7 | CRm<<3 | op2, a number 0..0xffff. -1 when `e` is no encoding: a
 * field outside the architecture's range (op0 0..3, op1 0..7, CRn and CRm
 * 0..15, op2 0..7), not a whole number, or unreadable. Such a value names no
 * register; it is never masked into one.
 */
export function sysregKey(e: SysregEncoding): number {
  if (typeof e !== 'object' || e === null) return -1;
  let op0: number, op1: number, crn: number, crm: number, op2: number;
  try {
    op0 = field(e.op0, 3);
    op1 = field(e.op1, 7);
    crn = field(e.crn, 15);
    crm = field(e.crm, 15);
    op2 = field(e.op2, 7);
  } catch {
    // A getter of the caller's object threw: that is no encoding either.
    return -1;
  }
  if ((op0 | op1 | crn | crm | op2) < 0) return -1;
  return (op0 << 14) | (op1 << 11) | (crn << 7) | (crm << 3) | op2;
}

export interface SysregDef extends SysregEncoding {
  readonly name: string;
  /** Does the access trap (the SGI-generation registers), or is it served from the LRs? */
  readonly traps: boolean;
  readonly spec?: string;
  /** Absent: write-only (reads as 0). */
  read?(v: Vgic, vcpu: number): number;
  /** Absent: read-only (writes ignored). The 64-bit value arrives as two 32-bit halves. */
  write?(v: Vgic, vcpu: number, lo: number, hi: number): void;
}

export interface BackendLimits {
  readonly maxVcpus: number;
  readonly maxLrs: number;
  readonly maxSpis: number;
  /** The largest LPI capacity (`lpis`) a machine may have; absent or 0: the backend has no LPIs. */
  readonly maxLpis?: number;
}

/**
 * Optional capability: the backend's own part of a saved document (version
 * 2's `backend`), for state its distributor and per-vCPU words do not hold
 * (the ITS's devices, collections, translations and registers).
 *
 * Restore order: core checks the document (`check` last, before anything is
 * written), writes its own state — the LPIs mapped with no reference — then
 * calls `restore`, which takes a reference (`lpiAllocate(v, intid)`) on each
 * LPI it maps; LPIs nobody took a reference on are unmapped after it.
 */
export interface BackendSnapshot {
  /** The backend's state, JSON-safe (plain objects, arrays, strings, finite numbers, booleans, null). */
  save(v: Vgic): unknown;
  /** null when `value` (the document's `backend`, or undefined) can be restored on `v`; else a sentence naming what is wrong. */
  check(v: Vgic, value: unknown, doc: GicSnapshot): string | null;
  /** Put `value` back (it passed `check`). Called with no engine lock held. */
  restore(v: Vgic, value: unknown, doc: GicSnapshot): void;
}

/**
 * Optional capability: message-signalled interrupts (GICv3's ITS). Used by
 * `Machine.signalMsi`, which has checked that both numbers are u32s.
 */
export interface MsiCapability {
  /**
   * A device's write of `eventId` to the ITS's GITS_TRANSLATER as requester
   * `deviceId` (KVM_SIGNAL_MSI): translate and make the LPI pending. False
   * when there is no translation (the MSI is dropped, as KVM drops it):
   * guest-made state, never a throw. Runs with no engine lock held; callbacks
   * are held back until it returns.
   */
  signal(v: Vgic, deviceId: number, eventId: number): boolean;
}

/**
 * A register as a thread that runs no vCPU reaches it: a name as
 * `Machine.resolve` takes it, and for part of a register the width and the
 * bytes past its address (`resolveHostRegister`'s options).
 */
export interface HostRegisterRef {
  readonly name: string;
  readonly width?: 8 | 16 | 32 | 64;
  readonly byteOffset?: number;
}

/**
 * The registers a guest's interrupt handler uses on one vCPU, by name as
 * `Machine.resolve` takes them (a system register or a memory-mapped one):
 * acknowledge, end of interrupt and deactivate for the group its interrupts
 * are in, and the register that sends an SGI (its access traps).
 */
export interface CpuInterfaceNames {
  readonly iar: string;
  readonly eoir: string;
  readonly dir: string;
  readonly sgi: string;
}

/**
 * Optional capability: how a guest runs its interrupt handler. Used by
 * `GuestCpu` (the guest of a vCPU thread, `startVcpus`, `runStress`,
 * `measureScaling`) once at start-up; its hot calls then go straight to the
 * resolved registers.
 */
export interface GuestCpuInterface extends CpuInterfaceNames {
  /**
   * The value of the `sgi` register (a 64-bit value; a 32-bit register's
   * high word 0) that sends SGI `intid` (0..15) to vCPU `target` alone.
   * Asked for every target and INTID when a `GuestCpu` starts.
   */
  sgiValue(v: Vgic, target: number, intid: number): bigint;
}

/**
 * Optional capability: a routing word of 64 bits that a guest may write 32
 * bits at a time, each half write keeping the other half. Used by the stress
 * suite's halves threads, which write the two halves of the same words from
 * two threads and check that neither loses the other's writes.
 */
export interface RouteHalves {
  /** A low half that routes to vCPU `vcpu` (with a high half of `highToVcpu`), or with `anyOf` to any vCPU that takes it (1-of-N). */
  low(v: Vgic, vcpu: number, anyOf: boolean): number;
  /** The high half that keeps the route the low half names. */
  readonly highToVcpu: number;
  /** A high half that names no vCPU: the interrupt waits for a route. */
  readonly highNowhere: number;
}

/**
 * Optional capability: the distributor's registers by what they do, for a
 * thread that runs no vCPU (`resolveHostRegister`). Used by `runStress`: the
 * retargeting thread (`enableSet`, `enableClear`, `route`, `routeValue`,
 * `routeMask`), the thread that turns the distributor off and on
 * (`control`) and the halves threads (`routeHalves`, `group`). A backend
 * without it runs none of those threads, and `describeStress` skips their
 * tests.
 */
export interface DistributorRegisters {
  /** The control register, whose bits 1:0 forward groups 0 and 1. */
  readonly control: string;
  /** The word of set-enable bits that holds `intid`'s (bit `intid % 32`). */
  enableSet(intid: number): string;
  /** The word of clear-enable bits that holds `intid`'s (bit `intid % 32`). */
  enableClear(intid: number): string;
  /** The word of group bits that holds `intid`'s (bit `intid % 32`). */
  group(intid: number): string;
  /** SPI `intid`'s routing register (or the part of one) as the host writes it. */
  route(intid: number): HostRegisterRef;
  /** The value of `route(intid)` that routes to vCPU `vcpu`. */
  routeValue(v: Vgic, vcpu: number): number | bigint;
  /**
   * For a routing word that lists vCPUs: the value that names the vCPUs of
   * `mask` (bit k: vCPU k). Without it a route names one vCPU.
   */
  routeMask?(v: Vgic, mask: number): number;
  /** The routing register is 64 bits a guest may write in halves. */
  readonly routeHalves?: RouteHalves;
}

/** Which pending or active state a one-bit-per-interrupt register array sets or clears. */
export interface StateBits {
  readonly state: 'pending' | 'active';
  readonly set: boolean;
}

/**
 * KVM_DEV_ARM_VGIC_GRP_CPU_REGS: a CPU interface reached by offset, whose
 * userspace view is GICH_VMCR's fields rather than the guest's registers.
 */
export interface KvmCpuRegs {
  /** null when `offset` is a register the group exposes; else a sentence saying which are. */
  check(offset: number): string | null;
  read(v: Vgic, vcpu: number, offset: number): number;
  write(v: Vgic, vcpu: number, offset: number, value: number): void;
}

/** KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS: the CPU interface system registers userspace may access. */
export interface KvmCpuSysregs {
  /** The names of the system registers the group exposes. */
  readonly names: readonly string[];
  /** null when `r` exists on machine `v` (its priority bits may leave some out); else why not. */
  available(v: Vgic, r: SysregDef): string | null;
  /** null when userspace may write `value` to `r` of `vcpu`; else why not (nothing is written). */
  checkWrite(v: Vgic, vcpu: number, r: SysregDef, value: bigint): string | null;
}

/**
 * Optional capability: the KVM device-attribute semantics of the backend's
 * registers (KVM_{GET,SET}_DEVICE_ATTR, vgic-mmio.c's `uaccess` handlers).
 * Used by `kvmDevice`; a backend without it has only the groups that need
 * no register (interrupt count, control, line levels).
 */
export interface KvmSemantics {
  /** The frame KVM_DEV_ARM_VGIC_GRP_DIST_REGS reaches. */
  readonly distributor: string;
  /**
   * The per-vCPU frame KVM_DEV_ARM_VGIC_GRP_REDIST_REGS reaches. A GIC with
   * one keeps private interrupts there (userspace reads the distributor's
   * words for INTIDs 0..31 as 0 and its writes are ignored), names a vCPU in
   * an attribute by its affinity (`vcpuAffinity`), and lets userspace write
   * pending latches: an ISPENDR-like write sets each latch to its bit,
   * whatever the trigger, and the ICPENDR-like array is RAZ/WI. Without it
   * a vCPU is named by index and those arrays set and clear the pending
   * state as the guest's do (an SGI's source is the accessing vCPU).
   */
  readonly redistributor?: string;
  readonly cpuRegs?: KvmCpuRegs;
  readonly cpuSysregs?: KvmCpuSysregs;
  /**
   * KVM_DEV_ARM_VGIC_GRP_CTRL / KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES: write
   * every LPI's pending state to the guest's pending tables (GICv3's
   * vgic_v3_save_pending_tables). Called with every vCPU outside. Without it
   * the attribute is refused.
   */
  savePendingTables?(v: Vgic): void;
}

export interface GicBackend {
  // ---------------------------------------------------------------- required

  /** `v2`, `v3`: what scenario files name in `gic:`. */
  readonly version: string;
  readonly limits: BackendLimits;
  /** Implemented priority bits (KVM: 5). */
  readonly priorityBits: number;
  /** SGIs carry a source-vCPU bitmap and IAR reports the source (GICv2). */
  readonly sgiSources: boolean;
  /** Set once the machine exists: the backend may keep per-machine tables. */
  attach?(v: Vgic): void;
  /**
   * Reset state of one interrupt (vgic-init): enable, config, group, priority, routing word and target.
   * Called for SGI, PPI and SPI slots; LPI slots are core's (lpi.ts).
   */
  resetIrq(v: Vgic, slot: number, intid: number, vcpu: number): void;
  /** Reset state of a vCPU's CPU interface and of the backend's per-vCPU words. */
  resetVcpu(v: Vgic, vcpu: number): void;
  /** Reset state of the distributor (enables, the backend's distributor words). */
  resetDist(v: Vgic): void;
  /** The target vCPU the routing word of `slot` names, or NONE (-1). */
  routeTarget(v: Vgic, slot: number): number;
  readonly frames: readonly FrameDef[];
  readonly sysregs: readonly SysregDef[];
  /** List register k of `vcpu` as the hardware encodes it. */
  encodeLr(v: Vgic, vcpu: number, k: number): bigint;
  /** A reader's description of an interrupt's routing (`cpu0|cpu1`, `0.0.1.0`). */
  describeRoute(v: Vgic, slot: number): string;

  // ---------------------------------------------------------------- optional capabilities

  /**
   * vCPU `vcpu`'s affinity, for a GIC that names vCPUs by it: Aff3 in bits
   * 31:24, Aff2.Aff1.Aff0 in 23:0. Used by `saveMachine` (`shape.mpidr`),
   * `restoreMachine` (a document's affinities must be the machine's) and
   * `kvmDevice` (attributes name a vCPU by affinity).
   */
  vcpuAffinity?(v: Vgic, vcpu: number): number;
  /** How a guest's handler acknowledges, ends, deactivates and sends SGIs (see `GuestCpuInterface`). */
  readonly guestCpu?: GuestCpuInterface;
  /** The distributor's registers by what they do, for threads that run no vCPU (see `DistributorRegisters`). */
  readonly distributor?: DistributorRegisters;
  /** The KVM device-attribute semantics of the registers (see `KvmSemantics`). */
  readonly kvm?: KvmSemantics;
  /**
   * What a saved document holds that this backend's registers
   * could never hold — a routing word with reserved bits or naming a vCPU
   * the machine does not have, a read-only field changed, a value of its own
   * words it never writes — as a sentence naming the field (`spis[3].route
   * ...`), or null. It is asked once the document has passed the schema and
   * the core's own checks, on the machine `v` it is to be restored into
   * (whose shape it has); `restoreMachine` refuses the document with
   * INVALID_SNAPSHOT before it writes anything.
   */
  checkSnapshot?(v: Vgic, doc: GicSnapshot): string | null;
  /**
   * Words of shared state the backend needs in the machine's buffer for a
   * machine of `shape` (whose `nrLpis` is set; its `backendWords` is what
   * this answers): `Vgic.backendState`, which every thread sees. Asked when
   * a machine is made and when another thread opens one (the numbers must
   * agree). Absent: 0.
   */
  stateWords?(shape: VgicShape): number;
  /** Message-signalled interrupts (see `MsiCapability`). */
  readonly msi?: MsiCapability;
  /** The backend's own part of a saved document (see `BackendSnapshot`). */
  readonly snapshotState?: BackendSnapshot;
}
