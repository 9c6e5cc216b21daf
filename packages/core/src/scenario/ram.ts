/**
 * A scenario's guest RAM: one zeroed ArrayBuffer per `memory` region. The
 * machine is given the same buffers (its guest memory, where the GIC finds
 * its tables and command queue), and `poke`/`peek` steps reach them the way
 * the guest's CPU does: straight to the bytes, little-endian, no GIC
 * involved.
 */
import { VgicError } from '../errors.js';
import type { AccessWidth } from '../backend.js';
import type { MemoryRegionSpec } from './types.js';

/** One region as a backend factory is given it: its base and the buffer that holds it. */
export interface ScenarioRamRegion {
  base: bigint;
  buffer: ArrayBuffer;
}

export class ScenarioRam {
  readonly regions: readonly ScenarioRamRegion[];
  private readonly bytes: readonly Uint8Array[];

  constructor(specs: readonly MemoryRegionSpec[]) {
    this.regions = specs.map((r) => ({ base: r.base, buffer: new ArrayBuffer(r.size) }));
    this.bytes = this.regions.map((r) => new Uint8Array(r.buffer));
  }

  /** The bytes `[addr, addr + length)` of one region, or null when they are not all in one. */
  private span(addr: bigint, length: number): Uint8Array | null {
    for (let i = 0; i < this.regions.length; i++) {
      const base = this.regions[i]!.base;
      const bytes = this.bytes[i]!;
      if (addr >= base && addr + BigInt(length) <= base + BigInt(bytes.length)) {
        const at = Number(addr - base);
        return bytes.subarray(at, at + length);
      }
    }
    return null;
  }

  private spanOrThrow(addr: bigint, length: number, what: string): Uint8Array {
    const span = this.span(addr, length);
    if (span === null) {
      throw new VgicError('INVALID_ARGUMENT', `${what} of ${length} bytes at 0x${addr.toString(16)} is outside every memory region of the scenario`);
    }
    return span;
  }

  /** A guest store of the low `width` bits of `value` at `addr`. */
  store(addr: bigint, width: AccessWidth, value: bigint): void {
    const span = this.spanOrThrow(addr, width / 8, 'a store');
    let v = value;
    for (let i = 0; i < span.length; i++) {
      span[i] = Number(v & 0xffn);
      v >>= 8n;
    }
  }

  /** A guest load of `width` bits at `addr`. */
  load(addr: bigint, width: AccessWidth): bigint {
    const span = this.spanOrThrow(addr, width / 8, 'a load');
    let v = 0n;
    for (let i = span.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(span[i]!);
    return v;
  }
}
