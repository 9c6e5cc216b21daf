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
import { accessBit, type FrameDef, type RegisterDef } from '../backend.js';
import { hi32, lo32, toU64 } from '../bits.js';
import { VgicError } from '../errors.js';
import type { Machine } from '../machine.js';
import { rethrowCallbackError } from '../notify.js';

/** A register resolved once, to be read or written many times from a non-vCPU thread. */
export interface HostRegister {
  readonly name: string;
  readonly frame: FrameDef;
  readonly reg: RegisterDef;
  /** Byte offset of the access in the frame (for a per-vCPU frame, in that vCPU's part). */
  readonly offset: number;
  /** Access width in bits. */
  readonly width: number;
  /** Whose view the handler gets: the redistributor's vCPU, or the vCPU the access is made as. */
  readonly view: number;
}

export interface HostAccessOptions {
  /** The vCPU the access is made as, for banked registers (default 0). */
  vcpu?: number;
  /** For per-vCPU frames (`GICR_*`): whose frame (default: `vcpu`). */
  rd?: number;
  /** Access width in bits (default: the register's natural width). */
  width?: number;
  /** Bytes past the register's address (a byte access to `GICD_ITARGETSR<n>`). */
  byteOffset?: number;
}

function registerAt(frame: FrameDef, offset: number): RegisterDef | null {
  for (const reg of frame.registers) {
    const count = reg.count ?? 1;
    const stride = reg.stride ?? reg.width / 8;
    const rel = offset - reg.offset;
    if (rel < 0) continue;
    const n = Math.floor(rel / stride);
    if (n < count && rel - n * stride < reg.width / 8) return reg;
  }
  return null;
}

/**
 * Resolve `name` (as `Machine.resolve` takes it) to the register handler a
 * trapped access would reach. Throws UNKNOWN_REGISTER for a name the machine
 * does not know, and INVALID_ARGUMENT for a register that does not trap (a
 * CPU interface, a system register), for a width the register does not
 * allow, or for an offset no register covers.
 */
export function resolveHostRegister(m: Machine, name: string, options: HostAccessOptions = {}): HostRegister {
  const vcpu = options.vcpu ?? 0;
  m.checkVcpu(vcpu);
  const r = m.resolve(name, { vcpu, ...(options.rd !== undefined && { rd: options.rd }) });
  if (r.kind === 'sysreg') {
    throw new VgicError('INVALID_ARGUMENT', `${name} is a system register of the running vCPU: only its own thread may access it (Machine.sysregRead/Write)`);
  }
  const frame = m.frames.find((f) => f.name === r.frame);
  if (frame === undefined) throw new VgicError('UNKNOWN_REGISTER', `no frame ${r.frame} on GIC${m.version}`);
  if (!frame.traps) {
    throw new VgicError(
      'INVALID_ARGUMENT',
      `${name} is in the ${frame.name} frame, served from a running vCPU's list registers: only that vCPU's thread may access it (Machine.mmioRead/Write)`,
    );
  }
  const width = options.width ?? r.width;
  const bit = accessBit(width);
  const at = r.addr + (options.byteOffset ?? 0);
  const rel = at - frame.base;
  const offset = frame.perVcpu ? rel % frame.size : rel;
  const reg = registerAt(frame, offset);
  if (reg === null || bit === 0 || (reg.access & bit) === 0 || offset % (width >> 3) !== 0) {
    throw new VgicError('INVALID_ARGUMENT', `${name}${options.byteOffset ? `+${options.byteOffset}` : ''} cannot be accessed ${width} bits wide`);
  }
  const view = frame.perVcpu ? (r.rd ?? vcpu) : vcpu;
  return { name, frame, reg, offset, width, view };
}

/** Write a resolved register as its trapped emulation would (no vCPU exits or enters). */
export function hostWrite(m: Machine, r: HostRegister, value: number | bigint): void {
  if (r.reg.mode === 'ro') return;
  const v = m.vgic;
  if (r.width === 64) {
    const big = BigInt.asUintN(64, typeof value === 'bigint' ? value : BigInt(Math.trunc(value)));
    r.reg.write(v, r.view, r.offset, 32, lo32(big));
    r.reg.write(v, r.view, r.offset + 4, 32, hi32(big));
  } else {
    const n = typeof value === 'bigint' ? lo32(value) : value >>> 0;
    const mask = r.width === 32 ? 0xffffffff : (1 << r.width) - 1;
    r.reg.write(v, r.view, r.offset, r.width, (n & mask) >>> 0);
  }
  rethrowCallbackError(v);
}

/** Read a resolved register as its trapped emulation would. */
export function hostRead(m: Machine, r: HostRegister): bigint {
  if (r.reg.mode === 'wo') return 0n;
  const v = m.vgic;
  if (r.width === 64) {
    const lo = r.reg.read(v, r.view, r.offset, 32) >>> 0;
    const hi = r.reg.read(v, r.view, r.offset + 4, 32) >>> 0;
    rethrowCallbackError(v);
    return toU64(lo, hi);
  }
  const value = r.reg.read(v, r.view, r.offset, r.width) >>> 0;
  rethrowCallbackError(v);
  return BigInt(value);
}

/** Resolve and write in one call (allocates: for setup, not for hot loops). */
export function hostRegisterWrite(m: Machine, name: string, value: number | bigint, options: HostAccessOptions = {}): void {
  hostWrite(m, resolveHostRegister(m, name, options), value);
}

/** Resolve and read in one call. */
export function hostRegisterRead(m: Machine, name: string, options: HostAccessOptions = {}): bigint {
  return hostRead(m, resolveHostRegister(m, name, options));
}
