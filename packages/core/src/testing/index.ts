/**
 * @vgic/core/testing — what a backend's own tests use: the guest-operations
 * driver contract, the conformance suite every backend must pass, the
 * worker-thread stress suite and the save/restore property.
 *
 * @module @vgic/core/testing
 */
export type { GuestOps } from './guest.js';
export type { CommandIssuer, GuestRam, LpiDriver, LpiGuestOps, LpiPlan, RamObserver } from './lpi-guest.js';
export { describeConformance, CONFORMANCE_TESTS, type ConformanceTarget } from './conformance.js';
export {
  describeLpiStress,
  describeStress,
  expectSoundLpiStress,
  expectSoundStress,
  type LpiStressTarget,
  type StressTarget,
} from './stress.js';
export { describeSaveRestore, type SaveRestoreTarget } from './save-restore.js';
