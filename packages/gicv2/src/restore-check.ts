/**
 * What a saved GICv2 document may hold (`GicBackend.checkSnapshot`): only
 * what this GIC's registers can hold, so that a restored machine is one a
 * guest could have brought about. Core has checked the schema, the shape and
 * the rules every GIC shares; this adds GICv2's own.
 */
import { parseRoute, type GicSnapshot, type IrqSnapshot, type Vgic } from '@vgic/core';

function hex(x: number): string {
  return `0x${x.toString(16)}`;
}

/**
 * A private interrupt's ITARGETSR byte is its own vCPU's bit (ITARGETSR0-7
 * are read-only) and a PPI is level-triggered (ICFGR1 is read-only).
 */
function checkPrivate(irq: IrqSnapshot, vcpu: number, at: string): string | null {
  const [lo, hi] = parseRoute(irq.route);
  if (lo !== 1 << vcpu || hi !== 0) {
    return `${at}.route is ${irq.route}; a private interrupt targets its own vCPU (ITARGETSR0-7 are read-only: ${hex(1 << vcpu)})`;
  }
  if (irq.intid >= 16 && irq.config !== 'level') return `${at}: PPIs are level-triggered on this GIC (GICD_ICFGR1 is read-only)`;
  return null;
}

/** An SPI's ITARGETSR byte names only vCPUs this machine has (the other bits are RAZ/WI). */
function checkSpi(v: Vgic, irq: IrqSnapshot, at: string): string | null {
  const [lo, hi] = parseRoute(irq.route);
  const mask = (1 << v.nrVcpus) - 1;
  if (hi !== 0 || (lo & ~mask) !== 0) {
    return `${at}.route is ${irq.route}; its ITARGETSR byte may name only vCPUs 0..${v.nrVcpus - 1} (bits ${hex(mask)})`;
  }
  return null;
}

export function checkGicv2Snapshot(v: Vgic, doc: GicSnapshot): string | null {
  // GICD_CTLR.Enable forwards both groups, or neither.
  const enable = doc.distributor.enable;
  if (enable !== 0 && enable !== 3) return `distributor.enable is ${enable}; GICv2's GICD_CTLR.Enable forwards both groups or none (0 or 3)`;
  if (doc.distributor.words.some((w) => w !== 0)) return 'distributor.words: GICv2 keeps no distributor words of its own; they are all 0';
  for (let k = 0; k < doc.vcpus.length; k++) {
    const c = doc.vcpus[k]!;
    if (c.words.some((w) => w !== 0)) return `vcpus[${k}].words: GICv2 keeps no per-vCPU words of its own; they are all 0`;
    for (let i = 0; i < c.private.length; i++) {
      const problem = checkPrivate(c.private[i]!, k, `vcpus[${k}].private[${i}]`);
      if (problem !== null) return problem;
    }
  }
  for (let n = 0; n < doc.spis.length; n++) {
    const problem = checkSpi(v, doc.spis[n]!, `spis[${n}]`);
    if (problem !== null) return problem;
  }
  return null;
}
