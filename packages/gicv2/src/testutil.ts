/**
 * Small helpers the tests share: a machine, register reads and writes by
 * name as numbers, and the one-line bring-up a GICv2 guest does.
 * Not part of the package's API (index.ts does not export it).
 */
import type { AccessWidth, Machine } from '@vgic/core';
import { createGicv2, type Gicv2Options } from './machine.js';

export function gicv2(options: Partial<Gicv2Options> = {}): Machine {
  return createGicv2({ vcpus: 1, spis: 64, ...options });
}

/** A guest read by `vcpu` of a register name or raw offset (`GICD+0x429`), as a number. */
export function rd(m: Machine, name: string, vcpu = 0, width?: AccessWidth): number {
  return Number(m.readRegister(name, { vcpu, ...(width !== undefined && { width }) }));
}

export function wr(m: Machine, name: string, value: number, vcpu = 0, width?: AccessWidth): void {
  m.writeRegister(name, value >>> 0, { vcpu, ...(width !== undefined && { width }) });
}

/** Distributor on; each vCPU's CPU interface takes group 0 (and group 1 if asked) at any priority. */
export function bringUp(m: Machine, ctlr = 0b01): void {
  wr(m, 'GICD_CTLR', 1);
  for (let k = 0; k < m.vcpus; k++) {
    wr(m, 'GICC_PMR', 0xff, k);
    wr(m, 'GICC_CTLR', ctlr, k);
  }
}

/** Enable an interrupt by the guest's ISENABLER write. */
export function enable(m: Machine, intid: number, vcpu = 0): void {
  wr(m, `GICD_ISENABLER${intid >> 5}`, 1 << (intid & 31), vcpu);
}

/** A deterministic pseudo-random sequence (xorshift32), for fuzzing without flakiness. */
export function xorshift(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}
