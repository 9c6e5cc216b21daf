/**
 * Reading the architectural state of interrupts and vCPUs, for `check`
 * steps, the inspector and tests. For a running vCPU that includes what its
 * list registers hold: an interrupt the guest acknowledged is active before
 * the vCPU exits. Allocates freely: never on the hot path.
 */
import { apListSlots } from './aplist.js';
import { LINE_WORDS } from './cache-line.js';
import { cpuifLines, highestActivePriority } from './cpuif.js';
import { lrViews } from './flush.js';
import { isPending } from './oracle.js';
import type { LrView } from './trace.js';
import {
  APR_WORDS,
  CONFIG_EDGE,
  FOLD_ACTIVATE,
  FOLD_DEACTIVATE,
  FOLD_UNPEND,
  LR_ACTIVE,
  LR_PENDING,
  NONE,
  VCPU_RUNNING,
  type Vgic,
} from './vgic.js';

export interface IrqState {
  intid: number;
  /** The vCPU a private interrupt belongs to; null for an SPI. */
  vcpu: number | null;
  pending: boolean;
  active: boolean;
  enabled: boolean;
  priority: number;
  group: number;
  config: 'edge' | 'level';
  lineLevel: boolean;
  pendingLatch: boolean;
  /** The vCPU the routing names, or null. */
  target: number | null;
  /** The vCPU whose ap_list holds it, or null. */
  queued: number | null;
  /** The list register of `queued` that holds it while that vCPU runs, or null. */
  lr: number | null;
  hw: boolean;
  hostIntid: number | null;
  /** GICv2 SGIs: source vCPUs with this SGI pending. */
  sources: number[];
}

function nullable(x: number): number | null {
  return x === NONE ? null : x;
}

export function irqState(v: Vgic, slot: number): IrqState {
  let pending = isPending(v, slot);
  let active = v.active[slot] !== 0;
  const owner = v.apListVcpu[slot]!;
  const k = v.inLr[slot]!;
  const intid = v.intid[slot]!;
  let sources = v.sgiSrc[slot]!;
  if (k !== NONE && owner !== NONE && v.runState[owner * LINE_WORDS] === VCPU_RUNNING) {
    const lr = v.lrBase(owner) + k;
    const st = v.lrState[lr]!;
    const f = v.foldChanges[slot]!;
    let lrPending = (st & LR_PENDING) !== 0;
    let lrActive = (st & LR_ACTIVE) !== 0;
    if ((f & FOLD_UNPEND) !== 0) lrPending = false;
    if ((f & FOLD_DEACTIVATE) !== 0) lrActive = false;
    if ((f & FOLD_ACTIVATE) !== 0) lrActive = true;
    pending = pending || lrPending;
    active = lrActive;
    if (lrPending && v.sgiSources && intid < 16) sources |= 1 << v.lrSrc[lr]!;
  }
  const src: number[] = [];
  for (let s = 0; s < 8; s++) if (sources & (1 << s)) src.push(s);
  return {
    intid,
    vcpu: nullable(v.slotVcpu(slot)),
    pending,
    active,
    enabled: v.enabled[slot] !== 0,
    priority: v.priority[slot]!,
    group: v.group[slot]!,
    config: v.config[slot] === CONFIG_EDGE ? 'edge' : 'level',
    lineLevel: v.lineLevel[slot] !== 0,
    pendingLatch: v.pendingLatch[slot] !== 0,
    target: nullable(v.target[slot]!),
    queued: nullable(owner),
    lr: owner !== NONE && v.runState[owner * LINE_WORDS] === VCPU_RUNNING ? nullable(k) : null,
    hw: v.hw[slot] !== 0,
    hostIntid: v.hw[slot] !== 0 ? v.hostIntid[slot]! : null,
    sources: src,
  };
}

export interface VcpuState {
  vcpu: number;
  running: boolean;
  /** INTIDs on the ap_list, in list order. */
  apList: number[];
  lrs: LrView[];
  pmr: number;
  bpr0: number;
  bpr1: number;
  groupEnable: [boolean, boolean];
  eoiMode: number;
  cbpr: boolean;
  runningPriority: number;
  /** AP0R0..3 then AP1R0..3. */
  apr: number[];
  irqLine: boolean;
  fiqLine: boolean;
  kickPending: boolean;
  maintenancePending: boolean;
  underflowRequested: boolean;
}

export function vcpuState(v: Vgic, vcpu: number): VcpuState {
  cpuifLines(v, vcpu);
  return {
    vcpu,
    running: v.runState[vcpu * LINE_WORDS] === VCPU_RUNNING,
    apList: apListSlots(v, vcpu).map((s) => v.intid[s]!),
    lrs: lrViews(v, vcpu),
    pmr: v.pmr[vcpu]!,
    bpr0: v.bpr0[vcpu]!,
    bpr1: v.bpr1[vcpu]!,
    groupEnable: [v.grpEn0[vcpu] !== 0, v.grpEn1[vcpu] !== 0],
    eoiMode: v.eoiMode[vcpu]!,
    cbpr: v.cbpr[vcpu] !== 0,
    runningPriority: highestActivePriority(v, vcpu),
    apr: Array.from(v.apr.subarray(v.aprBase(vcpu), v.aprBase(vcpu) + APR_WORDS)),
    irqLine: v.irqLine[vcpu * LINE_WORDS] !== 0,
    fiqLine: v.fiqLine[vcpu * LINE_WORDS] !== 0,
    kickPending: v.kick[vcpu * LINE_WORDS] !== 0,
    maintenancePending: v.maintenancePending[vcpu] !== 0,
    underflowRequested: v.underflowRequested[vcpu] !== 0,
  };
}
