/** Which backends have an ITS, and the ITS of a machine made with one. */
import { VgicError, type GicBackend, type Machine } from '@vgic/core';
import type { Its } from './its.js';
import type { ItsRegistry } from './registry.js';

const registries = new WeakMap<GicBackend, ItsRegistry>();

/** Record that `backend` has the ITS `registry` opens. */
export function registerIts(backend: GicBackend, registry: ItsRegistry): void {
  registries.set(backend, registry);
}

/** The ITS of machine `m`. Throws INVALID_CONFIG for a machine made without `its`. */
export function itsOfMachine(m: Machine): Its {
  const r = registries.get(m.backend);
  if (r === undefined) throw new VgicError('INVALID_CONFIG', 'this machine has no ITS: make it with createGicv3({ its: true, ... })');
  return r.of(m.vgic);
}
