/**
 * vCPUs on worker threads: a machine in a SharedArrayBuffer opened from any
 * number of threads, a run loop per vCPU with WFI on Atomics.wait and the
 * engine's kick as Atomics.notify, host-side distributor access for threads
 * that run no vCPU, a clean shutdown with per-vCPU counters, and the stress
 * run and scaling measurement built on them.
 */
export { ThreadControl, PHASE_RUN, PHASE_QUIESCE, PHASE_DRAIN, PHASE_STOP } from './control.js';
export {
  GuestCpu,
  GICV2_CPU_INTERFACE,
  GICV3_CPU_INTERFACE,
  defaultCpuInterface,
  emptyCounters,
  isSpuriousIntid,
  type CpuInterfaceNames,
  type VcpuCounters,
} from './guest-cpu.js';
export {
  resolveHostRegister,
  hostRead,
  hostWrite,
  hostRegisterRead,
  hostRegisterWrite,
  type HostRegister,
  type HostAccessOptions,
} from './host-access.js';
export { runVcpu, releaseHeldLocks, type Guest, type GuestHandler, type GuestFactory, type RunVcpuOptions } from './runner.js';
export type { BackendRef, ModuleRef, TaskContext, TaskFn } from './protocol.js';
export {
  VcpuThreads,
  startVcpus,
  type StartVcpusOptions,
  type ShutdownOptions,
  type ShutdownReport,
} from './pool.js';
export { runStress, type StressOptions, type StressReport } from './stress.js';
export { measureScaling, type ScalingOptions, type ScalingPoint } from './scaling.js';
