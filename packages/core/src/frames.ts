/**
 * A backend's MMIO frames indexed once, and the one path every register
 * access takes to their handlers: a guest's access (`Machine.mmioRead` /
 * `mmioWrite`), a host thread's (`hostRegisterWrite`, threads/host-access.ts)
 * and the KVM device façade's (snapshot/kvm.ts). Whichever way an access
 * comes in, it finds the same register and means the same thing — above all,
 * a 64-bit write of a register whose halves must change together
 * (`RegisterDef.write64`, GICv3's IROUTER) is one call, so the route never
 * passes through a mix of the old and the new value.
 */
import { accessBit, type AccessWidth, type FrameDef, type RegisterDef } from './backend.js';
import { NONE, type Vgic } from './vgic.js';

/** A frame with its registers by 32-bit word. */
export interface IndexedFrame {
  readonly frame: FrameDef;
  /** Register index + 1 for each 32-bit word of the frame; 0 where no register is. */
  readonly words: Uint16Array;
}

/**
 * The word indexes made so far, by register table: machines whose backend
 * shares its tables (GICv3's default topologies do) share their indexes too
 * — a redistributor frame's is 32 KB. A table is read-only (`FrameDef`), so
 * an index made for it stays right; one per frame size.
 */
const INDEXES = new WeakMap<readonly RegisterDef[], Map<number, Uint16Array>>();

function indexFrame(frame: FrameDef): IndexedFrame {
  let bySize = INDEXES.get(frame.registers);
  if (bySize === undefined) {
    bySize = new Map();
    INDEXES.set(frame.registers, bySize);
  }
  let words = bySize.get(frame.size);
  if (words === undefined) {
    words = wordIndex(frame);
    bySize.set(frame.size, words);
  }
  return { frame, words };
}

function wordIndex(frame: FrameDef): Uint16Array {
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
  return words;
}

/**
 * The register an access of `width` bits at byte `offset` of the frame
 * reaches, or null where the access is RAZ/WI: no register there, or a width
 * or an alignment the register does not allow (KVM's check_region).
 */
export function registerAt(f: IndexedFrame, offset: number, width: number): RegisterDef | null {
  const bit = accessBit(width);
  if (bit === 0 || offset % (width >> 3) !== 0) return null;
  const idx = f.words[offset >> 2];
  if (idx === undefined || idx === 0) return null;
  const reg = f.frame.registers[idx - 1]!;
  return (reg.access & bit) === 0 ? null : reg;
}

/** Is any register at byte `offset` of the frame, whatever the width? (Why an access found none: unhandled.ts.) */
export function registerWordAt(f: IndexedFrame, offset: number): boolean {
  const idx = f.words[offset >> 2];
  return idx !== undefined && idx !== 0;
}

/**
 * Read `reg` as an access of `width` bits at `offset` would: the value, or
 * for a 64-bit access the low (`high` false) or the high half. `view` is
 * whose view the handler gets (the accessing vCPU, or a redistributor's own).
 */
export function emulateRead(v: Vgic, reg: RegisterDef, view: number, offset: number, width: AccessWidth, high: boolean): number {
  if (reg.mode === 'wo') return 0;
  if (width === 64) return reg.read(v, view, offset + (high ? 4 : 0), 32) >>> 0;
  return reg.read(v, view, offset, width) >>> 0;
}

/**
 * Write `reg` as an access of `width` bits would: `lo` (and for a 64-bit
 * access `hi`, the upper half). A 64-bit write goes to `write64` when the
 * register has one, else to its halves, low first; a narrower one keeps only
 * `width` bits of `lo`. A write of a read-only register is ignored.
 */
export function emulateWrite(v: Vgic, reg: RegisterDef, view: number, offset: number, width: AccessWidth, lo: number, hi: number): void {
  if (reg.mode === 'ro') return;
  if (width === 64) {
    if (reg.write64 !== undefined) {
      reg.write64(v, view, offset, lo >>> 0, hi >>> 0);
    } else {
      reg.write(v, view, offset, 32, lo >>> 0);
      reg.write(v, view, offset + 4, 32, hi >>> 0);
    }
    return;
  }
  const mask = width === 32 ? 0xffffffff : (1 << width) - 1;
  reg.write(v, view, offset, width, (lo & mask) >>> 0);
}

/** Every frame of a backend, found by guest physical address or by name. */
export class FrameMap {
  readonly frames: readonly IndexedFrame[];
  /** Set by `find`: whose per-vCPU frame the address is in (NONE for a shared frame) and the offset in it. */
  hitFrameVcpu: number = NONE;
  hitOffset = 0;

  constructor(frames: readonly FrameDef[]) {
    this.frames = frames.map(indexFrame);
  }

  /**
   * The frame holding byte `addr` of a machine with `nrVcpus` vCPUs (per-vCPU
   * frames are that many, one after another), with `hitFrameVcpu` and `hitOffset`
   * set; null when none does, and for an address that is not a whole number
   * (NaN, a fraction). Allocation-free: guest accesses are hot.
   */
  find(addr: number, nrVcpus: number): IndexedFrame | null {
    const frames = this.frames;
    for (let i = 0; i < frames.length; i++) {
      const fi = frames[i]!;
      const f = fi.frame;
      const rel = addr - f.base;
      const span = f.perVcpu ? f.size * nrVcpus : f.size;
      // Written so that NaN fails it.
      if (!(rel >= 0 && rel < span)) continue;
      if (Math.floor(rel) !== rel) return null;
      if (!f.perVcpu) {
        this.hitFrameVcpu = NONE;
        this.hitOffset = rel;
        return fi;
      }
      const rd = Math.floor(rel / f.size);
      this.hitFrameVcpu = rd;
      this.hitOffset = rel - rd * f.size;
      return fi;
    }
    return null;
  }

  /** The frame a register name's prefix names (`GICD`, `GICR`), if there is one. */
  named(name: string): IndexedFrame | undefined {
    return this.frames.find((f) => f.frame.name === name);
  }
}
