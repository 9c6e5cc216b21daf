/**
 * A virtual GIC as an emulator or hypervisor prototype meets it: guest
 * physical addresses, system-register encodings, vCPU entry and exit, device
 * lines, and the vCPU's interrupt outputs. Register names resolve to the same
 * addresses and encodings (`registers.ts`).
 *
 * A `Machine` is made from a backend (`createMachine(createGicv3Backend(o), o)`,
 * or simply the backend package's `createGicv3(o)`). Host-API misuse throws a
 * `VgicError` and changes nothing; guest accesses never throw.
 */
import { accessBit, sysregKey, type FrameDef, type GicBackend, type RegisterDef, type SysregDef, type SysregEncoding } from './backend.js';
import { hi32, lo32, toU64 } from './bits.js';
import { cpuifLines, hasPendingIrq } from './cpuif.js';
import { VgicError } from './errors.js';
import { flushLrState, lrViews } from './flush.js';
import { injectSlot, mapHwSlot, setLineLevel, unmapHwSlot } from './inject.js';
import { irqState, vcpuState, type IrqState, type VcpuState } from './inspect.js';
import { rethrowCallbackError } from './notify.js';
import { checkInvariants, noLockHeld } from './invariants.js';
import type { LockOps } from './locks.js';
import { syncHwState } from './sync.js';
import { closestName } from './suggest.js';
import type { LrView, TraceEvent, Tracer } from './trace.js';
import { NONE, VCPU_RUNNING, Vgic, type VgicOpenOptions, type VgicShape } from './vgic.js';
import { WasmLocks, createSharedWasmMemory } from './wasm-locks.js';

export interface MachineOptions {
  /** vCPU count, 1..the backend's maximum. */
  vcpus: number;
  /** SPI count: a multiple of 32, 0..988 (default 32). */
  spis?: number;
  /** List registers per vCPU, 1..16 (default 4). */
  lrs?: number;
  /** Keep the state in a SharedArrayBuffer with atomic locks, for vCPUs on worker threads. */
  shared?: boolean;
  /** Check the lock order at run time (default: `VGIC_LOCKDEP=1` in the environment). */
  lockCheck?: boolean;
  /** Replace the lock primitive. */
  locks?: LockOps;
  /**
   * Where a shared machine's state lives (`'wasm'` implies `shared`):
   * `'sab'` (default) a SharedArrayBuffer with `Atomics` locks; `'wasm'` the
   * buffer of a shared `WebAssembly.Memory` — a SharedArrayBuffer too — with
   * locks on WebAssembly's atomic instructions (`WasmLocks`), cheaper from JS.
   */
  memory?: 'sab' | 'wasm';
}

/** Everything another thread needs to open the same machine: structured-clonable. */
export interface MachineHandle {
  buffer: ArrayBufferLike;
  version: string;
  /** The backend factory's options, for the other thread to build the same backend. */
  backendOptions: unknown;
}

interface FrameIndex {
  frame: FrameDef;
  /** Register index + 1 for each 32-bit word of the frame; 0 where no register is. */
  words: Uint16Array;
}

export interface ResolvedMmio {
  kind: 'mmio';
  name: string;
  frame: string;
  addr: number;
  /** The register's natural width. */
  width: 32 | 64;
  /** For per-vCPU frames: whose frame the address is in. */
  rd: number | null;
}

export interface ResolvedSysreg {
  kind: 'sysreg';
  name: string;
  encoding: SysregEncoding;
  width: 64;
}

export type ResolvedRegister = ResolvedMmio | ResolvedSysreg;

export interface RegisterAccessOptions {
  vcpu?: number;
  /** Access width in bits (default: the register's natural width). */
  width?: number;
  /** For `GICR_*`: whose redistributor (default: the accessing vCPU's). */
  rd?: number;
}

const MAX_SPIS = 988;

