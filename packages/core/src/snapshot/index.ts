/**
 * Save and restore of a whole GIC (migration): `saveMachine` writes a
 * versioned JSON document, `restoreMachine` checks one and puts it back,
 * `createFromSnapshot` builds a machine for one. `kvmDevice` is the same
 * state as a VMM reaches it through KVM's device attributes.
 */
export {
  GIC_SNAPSHOT_VERSION,
  GIC_SNAPSHOT_VERSIONS,
  gicSnapshotSchema,
  type LpiSnapshot,
  type GicSnapshot,
  type GicSnapshotVersionName,
  type IrqSnapshot,
  type VcpuSnapshot,
  type CpuInterfaceSnapshot,
  type JsonSchema,
} from './document.js';
export { saveMachine, quiesceMachine } from './save.js';
export { restoreMachine, createFromSnapshot, checkSnapshotDocument, parseRoute, type MachineFactory } from './restore.js';
export { formatRoute } from './save.js';
export {
  KvmVgicDevice,
  kvmDevice,
  KVM_DEV_ARM_VGIC_GRP_ADDR,
  KVM_DEV_ARM_VGIC_GRP_DIST_REGS,
  KVM_DEV_ARM_VGIC_GRP_CPU_REGS,
  KVM_DEV_ARM_VGIC_GRP_NR_IRQS,
  KVM_DEV_ARM_VGIC_GRP_CTRL,
  KVM_DEV_ARM_VGIC_GRP_REDIST_REGS,
  KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS,
  KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO,
  KVM_DEV_ARM_VGIC_CTRL_INIT,
  KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES,
  VGIC_LEVEL_INFO_LINE_LEVEL,
} from './kvm.js';
