/**
 * What a saved GICv3 document may hold (`GicBackend.checkSnapshot`): only
 * what this GIC's registers can hold, so that a restored machine is one a
 * guest could have brought about. Core has checked the schema, the shape
 * (the affinities among it) and the rules every GIC shares; this adds
 * GICv3's own.
 */
import { parseRoute, type GicSnapshot, type IrqSnapshot, type Vgic } from '@vgic/core';
import { formatAffinity, type Topology } from './affinity.js';
import { checkLpiDistWords, checkLpiVcpuWords } from './regs/lpi.js';
import { IROUTER_HI_MASK, IROUTER_LO_MASK } from './routing.js';

/**
 * A private interrupt's routing word records its own vCPU's affinity (no
 * register writes it) and a PPI is level-triggered (GICR_ICFGR1 is
 * read-only).
 */
function checkPrivate(t: Topology, irq: IrqSnapshot, vcpu: number, at: string): string | null {
  const [lo, hi] = parseRoute(irq.route);
  const aff = t.affinity[vcpu]!;
  if (lo !== (aff & 0xff_ffff) || hi !== aff >>> 24) {
    return `${at}.route is ${irq.route}; a private interrupt's routing word is its own vCPU's affinity (${formatAffinity(aff)})`;
  }
  if (irq.intid >= 16 && irq.config !== 'level') return `${at}: PPIs are level-triggered on this GIC (GICR_ICFGR1 is read-only)`;
  return null;
}

/** An SPI's IROUTER holds Aff3..Aff0 and IRM; bits 63:40 and 30:24 are RES0, and a write never sets them. */
function checkSpi(irq: IrqSnapshot, at: string): string | null {
  const [lo, hi] = parseRoute(irq.route);
  if ((lo & ~IROUTER_LO_MASK) !== 0 || (hi & ~IROUTER_HI_MASK) !== 0) {
    return `${at}.route is ${irq.route}; GICD_IROUTER's bits 63:40 and 30:24 are reserved and read as 0`;
  }
  return null;
}

export function checkGicv3Snapshot(v: Vgic, t: Topology, doc: GicSnapshot): string | null {
  const distProblem = checkLpiDistWords(v, doc.distributor.words);
  if (distProblem !== null) return `distributor.words: ${distProblem}`;
  for (let k = 0; k < doc.vcpus.length; k++) {
    const c = doc.vcpus[k]!;
    const vcpuProblem = checkLpiVcpuWords(v, c.words);
    if (vcpuProblem !== null) return `vcpus[${k}].words: ${vcpuProblem}`;
    // The system-register CPU interface has no AckCtl, and signals group 0 as FIQ (FIQEn is RES1).
    if (c.cpuInterface.ackCtl) return `vcpus[${k}].cpuInterface.ackCtl: GICv3's CPU interface has no AckCtl; it must be false`;
    if (!c.cpuInterface.fiqEn) return `vcpus[${k}].cpuInterface.fiqEn: GICv3 signals group 0 as FIQ (FIQEn is RES1); it must be true`;
    for (let i = 0; i < c.private.length; i++) {
      const problem = checkPrivate(t, c.private[i]!, k, `vcpus[${k}].private[${i}]`);
      if (problem !== null) return problem;
    }
  }
  for (let n = 0; n < doc.spis.length; n++) {
    const problem = checkSpi(doc.spis[n]!, `spis[${n}]`);
    if (problem !== null) return problem;
  }
  return null;
}
