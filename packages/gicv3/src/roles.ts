/**
 * The GICv3's registers by what they do, for core's optional capabilities:
 * the Group-1 system-register interface a guest's handler uses, with SGIs by
 * ICC_SGI1R_EL1 (`guestCpu`), and the distributor registers a thread that
 * runs no vCPU programs, with IROUTER as the routing register
 * (`distributor`).
 */
import type { DistributorRegisters, GuestCpuInterface, Vgic } from '@vgic/core';
import type { Topology } from './affinity.js';
import { IROUTER_IRM } from './routing.js';

/**
 * ICC_SGI1R_EL1 for one target: TargetList bit Aff0 % 16 [15:0], Aff1
 * [23:16], INTID [27:24], Aff2 [39:32], RS = Aff0 / 16 [47:44], Aff3 [55:48].
 */
export function sgi1rValue(affinity: number, intid: number): bigint {
  const aff0 = affinity & 0xff;
  const lo = ((1 << (aff0 & 15)) | (((affinity >>> 8) & 0xff) << 16) | ((intid & 0xf) << 24)) >>> 0;
  const hi = (((affinity >>> 16) & 0xff) | ((aff0 >> 4) << 12) | (((affinity >>> 24) & 0xff) << 16)) >>> 0;
  return (BigInt(hi) << 32n) | BigInt(lo);
}

export function gicv3GuestCpu(topo: (v: Vgic) => Topology): GuestCpuInterface {
  return Object.freeze({
    iar: 'ICC_IAR1_EL1',
    eoir: 'ICC_EOIR1_EL1',
    dir: 'ICC_DIR_EL1',
    sgi: 'ICC_SGI1R_EL1',
    sgiValue: (v: Vgic, target: number, intid: number) => sgi1rValue(topo(v).affinity[target]!, intid),
  });
}

/** IROUTER naming one affinity: Aff2.Aff1.Aff0 in the low word, Aff3 in the high one. */
function irouterValue(affinity: number): number | bigint {
  const aff3 = affinity >>> 24;
  const low = affinity & 0xff_ffff;
  return aff3 === 0 ? low : (BigInt(aff3) << 32n) | BigInt(low);
}

export function gicv3Distributor(topo: (v: Vgic) => Topology): DistributorRegisters {
  return Object.freeze({
    control: 'GICD_CTLR',
    enableSet: (intid: number) => `GICD_ISENABLER${intid >> 5}`,
    enableClear: (intid: number) => `GICD_ICENABLER${intid >> 5}`,
    group: (intid: number) => `GICD_IGROUPR${intid >> 5}`,
    route: (intid: number) => ({ name: `GICD_IROUTER${intid}` }),
    routeValue: (v: Vgic, vcpu: number) => irouterValue(topo(v).affinity[vcpu]!),
    routeHalves: Object.freeze({
      low: (v: Vgic, vcpu: number, anyOf: boolean) => ((topo(v).affinity[vcpu]! & 0xff_ffff) | (anyOf ? IROUTER_IRM : 0)) >>> 0,
      // Aff3 0: the vCPUs of a machine with the default affinities; Aff3 1: none of them.
      highToVcpu: 0,
      highNowhere: 1,
    }),
  });
}
