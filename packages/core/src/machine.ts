/**
 * A virtual GIC as an emulator or hypervisor prototype meets it: guest
 * physical addresses, system-register encodings, vCPU entry and exit, device
 * lines, and the vCPU's interrupt outputs. Register names resolve to the same
 * addresses and encodings (`register-lookup.ts`); the options and handles a
 * machine is made from are checked in `machine-options.ts`.
 *
 * A `Machine` is made from a backend (`createMachine(createGicv3Backend(o), o)`,
 * or simply the backend package's `createGicv3(o)`).
 *
 * Two kinds of input, two kinds of answer:
 * - Guest input — the address and value of an MMIO access and which of
 *   the four widths it has, the encoding and value of a system-register
 *   access — never throws. An address no frame holds, and anything that is
 *   not a valid number there (NaN, a fraction, a negative, a bigint
 *   address, a value outside 0..2^64-1), is refused as an unmapped access
 *   is (`undefined` / `false`; -1 from `sysregRead32`), and no vCPU is
 *   entered or left for it; a width the register does not allow is RAZ/WI.
 * - Host input — everything else, the vCPU an access is made on and a
 *   width that is not 8, 16, 32 or 64 bits included (no guest instruction
 *   makes one; it is the decoder's mistake, most often a size in bytes) —
 *   is checked, and misuse throws a `VgicError` whose code says what was
 *   wrong (INVALID_VCPU, INVALID_INTID, INVALID_ARGUMENT, ...). A call that
 *   throws has changed nothing.
 */
import { accessBit, sysregKey, type AccessWidth, type FrameDef, type GicBackend, type SysregDef, type SysregEncoding } from './backend.js';
import { toU64 } from './bits.js';
import { badWidth, describeValue, high32, hostValue, isU64, low32, readOptions } from './args.js';
import { LINE_WORDS } from './cache-line.js';
import { cpuifLines, hasPendingIrq } from './cpuif.js';
import { VgicError } from './errors.js';
import { flushLrState, lrViews } from './flush.js';
import { FrameMap, emulateRead, emulateWrite, registerAt } from './frames.js';
import { injectSlot, mapHwSlot, setLineLevel, unmapHwSlot } from './inject.js';
import { irqState, vcpuState, type IrqState, type VcpuState } from './inspect.js';
import { dropCallbacks, holdCallbacks, releaseCallbacks, rethrowCallbackError } from './notify.js';
import { GuestMemory, checkGuestMemory } from './guest-memory.js';
import { LPI_INTID_BASE, lpiResetAll, lpiSlot } from './lpi.js';
import { checkInvariants, noLockHeld } from './invariants.js';
import { syncHwState } from './sync.js';
import { unhandledMmio, unhandledSysreg } from './unhandled.js';
import type { RegisterName, RegisterNames, RegisterValue, WidthOption } from './register-names.js';
import { Subscribers, type Unsubscribe } from './subscribers.js';
import type { LrView, TraceEvent, Tracer } from './trace.js';
import { RegisterLookup, SysregTable, checkName, type ResolvedRegister } from './register-lookup.js';

export type { ResolvedMmio, ResolvedSysreg, ResolvedRegister } from './register-lookup.js';
import {
  NONE,
  VCPU_RUNNING,
  Vgic,
} from './vgic.js';
import {
  ATTACH_OPTION_KEYS,
  checkMachineBuffer,
  checkMachineOptions,
  createInWasmMemory,
  openOptionsOf,
  type MachineHandle,
  type MachineOptions,
} from './machine-options.js';

export {
  MACHINE_OPTION_KEYS,
  ATTACH_OPTION_KEYS,
  splitFactoryOptions,
  readMachineHandle,
  validateMachineOptions,
  type MachineOptions,
  type MachineHandle,
} from './machine-options.js';

/** A hardware-mapped interrupt's host callback: `(hostIntid, intid, vcpu)`. */
export type HostCallback = (hostIntid: number, intid: number, vcpu: number) => void;

export interface RegisterAccessOptions {
  vcpu?: number;
  /** Access width in bits (default: the register's natural width). */
  width?: AccessWidth;
  /** For `GICR_*`: whose redistributor (default: the accessing vCPU's). */
  rd?: number;
}

/**
 * A virtual GIC. `R` is the register names of its backend (`Gicv3Registers`
 * for a `createGicv3` machine): names it lacks are compile-time errors, and
 * `readRegister` says whether a name reads a number or a bigint. A machine
 * whose backend is chosen at run time is a plain `Machine`, whose names are
 * any string (checked when the call is made: UNKNOWN_REGISTER).
 */
