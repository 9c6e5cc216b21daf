/**
 * vCPU affinities as a GIC with redistributors reports them: GICR_TYPER[63:32]
 * of each vCPU's redistributor (Aff3.Aff2.Aff1.Aff0, a byte each). The core
 * keeps no affinities of its own; GICv3 routing words and KVM's attribute
 * encoding name vCPUs by them.
 */
import type { Machine } from '../machine.js';

/** Each vCPU's packed affinity, or null for a GIC without redistributors. */
export function machineAffinities(m: Machine): number[] | null {
  const gicr = m.backend.frames.find((f) => f.name === 'GICR' && f.perVcpu);
  const typer = gicr?.registers.find((r) => r.name === 'GICR_TYPER');
  if (typer === undefined) return null;
  const out: number[] = [];
  for (let k = 0; k < m.vgic.nrVcpus; k++) out.push(typer.read(m.vgic, k, typer.offset + 4, 32) >>> 0);
  return out;
}

/** A packed affinity as an MPIDR_EL1 value (Aff3 in 39:32), `0x` and 16 hex digits. */
export function formatMpidr(packed: number): string {
  const hi = packed >>> 24;
  const lo = packed & 0xff_ffff;
  return `0x${hi.toString(16).padStart(8, '0')}${lo.toString(16).padStart(8, '0')}`;
}
