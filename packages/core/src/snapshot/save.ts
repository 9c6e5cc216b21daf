/**
 * Saving a machine's GIC, as a VMM does before migration: stop every vCPU,
 * then read the state out.
 *
 * Call it when no other thread is inside the engine (threaded runners: after
 * the workers have stopped their vCPUs).
 */
import { describeValue } from '../args.js';
import { LINE_WORDS } from '../cache-line.js';
import { VgicError } from '../errors.js';
import { Machine } from '../machine.js';
import { rethrowCallbackError } from '../notify.js';
import { pruneApList, syncHwState } from '../sync.js';
import { APR_WORDS, CONFIG_EDGE, CTL_DIST_ENABLE, DIST_WORDS, NONE, VCPU_RUNNING, VCPU_WORDS, type Vgic } from '../vgic.js';
import { formatMpidr, machineAffinities } from './affinity.js';
import type { CpuInterfaceSnapshot, GicSnapshot, IrqSnapshot, LpiSnapshot, VcpuSnapshot } from './document.js';

/** A 64-bit word from two 32-bit halves, as the document writes it: `0x` and 16 hex digits. */
export function formatRoute(lo: number, hi: number): string {
  return `0x${(hi >>> 0).toString(16).padStart(8, '0')}${(lo >>> 0).toString(16).padStart(8, '0')}`;
}

function saveIrq(v: Vgic, slot: number): IrqSnapshot {
  v.lockIrq(slot);
  const intid = v.intid[slot]!;
  const active = v.active[slot] !== 0;
  const owner = v.apListVcpu[slot]!;
  const irq: IrqSnapshot = {
    intid,
    enabled: v.enabled[slot] !== 0,
    pendingLatch: v.pendingLatch[slot] !== 0,
    lineLevel: v.lineLevel[slot] !== 0,
    active,
    activeOn: active && owner !== NONE ? owner : null,
    group: v.group[slot]!,
    priority: v.priority[slot]!,
    config: v.config[slot] === CONFIG_EDGE ? 'edge' : 'level',
    route: formatRoute(v.route[slot * 2]!, v.route[slot * 2 + 1]!),
    hostIntid: v.hw[slot] !== 0 ? v.hostIntid[slot]! : null,
  };
  if (v.sgiSources && intid < 16) {
    irq.sources = v.sgiSrc[slot]!;
    irq.activeSource = v.activeSrc[slot]!;
  }
  v.unlockIrq(slot);
  return irq;
}

function saveCpuInterface(v: Vgic, k: number): CpuInterfaceSnapshot {
  const apr = Array.from(v.apr.subarray(v.aprBase(k), v.aprBase(k) + APR_WORDS));
  return {
    pmr: v.pmr[k]!,
    bpr0: v.bpr0[k]!,
    bpr1: v.bpr1[k]!,
    enableGrp0: v.grpEn0[k] !== 0,
    enableGrp1: v.grpEn1[k] !== 0,
    eoiMode: v.eoiMode[k]!,
    cbpr: v.cbpr[k] !== 0,
    ackCtl: v.ackCtl[k] !== 0,
    fiqEn: v.fiqEn[k] !== 0,
    ap0r: apr.slice(0, 4),
    ap1r: apr.slice(4, 8),
  };
}

/**
 * Bring the machine to the state a save records: every running vCPU exits
 * (its list registers are folded back into the interrupts), and every
 * ap_list is pruned, so that each queued interrupt sits where the target
 * oracle puts it. After this the ap_lists are derived from the interrupt
 * state alone, which is why the document need not hold them.
 */
export function quiesceMachine(m: Machine): void {
  if (!Machine.isMachine(m)) throw new VgicError('INVALID_ARGUMENT', `quiesceMachine takes a machine; got ${describeValue(m)}`);
  const v = m.vgic;
  for (let k = 0; k < v.nrVcpus; k++) if (v.runState[k * LINE_WORDS] === VCPU_RUNNING) syncHwState(v, k);
  for (let k = 0; k < v.nrVcpus; k++) pruneApList(v, k);
  rethrowCallbackError(v);
}

/**
 * Save the whole GIC of `m` as a JSON document (see `GicSnapshot`). First
 * `quiesceMachine`: every running vCPU exits, as a VMM stops its vCPUs before
 * saving, and the ap_lists settle; nothing else changes. The result is plain
 * data: `JSON.stringify` it as it is.
 */
export function saveMachine(m: Machine): GicSnapshot {
  quiesceMachine(m);
  const v = m.vgic;
  const vcpus: VcpuSnapshot[] = [];
  for (let k = 0; k < v.nrVcpus; k++) {
    const priv: IrqSnapshot[] = [];
    for (let i = 0; i < 32; i++) priv.push(saveIrq(v, k * 32 + i));
    vcpus.push({
      vcpu: k,
      words: Array.from(v.vcpuWords.subarray(k * VCPU_WORDS, (k + 1) * VCPU_WORDS)),
      cpuInterface: saveCpuInterface(v, k),
      private: priv,
    });
  }
  const spis: IrqSnapshot[] = [];
  for (let n = 0; n < v.nrSpis; n++) spis.push(saveIrq(v, v.nrVcpus * 32 + n));
  const affinities = machineAffinities(m);
  // Version 2 only when there is something only it can hold: a machine
  // without LPIs or backend state saves the version-1 document it always did.
  const extra = m.backend.snapshotState;
  const v2 = v.nrLpis !== 0 || extra !== undefined;
  const backendPart = extra?.save(v);
  return {
    version: v2 ? 2 : 1,
    gic: m.version,
    shape: {
      vcpus: v.nrVcpus,
      spis: v.nrSpis,
      lrs: v.nrLrs,
      ...(affinities !== null && { mpidr: affinities.map(formatMpidr) }),
      ...(v2 && { lpis: v.nrLpis }),
    },
    distributor: {
      enable: Atomics.load(v.header, CTL_DIST_ENABLE),
      words: Array.from(v.dist.subarray(0, DIST_WORDS)),
    },
    vcpus,
    spis,
    ...(v2 && { lpis: saveLpis(v) }),
    ...(backendPart !== undefined && { backend: backendPart }),
  };
}

/** The mapped LPIs, in INTID order (the map is INTID-indexed). */
function saveLpis(v: Vgic): LpiSnapshot[] {
  const out: LpiSnapshot[] = [];
  for (let i = 0; i < v.lpiMap.length; i++) {
    const slot = v.lpiMap[i]! - 1;
    if (slot === NONE) continue;
    v.lockIrq(slot);
    const active = v.active[slot] !== 0;
    const owner = v.apListVcpu[slot]!;
    const target = v.target[slot]!;
    out.push({
      intid: v.intid[slot]!,
      enabled: v.enabled[slot] !== 0,
      pendingLatch: v.pendingLatch[slot] !== 0,
      active,
      activeOn: active && owner !== NONE ? owner : null,
      priority: v.priority[slot]!,
      target: target === NONE ? null : target,
      refs: v.lpiRefs[slot - v.lpiBase]!,
    });
    v.unlockIrq(slot);
  }
  return out;
}
