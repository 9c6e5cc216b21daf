/**
 * @vgic/gicv3 — a GICv3 as Linux KVM presents it to a guest (one security
 * state, affinity routing always on, the CPU interface as ICC_*_EL1 system
 * registers), plugged into @vgic/core, plus what KVM leaves out: Aff3
 * routing, 1-of-N (IRM = 1) routing, the SGI range selector, delivery on
 * reroute, and a distributor Group-0 enable.
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
