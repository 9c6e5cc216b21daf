/**
 * The threads of the stress run (`runStress`): a guest for every vCPU,
 * injector threads, and a thread that retargets interrupts and toggles their
 * enables. (The scaling measurement's guest is scaling-guest.ts.)
 *
 * How the run counts, so that `lost = injected − delivered − coalesced`
 * comes out 0 on a sound engine:
 *
 * - Edge SPIs: an injector raises `inject(intid, 1)`. For an edge interrupt
 *   a rising edge always passes validation, so `inject` returns false only
 *   when the pending latch was already set: the edge coalesced with one
 *   still pending. `true` counts as injected, `false` as coalesced. An edge
 *   that arrives while the first waits, pending, in a list register sets
 *   the latch again and counts as injected; the fold then merges the two
 *   and counts it in the engine's `foldCoalesced`, which the report adds to
 *   `coalesced`. Every acknowledge of an edge SPI counts as delivered.
 * - SGIs are sent by the vCPU guests themselves, through the guest path
 *   (the backend's SGI register, a trapped access). Their coalescing cannot
 *   be seen from the guest side, so the run keeps it from happening: SGI
 *   `s` goes from vCPU `s` only, and to each target one at a time — a credit
 *   word per (sender, target) pair is taken before the send and given back
 *   by the target when it acknowledges. Every SGI sent must be delivered.
 * - Level SPIs model a device: the injector raises the line when it is low
 *   (`inject(intid, 1)` true); the guest that acknowledges the interrupt
 *   services the device, which lowers the line (`inject(intid, 0)`), then
 *   EOIs. Raises, acknowledges and lowers must all be equal at the end.
 *
 * The roles aimed at particular races (the distributor enable, routing-word
 * halves, deactivation from another vCPU) count on their own: see
 * stress-races.ts. Their SPIs keep the books above: the halves threads
 * inject theirs as edges, and the distributor's held-high level lines are
 * acknowledged without being lowered (`toggleAcks`).
 */
import { isVgicError } from '../errors.js';
import type { Machine } from '../machine.js';
import { PHASE_RUN } from './control.js';
import type { GuestCpu } from './guest-cpu.js';
import type { DistributorRegisters } from '../backend.js';
import { hostWrite, resolveHostRegister, type HostRegister } from './host-access.js';
import type { TaskContext } from './protocol.js';
import { NONE } from '../vgic.js';
import { releaseHeldLocks, type Guest } from './runner.js';
import { Random, distributorOf, resolveRef, type StressLayout } from './stress-layout.js';
import { dirPartner, handDir, takeHandedDirs } from './stress-races.js';

export { Random, type StressLayout } from './stress-layout.js';

/** SGIs go from vCPU s as SGI s, so only the first 16 vCPUs send. */
const SGI_SENDERS = 16;

