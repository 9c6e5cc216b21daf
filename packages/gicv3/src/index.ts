/**
 * @vgic/gicv3 — a GICv3 as Linux KVM presents it to a guest (one security
 * state, affinity routing always on, the CPU interface as ICC_*_EL1 system
 * registers), plugged into @vgic/core, plus what KVM leaves out: Aff3
 * routing, 1-of-N (IRM = 1) routing, the SGI range selector, delivery on
 * reroute, and a distributor Group-0 enable. With `its`, an ITS as KVM's
 * vgic-its.c: MSIs translated into LPIs through tables the guest's
 * commands build, save and restore in KVM's ITS table ABI.
 *
 * @packageDocumentation
 */
export {
  createGicv3Backend,
  DEFAULT_GICD_BASE,
  DEFAULT_GICR_BASE,
  type Gicv3BackendOptions,
} from './backend.js';
export { createGicv3, attachGicv3, type Gicv3Options, type Gicv3Machine } from './machine.js';
export type { Gicv3Registers, Gicv3RegisterName, Gicv3WideMmioName } from './register-names.js';
export { defaultAffinity, formatAffinity, packAffinity } from './affinity.js';
export { IROUTER_IRM, oneOfN } from './routing.js';
export { encodeIchLr, type IchLrFields } from './lr.js';
export {
  GICD_CTLR_ARE,
  GICD_CTLR_DS,
  GICD_CTLR_ENABLE_GRP0,
  GICD_CTLR_ENABLE_GRP1,
  GICD_IIDR_VALUE,
  GICD_OFFSETS,
  GICD_SIZE,
  GICD_TYPER_A3V,
  GICD_TYPER_RSS,
  type GicdRegister,
  type GicdArrayRegister,
  type GicdRegisterName,
} from './regs/gicd.js';
export {
  GICR_CTLR_CES,
  GICR_CTLR_IR,
  GICR_CTLR_VALUE,
  GICR_IIDR_VALUE,
  GICR_OFFSETS,
  GICR_SGI_BASE,
  GICR_SIZE,
  GICR_TYPER_LAST,
  type GicrRegister,
  type GicrArrayRegister,
  type GicrRegisterName,
} from './regs/gicr.js';
export {
  ICC_AP0R0_EL1,
  ICC_AP0R1_EL1,
  ICC_AP0R2_EL1,
  ICC_AP0R3_EL1,
  ICC_AP1R0_EL1,
  ICC_AP1R1_EL1,
  ICC_AP1R2_EL1,
  ICC_AP1R3_EL1,
  ICC_ASGI1R_EL1,
  ICC_BPR0_EL1,
  ICC_BPR1_EL1,
  ICC_CTLR_A3V,
  ICC_CTLR_CBPR,
  ICC_CTLR_EL1,
  ICC_CTLR_EOIMODE,
  ICC_CTLR_RSS,
  ICC_DIR_EL1,
  ICC_ENCODINGS,
  ICC_EOIR0_EL1,
  ICC_EOIR1_EL1,
  ICC_HPPIR0_EL1,
  ICC_HPPIR1_EL1,
  ICC_IAR0_EL1,
  ICC_IAR1_EL1,
  ICC_IGRPEN0_EL1,
  ICC_IGRPEN1_EL1,
  ICC_KEYS,
  ICC_PMR_EL1,
  ICC_RPR_EL1,
  ICC_SGI0R_EL1,
  ICC_SGI1R_EL1,
  ICC_SRE_EL1,
  ICC_SRE_VALUE,
  type IccRegisterName,
} from './regs/icc.js';
export { gicv3Guest } from './guest.js';
export { gicv3LpiLayout, type Gicv3LpiLayout, type RamArea } from './lpi-guest.js';
export { DEFAULT_ITS_LPIS } from './machine.js';
export { DEFAULT_GITS_BASE, type ItsOptions } from './its/options.js';
export {
  ITS_CMD,
  ITS_CMD_BYTES,
  ITS_COMMAND_FIELDS,
  decodeItsCommand,
  encodeItsCommand,
  type ItsCommand,
  type ItsCommandField,
  type ItsCommandName,
} from './its/command.js';
export {
  itsState,
  itsTranslaterWrite,
  queueItsCommand,
  setItsDebug,
  type ItsCollectionState,
  type ItsDeviceState,
  type ItsState,
  type ItsTranslationState,
} from './its/api.js';
export { ITS_DEBUG_NO_CACHE_INVALIDATION } from './its/cache.js';
export {
  GITS_CTLR_ENABLED,
  GITS_CTLR_QUIESCENT,
  GITS_IIDR_VALUE,
  GITS_OFFSETS,
  GITS_SIZE,
  GITS_TRANSLATER_OFFSET,
  GITS_TYPER_VALUE,
  type GitsRegister,
  type GitsRegisterName,
  type GitsWideName,
} from './its/frame.js';
export {
  KvmItsDevice,
  kvmItsDevice,
  KVM_DEV_ARM_ITS_CTRL_RESET,
  KVM_DEV_ARM_ITS_RESTORE_TABLES,
  KVM_DEV_ARM_ITS_SAVE_TABLES,
  KVM_DEV_ARM_VGIC_GRP_ITS_REGS,
  KVM_VGIC_ITS_ADDR_TYPE,
} from './its/kvm-device.js';
