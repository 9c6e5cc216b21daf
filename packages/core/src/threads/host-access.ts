/**
 * Register access for a thread that runs no vCPU: the main thread of a
 * VMM, a device-model thread, the stress test's retargeting thread.
 *
 * `Machine.mmioWrite(vcpu, …)` is a guest instruction of `vcpu`: a
 * distributor access traps, so the machine exits that vCPU (sync), emulates
 * the access and enters it again (flush). Exit and entry touch the vCPU's
 * list registers, which belong to the thread that runs it; from any other
 * thread that is a data race. What such a thread wants is only the middle
 * step, the emulation of the trapped access — which is also all KVM does
 * when userspace writes a distributor register through its device fd. The
 * functions here do exactly that: they find the register in the backend's
 * table and call its handler, which takes the engine's locks. They serve
 * the frames that trap (distributor, redistributors); a CPU interface
 * served from the list registers is the running vCPU's alone, and asking
 * for it here is an error.
 */
import { badWidth, describeValue, hostValue, readOptions } from '../args.js';
import { accessBit, type AccessWidth, type FrameDef, type RegisterDef } from '../backend.js';
import { toU64 } from '../bits.js';
import { VgicError } from '../errors.js';
import { emulateRead, emulateWrite, registerAt } from '../frames.js';
import { Machine } from '../machine.js';
import { rethrowCallbackError } from '../notify.js';

/**
 * A register resolved once, to be read or written many times from a
 * non-vCPU thread. Only `resolveHostRegister` makes one, for one machine;
 * it cannot be changed afterwards.
 */
export class HostRegister {
  readonly name: string;
  readonly frame: FrameDef;
  readonly reg: RegisterDef;
  /** Byte offset of the access in the frame (for a per-vCPU frame, in that vCPU's part). */
  readonly offset: number;
  /** Access width in bits. */
  readonly width: AccessWidth;
  /** Whose view the handler gets: the redistributor's vCPU, or the vCPU the access is made as. */
  readonly view: number;
  /** The machine it was resolved on. */
  readonly machine: Machine;
  readonly #resolved = true;

  /** @internal Made by `resolveHostRegister`. */
  constructor(machine: Machine, name: string, frame: FrameDef, reg: RegisterDef, offset: number, width: AccessWidth, view: number) {
    this.machine = machine;
    this.name = name;
    this.frame = frame;
    this.reg = reg;
    this.offset = offset;
    this.width = width;
    this.view = view;
    Object.freeze(this);
  }

  /** Is `x` a register `resolveHostRegister` resolved on `m`? (A brand check: no getter or Proxy trap runs.) */
  static of(x: unknown, m: Machine): x is HostRegister {
    return typeof x === 'object' && x !== null && #resolved in x && (x as HostRegister).machine === m;
  }
}

export interface HostAccessOptions {
  /** The vCPU the access is made as, for banked registers (default 0). */
  vcpu?: number;
  /** For per-vCPU frames (`GICR_*`): whose frame (default: `vcpu`). */
  rd?: number;
  /** Access width in bits, 8, 16, 32 or 64 (default: the register's natural width). */
  width?: AccessWidth;
  /** Bytes past the register's address (a byte access to `GICD_ITARGETSR<n>`). */
  byteOffset?: number;
}

const HOST_ACCESS_KEYS: readonly string[] = ['vcpu', 'rd', 'width', 'byteOffset'];

function checkMachine(m: unknown): asserts m is Machine {
  if (!Machine.isMachine(m)) throw new VgicError('INVALID_ARGUMENT', `the first argument is the machine; got ${describeValue(m)}`);
}

/**
 * Resolve `name` (as `Machine.resolve` takes it) to the register handler a
 * trapped access would reach. Throws UNKNOWN_REGISTER for a name the machine
 * does not know, and INVALID_ARGUMENT for a register that does not trap (a
 * CPU interface, a system register), for a width the register does not
 * allow, for an offset no register covers, and for options that are not
 * `{ vcpu?, rd?, width?, byteOffset? }`.
 */
