/**
 * One `Its` per machine state per thread: the views over the shared words
 * (v.backendState) and this thread's guest memory. Another thread opening
 * the same buffer builds its own over the same words.
 */
import { VgicError, type Vgic } from '@vgic/core';
import { Its } from './its.js';
import type { ItsMemory } from './memory.js';
import type { LpiRedistributors } from './redistributors.js';
import { ItsTables, itsStateWords, type ItsCapacities } from './tables.js';

/** This thread's guest memory as the ITS reads it: a fault is -1 (core's GuestMemory flags it instead). */
function memoryOf(v: Vgic): ItsMemory {
  return {
    read32(addr: number): number {
      const m = v.memory;
      m.fault = false;
      const x = m.read32(addr);
      return m.fault ? -1 : x;
    },
    write32: (addr: number, value: number): boolean => v.memory.write32(addr, value),
  };
}

export class ItsRegistry {
  private readonly all = new WeakMap<Vgic, Its>();
  private lastVgic: Vgic | null = null;
  private lastIts: Its | null = null;

  constructor(
    /** The capacities for a machine of `nrLpis` LPIs. */
    readonly capsFor: (nrLpis: number) => ItsCapacities,
    private readonly rd: LpiRedistributors,
  ) {}

  /** The ITS of machine state `v`, opened on first use. */
  of(v: Vgic): Its {
    if (v === this.lastVgic) return this.lastIts!;
    let its = this.all.get(v);
    if (its === undefined) {
      const caps = this.capsFor(v.nrLpis);
      const need = itsStateWords(caps);
      const bs = v.backendState;
      if (bs.length < need) {
        throw new VgicError('INVALID_CONFIG', `the machine's backend state has ${bs.length} words; its ITS needs ${need}`);
      }
      const words = new Uint32Array(bs.buffer, bs.byteOffset, bs.length);
      its = new Its(v, new ItsTables(words, 0, caps), memoryOf(v), this.rd);
      this.all.set(v, its);
    }
    this.lastVgic = v;
    this.lastIts = its;
    return its;
  }
}
