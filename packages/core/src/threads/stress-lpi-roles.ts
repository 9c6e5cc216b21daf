/**
 * The threads of the LPI stress run (`runLpiStress`): device threads
 * signalling MSIs for their (device, event) pairs, vCPU guests taking and
 * EOI-ing the LPIs, and a command thread that keeps changing the
 * translations under them through the guest's command queue — MOVI, MOVALL,
 * INT, and DISCARD followed by a MAPTI of the same event to another INTID.
 *
 * How each number is counted, so that the books balance on a sound engine:
 *
 * - A device thread calls `signalMsi(device, event)` (KVM_SIGNAL_MSI). True:
 *   the MSI was translated and reached its LPI (`translated`); false: the
 *   ITS had no translation for it (`dropped`). Around each call it reads
 *   the event's epoch word, which the command thread makes odd before it
 *   discards the event's translation and even again after the MAPTI that
 *   restores it: an MSI that saw the same even epoch before and after was
 *   sent while the event was mapped throughout, and must not be dropped
 *   (`wronglyDropped`: a stale translation, or a lost mapping).
 * - INT commands make an event's LPI pending as an MSI does (`raised`).
 * - A vCPU guest counts every acknowledge of an LPI of the plan
 *   (`delivered`). A quarter of the events are quiet: mapped, moved and
 *   re-mapped like the others but never signalled, so an acknowledge of one
 *   of their INTIDs is a misdelivery (`unexpected`), as is any other INTID.
 * - The engine counts the rest: an MSI (or INT) that found its LPI already
 *   pending (`msiCoalesced`), one that set the latch again while the LPI
 *   waited in a list register and was merged by the fold (`foldCoalesced`),
 *   and a pending LPI whose translation was discarded before a vCPU took it
 *   (`lpiDroppedPending`, KVM's DISCARD of a pending LPI).
 *
 *   lost = translated + raised − delivered − coalesced − droppedPending = 0.
 */
import { isVgicError } from '../errors.js';
import type { GuestRam, LpiDriver, LpiGuestOps, LpiPlan } from '../testing/lpi-guest.js';
import { PHASE_RUN } from './control.js';
import type { GuestCpu } from './guest-cpu.js';
import type { BackendRef, TaskContext } from './protocol.js';
import { releaseHeldLocks, type Guest } from './runner.js';
import { Random } from './stress-layout.js';

/** The first LPI INTID. */
const LPI_FIRST = 8192;

/** What every thread of an LPI stress run is given. */
export interface LpiStressLayout {
  plan: LpiPlan;
  /** The guest's RAM (a SharedArrayBuffer, so every thread stores into the same bytes). */
  ram: GuestRam;
  /**
   * Device threads. With no more threads than devices, device d is
   * signalled by thread d mod deviceThreads; with more, thread t signals
   * device t mod devices, so several threads signal the same events.
   */
  deviceThreads: number;
  /** Event e of every device is quiet (never signalled) when e mod quietEvery is quietEvery − 1; 0: none is. */
  quietEvery: number;
  /** Where the backend and its GuestOps live (the command thread loads the LPI driver from it). */
  backend: BackendRef;
  /** The command thread's churn: which commands it issues. */
  churn: { movi: boolean; movall: boolean; remap: boolean; int: boolean };

  seed: number;
}

/** Events of the plan, all devices together. */
export function eventCount(plan: LpiPlan): number {
  return plan.devices * plan.eventsPerDevice;
}

export function isQuiet(d: LpiStressLayout, event: number): boolean {
  return d.quietEvery > 0 && event % d.quietEvery === d.quietEvery - 1;
}

/** The INTID event `i` (device × eventsPerDevice + event) has in its first (0) or second (1) mapping. */
export function intidFor(plan: LpiPlan, i: number, which: number): number {
  return LPI_FIRST + which * eventCount(plan) + i;
}

// ------------------------------------------------------------ the vCPU guest

/** The LPI guest on one vCPU: acknowledge, classify, EOI (EOImode 0). */
export function lpiStressGuest(_cpu: GuestCpu, data: unknown): Guest {
  const d = data as LpiStressLayout;
  const n = eventCount(d.plan);
  const e = d.plan.eventsPerDevice;
  let delivered = 0;
  let unexpected = 0;
  return {
    take(cpu: GuestCpu): boolean {
      const raw = cpu.ack();
      const intid = raw & 0xffffff;
      if (intid >= 1020 && intid < 1024) return false;
      const off = intid - LPI_FIRST;
      if (off >= 0 && off < 2 * n && !isQuiet(d, (off % n) % e)) delivered++;
      else unexpected++;
      cpu.eoi(raw);
      return true;
    },
    report: () => ({ lpiDelivered: delivered, lpiUnexpected: unexpected }),
  };
}

// ------------------------------------------------------------ device threads


export interface LpiDeviceResult {
  sent: number;
  translated: number;
  dropped: number;
  wronglyDropped: number;
  lockOrderViolations: number;
}

/**
 * The control block's word that starts the device and command threads
 * (after the epochs): the main thread sets it once every thread is up, so
 * what they count falls within the time it measures.
 */
export function goWord(plan: LpiPlan): number {
  return eventCount(plan);
}

/** Wait until the main thread says go (or the run is over already). */
function awaitGo(ctx: TaskContext, plan: LpiPlan): void {
  const words = ctx.control.user;
  const go = goWord(plan);
  while (Atomics.load(words, go) === 0 && ctx.control.phase === PHASE_RUN) Atomics.wait(words, go, 0, 50);
}

