/**
 * The save/restore suite every backend runs: from any state random guest and
 * host operations reach, save → restore into a fresh machine → save gives
 * the same document, and the two machines then behave the same under any
 * continuation (fast-check properties over the backend's `GuestOps`).
 *
 * Not a *.test.ts file: a backend's own test calls `describeSaveRestore`.
 * Needs `fast-check` (an optional peer dependency) besides `vitest`.
 */
import { describe, it } from 'vitest';
import type { Machine, MachineOptions } from '../machine.js';
import { PROPERTY_SHAPE, checkSaveRestoreProperty } from '../snapshot/testkit.js';
import type { GuestOps } from './guest.js';

export interface SaveRestoreTarget {
  /** For the test names: `GICv2`. */
  name: string;
  /** The backend's machine factory; the suite makes machines of 3 vCPUs, 32 SPIs and 2 list registers. */
  create(options: MachineOptions): Machine;
  guest: GuestOps;
  /** Random runs of the property (default 100). */
  runs?: number;
}

export function describeSaveRestore(target: SaveRestoreTarget): void {
  describe(`${target.name} save and restore, as a property`, () => {
    it('restore → save gives the saved document, and a continuation behaves the same on both machines', () => {
      checkSaveRestoreProperty(() => target.create({ ...PROPERTY_SHAPE }), target.guest, target.runs ?? 100);
    });
  });
}