export function validateMachineOptions(backend: GicBackend, o: MachineOptions): VgicShape {
  const vcpus = o.vcpus;
  if (!Number.isInteger(vcpus) || vcpus < 1 || vcpus > backend.limits.maxVcpus) {
    throw new VgicError('INVALID_CONFIG', `vcpus must be 1..${backend.limits.maxVcpus} for GIC${backend.version}; got ${String(vcpus)}`);
  }
  const spis = o.spis ?? 32;
  const maxSpis = Math.min(MAX_SPIS, backend.limits.maxSpis);
  if (!Number.isInteger(spis) || spis < 0 || spis > maxSpis || spis % 32 !== 0) {
    throw new VgicError('INVALID_CONFIG', `spis must be a multiple of 32 in 0..${maxSpis - (maxSpis % 32)}; got ${String(spis)}`);
  }
  const lrs = o.lrs ?? 4;
  if (!Number.isInteger(lrs) || lrs < 1 || lrs > backend.limits.maxLrs) {
    throw new VgicError('INVALID_CONFIG', `lrs must be 1..${backend.limits.maxLrs}; got ${String(lrs)}`);
  }
  return { nrVcpus: vcpus, nrSpis: spis, nrLrs: lrs, priorityBits: backend.priorityBits, sgiSources: backend.sgiSources };
}

export class Machine {
  readonly backend: GicBackend;
  /** The engine state. Its typed arrays are the machine; everything else is views. */
  readonly vgic: Vgic;
  private readonly frameIndex: FrameIndex[];
  /** System registers by packed encoding (`sysregKey`, 16 bits): a dense table, as MRS/MSR are hot. */
  private readonly sysregByKey: (SysregDef | undefined)[];
  private readonly names: Map<string, { frame: FrameIndex; reg: RegisterDef } | SysregDef>;
  private readonly listeners: Tracer[] = [];
  private lineListeners: ((vcpu: number, irq: boolean, fiq: boolean) => void)[] = [];

  /** A new machine in its reset state. */
  static create(backend: GicBackend, options: MachineOptions): Machine {
    const shape = validateMachineOptions(backend, options);
    const openOptions = { ...(options.lockCheck !== undefined && { lockCheck: options.lockCheck }), ...(options.locks && { locks: options.locks }) };
    const v = options.memory === 'wasm' ? createInWasmMemory(shape, options, openOptions) : Vgic.create(shape, options.shared ?? false, openOptions);
    const m = new Machine(backend, v);
    m.reset();
    return m;
  }

  /** The same machine, opened over a buffer another thread created (state untouched). */
  static attach(backend: GicBackend, buffer: ArrayBufferLike, options: Pick<MachineOptions, 'lockCheck' | 'locks'> = {}): Machine {
    const openOptions = { ...(options.lockCheck !== undefined && { lockCheck: options.lockCheck }), ...(options.locks && { locks: options.locks }) };
    return new Machine(backend, Vgic.open(buffer, openOptions));
  }

