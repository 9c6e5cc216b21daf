/**
 * The stress run: one worker thread per vCPU, injector threads hammering
 * edge and level SPIs, the vCPU guests sending each other SGIs, and a
 * thread retargeting interrupts and toggling their enables — all over one
 * shared machine with the lock-order checker on. At the end the retargeting
 * thread enables everything again, the vCPUs drain, and the main thread
 * (alone by then) checks the books and the invariants.
 *
 * How each number is counted is written at the top of stress-roles.ts.
 */
import { VgicError } from '../errors.js';
import type { Machine, MachineOptions } from '../machine.js';
import { checkInvariants } from '../invariants.js';
import { isPending, targetOracleQuiescent } from '../oracle.js';
import type { GuestOps } from '../testing/guest.js';
import { DEBUG_LOCKDEP, DEBUG_NO_QUEUE_RECHECK, DEBUG_STALE_LIVE_ACTIVE, DEBUG_UNLOCKED_DIST_ENABLE, DEBUG_UNLOCKED_ROUTE_UPDATE, NONE } from '../vgic.js';
import { ThreadControl } from './control.js';
import type { VcpuCounters } from './guest-cpu.js';
import { VcpuThreads } from './pool.js';
import type { BackendRef } from './protocol.js';
import { MAILBOX_SLOTS, type DistToggleResult, type IrouterHalfResult } from './stress-races.js';
import { Random, type InjectorResult, type RetargetResult, type StressLayout } from './stress-roles.js';

export interface StressOptions {
  /** The GIC version: a key of `backends` (`v2`, `v3`). */
  gic: string;
  /** Where each version's backend lives; it must name `create`, `attach` and `guest`. */
  backends: Readonly<Record<string, BackendRef>>;
  vcpus: number;
  /** How long the injectors run. */
  seconds: number;
  /** Injector threads (default 2). */
  injectors?: number;
  /** Edge SPIs, from INTID 32 (default 24). */
  edgeSpis?: number;
  /** Level SPIs, after the edge ones (default 8). */
  levelSpis?: number;
  /** vCPUs send each other SGIs (default true). */
  sgis?: boolean;
  /** Run the retargeting thread, where the backend declares its distributor registers (default true). */
  retarget?: boolean;
  /** Run the thread that turns the distributor off and on, where the backend declares its distributor registers (default true). */
  distToggle?: boolean;
  /** Run the two threads that write routing-word halves, where the backend's routing register has them (`routeHalves`; default true). */
  irouterHalves?: boolean;
  /** EOImode-1 vCPUs (the odd ones) hand DIRs to one another (default true; needs two of them: 4 vCPUs or more). */
  crossDeactivate?: boolean;
  /** List registers per vCPU (default 4). */
  lrs?: number;
  /** Check the lock order in every thread (default true). */
  lockCheck?: boolean;
  /** Test hook: remove the re-check in `queueIrqUnlock` (DEBUG_NO_QUEUE_RECHECK). */
  breakQueueRecheck?: boolean;
  /** Test hook: `setDistEnable` reads `apListVcpu` unlocked (DEBUG_UNLOCKED_DIST_ENABLE). */
  breakDistEnable?: boolean;
  /** Test hook: routing-word half writes read the other half unlocked (DEBUG_UNLOCKED_ROUTE_UPDATE). */
  breakRouteUpdate?: boolean;
  /** Test hook: a DIR from another vCPU ignores the owner's live list register (DEBUG_STALE_LIVE_ACTIVE). */
  breakLiveActive?: boolean;
  seed?: number;
  /** How long each shutdown step may take before its threads are terminated (default 10 s). */
  timeoutMs?: number;
}

