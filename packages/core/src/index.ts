/**
 * @vgic/core — the engine of a virtual ARM Generic Interrupt Controller as
 * Linux KVM's "new vgic" implements it: interrupt state in typed arrays,
 * per-vCPU ap_lists under the kernel's lock order, the target oracle,
 * injection, the list-register hand-off (flush/sync), the virtual CPU
 * interface, and the contract GIC-version backends implement.
 *
 * This entry imports no Node built-in and runs in a browser; the Node-only
 * parts (worker threads) are in `@vgic/core/threads`.
 *
 * @module @vgic/core
 */
export { VgicError, isVgicError, type VgicErrorCode } from './errors.js';
export { describeValue, readOptions } from './args.js';
export {
  Machine,
  createMachine,
  validateMachineOptions,
  MACHINE_OPTION_KEYS,
  ATTACH_OPTION_KEYS,
  splitFactoryOptions,
  readMachineHandle,
  type MachineOptions,
  type MachineHandle,
  type HostCallback,
  type RegisterAccessOptions,
  type ResolvedRegister,
  type ResolvedMmio,
  type ResolvedSysreg,
} from './machine.js';
export type { Unsubscribe } from './subscribers.js';
export type { RegisterNames, RegisterName, RegisterValue, WidthOption } from './register-names.js';
export {
  ACCESS_8,
  ACCESS_16,
  ACCESS_32,
  ACCESS_64,
  accessBit,
  sysregKey,
  type AccessWidth,
  type HandlerWidth,
  type BackendLimits,
  type MsiCapability,
  type BackendSnapshot,
  type CpuInterfaceNames,
  type DistributorRegisters,
  type FrameDef,
  type GicBackend,
  type GuestCpuInterface,
  type HostRegisterRef,
  type KvmCpuRegs,
  type KvmCpuSysregs,
  type KvmSemantics,
  type RegisterDef,
  type RouteHalves,
  type StateBits,
  type SysregDef,
  type SysregEncoding,
} from './backend.js';
export {
  Vgic,
  VGIC_STATE_ARRAYS,
  NONE,
  CONFIG_EDGE,
  CONFIG_LEVEL,
  LR_PENDING,
  LR_ACTIVE,
  VCPU_OUTSIDE,
  VCPU_RUNNING,
  VCPU_WFI,
  CTL_DIST_ENABLE,
  DEBUG_LOCKDEP,
  DEBUG_NO_QUEUE_RECHECK,
  DEBUG_UNLOCKED_DIST_ENABLE,
  DEBUG_UNLOCKED_ROUTE_UPDATE,
  DEBUG_STALE_LIVE_ACTIVE,
  APR_WORDS,
  LINE_BYTES,
  LINE_WORDS,
  LR_STRIDE,
  DIST_WORDS,
  VCPU_WORDS,
  NO_SHARED_MEMORY,
  sharedMemorySupported,
  FOLD_UNPEND,
  LAYOUT_VERSION,
  EXTRA_LOCK_WORDS,
  CTL_MSI_COALESCED,
  CTL_LPI_DROPPED_PENDING,
  type VgicShape,
  type VgicStateArrays,
  type StateElement,
  type StateExtent,
  type StateArrayOf,
  type VgicOpenOptions,
} from './vgic.js';
export { type LockOps, PlainLocks, AtomicLocks, plainLocks, atomicLocks, acquireContended, releaseContended, LOCK_WAIT_MS } from './locks.js';
export {
  LockSpace,
  LockOwner,
  LOCK_BROKEN,
  LOCK_WAITERS,
  THREAD_FREE,
  THREAD_RESERVED,
  THREAD_ALIVE,
  THREAD_DEAD,
  SOLE_THREAD,
  BROKEN_STOPPED_HOLDING,
  BROKEN_TERMINATED,
  lockHolder,
  adoptThread,
} from './lock-owners.js';
export { WasmLocks, createSharedWasmMemory, wasmLocksSupported, type WasmMemory } from './wasm-locks.js';
export { LockDep, CheckedLocks } from './lockdep.js';
export { lockRank, lockName, RANK_ITS_CMD, RANK_ITS, RANK_AP_LIST, RANK_LPI_MAP, RANK_IRQ } from './lock-names.js';
export {
  LPI_INTID_BASE,
  LPI_INTID_BITS,
  LPI_INTID_SPACE,
  LPI_DEFAULT_PRIORITY,
  LPI_PROP_PRIORITY,
  LPI_PROP_ENABLE,
  lpiSlot,
  lpiMapped,
  lpiAllocate,
  lpiRelease,
  lpiSetTarget,
  lpiSetPending,
  lpiClearPending,
  lpiSetConfig,
  lpiResetAll,
  msiCoalesced,
  lpiDroppedPending,
} from './lpi.js';
export {
  GuestMemory,
  checkGuestMemory,
  GUEST_ADDRESS_LIMIT,
  type GuestMemoryRegion,
  type GuestMemoryBufferRegion,
  type GuestMemoryCallbackRegion,
  type WasmMemoryLike,
} from './guest-memory.js';
export { targetOracle, targetOracleQuiescent, validateInjection, isPending, apListCmp, distGroupEnabled } from './oracle.js';
export { queueIrqUnlock, requeue, kickVcpu } from './queue.js';
export { rethrowCallbackError, type Notice } from './notify.js';
export { injectSlot, setLineLevel, mapHwSlot, unmapHwSlot } from './inject.js';
export { flushLrState, populateLr, lrViews } from './flush.js';
export { syncHwState, foldLr, pruneApList } from './sync.js';
export { apListSort, apListSlots, apListLength } from './aplist.js';
export {
  SPURIOUS,
  SPURIOUS_GROUP1,
  IDLE_PRIORITY,
  cpuifAck,
  cpuifEoi,
  cpuifDir,
  cpuifHppi,
  cpuifRpr,
  cpuifUpdateLines,
  cpuifLines,
  cpuifSetGroupEnable,
  binaryPoint,
  groupPriority,
  highestActivePriority,
  highestPendingLr,
  hasPendingIrq,
} from './cpuif.js';
export {
  readIrqBits,
  writeSetEnable,
  writeClearEnable,
  writeSetPending,
  writeClearPending,
  writeActive,
  writeGroup,
  readPriority,
  writePriority,
  readConfig,
  writeConfig,
  setRoute,
  routeIrqUnlock,
  sendSgi,
  readSgiSources,
  writeSgiSources,
  distEnable,
  setDistEnable,
  type IrqBitField,
} from './mmio.js';
export {
  raz,
  wi,
  razWi,
  readOnly,
  groupRegister,
  setEnableRegister,
  clearEnableRegister,
  setPendingRegister,
  clearPendingRegister,
  setActiveRegister,
  clearActiveRegister,
  priorityRegister,
  configRegister,
  bitWord,
  itLinesNumber,
  arrayPlace,
  type IntidAt,
  type ArrayPlace,
} from './registers.js';
export { resetIrqState, resetCpuInterface, frameBase } from './reset.js';
export { irqState, vcpuState, type IrqState, type VcpuState } from './inspect.js';
export { checkInvariants, noLockHeld } from './invariants.js';
export type { TraceEvent, Tracer, LrView, MaintenanceReason, UnhandledAccess, UnhandledReason } from './trace.js';
export { lowestBit, popcount, u32, toU64, lo32, hi32 } from './bits.js';
export { editDistance, closestName } from './suggest.js';
export * from './scenario/index.js';
export * from './snapshot/index.js';
// The parts of running vCPUs on threads that work in any JavaScript runtime
// (a browser's Web Workers included). Starting Node worker threads, the
// stress run and the scaling measurement are in '@vgic/core/threads'.
export { ThreadControl, PHASE_RUN, PHASE_QUIESCE, PHASE_DRAIN, PHASE_STOP } from './threads/control.js';
export {
  GuestCpu,
  defaultCpuInterface,
  emptyCounters,
  isSpuriousIntid,
  type VcpuCounters,
} from './threads/guest-cpu.js';
export {
  resolveHostRegister,
  hostRead,
  hostWrite,
  hostRegisterRead,
  hostRegisterWrite,
  type HostRegister,
  type HostAccessOptions,
} from './threads/host-access.js';
export {
  runVcpu,
  releaseHeldLocks,
  type Guest,
  type GuestHandler,
  type GuestFactory,
  type RunVcpuOptions,
} from './threads/runner.js';
