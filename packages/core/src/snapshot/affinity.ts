/**
 * vCPU affinities, for a GIC that names vCPUs by them (the backend's
 * `vcpuAffinity` capability): Aff3.Aff2.Aff1.Aff0, a byte each. The core
 * keeps no affinities of its own; saved documents and KVM's attribute
 * encoding name vCPUs by them.
 */
import type { Machine } from '../machine.js';

/** Each vCPU's packed affinity, or null for a GIC that declares none. */
export function machineAffinities(m: Machine): number[] | null {
  const b = m.backend;
  if (b.vcpuAffinity === undefined) return null;
  const out: number[] = [];
  for (let k = 0; k < m.vgic.nrVcpus; k++) out.push(b.vcpuAffinity(m.vgic, k) >>> 0);
  return out;
}

/** A packed affinity as a 64-bit affinity register value (Aff3 in 39:32), `0x` and 16 hex digits. */
export function formatMpidr(packed: number): string {
  const hi = packed >>> 24;
  const lo = packed & 0xff_ffff;
  return `0x${hi.toString(16).padStart(8, '0')}${lo.toString(16).padStart(8, '0')}`;
}