export class Machine<R extends RegisterNames = RegisterNames> {
  readonly backend: GicBackend;
  /** The engine state. Its typed arrays are the machine; everything else is views. */
  readonly vgic: Vgic;
  /**
   * The backend's frames, indexed: where guest, host and KVM-attribute accesses find their registers.
   * @internal
   */
  readonly frameMap: FrameMap;
  /** System registers by packed encoding, for MRS/MSR dispatch. */
  private readonly sysregTable: SysregTable;
  /** Register names to addresses and encodings (register-lookup.ts). */
  private readonly lookup: RegisterLookup;
  // Each fills its engine slot (see subscribers.ts). Line and trace listeners
  // first bring outputs that went stale while nobody listened up to date.
  private readonly traceListeners = new Subscribers<Tracer>('onTrace', (fn) => {
    this.refreshLines();
    this.vgic.tracer = fn;
  });
  private readonly lineListeners = new Subscribers<(vcpu: number, irq: boolean, fiq: boolean) => void>('onLine', (fn) => {
    this.refreshLines();
    this.vgic.onLine = fn;
  });
  private readonly kickListeners = new Subscribers<(vcpu: number) => void>('onKick', (fn) => (this.vgic.onKick = fn));
  private readonly eoiListeners = new Subscribers<(intid: number, vcpu: number) => void>('onEoiNotify', (fn) => (this.vgic.onEoiNotify = fn));
  private readonly hostDeactivateListeners = new Subscribers<HostCallback>('onHostDeactivate', (fn) => (this.vgic.onHostDeactivate = fn));
  private readonly hostActivateListeners = new Subscribers<HostCallback>('onHostActivate', (fn) => (this.vgic.onHostActivate = fn));
  private readonly hostClearPendingListeners = new Subscribers<HostCallback>('onHostClearPending', (fn) => (this.vgic.onHostClearPending = fn));

  /** A new machine in its reset state. */
  static create(backend: GicBackend, options: MachineOptions): Machine {
    const o = checkMachineOptions(backend, options);
    const v = o.memory === 'wasm' ? createInWasmMemory(o.shape, o.open) : Vgic.create(o.shape, o.shared, o.open);
    v.memory = new GuestMemory(o.guestMemory);
    const m = new Machine(backend, v);
    m.reset();
    return m;
  }

  /**
   * The same machine, opened over a buffer another thread created (state
   * untouched). Throws INVALID_ARGUMENT for a buffer that does not hold a
   * machine this backend could have made (too short, or its header altered),
   * and INVALID_CONFIG for bad options.
   */
  static attach(
    backend: GicBackend,
    buffer: ArrayBufferLike,
    options: Pick<MachineOptions, 'lockCheck' | 'locks' | 'guestMemory'> = {},
  ): Machine {
    const o = readOptions(options, ATTACH_OPTION_KEYS, 'INVALID_CONFIG', 'attach options');
    const open = openOptionsOf(o);
    const guestMemory = checkGuestMemory(o['guestMemory']);
    const v = Vgic.open(checkMachineBuffer(backend, buffer), open);
    v.memory = new GuestMemory(guestMemory);
    return new Machine(backend, v);
  }

  private constructor(backend: GicBackend, v: Vgic) {
    this.backend = backend;
    this.vgic = v;
    backend.attach?.(v);
    this.frameMap = new FrameMap(backend.frames);
    this.sysregTable = SysregTable.of(backend.sysregs);
    this.lookup = new RegisterLookup(backend.version, this.frameMap, backend.sysregs, (k) => this.checkVcpu(k));
  }

  /** Is `x` a machine? (`instanceof`, without the TypeError a revoked Proxy throws from it.) */
  static isMachine(x: unknown): x is Machine {
    try {
      return x instanceof Machine;
    } catch {
      return false;
    }
  }

  get version(): string {
    return this.backend.version;
  }
  get vcpus(): number {
    return this.vgic.nrVcpus;
  }
  get spis(): number {
    return this.vgic.nrSpis;
  }
  get lrs(): number {
    return this.vgic.nrLrs;
  }
  /** LPI capacity (0: no LPIs). */
  get lpis(): number {
    return this.vgic.nrLpis;
  }
  /** Guest physical memory as this thread reaches it (the `guestMemory` option). */
  get memory(): GuestMemory {
    return this.vgic.memory;
  }
  get frames(): readonly FrameDef[] {
    return this.backend.frames;
  }

  /**
   * Put every interrupt, vCPU and the distributor in the backend's reset
   * state; every vCPU is outside, every lock free. This is also the way back
   * for a machine a dead thread left broken (MACHINE_BROKEN): call it with
   * no other thread inside the machine.
   */
  reset(): void {
    const v = this.vgic;
    v.resetLocks();
    v.resetLinks();
    v.lineLevel.fill(0);
    v.pendingLatch.fill(0);
    v.active.fill(0);
    v.hw.fill(0);
    v.hostIntid.fill(0);
    v.sgiSrc.fill(0);
    v.activeSrc.fill(0);
    v.foldChanges.fill(0);
    v.runState.fill(0);
    v.kick.fill(0);
    v.maintenancePending.fill(0);
    v.underflowRequested.fill(0);
    v.eoiCount.fill(0);
    v.apr.fill(0);
    v.irqLine.fill(0);
    v.fiqLine.fill(0);
    v.linesStale.fill(0);
    this.backend.resetDist(v);
    for (let k = 0; k < v.nrVcpus; k++) this.backend.resetVcpu(v, k);
    for (let s = 0; s < v.lpiBase; s++) {
      v.intid[s] = s < v.nrVcpus * 32 ? s & 31 : s - v.nrVcpus * 32 + 32;
      this.backend.resetIrq(v, s, v.intid[s]!, v.slotVcpu(s));
    }
    if (v.nrLpis !== 0) lpiResetAll(v);
  }

