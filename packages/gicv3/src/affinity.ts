/**
 * vCPU affinities (MPIDR_EL1.Aff3..Aff0) and the lookup from an affinity to
 * the vCPU that has it.
 *
 * An affinity is kept packed in 32 bits, Aff3.Aff2.Aff1.Aff0 from the top
 * byte down — the layout of GICR_TYPER[63:32]. IROUTER and ICC_SGI1R_EL1
 * name a target by affinity; the lookup is a `Map` built once per machine,
 * so its cost does not grow with the vCPU count (KVM walks every vCPU).
 */
import { VgicError, describeValue, type Vgic } from '@vgic/core';

/** vCPU k's affinity as KVM's reset_mpidr gives it: 16 vCPUs per Aff0 cluster. */
export function defaultAffinity(k: number): number {
  return packAffinity(0, (k >> 12) & 0xff, (k >> 4) & 0xff, k & 0xf);
}

export function packAffinity(aff3: number, aff2: number, aff1: number, aff0: number): number {
  return (((aff3 & 0xff) << 24) | ((aff2 & 0xff) << 16) | ((aff1 & 0xff) << 8) | (aff0 & 0xff)) >>> 0;
}

/** `aff3.aff2.aff1.aff0`, as the architecture writes an affinity. */
export function formatAffinity(packed: number): string {
  return `${packed >>> 24}.${(packed >>> 16) & 0xff}.${(packed >>> 8) & 0xff}.${packed & 0xff}`;
}

/**
 * MPIDR_EL1 bits a caller may pass besides the affinity fields: RES1 (31),
 * U (30) and MT (24) say nothing about which vCPU this is, and are ignored.
 */
const MPIDR_IGNORED = (1n << 31n) | (1n << 30n) | (1n << 24n);
const MPIDR_AFFINITY = 0xff_00ff_ffffn;

/**
 * One MPIDR value (number or bigint) as a packed affinity. Throws
 * INVALID_CONFIG for a value that is not an MPIDR: negative, fractional, or
 * with bits set outside Aff3..Aff0 and the three ignored ones.
 */
export function affinityFromMpidr(value: unknown, index: number): number {
  let big: bigint;
  if (typeof value === 'bigint') {
    big = value;
  } else if (Number.isSafeInteger(value)) {
    big = BigInt(value as number);
  } else {
    throw new VgicError('INVALID_CONFIG', `mpidr[${index}] must be an integer (number or bigint); got ${describeValue(value)}`);
  }
  if (big < 0n || (big & ~(MPIDR_AFFINITY | MPIDR_IGNORED)) !== 0n) {
    throw new VgicError(
      'INVALID_CONFIG',
      `mpidr[${index}] = 0x${big.toString(16)} has bits outside the affinity fields; ` +
        'an MPIDR holds Aff0 in 7:0, Aff1 in 15:8, Aff2 in 23:16 and Aff3 in 39:32',
    );
  }
  const lo = Number(big & 0xff_ffffn);
  const aff3 = Number((big >> 32n) & 0xffn);
  return ((aff3 << 24) | lo) >>> 0;
}

/** The elements of an array the caller gave, each read once; INVALID_CONFIG for anything else, or more than `max`. */
function readList(list: unknown, max: number): unknown[] {
  let ok = false;
  try {
    ok = Array.isArray(list);
  } catch {
    ok = false;
  }
  if (!ok) throw new VgicError('INVALID_CONFIG', `mpidr must be an array with one MPIDR per vCPU; got ${describeValue(list)}`);
  try {
    const n = (list as unknown[]).length;
    if (n > max) throw new VgicError('INVALID_CONFIG', `mpidr lists ${n} affinities; a GICv3 has at most ${max} vCPUs`);
    const out: unknown[] = [];
    for (let k = 0; k < n; k++) out.push((list as unknown[])[k]);
    return out;
  } catch (e) {
    if (e instanceof VgicError) throw e;
    throw new VgicError('INVALID_CONFIG', 'mpidr cannot be read (an element or its length could not be read)');
  }
}

/**
 * Check a list of MPIDRs (values and uniqueness) and pack them. The count is
 * checked against the machine later, when the backend meets it.
 */
export function parseMpidrs(mpidrs: unknown, max: number = Infinity): Uint32Array {
  const list = readList(mpidrs, max);
  const out = new Uint32Array(list.length);
  const seen = new Map<number, number>();
  list.forEach((value, k) => {
    const aff = affinityFromMpidr(value, k);
    const other = seen.get(aff);
    if (other !== undefined) {
      throw new VgicError('INVALID_CONFIG', `mpidr[${k}] and mpidr[${other}] are both ${formatAffinity(aff)}; each vCPU needs its own affinity`);
    }
    seen.set(aff, k);
    out[k] = aff;
  });
  return out;
}

/** One machine's affinities: per vCPU, and the reverse lookup. */
export interface Topology {
  readonly nrVcpus: number;
  /** vCPU k's packed affinity. */
  readonly affinity: Uint32Array;
  /** Packed affinity (as a signed 32-bit key) to vCPU. */
  readonly byAffinity: Map<number, number>;
}

export function buildTopology(nrVcpus: number, given: Uint32Array | null): Topology {
  if (given !== null && given.length !== nrVcpus) {
    throw new VgicError('INVALID_CONFIG', `mpidr lists ${given.length} affinities for ${nrVcpus} vCPUs; give exactly one per vCPU`);
  }
  const affinity = new Uint32Array(nrVcpus);
  const byAffinity = new Map<number, number>();
  for (let k = 0; k < nrVcpus; k++) {
    const aff = given !== null ? given[k]! : defaultAffinity(k);
    affinity[k] = aff;
    byAffinity.set(aff | 0, k);
  }
  return { nrVcpus, affinity, byAffinity };
}

/** The vCPU with affinity `packed`, or -1 (NONE). */
export function vcpuByAffinity(t: Topology, packed: number): number {
  return t.byAffinity.get(packed | 0) ?? -1;
}

/**
 * Topologies per machine state. A backend value is normally attached to one
 * machine, but nothing forbids building two machines from one backend (or
 * opening the same buffer twice): each `Vgic` gets its own table, and the
 * last one used is cached so the lookup is one comparison.
 */
export class TopologyRegistry {
  private readonly tables = new WeakMap<Vgic, Topology>();
  private lastVgic: Vgic | null = null;
  private lastTable: Topology | null = null;

  constructor(private readonly given: Uint32Array | null) {}

  attach(v: Vgic): Topology {
    const t = buildTopology(v.nrVcpus, this.given);
    this.tables.set(v, t);
    this.lastVgic = v;
    this.lastTable = t;
    return t;
  }

  of(v: Vgic): Topology {
    if (v === this.lastVgic) return this.lastTable!;
    const t = this.tables.get(v) ?? this.attach(v);
    this.lastVgic = v;
    this.lastTable = t;
    return t;
  }
}