export interface StressReport {
  gic: string;
  vcpus: number;
  injectors: number;
  seconds: number;
  /**
   * Edge SPI injections that passed validation (every rising edge: those
   * `inject` answered true, and those it answered false because the latch
   * was already set), plus SGIs sent by the guests.
   */
  injected: number;
  /** Acknowledges of those, counted by the vCPU threads. */
  delivered: number;
  /** Edge injections that found the interrupt pending (`inject` false) plus the engine's `foldCoalesced`. */
  coalesced: number;
  /** injected − delivered − coalesced: 0 on a sound engine. */
  lost: number;
  /** The machine's shared violation word: every thread's lock-order violations. */
  lockOrderViolations: number;
  /** Problems found after the drain (invariants, leftovers, threads that did not finish). */
  invariantViolations: number;
  /** Edge SPIs: every rising edge injected; `newlyPending` of them set the latch (inject true), the rest coalesced at once. */
  edge: { injected: number; newlyPending: number; coalescedAtInjection: number; coalescedInLr: number; delivered: number };
  sgi: { sent: number; delivered: number };
  level: { raised: number; delivered: number; lowered: number; lost: number };
  retarget: { retargets: number; disables: number; enables: number };
  /** The distributor turned off and on; held-high SPIs found on no ap_list after an enable. */
  distToggle: { toggles: number; delivered: number; lost: number };
  /** Routing-word half writes by the two threads, and the writes of one that the other's lost. */
  irouterHalves: { writes: number; lostWrites: number };
  /**
   * Which of the roles that need a backend capability ran: the retargeting
   * and distributor-toggling threads need `distributor`, the halves threads
   * its `routeHalves`. A role asked for on a backend without it does not run.
   */
  roles: { retarget: boolean; distToggle: boolean; irouterHalves: boolean };
  /** DIRs one vCPU handed another, and the DIRs made for another vCPU. */
  crossDir: { handed: number; done: number };
  wfi: { sleeps: number; kicks: number; timeouts: number };
  throughput: { deliveredPerSecond: number; injectionsPerSecond: number };
  drained: boolean;
  /** One sentence per problem (the invariant violations, and why a thread failed). */
  problems: string[];
  perVcpu: VcpuCounters[];
  /** lost, lockOrderViolations, invariantViolations, level.lost, distToggle.lost and irouterHalves.lostWrites all 0. */
  ok: boolean;
}

type Factory = (o: MachineOptions & Record<string, unknown>) => Machine;

/** Import a backend module and pick its factory, attach and guest exports. */
export async function loadBackend(ref: BackendRef): Promise<{ create: Factory; guest: GuestOps }> {
  const mod = (await import(ref.module)) as Record<string, unknown>;
  const create = ref.create !== undefined ? mod[ref.create] : undefined;
  const guest = ref.guest !== undefined ? mod[ref.guest] : undefined;
  if (typeof create !== 'function') throw new VgicError('INVALID_ARGUMENT', `${ref.module} has no factory export "${String(ref.create)}"`);
  if (guest === undefined || guest === null || typeof guest !== 'object') {
    throw new VgicError('INVALID_ARGUMENT', `${ref.module} has no GuestOps export "${String(ref.guest)}"`);
  }
  return { create: create as Factory, guest: guest as GuestOps };
}