  /** What a worker thread passes to the backend's `attach…` to open this machine. */
  handle(backendOptions: unknown): MachineHandle {
    if (!this.vgic.shared) throw new VgicError('INVALID_STATE', 'only a machine created with `shared: true` can be opened from another thread');
    const guestMemory = this.vgic.memory.shareableRegions();
    return { buffer: this.vgic.buffer, version: this.backend.version, backendOptions, ...(guestMemory.length !== 0 && { guestMemory }) };
  }

  // ------------------------------------------------------------ checks

  /** Throws INVALID_VCPU unless `vcpu` names a vCPU of this machine. */
  checkVcpu(vcpu: number): void {
    // `x >>> 0 === x` holds for exactly the integers 0..2^32-1; the `typeof`
    // first, as `>>>` throws for a bigint and runs an object's valueOf.
    if (typeof vcpu !== 'number' || vcpu >>> 0 !== vcpu || vcpu >= this.vgic.nrVcpus) throw noSuchVcpu(vcpu, this.vgic.nrVcpus);
  }

  /**
   * The slot a host operation means. SGIs are refused (`allowSgi` aside):
   * the guest sends them; the host raises PPIs (with a vCPU) and SPIs.
   */
  hostSlot(intid: number, vcpu: number | undefined, what: string, allowSgi = false): number {
    const v = this.vgic;
    // The common case inline, an SPI of this machine with no vCPU named; the
    // rest (and every refusal) out of line, so a host call stays small enough
    // for V8 to inline whole (core README, "Speed").
    if (vcpu === undefined && typeof intid === 'number' && intid >>> 0 === intid && intid >= 32 && intid < v.spiLimit) return v.spiSlot(intid);
    return this.otherHostSlot(intid, vcpu, what, allowSgi);
  }

  private otherHostSlot(intid: number, vcpu: number | undefined, what: string, allowSgi: boolean): number {
    const v = this.vgic;
    if (typeof intid !== 'number' || intid >>> 0 !== intid) throw new VgicError('INVALID_INTID', `INTID ${describeValue(intid)} is not an interrupt number`);
    if (intid >= 1020 && intid <= 1023) {
      throw new VgicError('INVALID_INTID', `INTID ${intid} is reserved; SPIs on this machine are 32..${v.spiLimit - 1}`);
    }
    if (intid < 16 && !allowSgi) {
      throw new VgicError('INVALID_INTID', `INTID ${intid} is an SGI: the guest sends SGIs; ${what} takes PPIs 16..31 and SPIs 32..${v.spiLimit - 1}`);
    }
    if (intid < 32) {
      if (vcpu === undefined) throw new VgicError('INVALID_VCPU', `INTID ${intid} is private to each vCPU: name the vCPU`);
      this.checkVcpu(vcpu);
      return v.slotOf(intid, vcpu);
    }
    if (intid >= LPI_INTID_BASE && v.nrLpis !== 0) {
      throw new VgicError('INVALID_INTID', `INTID ${intid} is an LPI: LPIs are message-signalled (signalMsi), not ${what}`);
    }
    if (intid >= v.spiLimit) {
      throw new VgicError('INVALID_INTID', `INTID ${intid} is out of range; SPIs on this machine are 32..${v.spiLimit - 1}`);
    }
    if (vcpu !== undefined) this.checkVcpu(vcpu);
    return v.slotOf(intid, 0);
  }

  // ------------------------------------------------------------ host side

  /**
   * A device line change (KVM_IRQ_LINE): PPIs name their vCPU, SPIs need none.
   * Returns whether it changed anything (false: a level that did not change,
   * a falling edge, or an edge coalesced with one already pending).
   */
  inject(intid: number, level: boolean | 0 | 1, vcpu?: number): boolean {
    const on = lineLevel(level);
    const changed = injectSlot(this.vgic, this.hostSlot(intid, vcpu, 'host injection'), on);
    rethrowCallbackError(this.vgic);
    return changed;
  }

  /**
   * A device's MSI (KVM_SIGNAL_MSI): the write of `eventId` to the ITS's
   * translation register as requester `deviceId`. Returns whether it was
   * translated and made an LPI pending (false: the MSI is dropped — no such
   * device or event, the ITS or LPIs disabled — which is the guest's state,
   * never a throw). Throws INVALID_ARGUMENT for a number that is not a u32,
   * INVALID_CONFIG when the machine has no ITS (its backend no `msi`).
   */
  signalMsi(deviceId: number, eventId: number): boolean {
    const msi = this.backend.msi;
    if (typeof deviceId !== 'number' || deviceId >>> 0 !== deviceId) {
      throw new VgicError('INVALID_ARGUMENT', `deviceId must be a u32 (0..4294967295); got ${describeValue(deviceId)}`);
    }
    if (typeof eventId !== 'number' || eventId >>> 0 !== eventId) {
      throw new VgicError('INVALID_ARGUMENT', `eventId must be a u32 (0..4294967295); got ${describeValue(eventId)}`);
    }
    if (msi === undefined) {
      throw new VgicError('INVALID_CONFIG', `this GIC${this.backend.version} machine takes no MSIs: it was made without an ITS`);
    }
    const v = this.vgic;
    holdCallbacks(v);
    let taken: boolean;
    try {
      taken = msi.signal(v, deviceId, eventId);
    } catch (e) {
      dropCallbacks(v);
      throw e;
    }
    releaseCallbacks(v);
    rethrowCallbackError(v);
    return taken;
  }

