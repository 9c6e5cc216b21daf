/**
 * "What changed" in a step: a reader's view of the architectural state
 * (each interrupt, each vCPU, the distributor's enables), taken before and
 * after, and the difference as short phrases:
 *
 *   INTID 40: +pending, queued vCPU0
 *   vCPU0: entered, LRs [40 P 0xa0], IRQ up
 *
 * Allocates freely: used by the scenario runner and the CLI, never on a hot path.
 * `ChangeTracker` gives the same phrases step after step at the cost of what
 * each step touched, not of the whole machine.
 */
import { distEnable } from '../mmio.js';
import { irqState, vcpuState, type IrqState, type VcpuState } from '../inspect.js';
import type { Machine } from '../machine.js';
import type { LrView } from '../trace.js';
import { VCPU_WORDS, VGIC_STATE_ARRAYS, type Vgic } from '../vgic.js';
import { ByteDiff } from './byte-diff.js';

export interface StateView {
  dist: number;
  irqs: IrqState[];
  vcpus: VcpuState[];
}

/** The machine's state as a reader sees it. */
export function stateView(m: Machine): StateView {
  const v = m.vgic;
  const irqs: IrqState[] = [];
  for (let s = 0; s < v.nrSlots; s++) irqs.push(irqState(v, s));
  const vcpus: VcpuState[] = [];
  for (let k = 0; k < v.nrVcpus; k++) vcpus.push(vcpuState(v, k));
  return { dist: distEnable(v), irqs, vcpus };
}

export function hex(x: number | bigint): string {
  return `0x${x.toString(16)}`;
}

/** A list register in a few characters: `40 P 0xa0`, `27 A hw`, `1 P src1`. */
export function lrText(lr: LrView): string {
  const st = (lr.state & 1 ? 'P' : '') + (lr.state & 2 ? 'A' : '') || 'inactive';
  let s = `${lr.intid} ${st} ${hex(lr.priority)}`;
  if (lr.group === 0) s += ' g0';
  if (lr.hw) s += ` hw${lr.hostIntid}`;
  if (lr.intid < 16 && lr.source !== 0) s += ` src${lr.source}`;
  return s;
}

/** The active-priority registers that hold a bit: `AP1R0 0x100000`, or `APRs clear`. */
function aprText(apr: readonly number[]): string {
  const set = apr.flatMap((w, i) => (w === 0 ? [] : [`AP${i < 4 ? 0 : 1}R${i % 4} ${hex(w >>> 0)}`]));
  return set.length === 0 ? 'APRs clear' : set.join(', ');
}

function vcpuName(x: number | null): string {
  return x === null ? 'none' : `vCPU${x}`;
}

function flag(name: string, on: boolean): string {
  return `${on ? '+' : '-'}${name}`;
}

/** An interrupt's name in a report: `INTID 40`, `INTID 27 of vCPU1`. */
export function irqName(st: IrqState): string {
  return st.vcpu === null ? `INTID ${st.intid}` : `INTID ${st.intid} of vCPU${st.vcpu}`;
}

export function diffIrq(a: IrqState, b: IrqState): string[] {
  const out: string[] = [];
  if (a.pending !== b.pending) out.push(flag('pending', b.pending));
  if (a.active !== b.active) out.push(flag('active', b.active));
  if (a.enabled !== b.enabled) out.push(flag('enabled', b.enabled));
  if (a.priority !== b.priority) out.push(`priority ${hex(a.priority)}→${hex(b.priority)}`);
  if (a.group !== b.group) out.push(`group ${b.group}`);
  if (a.config !== b.config) out.push(b.config);
  if (a.lineLevel !== b.lineLevel) out.push(`line ${b.lineLevel ? 'high' : 'low'}`);
  if (a.target !== b.target) out.push(`target ${vcpuName(b.target)}`);
  if (a.queued !== b.queued) out.push(b.queued === null ? `off vCPU${a.queued}'s ap_list` : `queued ${vcpuName(b.queued)}`);
  if (a.hw !== b.hw || a.hostIntid !== b.hostIntid) out.push(b.hw ? `hw → host ${b.hostIntid}` : 'not hw');
  if (!sameNumbers(a.sources, b.sources)) out.push(`sources [${b.sources.join(', ')}]`);
  return out;
}

