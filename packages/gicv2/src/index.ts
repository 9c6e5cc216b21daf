/**
 * @vgic/gicv2 — a GICv2 as Linux KVM presents it to a guest: the
 * distributor (GICD), the virtual CPU interface (GICC) over core's list
 * registers, ITARGETSR routing and GICv2's per-source SGIs, plugged into
 * @vgic/core's backend contract.
 *
 * @packageDocumentation
 */
export {
  createGicv2Backend,
  gicv2Bases,
  DEFAULT_GICD_BASE,
  DEFAULT_GICC_BASE,
  GICD_SIZE,
  GICC_SIZE,
  type Gicv2BackendOptions,
} from './backend.js';
export { createGicv2, attachGicv2, type Gicv2Options, type Gicv2Machine } from './machine.js';
export type { Gicv2Registers, Gicv2RegisterName } from './register-names.js';
export { encodeGichLr, decodeGichLr, packGichLr, type GichLrFields } from './lr.js';
export { gicv2Guest } from './guest.js';
export {
  GICD_IIDR_VALUE,
  GICD_ICPIDR2_VALUE,
  GICD_OFFSETS,
  type GicdRegister,
  type GicdArrayRegister,
} from './regs/gicd.js';
export { GICC_IIDR_VALUE, GICC_OFFSETS, type GiccRegister, type GiccArrayRegister } from './regs/gicc.js';