export function resolveHostRegister(m: Machine, name: string, options: HostAccessOptions = {}): HostRegister {
  checkMachine(m);
  const o = readOptions(options, HOST_ACCESS_KEYS, 'INVALID_ARGUMENT', 'host access options');
  const vcpu = (o['vcpu'] ?? 0) as number;
  m.checkVcpu(vcpu);
  const r = m.resolve(name, { vcpu, ...(o['rd'] !== undefined && { rd: o['rd'] as number }) });
  if (r.kind === 'sysreg') {
    throw new VgicError('INVALID_ARGUMENT', `${name} is a system register of the running vCPU: only its own thread may access it (Machine.sysregRead/Write)`);
  }
  const fi = m.frameMap.named(r.frame);
  if (fi === undefined) throw new VgicError('UNKNOWN_REGISTER', `no frame ${r.frame} on GIC${m.version}`);
  const frame = fi.frame;
  if (!frame.traps) {
    throw new VgicError(
      'INVALID_ARGUMENT',
      `${name} is in the ${frame.name} frame, served from a running vCPU's list registers: only that vCPU's thread may access it (Machine.mmioRead/Write)`,
    );
  }
  const width = o['width'] ?? r.width;
  const byteOffset = o['byteOffset'] ?? 0;
  if (accessBit(width as number) === 0) badWidth(width);
  if (typeof byteOffset !== 'number' || byteOffset >>> 0 !== byteOffset || byteOffset >= 8) {
    throw new VgicError('INVALID_ARGUMENT', `byteOffset must be 0..7; got ${describeValue(byteOffset)}`);
  }
  const rel = r.addr + byteOffset - frame.base;
  const offset = frame.perVcpu ? rel % frame.size : rel;
  const reg = offset < frame.size ? registerAt(fi, offset, width as number) : null;
  if (reg === null) {
    throw new VgicError('INVALID_ARGUMENT', `${name}${byteOffset ? `+${byteOffset}` : ''} cannot be accessed ${width as number} bits wide`);
  }
  const view = frame.perVcpu ? (r.rd ?? vcpu) : vcpu;
  return new HostRegister(m, name, frame, reg, offset, width as AccessWidth, view);
}

function checkResolved(m: Machine, r: unknown): asserts r is HostRegister {
  if (!HostRegister.of(r, m)) {
    checkMachine(m);
    throw new VgicError('INVALID_ARGUMENT', `a host register comes from resolveHostRegister on the same machine; got ${describeValue(r)}`);
  }
}

/**
 * Write a resolved register as its trapped emulation would (no vCPU exits
 * or enters), through the same path as a guest's access: a 64-bit write of
 * GICv3's IROUTER changes both halves at once. The value as
 * `Machine.writeRegister` takes it (INVALID_ARGUMENT for one that is not a
 * value). A 32-bit number allocates nothing.
 */
export function hostWrite(m: Machine, r: HostRegister, value: number | bigint): void {
  checkResolved(m, r);
  if (typeof value === 'number' && (value | 0) === value && r.width === 32) {
    emulateWrite(m.vgic, r.reg, r.view, r.offset, 32, value >>> 0, 0);
  } else {
    const [lo, hi] = hostValue(value, r.width, r.name);
    emulateWrite(m.vgic, r.reg, r.view, r.offset, r.width, lo, hi);
  }
  rethrowCallbackError(m.vgic);
}

/** Read a resolved register as its trapped emulation would. */
export function hostRead(m: Machine, r: HostRegister): bigint {
  checkResolved(m, r);
  const v = m.vgic;
  const lo = emulateRead(v, r.reg, r.view, r.offset, r.width, false);
  const hi = r.width === 64 ? emulateRead(v, r.reg, r.view, r.offset, r.width, true) : 0;
  rethrowCallbackError(v);
  return r.width === 64 ? toU64(lo, hi) : BigInt(lo);
}

/** Resolve and write in one call (allocates: for setup, not for hot loops). */
export function hostRegisterWrite(m: Machine, name: string, value: number | bigint, options: HostAccessOptions = {}): void {
  hostWrite(m, resolveHostRegister(m, name, options), value);
}

/** Resolve and read in one call. */
export function hostRegisterRead(m: Machine, name: string, options: HostAccessOptions = {}): bigint {
  return hostRead(m, resolveHostRegister(m, name, options));
}