/** The stress guest on one vCPU: see the module comment for what it counts. */
export function stressGuest(cpu: GuestCpu, data: unknown): Guest {
  const d = data as StressLayout;
  const m = cpu.machine;
  const n = m.vcpus;
  const me = cpu.vcpu;
  const credits = cpu.control.user;
  const edgeEnd = d.edgeFirst + d.edgeCount;
  const levelEnd = d.levelFirst + d.levelCount;
  const toggleEnd = d.toggleFirst + d.toggleCount;
  const halvesEnd = d.halvesFirst + d.halvesCount;
  const sends = d.sgis && me < SGI_SENDERS;
  // EOImode-1 vCPUs hand every other edge SPI's DIR to the next one.
  const partner = d.crossDir && cpu.eoiMode !== 0 ? dirPartner(m, me) : NONE;
  let edgeAcks = 0;
  let levelAcks = 0;
  let levelLowered = 0;
  let levelAlreadyLow = 0;
  let toggleAcks = 0;
  let sgiAcks = 0;
  let sgiSent = 0;
  let handed = 0;
  let dirsForOthers = 0;
  let unexpected = 0;
  let steps = 0;

  function sendRound(): void {
    for (let j = 0; j < n; j++) {
      if (Atomics.compareExchange(credits, me * n + j, 0, 1) !== 0) continue;
      cpu.sendSgi(j, me);
      sgiSent++;
    }
  }

  return {
    take(cpu: GuestCpu): boolean {
      if (d.crossDir) dirsForOthers += takeHandedDirs(cpu, d);
      if (sends && ++steps % d.sgiEvery === 0 && cpu.phase === PHASE_RUN) sendRound();
      const raw = cpu.ack();
      const intid = raw & 0x3ff;
      if (intid >= 1020) {
        // The kick that rang this vCPU's mailbox is the engine's too: an
        // acknowledge on a kicked vCPU re-enters it and clears the kick, so a
        // DIR handed over since the look above has no kick left to wake this
        // vCPU for it. Look again before it goes idle.
        if (!d.crossDir) return false;
        const late = takeHandedDirs(cpu, d);
        dirsForOthers += late;
        return late > 0;
      }
      let edge = false;
      if (intid < 16) {
        // SGI s comes from vCPU s (GICv2 also says so in IAR's source field).
        const source = cpu.vgic.sgiSources ? (raw >> 10) & 7 : intid;
        if (source === intid && intid < n) {
          sgiAcks++;
          Atomics.store(credits, intid * n + me, 0);
        } else {
          unexpected++;
        }
      } else if ((intid >= d.edgeFirst && intid < edgeEnd) || (intid >= d.halvesFirst && intid < halvesEnd)) {
        edgeAcks++;
        edge = true;
      } else if (intid >= d.levelFirst && intid < levelEnd) {
        levelAcks++;
        // Service the device: it drops its line before the EOI.
        if (m.inject(intid, 0)) levelLowered++;
        else levelAlreadyLow++;
      } else if (intid >= d.toggleFirst && intid < toggleEnd) {
        // The toggling thread's device keeps its line high: nothing to service.
        toggleAcks++;
      } else {
        unexpected++;
      }
      cpu.eoi(raw);
      if (cpu.eoiMode !== 0) {
        if (edge && partner !== NONE && (edgeAcks & 1) === 0 && handDir(cpu, d, partner, raw)) handed++;
        else cpu.dir(raw);
      }
      return true;
    },
    report: () => ({ edgeAcks, levelAcks, levelLowered, levelAlreadyLow, toggleAcks, sgiAcks, sgiSent, handed, dirsForOthers, unexpected }),
  };
}

export interface InjectorResult {
  injected: number;
  coalesced: number;
  levelRaised: number;
  levelAlreadyHigh: number;
  lockOrderViolations: number;
}

/** An injector thread: edge and level SPIs at random, as fast as it can, until the run leaves PHASE_RUN. */
export function stressInjector(ctx: TaskContext): InjectorResult {
  const d = ctx.data as StressLayout & { index: number };
  const m = ctx.machine;
  const rnd = new Random(d.seed * 7919 + d.index * 104729 + 1);
  const r: InjectorResult = { injected: 0, coalesced: 0, levelRaised: 0, levelAlreadyHigh: 0, lockOrderViolations: 0 };
  let n = 0;
  while ((n++ & 63) !== 0 || ctx.control.phase === PHASE_RUN) {
    try {
      if (d.edgeCount > 0) {
        if (m.inject(d.edgeFirst + rnd.below(d.edgeCount), 1)) r.injected++;
        else r.coalesced++;
      }
      if (d.levelCount > 0 && (n & 1) === 0) {
        if (m.inject(d.levelFirst + rnd.below(d.levelCount), 1)) r.levelRaised++;
        else r.levelAlreadyHigh++;
      }
    } catch (e) {
      if (!isVgicError(e, 'LOCK_ORDER')) throw e;
      r.lockOrderViolations++;
      releaseHeldLocks(m.vgic);
    }
  }
  return r;
}

export interface RetargetResult {
  retargets: number;
  disables: number;
  enables: number;
  lockOrderViolations: number;
}

