/**
 * Stress roles aimed at three reads the engine makes under a lock it could
 * be tempted to skip — each would be lost work if made without it, and each
 * role counts that loss where it would show:
 *
 * - **The distributor enable** (`setDistEnable` reads each interrupt's
 *   `apListVcpu` under its irq lock). A thread turns the distributor off and on
 *   as fast as it can while the vCPUs prune what it turned off. It owns a
 *   few level SPIs whose lines it holds high, which nothing else queues:
 *   after each enable every one of them must be on an ap_list. One that is
 *   not was judged targetless by a prune the enable missed — lost for good
 *   in a real guest, which enables its distributor once.
 * - **Routing-word halves** (a backend whose routing register is 64 bits a
 *   guest may write in halves, `DistributorRegisters.routeHalves`; a half
 *   write keeps the other half, read under the irq lock; a 1-of-N choice
 *   rewrites the word under it). Two threads write the two halves of the
 *   same few routing registers with 32-bit accesses — the low one sometimes
 *   naming any vCPU (1-of-N) — and the high-half thread rewrites the group
 *   register, which makes the 1-of-N choice again. Each thread owns its half:
 *   before every write it reads its half back, and anything but what it
 *   wrote last is a lost write.
 * - **Deactivation from another vCPU** (a DIR reads the owner's live list
 *   register). The vCPUs with EOImode 1 hand the DIR of some edge SPIs to
 *   another EOImode-1 vCPU through a mailbox: the owner is usually running,
 *   with the interrupt active in a list register it changes without a lock.
 *   A DIR that misses is an interrupt active for good after the drain.
 */
import { VgicError } from '../errors.js';
import type { Machine } from '../machine.js';
import { targetOracle } from '../oracle.js';
import { kickVcpu } from '../queue.js';
import { NONE } from '../vgic.js';
import { PHASE_RUN } from './control.js';
import type { GuestCpu } from './guest-cpu.js';
import { hostRead, hostWrite, resolveHostRegister, type HostRegister } from './host-access.js';
import type { TaskContext } from './protocol.js';
import { Random, distributorOf, type StressLayout } from './stress-layout.js';

// ------------------------------------------------------------ the distributor enable

export interface DistToggleResult {
  toggles: number;
  /** Held-high SPIs found on no ap_list right after an enable. */
  lost: number;
}

/** The toggling thread (see the module comment). */
export function stressDistToggle(ctx: TaskContext): DistToggleResult {
  const d = ctx.data as StressLayout;
  const m = ctx.machine;
  const v = m.vgic;
  const r: DistToggleResult = { toggles: 0, lost: 0 };
  const ctlr = resolveHostRegister(m, distributorOf(m).control);
  const on = Number(hostRead(m, ctlr));
  const off = on & ~3;
  const slots: number[] = [];
  for (let i = 0; i < d.toggleCount; i++) {
    slots.push(v.slotOf(d.toggleFirst + i, 0));
    m.inject(d.toggleFirst + i, 1);
  }
  while (ctx.control.phase === PHASE_RUN) {
    hostWrite(m, ctlr, off);
    hostWrite(m, ctlr, on);
    r.toggles++;
    for (const s of slots) {
      v.lockIrq(s);
      if (v.apListVcpu[s] === NONE && targetOracle(v, s) !== NONE) r.lost++;
      v.unlockIrq(s);
    }
  }
  hostWrite(m, ctlr, on);
  // The devices go quiet, so the drain can finish.
  for (let i = 0; i < d.toggleCount; i++) m.inject(d.toggleFirst + i, 0);
  return r;
}

// ------------------------------------------------------------ routing-word halves

export interface IrouterHalfResult {
  writes: number;
  /** Reads of this thread's half that found something other than what it wrote last. */
  lostWrites: number;
  /** Edge injections of the SPIs: rising edges, and those that found the interrupt pending. */
  injected: number;
  coalesced: number;
}

