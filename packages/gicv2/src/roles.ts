/**
 * The GICv2's registers by what they do, for core's optional capabilities:
 * the memory-mapped CPU interface a guest's handler uses, with SGIs by
 * GICD_SGIR (`guestCpu`), and the distributor registers a thread that runs
 * no vCPU programs, with each SPI's ITARGETSR byte as its routing register
 * (`distributor`).
 */
import type { DistributorRegisters, GuestCpuInterface, Vgic } from '@vgic/core';

/** GICD_SGIR for one target: TargetListFilter 0, CPUTargetList [23:16] (vCPUs 0..7), INTID [3:0]. */
export function sgirValue(target: number, intid: number): number {
  return ((target < 8 ? 1 << (16 + target) : 0) | (intid & 0xf)) >>> 0;
}

export const gicv2GuestCpu: GuestCpuInterface = Object.freeze({
  iar: 'GICC_IAR',
  eoir: 'GICC_EOIR',
  dir: 'GICC_DIR',
  sgi: 'GICD_SGIR',
  sgiValue: (_v: Vgic, target: number, intid: number) => BigInt(sgirValue(target, intid)),
});

export const gicv2Distributor: DistributorRegisters = Object.freeze({
  control: 'GICD_CTLR',
  enableSet: (intid: number) => `GICD_ISENABLER${intid >> 5}`,
  enableClear: (intid: number) => `GICD_ICENABLER${intid >> 5}`,
  group: (intid: number) => `GICD_IGROUPR${intid >> 5}`,
  route: (intid: number) => ({ name: `GICD_ITARGETSR${intid >> 2}`, width: 8 as const, byteOffset: intid & 3 }),
  routeValue: (_v: Vgic, vcpu: number) => (1 << vcpu) & 0xff,
  routeMask: (_v: Vgic, mask: number) => mask & 0xff,
});
