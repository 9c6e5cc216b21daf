/**
 * @vgic/core/threads — vCPUs on Node worker threads: `startVcpus` runs one
 * worker per vCPU over a machine created with `shared: true` (WFI on
 * Atomics.wait, the engine's kick as Atomics.notify) and shuts them down
 * cleanly with per-vCPU counters; `startTask` on the result runs a thread
 * that is no vCPU; `runStress` and `measureScaling` are built on them.
 *
 * This entry needs Node (`node:worker_threads`). What runs in any runtime —
 * the run loop `runVcpu`, `GuestCpu`, `ThreadControl`, host-side register
 * access — is in the main entry, `@vgic/core`.
 *
 * @module @vgic/core/threads
 */
export type { BackendRef, ModuleRef, TaskContext, TaskFn } from './protocol.js';
export {
  VcpuThreads,
  startVcpus,
  type StartVcpusOptions,
  type ShutdownOptions,
  type ShutdownReport,
} from './pool.js';
export { runStress, type StressOptions, type StressReport } from './stress.js';
export { runLpiStress, type LpiStressOptions, type LpiStressReport } from './stress-lpi.js';
export { measureScaling, type ScalingOptions, type ScalingPoint } from './scaling.js';