  /** Set a line level without injection's validation (KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO). `level` as for `inject`. */
  setLineLevel(intid: number, level: boolean | 0 | 1, vcpu?: number): boolean {
    const on = lineLevel(level);
    const changed = setLineLevel(this.vgic, this.hostSlot(intid, vcpu, 'the line-level interface'), on);
    rethrowCallbackError(this.vgic);
    return changed;
  }

  /** Hardware-map an interrupt (kvm_vgic_map_phys_irq): the guest's deactivation deactivates `hostIntid`. */
  mapHw(intid: number, hostIntid: number, vcpu?: number): void {
    const slot = this.hostSlot(intid, vcpu, 'hardware mapping');
    if (!Number.isInteger(hostIntid) || hostIntid < 0 || hostIntid > 0xffffff) {
      throw new VgicError('INVALID_ARGUMENT', `host INTID must be an integer 0..16777215; got ${describeValue(hostIntid)}`);
    }
    mapHwSlot(this.vgic, slot, hostIntid);
  }

  unmapHw(intid: number, vcpu?: number): void {
    unmapHwSlot(this.vgic, this.hostSlot(intid, vcpu, 'hardware mapping'));
  }

  // ------------------------------------------------------------ vCPU entry and exit

  /** Enter the vCPU (vgic_flush_hwstate). Entering a running vCPU syncs it first. */
  enter(vcpu: number): void {
    this.checkVcpu(vcpu);
    const v = this.vgic;
    if (v.runState[vcpu * LINE_WORDS] === VCPU_RUNNING) syncHwState(v, vcpu);
    flushLrState(v, vcpu);
    rethrowCallbackError(v);
  }

  /** Leave the vCPU (vgic_sync_hwstate). Leaving an outside vCPU does nothing. */
  exit(vcpu: number): void {
    this.checkVcpu(vcpu);
    const v = this.vgic;
    if (v.runState[vcpu * LINE_WORDS] === VCPU_RUNNING) syncHwState(v, vcpu);
    rethrowCallbackError(v);
  }

  isRunning(vcpu: number): boolean {
    this.checkVcpu(vcpu);
    return this.vgic.runState[vcpu * LINE_WORDS] === VCPU_RUNNING;
  }

  /** Was the vCPU kicked, or did it raise a maintenance interrupt, so that it must exit and re-enter? */
  needsResync(vcpu: number): boolean {
    this.checkVcpu(vcpu);
    const v = this.vgic;
    return v.runState[vcpu * LINE_WORDS] === VCPU_RUNNING && (v.kick[vcpu * LINE_WORDS] !== 0 || v.maintenancePending[vcpu] !== 0);
  }

  /**
   * Before a guest access that `mustPrepare` found needs it: a vCPU that is
   * outside enters; one that was kicked or raised a maintenance interrupt
   * exits and re-enters, as the hardware would have taken it out of the guest.
   */
  private prepareGuest(vcpu: number): void {
    const v = this.vgic;
    if (v.runState[vcpu * LINE_WORDS] === VCPU_RUNNING) syncHwState(v, vcpu);
    flushLrState(v, vcpu);
  }

  /** A trapped access: the vCPU exits, the access is emulated, the vCPU re-enters. */
  private trapOut(vcpu: number): void {
    const v = this.vgic;
    if (v.runState[vcpu * LINE_WORDS] === VCPU_RUNNING) syncHwState(v, vcpu);
  }

  // ------------------------------------------------------------ outputs

  /** Is the vCPU's virtual IRQ asserted? */
  irqLine(vcpu: number): boolean {
    this.checkVcpu(vcpu);
    cpuifLines(this.vgic, vcpu);
    rethrowCallbackError(this.vgic);
    return this.vgic.irqLine[vcpu * LINE_WORDS] !== 0;
  }

  /** Is the vCPU's virtual FIQ asserted (group 0 with FIQ signalling)? */
  fiqLine(vcpu: number): boolean {
    this.checkVcpu(vcpu);
    cpuifLines(this.vgic, vcpu);
    rethrowCallbackError(this.vgic);
    return this.vgic.fiqLine[vcpu * LINE_WORDS] !== 0;
  }

  /**
   * Called when a vCPU's IRQ/FIQ outputs change (the CPU model takes or
   * drops the exception). Returns a function that unsubscribes.
   */
  onLine(listener: (vcpu: number, irq: boolean, fiq: boolean) => void): Unsubscribe {
    return this.lineListeners.add(listener);
  }

  /** Outputs that went stale while nobody listened are brought up to date before someone does. */
  private refreshLines(): void {
    const v = this.vgic;
    const onLine = v.onLine;
    const tracer = v.tracer;
    v.onLine = null;
    v.tracer = null;
    for (let k = 0; k < v.nrVcpus; k++) cpuifLines(v, k);
    v.onLine = onLine;
    v.tracer = tracer;
  }

  /** Is there an interrupt the vCPU could take now (kvm_vgic_vcpu_pending_irq, for WFI)? */
  hasPending(vcpu: number): boolean {
    this.checkVcpu(vcpu);
    return hasPendingIrq(this.vgic, vcpu);
  }