/** A device thread: signals every active event of its devices in turn, until the run leaves PHASE_RUN. */
export function lpiStressDevice(ctx: TaskContext): LpiDeviceResult {
  const d = ctx.data as LpiStressLayout & { index: number; epochs: number };
  awaitGo(ctx, d.plan);
  const m = ctx.machine;
  const epoch = ctx.control.user;
  const e = d.plan.eventsPerDevice;
  const pairs: number[] = [];
  const lanes = Math.min(d.plan.devices, d.deviceThreads);
  for (let dev = d.index % lanes; dev < d.plan.devices; dev += lanes) {
    for (let ev = 0; ev < e; ev++) if (!isQuiet(d, ev)) pairs.push(dev, ev);
  }
  const r: LpiDeviceResult = { sent: 0, translated: 0, dropped: 0, wronglyDropped: 0, lockOrderViolations: 0 };
  if (pairs.length === 0) return r;
  let n = 0;
  // Threads that share a device start at different events of it.
  let at = (Math.floor(d.index / lanes) * 2) % pairs.length;
  while ((n++ & 63) !== 0 || ctx.control.phase === PHASE_RUN) {
    const dev = pairs[at]!;
    const ev = pairs[at + 1]!;
    at = at + 2 === pairs.length ? 0 : at + 2;
    const w = d.epochs + dev * e + ev;
    const before = Atomics.load(epoch, w);
    let ok: boolean;
    try {
      ok = m.signalMsi(dev, ev);
    } catch (err) {
      if (!isVgicError(err, 'LOCK_ORDER')) throw err;
      r.lockOrderViolations++;
      releaseHeldLocks(m.vgic);
      continue;
    }
    r.sent++;
    if (ok) r.translated++;
    else {
      r.dropped++;
      if ((before & 1) === 0 && Atomics.load(epoch, w) === before) r.wronglyDropped++;
    }
  }
  return r;
}

// ------------------------------------------------------------ the command thread

export interface LpiCommandResult {
  movi: number;
  movall: number;
  remaps: number;
  /** INT commands (each makes an active event's LPI pending, or coalesces). */
  raised: number;
  lockOrderViolations: number;
}

async function lpiOps(ref: BackendRef): Promise<LpiGuestOps> {
  const mod = (await import(ref.module)) as Record<string, unknown>;
  const guest = ref.guest !== undefined ? (mod[ref.guest] as { lpi?: LpiGuestOps } | undefined) : undefined;
  if (guest?.lpi === undefined) throw new Error(`${ref.module}'s GuestOps export ${String(ref.guest)} has no LPI driver (GuestOps.lpi)`);
  return guest.lpi;
}

/**
 * The command thread: random MOVI, MOVALL, INT and DISCARD + MAPTI through
 * the command queue (the emulation of the guest's trapped write of the
 * queue's write pointer; this thread runs no vCPU). Every event is mapped
 * again when it stops.
 */
export async function lpiStressCommands(ctx: TaskContext): Promise<LpiCommandResult> {
  const d = ctx.data as LpiStressLayout & { epochs: number };
  const m = ctx.machine;
  const drv: LpiDriver = (await lpiOps(d.backend)).driver(m, d.ram, d.plan, 'host');
  awaitGo(ctx, d.plan);
  const epoch = ctx.control.user;
  const plan = d.plan;
  const e = plan.eventsPerDevice;
  const n = eventCount(plan);
  const vcpus = plan.vcpus;
  const rnd = new Random(d.seed * 613 + 29);
  /** Which of its two INTIDs each event is mapped to now. */
  const which = new Uint8Array(n);
  const r: LpiCommandResult = { movi: 0, movall: 0, remaps: 0, raised: 0, lockOrderViolations: 0 };
  const choices: (() => void)[] = [];
  const pick = (): number => rnd.below(n);
  if (d.churn.movi) {
    choices.push(() => {
      const i = pick();
      drv.move(Math.floor(i / e), i % e, rnd.below(vcpus));
      r.movi++;
    });
  }
  if (d.churn.movall && vcpus > 1) {
    choices.push(() => {
      const from = rnd.below(vcpus);
      drv.moveAll(from, (from + 1 + rnd.below(vcpus - 1)) % vcpus);
      r.movall++;
    });
  }
  if (d.churn.int) {
    choices.push(() => {
      const i = pick();
      if (isQuiet(d, i % e)) return;
      drv.raise(Math.floor(i / e), i % e);
      r.raised++;
    });
  }
  if (d.churn.remap) {
    // Two events at once, discarded before either is mapped again: their
    // LPIs' slots are freed together and taken again in either order, so a
    // translation left behind by a DISCARD points at the other event's LPI.
    const remap = (): void => {
      const a = pick();
      const b = pick();
      const ids = a === b ? [a] : [a, b];
      for (const i of ids) Atomics.add(epoch, d.epochs + i, 1);
      for (const i of ids) drv.discard(Math.floor(i / e), i % e);
      for (const i of ids.reverse()) {
        which[i] = which[i]! ^ 1;
        drv.mapEvent(Math.floor(i / e), i % e, intidFor(plan, i, which[i]!), rnd.below(vcpus));
        Atomics.add(epoch, d.epochs + i, 1);
      }
      r.remaps += ids.length;
    };
    choices.push(remap, remap);
  }
  if (choices.length === 0) return r;
  while (ctx.control.phase === PHASE_RUN) {
    try {
      choices[rnd.below(choices.length)]!();
    } catch (err) {
      if (!isVgicError(err, 'LOCK_ORDER')) throw err;
      r.lockOrderViolations++;
      releaseHeldLocks(m.vgic);
    }
  }
  return r;
}
