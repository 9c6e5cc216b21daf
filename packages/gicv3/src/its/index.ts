/**
 * The GICv3 ITS (IHI 0069 chapter 6, KVM's vgic-its.c), as the GICv3
 * backend plugs it in: its frame, its shared state, the MSI capability and
 * the redistributors' hook.
 */
import type { BackendSnapshot, FrameDef, MsiCapability, Vgic, VgicShape } from '@vgic/core';
import { invalidateWords } from './cache.js';
import { GITS_SIZE, gitsRegisters } from './frame.js';
import type { ItsConfig } from './options.js';
import type { LpiRedistributors } from './redistributors.js';
import { ItsRegistry } from './registry.js';
import { itsSnapshotState } from './snapshot.js';
import { H_MAGIC, ITS_MAGIC, itsStateWords } from './tables.js';

/** What the backend takes from its ITS. */
export interface ItsPlug {
  readonly registry: ItsRegistry;
  readonly frame: FrameDef;
  readonly msi: MsiCapability;
  /** The ITS's part of a saved document. */
  readonly snapshot: BackendSnapshot;
  stateWords(shape: VgicShape): number;
  /** The ITS at reset (with the distributor: a machine reset resets it, as QEMU resets its ITS device). */
  reset(v: Vgic): void;
}

export function plugIts(config: ItsConfig, rd: LpiRedistributors): ItsPlug {
  const registry = new ItsRegistry((n) => config.caps(n), rd);
  const itsOf = (v: Vgic) => registry.of(v);
  return {
    registry,
    frame: { name: 'GITS', base: config.base, size: GITS_SIZE, perVcpu: false, traps: true, registers: gitsRegisters(itsOf) },
    msi: { signal: (v, deviceId, eventId) => itsOf(v).signal(deviceId, eventId) },
    snapshot: itsSnapshotState(itsOf),
    stateWords: (shape) => itsStateWords(config.caps(shape.nrLpis ?? 0)),
    reset: (v) => itsOf(v).reset(),
  };
}

/**
 * A redistributor's EnableLPIs went 1 → 0: forget every cached translation
 * (KVM's vgic_its_invalidate_all_caches from vgic_mmio_write_v3r_ctlr).
 * Takes no lock; nothing on a machine without an ITS.
 */
export function itsLpisDisabled(v: Vgic, _vcpu: number): void {
  const w = v.backendState;
  if (w.length > H_MAGIC && w[H_MAGIC] === ITS_MAGIC) invalidateWords(w);
}