  /**
   * Called when something is queued for a vCPU (kvm_vcpu_kick): a running
   * vCPU should exit and re-enter to see it. Returns a function that
   * unsubscribes.
   */
  onKick(listener: (vcpu: number) => void): Unsubscribe {
    return this.kickListeners.add(listener);
  }

  /** Called when the guest deactivates a hardware-mapped interrupt. Returns a function that unsubscribes. */
  onHostDeactivate(listener: (hostIntid: number, intid: number, vcpu: number) => void): Unsubscribe {
    return this.hostDeactivateListeners.add(listener);
  }

  /**
   * Called when the guest is done with a level-triggered interrupt, so its
   * device can resample the line. Returns a function that unsubscribes.
   */
  onEoiNotify(listener: (intid: number, vcpu: number) => void): Unsubscribe {
    return this.eoiListeners.add(listener);
  }

  /**
   * Called when the guest makes a hardware-mapped interrupt active
   * (ISACTIVER, ISPENDR): make the host interrupt active. Returns a function
   * that unsubscribes.
   */
  onHostActivate(listener: (hostIntid: number, intid: number, vcpu: number) => void): Unsubscribe {
    return this.hostActivateListeners.add(listener);
  }

  /**
   * Called when the guest clears a hardware-mapped interrupt's pending state
   * (ICPENDR): clear the host interrupt's. Returns a function that
   * unsubscribes.
   */
  onHostClearPending(listener: (hostIntid: number, intid: number, vcpu: number) => void): Unsubscribe {
    return this.hostClearPendingListeners.add(listener);
  }

  // ------------------------------------------------------------ trace

  /** Listen to trace events. Returns a function that unsubscribes. */
  onTrace(listener: (event: TraceEvent) => void): Unsubscribe {
    return this.traceListeners.add(listener);
  }

  // ------------------------------------------------------------ MMIO

  /**
   * A guest read of `width` bits at guest physical `addr` by `vcpu`. Returns
   * the value (a bigint for 64-bit accesses), or `undefined` when no frame of
   * this GIC holds the address — the caller raises its own abort — and for
   * an address that is not one (NaN, a fraction, a negative or a bigint):
   * such an access enters no vCPU. An access of a width or alignment the
   * register does not allow reads as zero. Throws INVALID_VCPU for a `vcpu`
   * this machine does not have, and INVALID_ARGUMENT for a width that is
   * not 8, 16, 32 or 64 bits (a size in bytes: 1, 2, 4): those are the
   * host's input, not the guest's, and such a call changes nothing.
   */
  mmioRead(vcpu: number, addr: number, width: 64): bigint | undefined;
  mmioRead(vcpu: number, addr: number, width: 8 | 16 | 32): number | undefined;
  mmioRead(vcpu: number, addr: number, width: AccessWidth): number | bigint | undefined;
  mmioRead(vcpu: number, addr: number, width: AccessWidth): number | bigint | undefined {
    this.checkVcpu(vcpu);
    if (accessBit(width) === 0) badWidth(width);
    if (typeof addr !== 'number') return undefined;
    const map = this.frameMap;
    const fi = map.find(addr, this.vgic.nrVcpus);
    if (fi === null) {
      if (this.vgic.tracer !== null) unhandledMmio(this.vgic, vcpu, false, addr, width, null, 0);
      return undefined;
    }
    const view = map.hitFrameVcpu === NONE ? vcpu : map.hitFrameVcpu;
    const offset = map.hitOffset;
    const reg = registerAt(fi, offset, width);
    if (reg === null && this.vgic.tracer !== null) unhandledMmio(this.vgic, vcpu, false, addr, width, fi, offset);
    const traps = fi.frame.traps;
    if (traps) this.trapOut(vcpu);
    else if (mustPrepare(this.vgic, vcpu)) this.prepareGuest(vcpu);
    const lo = reg === null ? 0 : emulateRead(this.vgic, reg, view, offset, width, false);
    const hi = reg === null || width !== 64 ? 0 : emulateRead(this.vgic, reg, view, offset, width, true);
    if (traps) flushLrState(this.vgic, vcpu);
    rethrowCallbackError(this.vgic);
    return width === 64 ? toU64(lo, hi) : lo;
  }

