/**
 * Builders for the per-interrupt registers every distributor shares (KVM's
 * vgic-mmio.c handlers over `mmio.ts`): a backend's register table is a list
 * of these, each given where the register is and a function from a byte
 * offset to the first INTID the accessed word (or byte) covers — or -1
 * where the word is RAZ/WI (with affinity routing on, GICv3's distributor
 * words for INTIDs 0-31 are, as private interrupts live in the
 * redistributors).
 */
import { ACCESS_32, type RegisterDef, type StateBits } from './backend.js';
import {
  readConfig,
  readIrqBits,
  readPriority,
  writeActive,
  writeClearEnable,
  writeClearPending,
  writeConfig,
  writeGroup,
  writePriority,
  writeSetEnable,
  writeSetPending,
} from './mmio.js';
import type { Vgic } from './vgic.js';

/** The first INTID a register word (or byte) at `offset` covers, or -1 for RAZ/WI. */
export type IntidAt = (offset: number) => number;

/**
 * Where a one-bit-per-interrupt array at `base` (IGROUPR, ISENABLER, …) puts
 * each INTID: the word at `offset` starts at INTID 32 × its index. With
 * `privateRaz` its first word (INTIDs 0-31) is RAZ/WI, as a GICv3
 * distributor's is with affinity routing on (those interrupts live in the
 * redistributors).
 */
export function bitWord(base: number, privateRaz = false): IntidAt {
  return (offset) => {
    const n = (offset - base) >> 2;
    return privateRaz && n === 0 ? -1 : n * 32;
  };
}

/** GICD_TYPER.ITLinesNumber (bits 4:0): the machine's interrupts / 32 - 1, as KVM computes it for either version. */
export function itLinesNumber(v: Vgic): number {
  return ((v.nrSpis + 32) >> 5) - 1;
}

export interface ArrayPlace {
  readonly name: string;
  readonly offset: number;
  readonly count: number;
  readonly spec: string;
}

/**
 * Where an array register is: its name, its offset in the frame, how many
 * there are and where the specification describes it. Both backends' tables
 * place their per-interrupt registers with it, by their named offsets.
 */
export function arrayPlace(name: string, offset: number, count: number, spec: string): ArrayPlace {
  return { name, offset, count, spec };
}

export function raz(): number {
  return 0;
}

export function wi(): void {}

/** A register that reads as zero and ignores writes. */
export function razWi(name: string, offset: number, spec: string, count = 1): RegisterDef {
  return { name, offset, count, width: 32, access: ACCESS_32, spec, read: raz, write: wi };
}

/** A read-only register computed by `read`; writes are ignored. */
export function readOnly(name: string, offset: number, spec: string, read: (v: Vgic, vcpu: number) => number): RegisterDef {
  return { name, offset, width: 32, access: ACCESS_32, mode: 'ro', spec, read: (v, vcpu) => read(v, vcpu), write: wi };
}

/** IGROUPR: one bit per interrupt. `after` runs once the groups changed (for a backend whose routing depends on them). */
export function groupRegister(p: ArrayPlace, at: IntidAt, after?: (v: Vgic, intid0: number) => void): RegisterDef {
  return {
    ...p,
    width: 32,
    access: ACCESS_32,
    read(v, vcpu, offset) {
      const i0 = at(offset);
      return i0 < 0 ? 0 : readIrqBits(v, vcpu, i0, 32, 'group');
    },
    write(v, vcpu, offset, _width, value) {
      const i0 = at(offset);
      if (i0 < 0) return;
      writeGroup(v, vcpu, i0, 32, value);
      after?.(v, i0);
    },
  };
}

type BitWriter = (v: Vgic, vcpu: number, intid0: number, bits: number) => void;

const PENDING_SET: StateBits = Object.freeze({ state: 'pending', set: true });
const PENDING_CLEAR: StateBits = Object.freeze({ state: 'pending', set: false });
const ACTIVE_SET: StateBits = Object.freeze({ state: 'active', set: true });
const ACTIVE_CLEAR: StateBits = Object.freeze({ state: 'active', set: false });

function bitRegister(p: ArrayPlace, at: IntidAt, field: 'enabled' | 'pending' | 'active', write: BitWriter, stateBits?: StateBits): RegisterDef {
  return {
    ...p,
    ...(stateBits === undefined ? {} : { stateBits }),
    width: 32,
    access: ACCESS_32,
    read(v, vcpu, offset) {
      const i0 = at(offset);
      return i0 < 0 ? 0 : readIrqBits(v, vcpu, i0, 32, field);
    },
    write(v, vcpu, offset, _width, value) {
      const i0 = at(offset);
      if (i0 >= 0 && value !== 0) write(v, vcpu, i0, value);
    },
  };
}

export const setEnableRegister = (p: ArrayPlace, at: IntidAt): RegisterDef => bitRegister(p, at, 'enabled', writeSetEnable);
export const clearEnableRegister = (p: ArrayPlace, at: IntidAt): RegisterDef => bitRegister(p, at, 'enabled', writeClearEnable);
export const setPendingRegister = (p: ArrayPlace, at: IntidAt): RegisterDef =>
  bitRegister(p, at, 'pending', writeSetPending, PENDING_SET);
export const clearPendingRegister = (p: ArrayPlace, at: IntidAt): RegisterDef =>
  bitRegister(p, at, 'pending', writeClearPending, PENDING_CLEAR);
export const setActiveRegister = (p: ArrayPlace, at: IntidAt): RegisterDef =>
  bitRegister(p, at, 'active', (v, vcpu, i0, bits) => writeActive(v, vcpu, i0, bits, true), ACTIVE_SET);
export const clearActiveRegister = (p: ArrayPlace, at: IntidAt): RegisterDef =>
  bitRegister(p, at, 'active', (v, vcpu, i0, bits) => writeActive(v, vcpu, i0, bits, false), ACTIVE_CLEAR);

/**
 * IPRIORITYR: one byte per interrupt, byte or word accessible. Core drops
 * the unimplemented low bits on a write (5 bits: mask 0xf8).
 */
export function priorityRegister(p: ArrayPlace, at: IntidAt, access: number): RegisterDef {
  return {
    ...p,
    width: 32,
    access,
    read(v, vcpu, offset, width) {
      const i0 = at(offset);
      return i0 < 0 ? 0 : readPriority(v, vcpu, i0, width >> 3);
    },
    write(v, vcpu, offset, width, value) {
      const i0 = at(offset);
      if (i0 >= 0) writePriority(v, vcpu, i0, width >> 3, value);
    },
  };
}

/** ICFGR: two bits per interrupt, 0b10 for edge; `at` gives the first INTID of the word (16 per word). SGIs and PPIs are read-only (edge, level), as in KVM. */
export function configRegister(p: ArrayPlace, at: IntidAt): RegisterDef {
  return {
    ...p,
    width: 32,
    access: ACCESS_32,
    read(v, vcpu, offset) {
      const i0 = at(offset);
      return i0 < 0 ? 0 : readConfig(v, vcpu, i0, 16);
    },
    write(v, vcpu, offset, _width, value) {
      const i0 = at(offset);
      if (i0 >= 0) writeConfig(v, vcpu, i0, 16, value);
    },
  };
}