  private constructor(backend: GicBackend, v: Vgic) {
    this.backend = backend;
    this.vgic = v;
    backend.attach?.(v);
    this.frameIndex = backend.frames.map((frame) => indexFrame(frame));
    this.sysregByKey = new Array<SysregDef | undefined>(1 << 16).fill(undefined);
    for (const r of backend.sysregs) this.sysregByKey[sysregKey(r)] = r;
    this.names = new Map();
    for (const fi of this.frameIndex) for (const reg of fi.frame.registers) this.names.set(reg.name, { frame: fi, reg });
    for (const r of backend.sysregs) this.names.set(r.name, r);
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
  get frames(): readonly FrameDef[] {
    return this.backend.frames;
  }

  /** Put every interrupt, vCPU and the distributor in the backend's reset state; every vCPU is outside. */
  reset(): void {
    const v = this.vgic;
    v.resetLinks();
    v.lineLevel.fill(0);
    v.pendingLatch.fill(0);
    v.active.fill(0);
    v.hw.fill(0);
    v.hostIntid.fill(0);
    v.sgiSrc.fill(0);
    v.activeSrc.fill(0);
    v.flags.fill(0);
    v.runState.fill(0);
    v.kick.fill(0);
    v.maint.fill(0);
    v.uie.fill(0);
    v.eoiCount.fill(0);
    v.apr.fill(0);
    v.irqLine.fill(0);
    v.fiqLine.fill(0);
    v.linesStale.fill(0);
    this.backend.resetDist(v);
    for (let k = 0; k < v.nrVcpus; k++) this.backend.resetVcpu(v, k);
    for (let s = 0; s < v.nrSlots; s++) {
      v.intid[s] = s < v.nrVcpus * 32 ? s & 31 : s - v.nrVcpus * 32 + 32;
      this.backend.resetIrq(v, s, v.intid[s]!, v.slotVcpu(s));
    }
  }

  /** What a worker thread passes to the backend's `attach…` to open this machine. */
  handle(backendOptions: unknown): MachineHandle {
    if (!this.vgic.shared) throw new VgicError('INVALID_STATE', 'only a machine created with `shared: true` can be opened from another thread');
    return { buffer: this.vgic.buffer, version: this.backend.version, backendOptions };
  }

  // ------------------------------------------------------------ checks

  /** Throws INVALID_VCPU unless `vcpu` names a vCPU of this machine. */
  checkVcpu(vcpu: number): void {
    // `x >>> 0 === x` holds for exactly the integers 0..2^32-1 (and no non-number).
    if (vcpu >>> 0 !== vcpu || vcpu >= this.vgic.nrVcpus) {
      throw new VgicError('INVALID_VCPU', `vCPU ${String(vcpu)} does not exist; this machine has vCPUs 0..${this.vgic.nrVcpus - 1}`);
    }
  }

  /**
   * The slot a host operation means. SGIs are refused (`allowSgi` aside):
   * the guest sends them; the host raises PPIs (with a vCPU) and SPIs.
   */
  hostSlot(intid: number, vcpu: number | undefined, what: string, allowSgi = false): number {
    const v = this.vgic;
    // The common case first: an SPI of this machine, no vCPU named.
    if (vcpu === undefined && intid >>> 0 === intid && intid >= 32 && intid < v.spiLimit) return v.nrVcpus * 32 + intid - 32;
    if (intid >>> 0 !== intid) throw new VgicError('INVALID_INTID', `INTID ${String(intid)} is not an interrupt number`);
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
    if (level !== true && level !== false && level !== 0 && level !== 1) {
      throw new VgicError('INVALID_ARGUMENT', `level must be 0 or 1 (or a boolean); got ${String(level)}`);
    }
    const slot = this.hostSlot(intid, vcpu, 'host injection');
    const on = level === true || level === 1;
    const changed = injectSlot(this.vgic, slot, on);
    rethrowCallbackError(this.vgic);
    return changed;
  }

  /** Set a line level without injection's validation (KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO). */
  setLineLevel(intid: number, level: boolean, vcpu?: number): boolean {
    const changed = setLineLevel(this.vgic, this.hostSlot(intid, vcpu, 'the line-level interface'), level);
    rethrowCallbackError(this.vgic);
    return changed;
  }

  /** Hardware-map an interrupt (kvm_vgic_map_phys_irq): the guest's deactivation deactivates `hostIntid`. */
  mapHw(intid: number, hostIntid: number, vcpu?: number): void {
    const slot = this.hostSlot(intid, vcpu, 'hardware mapping');
    if (!Number.isInteger(hostIntid) || hostIntid < 0 || hostIntid > 0xffffff) {
      throw new VgicError('INVALID_ARGUMENT', `host INTID must be an integer 0..16777215; got ${String(hostIntid)}`);
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
    if (v.runState[vcpu] === VCPU_RUNNING) syncHwState(v, vcpu);
    flushLrState(v, vcpu);
    rethrowCallbackError(v);
  }

  /** Leave the vCPU (vgic_sync_hwstate). Leaving an outside vCPU does nothing. */
  exit(vcpu: number): void {
    this.checkVcpu(vcpu);
    const v = this.vgic;
    if (v.runState[vcpu] === VCPU_RUNNING) syncHwState(v, vcpu);
    rethrowCallbackError(v);
  }

  isRunning(vcpu: number): boolean {
    this.checkVcpu(vcpu);
    return this.vgic.runState[vcpu] === VCPU_RUNNING;
  }

  /** Was the vCPU kicked, or did it raise a maintenance interrupt, so that it must exit and re-enter? */
  needsResync(vcpu: number): boolean {
    this.checkVcpu(vcpu);
    const v = this.vgic;
    return v.runState[vcpu] === VCPU_RUNNING && (v.kick[vcpu] !== 0 || v.maint[vcpu] !== 0);
  }

  /**
   * Before a guest access: a vCPU that is outside enters; one that was
   * kicked or raised a maintenance interrupt exits and re-enters, as the
   * hardware would have taken it out of the guest.
   */
  private prepareGuest(vcpu: number): void {
    const v = this.vgic;
    if (v.runState[vcpu] !== VCPU_RUNNING) {
      flushLrState(v, vcpu);
    } else if (v.kick[vcpu] !== 0 || v.maint[vcpu] !== 0) {
      syncHwState(v, vcpu);
      flushLrState(v, vcpu);
    }
  }

  /** A trapped access: the vCPU exits, the access is emulated, the vCPU re-enters. */
  private trapOut(vcpu: number): void {
    const v = this.vgic;
    if (v.runState[vcpu] === VCPU_RUNNING) syncHwState(v, vcpu);
  }

  // ------------------------------------------------------------ outputs

  /** Is the vCPU's virtual IRQ asserted? */
  irqLine(vcpu: number): boolean {
    this.checkVcpu(vcpu);
    cpuifLines(this.vgic, vcpu);
    rethrowCallbackError(this.vgic);
    return this.vgic.irqLine[vcpu] !== 0;
  }

  /** Is the vCPU's virtual FIQ asserted (group 0 with FIQ signalling)? */
  fiqLine(vcpu: number): boolean {
    this.checkVcpu(vcpu);
    cpuifLines(this.vgic, vcpu);
    rethrowCallbackError(this.vgic);
    return this.vgic.fiqLine[vcpu] !== 0;
  }

  /** Called when a vCPU's IRQ/FIQ outputs change. Returns a function that removes the listener. */
  onLine(listener: (vcpu: number, irq: boolean, fiq: boolean) => void): () => void {
    this.lineListeners.push(listener);
    this.installLineDispatch();
    return () => {
      this.lineListeners = this.lineListeners.filter((l) => l !== listener);
      this.installLineDispatch();
    };
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

  private installLineDispatch(): void {
    this.refreshLines();
    const ls = this.lineListeners;
    this.vgic.onLine = ls.length === 0 ? null : ls.length === 1 ? ls[0]! : (k, i, f) => ls.forEach((l) => l(k, i, f));
  }

  /** Is there an interrupt the vCPU could take now (kvm_vgic_vcpu_pending_irq, for WFI)? */
  hasPending(vcpu: number): boolean {
    this.checkVcpu(vcpu);
    return hasPendingIrq(this.vgic, vcpu);
  }

  /** Called when something is queued for a vCPU (kvm_vcpu_kick). */
  set onKick(fn: ((vcpu: number) => void) | null) {
    this.vgic.onKick = fn;
  }

  /** Called when the guest deactivates a hardware-mapped interrupt. */
  set onHostDeactivate(fn: ((hostIntid: number, intid: number, vcpu: number) => void) | null) {
    this.vgic.onHostDeactivate = fn;
  }

  /** Called when the guest is done with a level-triggered interrupt, so its device can resample the line. */
  set onEoiNotify(fn: ((intid: number, vcpu: number) => void) | null) {
    this.vgic.onEoiNotify = fn;
  }

  /** Called when the guest makes a hardware-mapped interrupt active (ISACTIVER, ISPENDR): make the host interrupt active. */
  set onHostActivate(fn: ((hostIntid: number, intid: number, vcpu: number) => void) | null) {
    this.vgic.onHostActivate = fn;
  }

  /** Called when the guest clears a hardware-mapped interrupt's pending state (ICPENDR): clear the host interrupt's. */
  set onHostClearPending(fn: ((hostIntid: number, intid: number, vcpu: number) => void) | null) {
    this.vgic.onHostClearPending = fn;
  }

  // ------------------------------------------------------------ trace

  /** Listen to trace events. Returns a function that stops listening. */
  onTrace(listener: (event: TraceEvent) => void): () => void {
    this.listeners.push(listener);
    this.installTrace();
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
      this.installTrace();
    };
  }

  private installTrace(): void {
    this.refreshLines();
    const ls = this.listeners;
    this.vgic.tracer = ls.length === 0 ? null : ls.length === 1 ? ls[0]! : (e) => ls.forEach((l) => l(e));
  }

  // ------------------------------------------------------------ MMIO

  /** Where the last `findFrame` hit landed: whose per-vCPU frame (or NONE) and the offset in it. */
  private hitRd = NONE;
  private hitOffset = 0;

  /** The frame holding `addr`, with `hitRd`/`hitOffset` set; allocation-free, as guest accesses are hot. */
  private findFrame(addr: number): FrameIndex | null {
    const frames = this.frameIndex;
    for (let i = 0; i < frames.length; i++) {
      const fi = frames[i]!;
      const f = fi.frame;
      const rel = addr - f.base;
      if (rel < 0) continue;
      if (!f.perVcpu) {
        if (rel >= f.size) continue;
        this.hitRd = NONE;
        this.hitOffset = rel;
        return fi;
      }
      if (rel >= f.size * this.vgic.nrVcpus) continue;
      const rd = Math.floor(rel / f.size);
      this.hitRd = rd;
      this.hitOffset = rel - rd * f.size;
      return fi;
    }
    return null;
  }

  /**
   * A guest read of `width` bits at guest physical `addr` by `vcpu`. Returns
   * the value (a bigint for 64-bit accesses), or `undefined` when no frame of
   * this GIC holds the address — the caller raises its own abort. An access
   * of a width or alignment the register does not allow reads as zero.
   */
  mmioRead(vcpu: number, addr: number, width: 64): bigint | undefined;
  mmioRead(vcpu: number, addr: number, width: 8 | 16 | 32): number | undefined;
  mmioRead(vcpu: number, addr: number, width: number): number | bigint | undefined;
  mmioRead(vcpu: number, addr: number, width: number): number | bigint | undefined {
    this.checkVcpu(vcpu);
    const fi = this.findFrame(addr);
    if (fi === null) return undefined;
    const who = this.hitRd === NONE ? vcpu : this.hitRd;
    const offset = this.hitOffset;
    const traps = fi.frame.traps;
    if (traps) this.trapOut(vcpu);
    else this.prepareGuest(vcpu);
    const lo = this.readWords(fi, who, offset, width, false);
    const hi = width === 64 ? this.readWords(fi, who, offset, width, true) : 0;
    if (traps) flushLrState(this.vgic, vcpu);
    rethrowCallbackError(this.vgic);
    return width === 64 ? toU64(lo, hi) : lo;
  }

  /**
   * A guest write. Returns false when no frame of this GIC holds the address.
   * A width or alignment the register does not allow is ignored. A 32-bit or
   * narrower write of a number allocates nothing.
   */
  mmioWrite(vcpu: number, addr: number, width: number, value: number | bigint): boolean {
    this.checkVcpu(vcpu);
    const fi = this.findFrame(addr);
    if (fi === null) return false;
    const who = this.hitRd === NONE ? vcpu : this.hitRd;
    const offset = this.hitOffset;
    let lo: number;
    let hi = 0;
    if (typeof value === 'number' && width !== 64) {
      lo = (Number.isFinite(value) ? Math.trunc(value) : 0) >>> 0;
    } else {
      const big = typeof value === 'bigint' ? value : BigInt(Number.isFinite(value) ? Math.trunc(value) : 0);
      lo = lo32(big);
      hi = width === 64 ? hi32(big) : 0;
    }
    const traps = fi.frame.traps;
    if (traps) this.trapOut(vcpu);
    else this.prepareGuest(vcpu);
    this.writeWords(fi, who, offset, width, lo, hi);
    if (traps) flushLrState(this.vgic, vcpu);
    rethrowCallbackError(this.vgic);
    return true;
  }

  private regAt(fi: FrameIndex, offset: number, width: number): RegisterDef | null {
    const bit = accessBit(width);
    if (bit === 0 || offset % (width >> 3) !== 0) return null;
    const idx = fi.words[offset >> 2]!;
    if (idx === 0) return null;
    const reg = fi.frame.registers[idx - 1]!;
    if ((reg.access & bit) === 0) return null;
    return reg;
  }

  private readWords(fi: FrameIndex, vcpu: number, offset: number, width: number, high: boolean): number {
    const reg = this.regAt(fi, offset, width);
    if (reg === null || reg.mode === 'wo') return 0;
    if (width === 64) return reg.read(this.vgic, vcpu, offset + (high ? 4 : 0), 32) >>> 0;
    return reg.read(this.vgic, vcpu, offset, width) >>> 0;
  }

  private writeWords(fi: FrameIndex, vcpu: number, offset: number, width: number, lo: number, hi: number): void {
    const reg = this.regAt(fi, offset, width);
    if (reg === null || reg.mode === 'ro') return;
    if (width === 64 && reg.write64 !== undefined) {
      reg.write64(this.vgic, vcpu, offset, lo, hi);
    } else if (width === 64) {
      reg.write(this.vgic, vcpu, offset, 32, lo);
      reg.write(this.vgic, vcpu, offset + 4, 32, hi);
    } else {
      const mask = width === 32 ? 0xffffffff : (1 << width) - 1;
      reg.write(this.vgic, vcpu, offset, width, (lo & mask) >>> 0);
    }
  }

  // ------------------------------------------------------------ system registers

  private sysreg(enc: SysregEncoding | number): SysregDef | undefined {
    return this.sysregAt(typeof enc === 'number' ? enc : sysregKey(enc));
  }

  /** The register with packed encoding `key`, or undefined (a key outside 16 bits names none). */
  private sysregAt(key: number): SysregDef | undefined {
    return key >>> 0 === key && key < 0x10000 ? this.sysregByKey[key] : undefined;
  }

  /**
   * `MRS` of a GIC system register by its encoding (an object, or the packed
   * `sysregKey`). Returns undefined for an encoding this GIC does not
   * implement (the caller raises UNDEFINED).
   */
  sysregRead(vcpu: number, enc: SysregEncoding | number): bigint | undefined {
    this.checkVcpu(vcpu);
    const r = this.sysreg(enc);
    if (r === undefined) return undefined;
    return BigInt(this.sysregAccess(vcpu, r, false, 0, 0) >>> 0);
  }

  /** `MSR` of a GIC system register. Returns false for an encoding this GIC does not implement. */
  sysregWrite(vcpu: number, enc: SysregEncoding | number, value: bigint | number): boolean {
    this.checkVcpu(vcpu);
    const r = this.sysreg(enc);
    if (r === undefined) return false;
    const big = typeof value === 'bigint' ? BigInt.asUintN(64, value) : BigInt(Math.trunc(Number.isFinite(value) ? value : 0));
    this.sysregAccess(vcpu, r, true, lo32(big), hi32(big));
    return true;
  }

  /** `MSR` with the value as two 32-bit halves: the allocation-free form for hot loops. */
  sysregWriteWords(vcpu: number, key: number, lo: number, hi: number): boolean {
    this.checkVcpu(vcpu);
    const r = this.sysregAt(key);
    if (r === undefined) return false;
    this.sysregAccess(vcpu, r, true, lo >>> 0, hi >>> 0);
    return true;
  }

  /** `MRS` returning the low 32 bits: the allocation-free form for hot loops (IAR, HPPIR). */
  sysregRead32(vcpu: number, key: number): number {
    this.checkVcpu(vcpu);
    const r = this.sysregAt(key);
    if (r === undefined) return 0;
    return this.sysregAccess(vcpu, r, false, 0, 0);
  }

  private sysregAccess(vcpu: number, r: SysregDef, write: boolean, lo: number, hi: number): number {
    if (r.traps) this.trapOut(vcpu);
    else this.prepareGuest(vcpu);
    let value = 0;
    if (write) r.write?.(this.vgic, vcpu, lo, hi);
    else value = r.read !== undefined ? r.read(this.vgic, vcpu) >>> 0 : 0;
    if (r.traps) flushLrState(this.vgic, vcpu);
    rethrowCallbackError(this.vgic);
    return value;
  }

  // ------------------------------------------------------------ register names

  /**
   * Resolve a register name (`GICD_ISENABLER1`, `GICR_TYPER`, `ICC_IAR1_EL1`)
   * or a raw frame offset (`GICD+0x429`) to the address or encoding an
   * emulator would use. Throws UNKNOWN_REGISTER with a suggestion.
   */
  resolve(name: string, options: { vcpu?: number; rd?: number } = {}): ResolvedRegister {
    const raw = /^([A-Z]+)\+(0x[0-9a-fA-F]+|\d+)$/.exec(name);
    if (raw) {
      const fi = this.frameIndex.find((f) => f.frame.name === raw[1]);
      if (!fi) throw new VgicError('UNKNOWN_REGISTER', `GIC${this.version} has no ${raw[1]} frame; it has ${this.frameIndex.map((f) => f.frame.name).join(', ')}`);
      const offset = Number(raw[2]);
      if (offset >= fi.frame.size) throw new VgicError('UNKNOWN_REGISTER', `${name} is beyond the ${fi.frame.name} frame (${fi.frame.size} bytes)`);
      return this.mmioResolved(fi, name, offset, 32, options);
    }
    const exact = this.names.get(name);
    if (exact !== undefined) {
      if ('op0' in exact) return { kind: 'sysreg', name, encoding: pickEncoding(exact), width: 64 };
      if ((exact.reg.count ?? 1) === 1) return this.mmioResolved(exact.frame, name, exact.reg.offset, exact.reg.width, options);
    }
    const arr = /^(.*?)(\d+)$/.exec(name);
    if (arr) {
      const entry = this.names.get(arr[1]!);
      if (entry !== undefined && !('op0' in entry) && (entry.reg.count ?? 1) > 1) {
        const reg = entry.reg;
        const n = Number(arr[2]) - (reg.firstIndex ?? 0);
        if (n >= 0 && n < (reg.count ?? 1)) {
          const stride = reg.stride ?? reg.width / 8;
          return this.mmioResolved(entry.frame, name, reg.offset + n * stride, reg.width, options);
        }
        const first = reg.firstIndex ?? 0;
        throw new VgicError('UNKNOWN_REGISTER', `${name}: ${arr[1]}<n> takes n = ${first}..${first + (reg.count ?? 1) - 1}`);
      }
    }
    const suggestion = this.suggest(name);
    throw new VgicError('UNKNOWN_REGISTER', `unknown register ${name} on GIC${this.version}${suggestion ? ` — did you mean ${suggestion}?` : ''}`);
  }

  private mmioResolved(fi: FrameIndex, name: string, offset: number, width: 32 | 64, options: { vcpu?: number; rd?: number }): ResolvedMmio {
    let rd: number | null = null;
    let addr = fi.frame.base + offset;
    if (fi.frame.perVcpu) {
      rd = options.rd ?? options.vcpu ?? 0;
      this.checkVcpu(rd);
      addr += rd * fi.frame.size;
    }
    return { kind: 'mmio', name, frame: fi.frame.name, addr, width, rd };
  }

  /** Every register name this machine knows (array registers with `<n>`). */
  registerNames(): string[] {
    const out: string[] = [];
    for (const [name, e] of this.names) out.push('op0' in e || (e.reg.count ?? 1) === 1 ? name : `${name}<n>`);
    return out;
  }

  /** The closest known register name, for "did you mean". */
  suggest(name: string): string | undefined {
    const arr = /^(.*?)(\d+)$/.exec(name);
    const candidates: string[] = [];
    for (const [n, e] of this.names) {
      if ('op0' in e || (e.reg.count ?? 1) === 1) candidates.push(n);
      else candidates.push(arr ? `${n}${arr[2]}` : n);
    }
    return closestName(name, candidates, Math.max(2, Math.floor(name.length / 4)));
  }

  /** A guest read by register name. */
  readRegister(name: string, options: RegisterAccessOptions = {}): bigint {
    const vcpu = options.vcpu ?? 0;
    this.checkVcpu(vcpu);
    const r = this.resolve(name, options);
    if (r.kind === 'sysreg') return this.sysregRead(vcpu, r.encoding) ?? 0n;
    const width = options.width ?? r.width;
    const value = this.mmioRead(vcpu, r.addr, width);
    return typeof value === 'bigint' ? value : BigInt(value ?? 0);
  }

  /** A guest write by register name. */
  writeRegister(name: string, value: bigint | number, options: RegisterAccessOptions = {}): void {
    const vcpu = options.vcpu ?? 0;
    this.checkVcpu(vcpu);
    const r = this.resolve(name, options);
    if (r.kind === 'sysreg') {
      this.sysregWrite(vcpu, r.encoding, value);
      return;
    }
    const width = options.width ?? r.width;
    if (accessBit(width) === 0) throw new VgicError('INVALID_ARGUMENT', `width must be 8, 16, 32 or 64; got ${width}`);
    const big = BigInt.asUintN(64, typeof value === 'bigint' ? value : BigInt(value));
    this.mmioWrite(vcpu, r.addr, width, width === 64 ? big : Number(BigInt.asUintN(width, big)));
  }

  // ------------------------------------------------------------ inspection

  /** The architectural state of an interrupt (private ones name their vCPU), including live list registers. */
  irq(intid: number, vcpu?: number): IrqState {
    return irqState(this.vgic, this.hostSlot(intid, intid < 32 ? (vcpu ?? 0) : vcpu, 'inspection', true));
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

/** A machine state in a new shared WebAssembly.Memory, locked by `WasmLocks` unless other locks are given. */
function createInWasmMemory(shape: VgicShape, options: MachineOptions, openOptions: VgicOpenOptions): Vgic {
  if (options.shared === false) {
    throw new VgicError('INVALID_CONFIG', "memory: 'wasm' is shared memory; drop `shared: false` or use memory: 'sab'");
  }
  const memory = createSharedWasmMemory(Vgic.bytesFor(shape));
  return Vgic.init(memory.buffer, shape, { locks: new WasmLocks(memory), ...openOptions });
}

function pickEncoding(r: SysregDef): SysregEncoding {
  return { op0: r.op0, op1: r.op1, crn: r.crn, crm: r.crm, op2: r.op2 };
}

function indexFrame(frame: FrameDef): FrameIndex {
  const words = new Uint16Array(Math.ceil(frame.size / 4));
  frame.registers.forEach((reg, i) => {
    const count = reg.count ?? 1;
    const stride = reg.stride ?? reg.width / 8;
    for (let n = 0; n < count; n++) {
      const start = reg.offset + n * stride;
      for (let b = 0; b < reg.width / 8; b += 4) {
        const w = (start + b) >> 2;
        if (w < words.length) words[w] = i + 1;
      }
    }
  });
  return { frame, words };
}

/** Make a machine from a backend and options. */
export function createMachine(backend: GicBackend, options: MachineOptions): Machine {
  return Machine.create(backend, options);
}