/** One of the two half-writing threads (`data.half`: 'lo' or 'hi'; see the module comment). */
export function stressIrouterHalf(ctx: TaskContext): IrouterHalfResult {
  const d = ctx.data as StressLayout & { half: 'lo' | 'hi' };
  const m = ctx.machine;
  const v = m.vgic;
  const dist = distributorOf(m);
  const halves = dist.routeHalves;
  if (halves === undefined) throw new VgicError('INVALID_ARGUMENT', `GIC${m.version} routes by no 64-bit register written in halves (DistributorRegisters.routeHalves)`);
  const high = d.half === 'hi';
  const rnd = new Random(d.seed * 131 + (high ? 7 : 3));
  const r: IrouterHalfResult = { writes: 0, lostWrites: 0, injected: 0, coalesced: 0 };
  const regs: HostRegister[] = [];
  const last: number[] = [];
  for (let i = 0; i < d.halvesCount; i++) {
    const reg = resolveHostRegister(m, dist.route(d.halvesFirst + i).name, { width: 32, byteOffset: high ? 4 : 0 });
    regs.push(reg);
    last.push(Number(hostRead(m, reg)));
  }
  const group = resolveHostRegister(m, dist.group(d.halvesFirst));
  const value = (): number => {
    // High: one that keeps the route on a vCPU, or (one time in four) one
    // that names none: the interrupt waits. Low: a vCPU, one time in four
    // any vCPU with the group on (1-of-N).
    if (high) return rnd.below(4) === 0 ? halves.highNowhere : halves.highToVcpu;
    return halves.low(v, rnd.below(m.vcpus), rnd.below(4) === 0);
  };
  const write = (i: number, x: number): void => {
    if (Number(hostRead(m, regs[i]!)) !== last[i]) r.lostWrites++;
    hostWrite(m, regs[i]!, x);
    last[i] = x;
    r.writes++;
  };
  let n = 0;
  while (ctx.control.phase === PHASE_RUN) {
    const i = rnd.below(d.halvesCount);
    write(i, value());
    if (m.inject(d.halvesFirst + i, 1)) r.injected++;
    else r.coalesced++;
    // The same groups written back: the 1-of-N choice is made again, under the locks.
    if (high && (++n & 7) === 0) hostWrite(m, group, Number(hostRead(m, group)));
  }
  // Routed to a vCPU again for the drain: the low half to vCPU 0.
  for (let i = 0; i < d.halvesCount; i++) write(i, high ? halves.highToVcpu : halves.low(v, 0, false));
  for (let i = 0; i < d.halvesCount; i++) if (Number(hostRead(m, regs[i]!)) !== last[i]) r.lostWrites++;
  return r;
}

// ------------------------------------------------------------ deactivation from another vCPU

/** Mailbox slots per vCPU in the control block's user words. */
export const MAILBOX_SLOTS = 8;

/** The vCPU that deactivates what `me` hands over: the next one with EOImode 1, or none. */
export function dirPartner(m: Machine, me: number): number {
  const n = m.vcpus;
  for (let step = 1; step < n; step++) {
    const k = (me + step) % n;
    if (m.vgic.eoiMode[k] !== 0) return k;
  }
  return NONE;
}

/**
 * Hand the DIR of the interrupt `raw` (EOI'd, still active) to `partner`:
 * true if a mailbox slot was free, and the partner is kicked to take it.
 */
export function handDir(cpu: GuestCpu, d: StressLayout, partner: number, raw: number): boolean {
  const box = cpu.control.user;
  const base = d.mailboxBase + partner * MAILBOX_SLOTS;
  for (let i = 0; i < MAILBOX_SLOTS; i++) {
    if (Atomics.compareExchange(box, base + i, 0, raw + 1) === 0) {
      kickVcpu(cpu.vgic, partner);
      return true;
    }
  }
  return false;
}

/** Deactivate what other vCPUs handed this one; how many. */
export function takeHandedDirs(cpu: GuestCpu, d: StressLayout): number {
  const box = cpu.control.user;
  const base = d.mailboxBase + cpu.vcpu * MAILBOX_SLOTS;
  let done = 0;
  for (let i = 0; i < MAILBOX_SLOTS; i++) {
    const x = Atomics.exchange(box, base + i, 0);
    if (x === 0) continue;
    cpu.dir(x - 1);
    done++;
  }
  return done;
}