  /**
   * A guest write. Returns false when no frame of this GIC holds the address,
   * and — entering no vCPU — for an address or value that is not one. Throws
   * as `mmioRead` does for a vCPU or width that is not one.
   * The value is a bigint 0..2^64-1 or a whole number 0..2^53-1 (for an
   * access of 32 bits or fewer also a negative 32-bit integer, as bitwise
   * operators give, taken as its bit pattern); the access writes its low
   * `width` bits, as a store does. A width or alignment the register does not
   * allow is ignored. A 32-bit or narrower write of a number allocates
   * nothing.
   */
  mmioWrite(vcpu: number, addr: number, width: AccessWidth, value: number | bigint): boolean {
    this.checkVcpu(vcpu);
    if (accessBit(width) === 0) badWidth(width);
    if (typeof addr !== 'number') return false;
    let lo: number;
    let hi = 0;
    if (typeof value === 'number' && (value >>> 0 === value || (width !== 64 && (value | 0) === value))) {
      lo = value >>> 0;
    } else if (isU64(value)) {
      lo = low32(value);
      hi = width === 64 ? high32(value) : 0;
    } else {
      return false;
    }
    const map = this.frameMap;
    const fi = map.find(addr, this.vgic.nrVcpus);
    if (fi === null) {
      if (this.vgic.tracer !== null) unhandledMmio(this.vgic, vcpu, true, addr, width, null, 0);
      return false;
    }
    const view = map.hitFrameVcpu === NONE ? vcpu : map.hitFrameVcpu;
    const offset = map.hitOffset;
    const reg = registerAt(fi, offset, width);
    if (reg === null && this.vgic.tracer !== null) unhandledMmio(this.vgic, vcpu, true, addr, width, fi, offset);
    const traps = fi.frame.traps;
    if (traps) this.trapOut(vcpu);
    else if (mustPrepare(this.vgic, vcpu)) this.prepareGuest(vcpu);
    if (reg !== null) emulateWrite(this.vgic, reg, view, offset, width, lo, hi);
    if (traps) flushLrState(this.vgic, vcpu);
    rethrowCallbackError(this.vgic);
    return true;
  }

  // ------------------------------------------------------------ system registers

  /** The register with packed encoding `key`, or undefined: a key that is not a whole number 0..0xffff names none. */
  private sysregAt(key: number): SysregDef | undefined {
    return this.sysregTable.at(key);
  }

  /** The register an encoding (an object, or the packed key) names, if this GIC has it. */
  private sysreg(enc: SysregEncoding | number): SysregDef | undefined {
    return this.sysregAt(typeof enc === 'number' ? enc : sysregKey(enc));
  }

  /**
   * `MRS` of a GIC system register by its encoding (an object, or the packed
   * `sysregKey`). Returns undefined for an encoding this GIC does not
   * implement and for one that is not an encoding (a field outside its
   * range: op0 > 3, op1 > 7, CRn or CRm > 15, op2 > 7, or not a whole
   * number): the caller raises UNDEFINED.
   */
  sysregRead(vcpu: number, enc: SysregEncoding | number): bigint | undefined {
    this.checkVcpu(vcpu);
    const r = this.sysreg(enc);
    if (r === undefined) {
      this.unhandledSysreg(vcpu, false, enc);
      return undefined;
    }
    return BigInt(this.sysregReadAccess(vcpu, r));
  }

  /**
   * `MSR` of a GIC system register. Returns false for an encoding this GIC
   * does not implement (or that is no encoding), and for a value that is not
   * a number 0..2^53-1 that is whole or a bigint 0..2^64-1.
   */
  sysregWrite(vcpu: number, enc: SysregEncoding | number, value: bigint | number): boolean {
    this.checkVcpu(vcpu);
    const r = this.sysreg(enc);
    if (r === undefined) {
      this.unhandledSysreg(vcpu, true, enc);
      return false;
    }
    if (!isU64(value)) return false;
    this.sysregWriteAccess(vcpu, r, low32(value), high32(value));
    return true;
  }

  /**
   * `MSR` with the value as two 32-bit halves, each a whole number
   * 0..2^32-1 or a negative 32-bit integer (its bit pattern): the
   * allocation-free form for hot loops. Returns false for a key that names no
   * register and for halves that are not 32-bit values.
   */
  sysregWriteWords(vcpu: number, key: number, lo: number, hi: number): boolean {
    this.checkVcpu(vcpu);
    const r = this.sysregAt(key);
    if (r === undefined) {
      this.unhandledSysreg(vcpu, true, key);
      return false;
    }
    if (!isWord(lo) || !isWord(hi)) return false;
    this.sysregWriteAccess(vcpu, r, lo >>> 0, hi >>> 0);
    return true;
  }

  /**
   * `MRS` returning the low 32 bits (0..2^32-1): the allocation-free form for
   * hot loops (IAR, HPPIR). -1 when `key` names no register, so "no such
   * register" is not mistaken for a register that reads 0 (and `-1 & 0x3ff`
   * is 1023, the spurious INTID, for a caller that does not look).
   */
  sysregRead32(vcpu: number, key: number): number {
    this.checkVcpu(vcpu);
    const r = this.sysregAt(key);
    if (r === undefined) {
      this.unhandledSysreg(vcpu, false, key);
      return -1;
    }
    return this.sysregReadAccess(vcpu, r);
  }

  /** The fallback for an encoding no system register has (unhandled.ts): reported to a tracer, never thrown. */
  private unhandledSysreg(vcpu: number, write: boolean, enc: SysregEncoding | number): void {
    if (this.vgic.tracer === null) return;
    const key = typeof enc === 'number' ? enc : sysregKey(enc);
    unhandledSysreg(this.vgic, vcpu, write, typeof key === 'number' && key >>> 0 === key && key < 0x10000 ? key : -1);
  }

  // A read and a write apart, so that V8, which inlines by call site, does
  // not find the read's and the write's targets at one site.

