/**
 * "What changed" in a step: a reader's view of the architectural state
 * (each interrupt, each vCPU, the distributor's enables), taken before and
 * after, and the difference as short phrases:
 *
 *   INTID 40: +pending, queued vCPU0
 *   vCPU0: entered, LRs [40 P 0xa0], IRQ up
 *
 * Allocates freely: used by the scenario runner and the CLI, never on a hot path.
 */
import { distEnable } from '../mmio.js';
import { irqState, vcpuState, type IrqState, type VcpuState } from '../inspect.js';
import type { Machine } from '../machine.js';
import type { LrView } from '../trace.js';

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
  if (a.sources.join() !== b.sources.join()) out.push(`sources [${b.sources.join(', ')}]`);
  return out;
}

export function diffVcpu(a: VcpuState, b: VcpuState): string[] {
  const out: string[] = [];
  if (a.running !== b.running) out.push(b.running ? 'entered' : 'exited');
  if (a.apList.join() !== b.apList.join()) out.push(`ap_list [${b.apList.join(', ')}]`);
  const la = a.lrs.map(lrText).join(', ');
  const lb = b.lrs.map(lrText).join(', ');
  if (la !== lb) out.push(`LRs [${lb}]`);
  if (a.pmr !== b.pmr) out.push(`PMR ${hex(b.pmr)}`);
  if (a.bpr0 !== b.bpr0) out.push(`BPR0 ${b.bpr0}`);
  if (a.bpr1 !== b.bpr1) out.push(`BPR1 ${b.bpr1}`);
  if (a.groupEnable[0] !== b.groupEnable[0]) out.push(`Grp0 ${b.groupEnable[0] ? 'on' : 'off'}`);
  if (a.groupEnable[1] !== b.groupEnable[1]) out.push(`Grp1 ${b.groupEnable[1] ? 'on' : 'off'}`);
  if (a.eoiMode !== b.eoiMode) out.push(`EOImode ${b.eoiMode}`);
  if (a.cbpr !== b.cbpr) out.push(`CBPR ${b.cbpr ? 1 : 0}`);
  if (a.runningPriority !== b.runningPriority) out.push(`RPR ${hex(b.runningPriority)}`);
  if (a.apr.join() !== b.apr.join()) out.push(aprText(b.apr));
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