/**
 * Routing through the distributor as the guest programs it, with the
 * backend's routing register: to a random non-empty set of vCPUs where the
 * routing word lists them (`routeMask`), else to one random vCPU.
 */
class Router {
  private readonly regs: HostRegister[] = [];
  private readonly first: number;
  private readonly d: DistributorRegisters;

  constructor(m: Machine, first: number, count: number) {
    this.first = first;
    this.d = distributorOf(m);
    for (let i = first; i < first + count; i++) this.regs.push(resolveRef(m, this.d.route(i)));
  }

  route(m: Machine, intid: number, rnd: Random): void {
    const r = this.regs[intid - this.first]!;
    const n = m.vcpus;
    if (this.d.routeMask !== undefined) hostWrite(m, r, this.d.routeMask(m.vgic, 1 + rnd.below(2 ** Math.min(n, 31) - 1)));
    else hostWrite(m, r, this.d.routeValue(m.vgic, rnd.below(n)));
  }
}

/** Resolved set-enable and clear-enable words covering a range of SPIs. */
class Enables {
  private readonly set = new Map<number, HostRegister>();
  private readonly clear = new Map<number, HostRegister>();
  constructor(m: Machine, first: number, count: number) {
    const d = distributorOf(m);
    for (let w = first >> 5; w <= (first + count - 1) >> 5; w++) {
      this.set.set(w, resolveHostRegister(m, d.enableSet(w * 32)));
      this.clear.set(w, resolveHostRegister(m, d.enableClear(w * 32)));
    }
  }
  write(m: Machine, intid: number, on: boolean): void {
    hostWrite(m, (on ? this.set : this.clear).get(intid >> 5)!, 1 << (intid & 31));
  }
}

/**
 * The retargeting thread: moves SPIs between vCPUs and disables and
 * re-enables them, through the distributor's registers by role (the
 * backend's `distributor` capability; the emulation a
 * trapped guest access runs; this thread runs no vCPU). When the run
 * leaves PHASE_RUN it enables every SPI again, so the drain can deliver
 * whatever waited behind a disable.
 */
export function stressRetarget(ctx: TaskContext): RetargetResult {
  const d = ctx.data as StressLayout;
  const m = ctx.machine;
  const rnd = new Random(d.seed * 31 + 17);
  const ranges: [number, number][] = [];
  if (d.edgeCount > 0) ranges.push([d.edgeFirst, d.edgeCount]);
  if (d.levelCount > 0) ranges.push([d.levelFirst, d.levelCount]);
  const r: RetargetResult = { retargets: 0, disables: 0, enables: 0, lockOrderViolations: 0 };
  if (ranges.length === 0) return r;
  const routers = ranges.map(([f, c]) => new Router(m, f, c));
  const enables = ranges.map(([f, c]) => new Enables(m, f, c));
  const disabled: number[] = [];

  const guarded = (fn: () => void): void => {
    try {
      fn();
    } catch (e) {
      if (!isVgicError(e, 'LOCK_ORDER')) throw e;
      r.lockOrderViolations++;
      releaseHeldLocks(m.vgic);
    }
  };

  while (ctx.control.phase === PHASE_RUN) {
    const which = rnd.below(ranges.length);
    const [first, count] = ranges[which]!;
    const intid = first + rnd.below(count);
    guarded(() => {
      if (rnd.below(4) !== 0) {
        routers[which]!.route(m, intid, rnd);
        r.retargets++;
      } else if (disabled.length < 4 && !disabled.includes(intid)) {
        enables[which]!.write(m, intid, false);
        disabled.push(intid);
        r.disables++;
      } else if (disabled.length > 0) {
        const back = disabled.shift()!;
        enables[ranges.findIndex(([f, c]) => back >= f && back < f + c)]!.write(m, back, true);
        r.enables++;
      }
    });
  }
  // Everything enabled again before the drain.
  ranges.forEach(([first, count], i) => {
    for (let intid = first; intid < first + count; intid++) guarded(() => enables[i]!.write(m, intid, true));
  });
  return r;
}