function sameNumbers(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function sameLr(a: LrView, b: LrView): boolean {
  return a.intid === b.intid && a.state === b.state && a.priority === b.priority && a.group === b.group && a.hw === b.hw && a.hostIntid === b.hostIntid && a.source === b.source;
}

export function diffVcpu(a: VcpuState, b: VcpuState): string[] {
  const out: string[] = [];
  if (a.running !== b.running) out.push(b.running ? 'entered' : 'exited');
  if (!sameNumbers(a.apList, b.apList)) out.push(`ap_list [${b.apList.join(', ')}]`);
  // Two lists of LRs differ when their text does (lrText shows these fields, and only these).
  if (a.lrs.length !== b.lrs.length || a.lrs.some((lr, i) => !sameLr(lr, b.lrs[i]!))) {
    const la = a.lrs.map(lrText).join(', ');
    const lb = b.lrs.map(lrText).join(', ');
    if (la !== lb) out.push(`LRs [${lb}]`);
  }
  if (a.pmr !== b.pmr) out.push(`PMR ${hex(b.pmr)}`);
  if (a.bpr0 !== b.bpr0) out.push(`BPR0 ${b.bpr0}`);
  if (a.bpr1 !== b.bpr1) out.push(`BPR1 ${b.bpr1}`);
  if (a.groupEnable[0] !== b.groupEnable[0]) out.push(`Grp0 ${b.groupEnable[0] ? 'on' : 'off'}`);
  if (a.groupEnable[1] !== b.groupEnable[1]) out.push(`Grp1 ${b.groupEnable[1] ? 'on' : 'off'}`);
  if (a.eoiMode !== b.eoiMode) out.push(`EOImode ${b.eoiMode}`);
  if (a.cbpr !== b.cbpr) out.push(`CBPR ${b.cbpr ? 1 : 0}`);
  if (a.runningPriority !== b.runningPriority) out.push(`RPR ${hex(b.runningPriority)}`);
  if (!sameNumbers(a.apr, b.apr)) out.push(aprText(b.apr));
  if (a.irqLine !== b.irqLine) out.push(`IRQ ${b.irqLine ? 'up' : 'down'}`);
  if (a.fiqLine !== b.fiqLine) out.push(`FIQ ${b.fiqLine ? 'up' : 'down'}`);
  return out;
}

function groupsText(g: number): string {
  const on = [0, 1].filter((k) => (g & (1 << k)) !== 0).map((k) => `Grp${k}`);
  return on.length === 0 ? 'disabled' : `${on.join('+')} enabled`;
}

/** What changed from `a` to `b`, one phrase per interrupt or vCPU. */
export function diffViews(a: StateView, b: StateView): string[] {
  const out: string[] = [];
  if (a.dist !== b.dist) out.push(`distributor: ${groupsText(b.dist)}`);
  const n = Math.min(a.irqs.length, b.irqs.length);
  for (let s = 0; s < n; s++) {
    const d = diffIrq(a.irqs[s]!, b.irqs[s]!);
    if (d.length > 0) out.push(`${irqName(b.irqs[s]!)}: ${d.join(', ')}`);
  }
  const nv = Math.min(a.vcpus.length, b.vcpus.length);
  for (let k = 0; k < nv; k++) {
    const d = diffVcpu(a.vcpus[k]!, b.vcpus[k]!);
    if (d.length > 0) out.push(`vCPU${k}: ${d.join(', ')}`);
  }
  return out;
}

/**
 * What changed, step after step, looking only at what each step touched.
 * The state buffer is compared with a copy taken after the last look
 * (`ByteDiff`): a step
 * that changed no byte changed nothing; otherwise only the interrupts whose
 * own bytes changed are read again — and, when a byte outside every
 * interrupt's changed (vCPU, list-register or list state), the interrupts on
 * an ap_list (the only ones whose view reads such state) and the vCPUs. The
 * phrases are those `diffViews` gives for the whole machine before and after.
 */
export class ChangeTracker {
  private v: Vgic;
  private diff!: ByteDiff;
  /** For each byte of the state, whose it is: an interrupt slot (>= 0), vCPU k (-2 - k), or anyone's (-1). */
  private whose!: Int32Array;
  /** vCPUs whose own bytes changed in this step. */
  private vcpuMark!: Uint8Array;
  private view!: StateView;
  /** Slots whose last view has them on an ap_list. */
  private readonly queued = new Set<number>();
  private readonly dirty: number[] = [];
  private dirtyMark!: Uint8Array;

  constructor(private readonly m: Machine) {
    this.v = m.vgic;
    this.reset();
  }

  private reset(): void {
    const v = this.m.vgic;
    this.v = v;
    this.diff = new ByteDiff(v.buffer);
    this.whose = ownerMap(v);
    this.dirtyMark = new Uint8Array(v.nrSlots);
    this.vcpuMark = new Uint8Array(v.nrVcpus);
    this.view = stateView(this.m);
    this.diff.remember();
    this.queued.clear();
    this.view.irqs.forEach((st, s) => {
      if (st.queued !== null) this.queued.add(s);
    });
  }

  /**
   * Mark each interrupt slot whose bytes changed in `dirty` and each vCPU
   * whose own bytes did in `vcpuMark`; returns 2 when a byte that is no one's
   * in particular changed, 1 when only slots' or vCPUs' did, 0 for nothing.
   */
  private scan(): number {
    const { found, count } = this.diff.scan();
    const { before, now } = this.diff;
    const { whose, dirty, dirtyMark, vcpuMark } = this;
    let changed = 0;
    for (let k = 0; k < count; k++) {
      const start = found[k]! << 3;
      const end = Math.min(start + 8, now.length);
      for (let b = start; b < end; b++) {
        if (now[b] === before[b]) continue;
        const s = whose[b]!;
        if (s >= 0) {
          if (dirtyMark[s] === 0) {
            dirtyMark[s] = 1;
            dirty.push(s);
          }
          changed ||= 1;
        } else if (s === -1) {
          changed = 2;
        } else {
          vcpuMark[-2 - s] = 1;
          changed ||= 1;
        }
      }
    }
    return changed;
  }

  /** The phrases for what changed since the last call (or since the tracker was made). */
  changes(): string[] {
    if (this.m.vgic !== this.v) {
      const before = this.view;
      this.reset();
      return diffViews(before, this.view);
    }
    const changed = this.scan();
    if (changed === 0) return [];
    const dirty = this.dirty;
    const { dirtyMark, vcpuMark } = this;
    const v = this.v;
    const view = this.view;
    // Anyone's bytes: every vCPU may have changed. An interrupt on an ap_list reads its vCPU's state.
    if (changed === 2) vcpuMark.fill(1);
    if (this.queued.size > 0) {
      for (const s of this.queued) {
        if (dirtyMark[s] === 0 && vcpuMark[view.irqs[s]!.queued!] === 1) {
          dirtyMark[s] = 1;
          dirty.push(s);
        }
      }
    }
    if (dirty.length > 1) dirty.sort(ascending);
    const out: string[] = [];
    const dist = distEnable(v);
    if (dist !== view.dist) out.push(`distributor: ${groupsText(dist)}`);
    view.dist = dist;
    for (const s of dirty) {
      dirtyMark[s] = 0;
      const st = irqState(v, s);
      const d = diffIrq(view.irqs[s]!, st);
      if (d.length > 0) out.push(`${irqName(st)}: ${d.join(', ')}`);
      view.irqs[s] = st;
      if (st.queued !== null) this.queued.add(s);
      else this.queued.delete(s);
    }
    dirty.length = 0;
    for (let k = 0; k < v.nrVcpus; k++) {
      if (vcpuMark[k] === 0) continue;
      vcpuMark[k] = 0;
      const st = vcpuState(v, k);
      const d = diffVcpu(view.vcpus[k]!, st);
      if (d.length > 0) out.push(`vCPU${k}: ${d.join(', ')}`);
      view.vcpus[k] = st;
    }
    // After the views: reading a vCPU may bring its lazily computed lines up to date.
    this.diff.remember();
    return out;
  }
}

function ascending(a: number, b: number): number {
  return a - b;
}

/**
 * Whose each byte of the state is, from the layout's table
 * (VGIC_STATE_ARRAYS): an array indexed by slot holds each interrupt's own;
 * one of per-vCPU blocks (the vCPU's words, active priorities, list
 * registers) holds each vCPU's own, a block per vCPU; the ap_lists' links and
 * heads, and lock words, are anyone's (a link of an interrupt belongs to the
 * list of whichever vCPU holds it), as are the control words, the
 * distributor's words and anything else.
 */
function ownerMap(v: Vgic): Int32Array {
  const map = new Int32Array(v.buffer.byteLength).fill(-1);
  for (const [name, [, extent]] of Object.entries(VGIC_STATE_ARRAYS)) {
    const column = v[name as keyof typeof VGIC_STATE_ARRAYS];
    if (column.length === 0) continue;
    let owner: (element: number) => number;
    if (extent === 'slots' || extent === 'routeHalves') {
      const per = column.length / v.nrSlots;
      owner = (i) => Math.floor(i / per);
    } else if (extent === 'vcpus' || extent === 'aprWords' || extent === 'vcpuWords' || extent === 'lrs') {
      // From one vCPU's block to the next (the blocks of active priorities and list registers are a line apart).
      const per = extent === 'vcpus' ? 1 : extent === 'vcpuWords' ? VCPU_WORDS : extent === 'aprWords' ? v.aprBase(1) : v.lrBase(1);
      owner = (i) => -2 - Math.floor(i / per);
    } else {
      continue;
    }
    const size = column.BYTES_PER_ELEMENT;
    for (let i = 0; i < column.length; i++) map.fill(owner(i), column.byteOffset + i * size, column.byteOffset + (i + 1) * size);
  }
  return map;
}