  /** The guest's MRS of `r`: the vCPU enters first (or, for a register that traps, exits and enters again after). */
  private sysregReadAccess(vcpu: number, r: SysregDef): number {
    const v = this.vgic;
    if (r.traps) this.trapOut(vcpu);
    else if (mustPrepare(v, vcpu)) this.prepareGuest(vcpu);
    const value = r.read !== undefined ? r.read(v, vcpu) >>> 0 : 0;
    if (r.traps) flushLrState(v, vcpu);
    rethrowCallbackError(v);
    return value;
  }

  /** The guest's MSR of `r`, entering the vCPU as `sysregReadAccess` does. */
  private sysregWriteAccess(vcpu: number, r: SysregDef, lo: number, hi: number): void {
    const v = this.vgic;
    if (r.traps) this.trapOut(vcpu);
    else if (mustPrepare(v, vcpu)) this.prepareGuest(vcpu);
    if (r.write !== undefined) r.write(v, vcpu, lo, hi);
    if (r.traps) flushLrState(v, vcpu);
    rethrowCallbackError(v);
  }

  // ------------------------------------------------------------ register names

  /**
   * Resolve a register name (`GICD_ISENABLER1`, `GICR_TYPER`, `ICC_IAR1_EL1`)
   * or a raw frame offset (`GICD+0x429`) to the address or encoding an
   * emulator would use. Throws UNKNOWN_REGISTER with a suggestion, and
   * INVALID_ARGUMENT / INVALID_VCPU for a name that is not a string or
   * options that are not `{ vcpu?, rd? }` naming vCPUs of this machine.
   */
  resolve(name: RegisterName<R>, options: { vcpu?: number; rd?: number } = {}): ResolvedRegister {
    checkName(name);
    const o = readOptions(options, RESOLVE_OPTION_KEYS, 'INVALID_ARGUMENT', 'resolve options');
    if (o['vcpu'] !== undefined) this.checkVcpu(o['vcpu'] as number);
    if (o['rd'] !== undefined) this.checkVcpu(o['rd'] as number);
    return this.resolveChecked(name, o as { vcpu?: number; rd?: number });
  }

  private resolveChecked(name: string, options: { vcpu?: number; rd?: number }): ResolvedRegister {
    return this.lookup.resolve(name, options);
  }

  /** Every register name this machine knows (array registers with `<n>`). */
  registerNames(): string[] {
    return this.lookup.registerNames();
  }

  /** The closest known register name, for "did you mean". */
  suggest(name: string): string | undefined {
    checkName(name);
    return this.lookup.suggest(name);
  }

  /** The options of a register access by name, checked: the vCPU, the width (the register's own by default), the redistributor. */
  private accessOptions(name: string, options: unknown): { vcpu: number; width: AccessWidth; r: ResolvedRegister } {
    checkName(name);
    const o = readOptions(options, ACCESS_OPTION_KEYS, 'INVALID_ARGUMENT', 'register access options');
    const vcpu = (o['vcpu'] ?? 0) as number;
    this.checkVcpu(vcpu);
    if (o['rd'] !== undefined) this.checkVcpu(o['rd'] as number);
    const width = o['width'];
    if (width !== undefined && accessBit(width as number) === 0) badWidth(width);
    const r = this.resolveChecked(name, o as { vcpu?: number; rd?: number });
    return { vcpu, width: (width ?? r.width) as AccessWidth, r };
  }

  /**
   * A guest read by register name, as `mmioRead` / `sysregRead` would make
   * it. The value is a number for an access of 32 bits or fewer and a
   * bigint for one of 64: by default the register's own width, so
   * `GICD_ISENABLER1` reads a number and `GICD_IROUTER40`, `GICR_TYPER` and
   * the system registers (64 bits wide, as AArch64 makes every one) a
   * bigint; `{ width: 32 }` reads the low 32 bits as a number. On a machine
   * of a known backend the type says which. Throws UNKNOWN_REGISTER for a
   * name this GIC does not have, and INVALID_ARGUMENT / INVALID_VCPU for
   * options that are not `{ vcpu?, width?, rd? }` with a vCPU of this
   * machine and a width of 8, 16, 32 or 64.
   */
  readRegister<K extends RegisterName<R>, const O extends RegisterAccessOptions = RegisterAccessOptions>(
    name: K,
    options?: O,
  ): RegisterValue<R, K, WidthOption<O>> {
    const { vcpu, width, r } = this.accessOptions(name, options ?? {});
    let value: number | bigint;
    if (r.kind === 'sysreg') {
      const whole = this.sysregRead(vcpu, r.encoding) ?? 0n;
      value = width === 64 ? whole : Number(BigInt.asUintN(width, whole));
    } else {
      value = this.mmioRead(vcpu, r.addr, width) ?? (width === 64 ? 0n : 0);
    }
    return value as RegisterValue<R, K, WidthOption<O>>;
  }

  /**
   * A guest write by register name, as `mmioWrite` / `sysregWrite` would
   * make it: the access writes the low `width` bits of the value. The value
   * is a bigint 0..2^64-1 or a whole number 0..2^53-1 (for an access of 32
   * bits or fewer also a negative 32-bit integer, as bitwise operators give,
   * taken as its bit pattern); anything else — NaN, a fraction, a string — is
   * the host's mistake and throws INVALID_ARGUMENT. The options as for
   * `readRegister`.
   */
  writeRegister(name: RegisterName<R>, value: bigint | number, options: RegisterAccessOptions = {}): void {
    const { vcpu, width, r } = this.accessOptions(name, options);
    if (r.kind === 'sysreg') {
      // An MSR writes the whole register, whatever width is asked for.
      const [lo, hi] = hostValue(value, 64, `${name}`);
      this.sysregAccessChecked(vcpu, r.encoding, lo, hi);
      return;
    }
    const [lo, hi] = hostValue(value, width, `${name}`);
    this.mmioWrite(vcpu, r.addr, width, width === 64 ? toU64(lo, hi) : lo);
  }