export function backendFor(backends: Readonly<Record<string, BackendRef>>, gic: string): BackendRef {
  const ref = backends[gic];
  if (ref === undefined) throw new VgicError('INVALID_ARGUMENT', `no backend for GIC ${gic}; known: ${Object.keys(backends).join(', ')}`);
  return ref;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function sum(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}

/**
 * After the drain nothing deliverable may be left: no interrupt pending,
 * enabled, not active and routed to a vCPU. (Those on no ap_list are the
 * invariants' business; this catches ones left on a list, undelivered.)
 */
export function leftovers(m: Machine): string[] {
  const v = m.vgic;
  const out: string[] = [];
  for (let s = 0; s < v.nrSlots; s++) {
    if (v.active[s] !== 0) out.push(`INTID ${v.intid[s]} (slot ${s}) is still active after the drain`);
    else if (isPending(v, s) && targetOracleQuiescent(v, s) !== NONE) {
      out.push(`INTID ${v.intid[s]} (slot ${s}) is still pending for vCPU ${targetOracleQuiescent(v, s)} after the drain`);
    }
  }
  return out;
}

/** Set up the guest side, as an OS would, before any worker starts. */
function setUpGuest(m: Machine, guest: GuestOps, layout: StressLayout, rnd: Random): void {
  guest.init(m, { eoiMode: 0 });
  // Odd vCPUs split EOI into priority drop and deactivation (EOImode 1).
  for (let k = 1; k < m.vcpus; k += 2) guest.setEoiMode(m, k, 1);
  for (let k = 0; k < m.vcpus; k++) {
    for (let s = 0; s < 16 && s < m.vcpus; s++) guest.enable(m, s, k);
  }
  const spi = (first: number, count: number, edge: boolean): void => {
    for (let intid = first; intid < first + count; intid++) {
      guest.setEdge(m, intid, edge);
      guest.setPriority(m, intid, 0x80);
      guest.route(m, intid, rnd.below(m.vcpus));
      guest.enable(m, intid);
    }
  };
  spi(layout.edgeFirst, layout.edgeCount, true);
  spi(layout.levelFirst, layout.levelCount, false);
  spi(layout.halvesFirst, layout.halvesCount, true);
  // Held high by their device: below everything else, so they never hold it back.
  spi(layout.toggleFirst, layout.toggleCount, false);
  for (let i = 0; i < layout.toggleCount; i++) guest.setPriority(m, layout.toggleFirst + i, 0xf0);
  // The set-up ran as guest accesses on this thread: leave every vCPU outside.
  for (let k = 0; k < m.vcpus; k++) m.exit(k);
}

export async function runStress(o: StressOptions): Promise<StressReport> {
  const ref = backendFor(o.backends, o.gic);
  const { create, guest } = await loadBackend(ref);
  const vcpus = o.vcpus;
  if (!(o.seconds > 0)) throw new VgicError('INVALID_ARGUMENT', `seconds must be positive; got ${String(o.seconds)}`);
  const edgeCount = o.edgeSpis ?? 24;
  const levelCount = o.levelSpis ?? 8;
  const toggleWanted = (o.distToggle ?? true) ? 2 : 0;
  const halvesWanted = (o.irouterHalves ?? true) ? 2 : 0;
  const spis = Math.max(32, Math.ceil((edgeCount + levelCount + toggleWanted + halvesWanted) / 32) * 32);
  const injectors = o.injectors ?? 2;
  const seed = o.seed ?? 1;
  const lockCheck = o.lockCheck ?? true;

  const m = create({ vcpus, spis, lrs: o.lrs ?? 4, shared: true, lockCheck });
  // Each role that needs a capability runs only where the backend declares it.
  const dist = m.backend.distributor;
  const toggleCount = dist !== undefined ? toggleWanted : 0;
  const halvesCount = dist?.routeHalves !== undefined ? halvesWanted : 0;
  const retarget = (o.retarget ?? true) && dist !== undefined;
  const levelFirst = 32 + edgeCount;
  const toggleFirst = levelFirst + levelCount;
  const halvesFirst = toggleFirst + toggleCount;
  const layout: StressLayout = {
    edgeFirst: 32,
    edgeCount,
    levelFirst,
    levelCount,
    toggleFirst,
    toggleCount,
    halvesFirst,
    halvesCount,
    crossDir: o.crossDeactivate ?? true,
    // After the SGI credits: one per (sender, target).
    mailboxBase: vcpus * vcpus,
    sgis: o.sgis ?? true,
    sgiEvery: 4,
    seed,
  };
  // Workers read the debug word of the buffer when they open it.
  if (lockCheck) m.vgic.setDebugFlag(DEBUG_LOCKDEP, true);
  setUpGuest(m, guest, layout, new Random(seed));
  if (o.breakQueueRecheck === true) m.vgic.setDebugFlag(DEBUG_NO_QUEUE_RECHECK, true);
  if (o.breakDistEnable === true) m.vgic.setDebugFlag(DEBUG_UNLOCKED_DIST_ENABLE, true);
  if (o.breakRouteUpdate === true) m.vgic.setDebugFlag(DEBUG_UNLOCKED_ROUTE_UPDATE, true);
  if (o.breakLiveActive === true) m.vgic.setDebugFlag(DEBUG_STALE_LIVE_ACTIVE, true);

  // The control block's own words: the SGI credits, then the DIR mailboxes.
  const control = ThreadControl.create(vcpus, vcpus * vcpus + vcpus * MAILBOX_SLOTS);
  const threads = await VcpuThreads.start({
    machine: m,
    backend: ref,
    backendOptions: {},
    guest: { module: 'vgic:stress-guest', data: layout },
    control,
  });
  for (let i = 0; i < injectors; i++) {
    await threads.startTask(`injector ${i}`, { module: 'vgic:stress-injector', data: { ...layout, index: i } });
  }
  if (retarget) await threads.startTask('retarget', { module: 'vgic:stress-retarget', data: layout });
  if (toggleCount > 0) await threads.startTask('dist-toggle', { module: 'vgic:stress-dist-toggle', data: layout });
  if (halvesCount > 0) {
    for (const half of ['lo', 'hi'] as const) {
      await threads.startTask(`irouter-${half}`, { module: 'vgic:stress-irouter-half', data: { ...layout, half } });
    }
  }

  const started = performance.now();
  await sleep(o.seconds * 1000);
  const elapsed = (performance.now() - started) / 1000;
  const shut = await threads.shutdown({ drain: true, timeoutMs: o.timeoutMs ?? 10_000 });

  const v = m.vgic;
  const inj = Object.entries(shut.tasks)
    .filter(([name]) => name.startsWith('injector'))
    .map(([, r]) => r as InjectorResult);
  const rt = shut.tasks['retarget'] as RetargetResult | undefined;
  const dt = shut.tasks['dist-toggle'] as DistToggleResult | undefined;
  const halves = ['irouter-lo', 'irouter-hi'].map((name) => shut.tasks[name] as IrouterHalfResult | undefined).filter((r) => r !== undefined);
  const g = (key: string): number => sum(shut.counters.map((c) => c.guest[key] ?? 0));

  // The halves threads inject their SPIs as edges: into the edge books.
  const edgeNewlyPending = sum(inj.map((r) => r.injected)) + sum(halves.map((r) => r.injected));
  const edgeCoalescedAtInjection = sum(inj.map((r) => r.coalesced)) + sum(halves.map((r) => r.coalesced));
  const coalescedInLr = sum(Array.from(v.foldCoalesced));
  const sgiSent = g('sgiSent');
  const sgiAcks = g('sgiAcks');
  const edgeAcks = g('edgeAcks');
  const edgeInjected = edgeNewlyPending + edgeCoalescedAtInjection;
  const injected = edgeInjected + sgiSent;
  const delivered = edgeAcks + sgiAcks;
  const coalesced = edgeCoalescedAtInjection + coalescedInLr;
  const lost = injected - delivered - coalesced;
  const levelRaised = sum(inj.map((r) => r.levelRaised));
  const levelAcks = g('levelAcks');
  const levelLowered = g('levelLowered');

  // Every thread has finished (or been terminated): the state is ours alone.
  const problems = [...shut.problems, ...checkInvariants(v), ...leftovers(m)];
  if (shut.counters.length !== threads.vcpus.length) problems.push(`${threads.vcpus.length - shut.counters.length} vCPU threads did not report`);
  if (g('unexpected') !== 0) problems.push(`the guests acknowledged ${g('unexpected')} interrupts nobody raised`);
  if (levelLowered !== levelAcks) problems.push(`${levelAcks - levelLowered} level interrupts were acknowledged with their line already low`);
  const distToggle = { toggles: dt?.toggles ?? 0, delivered: g('toggleAcks'), lost: dt?.lost ?? 0 };
  if (distToggle.lost !== 0) problems.push(`${distToggle.lost} times an enable of the distributor left a deliverable interrupt on no ap_list`);
  const irouterHalves = { writes: sum(halves.map((r) => r.writes)), lostWrites: sum(halves.map((r) => r.lostWrites)) };
  if (irouterHalves.lostWrites !== 0) problems.push(`${irouterHalves.lostWrites} routing-word half writes were lost to a write of the other half`);
  const crossDir = { handed: g('handed'), done: g('dirsForOthers') };
  if (crossDir.done !== crossDir.handed) problems.push(`${crossDir.handed - crossDir.done} DIRs handed to another vCPU were never made`);

  const level = { raised: levelRaised, delivered: levelAcks, lowered: levelLowered, lost: levelRaised - levelAcks };
  const lockOrderViolations = v.lockViolations;
  const invariantViolations = problems.length;
  return {
    gic: o.gic,
    vcpus,
    injectors,
    seconds: o.seconds,
    injected,
    delivered,
    coalesced,
    lost,
    lockOrderViolations,
    invariantViolations,
    edge: { injected: edgeInjected, newlyPending: edgeNewlyPending, coalescedAtInjection: edgeCoalescedAtInjection, coalescedInLr, delivered: edgeAcks },
    sgi: { sent: sgiSent, delivered: sgiAcks },
    level,
    retarget: { retargets: rt?.retargets ?? 0, disables: rt?.disables ?? 0, enables: rt?.enables ?? 0 },
    distToggle,
    irouterHalves,
    roles: { retarget, distToggle: toggleCount > 0, irouterHalves: halvesCount > 0 },
    crossDir,
    wfi: {
      sleeps: sum(shut.counters.map((c) => c.wfiSleeps)),
      kicks: sum(shut.counters.map((c) => c.kicks)),
      timeouts: sum(shut.counters.map((c) => c.wfiTimeouts)),
    },
    throughput: {
      deliveredPerSecond: Math.round((delivered + levelAcks) / elapsed),
      injectionsPerSecond: Math.round(sum(inj.map((r) => r.injected + r.coalesced + r.levelRaised + r.levelAlreadyHigh)) / elapsed),
    },
    drained: shut.drained,
    problems,
    perVcpu: shut.counters,
    ok: lost === 0 && lockOrderViolations === 0 && invariantViolations === 0 && level.lost === 0,
  };
}