  private sysregAccessChecked(vcpu: number, enc: SysregEncoding, lo: number, hi: number): void {
    const def = this.sysreg(enc);
    if (def !== undefined) this.sysregWriteAccess(vcpu, def, lo, hi);
  }

  // ------------------------------------------------------------ inspection

  /** The architectural state of an interrupt (private ones name their vCPU, default 0), including live list registers. */
  irq(intid: number, vcpu?: number): IrqState {
    const priv = typeof intid === 'number' && intid < 32;
    if (typeof intid === 'number' && intid >= LPI_INTID_BASE && this.vgic.nrLpis !== 0) {
      // An LPI is inspected while it is mapped: its INTID names no slot otherwise.
      const slot = lpiSlot(this.vgic, intid);
      if (slot === NONE) throw new VgicError('INVALID_INTID', `LPI ${describeValue(intid)} is not mapped on this machine`);
      return irqState(this.vgic, slot);
    }
    return irqState(this.vgic, this.hostSlot(intid, priv ? (vcpu ?? 0) : vcpu, 'inspection', true));
  }

  vcpu(vcpu: number): VcpuState {
    this.checkVcpu(vcpu);
    return vcpuState(this.vgic, vcpu);
  }

  /** INTIDs on the vCPU's ap_list, in list order. */
  apList(vcpu: number): number[] {
    return this.vcpu(vcpu).apList;
  }

  /** The vCPU's live list registers, decoded; `encoded` as the backend's LR format. */
  listRegisters(vcpu: number): (LrView & { encoded: bigint })[] {
    this.checkVcpu(vcpu);
    return lrViews(this.vgic, vcpu).map((lr) => ({ ...lr, encoded: this.backend.encodeLr(this.vgic, vcpu, lr.lr) }));
  }

  /** The engine's invariants (see invariants.ts); empty when sound. */
  checkInvariants(): string[] {
    return checkInvariants(this.vgic);
  }

  /** Is every lock free? (After any API call returns, it must be.) */
  noLockHeld(): boolean {
    return noLockHeld(this.vgic);
  }
}

const RESOLVE_OPTION_KEYS: readonly string[] = ['vcpu', 'rd'];
const ACCESS_OPTION_KEYS: readonly string[] = ['vcpu', 'width', 'rd'];

/**
 * Must a guest access (re-)enter the vCPU first: is it outside, kicked, or
 * waiting for its maintenance interrupt? prepareGuest's test, apart so a
 * guest access to a vCPU already running costs three loads.
 */
function mustPrepare(v: Vgic, vcpu: number): boolean {
  return v.runState[vcpu * LINE_WORDS] !== VCPU_RUNNING || v.kick[vcpu * LINE_WORDS] !== 0 || v.maintenancePending[vcpu] !== 0;
}

/** A 32-bit word: 0..2^32-1, or a negative 32-bit integer (its bit pattern). */
function isWord(x: unknown): boolean {
  return typeof x === 'number' && (x >>> 0 === x || (x | 0) === x);
}

/** A line level: 0 or 1, or a boolean. */
function lineLevel(level: unknown): boolean {
  if (level === true || level === 1) return true;
  if (level === false || level === 0) return false;
  throw notALevel(level);
}

// The refusals of the hot entry points, out of line: their messages are
// most of a function's bytecode, and V8 inlines by bytecode size.

function notALevel(level: unknown): VgicError {
  return new VgicError('INVALID_ARGUMENT', `level must be 0 or 1 (or a boolean); got ${describeValue(level)}`);
}

function noSuchVcpu(vcpu: unknown, nrVcpus: number): VgicError {
  return new VgicError('INVALID_VCPU', `vCPU ${describeValue(vcpu)} does not exist; this machine has vCPUs 0..${nrVcpus - 1}`);
}

/** The subscription methods: each takes a listener and returns a function that unsubscribes. */
const SUBSCRIPTIONS = ['onLine', 'onTrace', 'onKick', 'onEoiNotify', 'onHostDeactivate', 'onHostActivate', 'onHostClearPending'] as const;

// Some of these were once setter properties. An assignment to a method would
// quietly hide it on that instance and subscribe nothing; it throws instead.
for (const name of SUBSCRIPTIONS) {
  const method = Machine.prototype[name];
  Object.defineProperty(Machine.prototype, name, {
    configurable: true,
    get: () => method,
    set(): void {
      throw new VgicError('INVALID_ARGUMENT', `${name} is a method: call machine.${name}(listener), which returns a function that unsubscribes; assigning to it subscribes nothing`);
    },
  });
}

/** Make a machine from a backend and options. */
export function createMachine(backend: GicBackend, options: MachineOptions): Machine {
  return Machine.create(backend, options);
}
