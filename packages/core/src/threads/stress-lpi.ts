/**
 * The LPI stress run (`vgic stress --lpi`): one worker thread per vCPU
 * taking LPIs, device threads signalling MSIs for their (device, event)
 * pairs, and a command thread moving, raising and re-mapping translations
 * through the guest's command queue — all over one shared machine and one
 * shared guest RAM, with the lock-order checker on in every thread. At the
 * end the command thread leaves every event mapped, the vCPUs drain, and
 * the main thread (alone by then) checks the books and the invariants.
 *
 * The guest's LPI driver — its tables in RAM, the command encoding — is the
 * backend's (`GuestOps.lpi`); how each number is counted is written at the
 * top of stress-lpi-roles.ts.
 */
import { VgicError } from '../errors.js';
import { checkInvariants } from '../invariants.js';
import { lpiDroppedPending, msiCoalesced } from '../lpi.js';
import type { Machine, MachineOptions } from '../machine.js';
import { MACHINE_OPTION_KEYS } from '../machine-options.js';
import type { GuestRam, LpiGuestOps, LpiPlan } from '../testing/lpi-guest.js';
import { DEBUG_LOCKDEP } from '../vgic.js';
import { ThreadControl } from './control.js';
import type { VcpuCounters } from './guest-cpu.js';
import { VcpuThreads } from './pool.js';
import type { BackendRef } from './protocol.js';
import { backendFor, leftovers, loadBackend } from './stress.js';
import { eventCount, goWord, type LpiCommandResult, type LpiDeviceResult, type LpiStressLayout } from './stress-lpi-roles.js';

/** Where the stress run puts the guest's RAM (QEMU virt's RAM base). */
export const STRESS_RAM_BASE = 0x4000_0000;

export interface LpiStressOptions {
  /** The GIC version: a key of `backends`; its GuestOps must have an LPI driver (`GuestOps.lpi`). */
  gic: string;
  backends: Readonly<Record<string, BackendRef>>;
  vcpus: number;
  /** How long the device threads signal. */
  seconds: number;
  /** Devices, each with its own device thread unless `deviceThreads` says fewer (default 2). */
  devices?: number;
  /** Events per device (default 16, as the kernel's vgic_lpi_stress). */
  eventsPerDevice?: number;
  /** Device threads (default: one per device; more than devices: several threads signal each device). */
  deviceThreads?: number;
  /** Run the command thread (default true); which commands it issues (default all). */
  commands?: boolean | Partial<LpiStressLayout['churn']>;
  /** One event in this many is quiet: mapped and churned, never signalled (default 4; 0: none). */
  quietEvery?: number;
  /** List registers per vCPU (default 4). */
  lrs?: number;
  /** Check the lock order in every thread (default true). */
  lockCheck?: boolean;
  /**
   * Test hook: break the machine on purpose once it is brought up, before
   * any thread starts (a backend's debug switch in the shared state, which
   * every thread then sees: a translation cache that is never invalidated).
   */
  breakMachine?: (m: Machine) => void;
  seed?: number;
  /** How long each shutdown step may take before its threads are terminated (default 10 s). */
  timeoutMs?: number;
}

export interface LpiStressReport {
  gic: string;
  vcpus: number;
  devices: number;
  eventsPerDevice: number;
  deviceThreads: number;
  seconds: number;
  /** MSIs translated (signalMsi true) plus INT commands: each made an LPI pending or coalesced. */
  injected: number;
  /** Acknowledges of LPIs of the plan by the vCPUs. */
  delivered: number;
  /** MSIs and INTs that found the LPI pending (the engine's msiCoalesced), plus those merged in a list register (foldCoalesced). */
  coalesced: number;
  /** Pending LPIs whose translation a DISCARD removed before a vCPU took them (the engine's lpiDroppedPending). */
  droppedPending: number;
  /** injected − delivered − coalesced − droppedPending: 0 on a sound engine. */
  lost: number;
  msi: { sent: number; translated: number; dropped: number; wronglyDropped: number };
  commands: { movi: number; movall: number; remaps: number; raised: number };
  /** Acknowledges of an INTID no signalled event has (a quiet event's LPI, an SPI, anything else). */
  unexpected: number;
  lockOrderViolations: number;
  /** Problems found after the drain (invariants, leftovers, threads that did not finish, the checks above). */
  invariantViolations: number;
  wfi: { sleeps: number; kicks: number; timeouts: number };
  throughput: { msisPerSecond: number; deliveredPerSecond: number };
  drained: boolean;
  problems: string[];
  perVcpu: VcpuCounters[];
  /** lost, wronglyDropped, unexpected, lockOrderViolations and invariantViolations all 0. */
  ok: boolean;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function sum(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}

function positiveInt(name: string, x: number, min: number): number {
  if (!Number.isInteger(x) || x < min) throw new VgicError('INVALID_ARGUMENT', `${name} must be an integer of at least ${min}; got ${String(x)}`);
  return x;
}

function lpiOpsOf(guest: { lpi?: LpiGuestOps }, gic: string): LpiGuestOps {
  if (guest.lpi === undefined) throw new VgicError('INVALID_ARGUMENT', `GIC${gic}'s guest has no LPI driver (GuestOps.lpi): it has no LPIs to stress`);
  return guest.lpi;
}

/** The machine and RAM of an LPI run, brought up by the guest's driver on this thread. */
export function lpiMachine(
  create: (o: MachineOptions & Record<string, unknown>) => Machine,
  lpi: LpiGuestOps,
  plan: LpiPlan,
  o: { lrs?: number; lockCheck: boolean; shared: boolean },
): { machine: Machine; ram: GuestRam; backendOptions: Record<string, unknown> } {
  const bytes = lpi.ramBytes(plan);
  const ram: GuestRam = { base: STRESS_RAM_BASE, buffer: o.shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes) };
  const options = lpi.machineOptions(plan);
  const machine = create({
    vcpus: plan.vcpus,
    spis: 32,
    lrs: o.lrs ?? 4,
    shared: o.shared,
    lockCheck: o.lockCheck,
    guestMemory: [{ base: ram.base, buffer: ram.buffer }],
    ...options,
  });
  // What a worker's attach needs to build the same backend: the backend's own options (the machine's are in the buffer).
  const backendOptions = Object.fromEntries(Object.entries(options).filter(([k]) => !MACHINE_OPTION_KEYS.includes(k)));
  return { machine, ram, backendOptions };
}

export async function runLpiStress(o: LpiStressOptions): Promise<LpiStressReport> {
  const ref = backendFor(o.backends, o.gic);
  const { create, guest } = await loadBackend(ref);
  const lpi = lpiOpsOf(guest, o.gic);
  if (!(o.seconds > 0)) throw new VgicError('INVALID_ARGUMENT', `seconds must be positive; got ${String(o.seconds)}`);
  const vcpus = positiveInt('vcpus', o.vcpus, 1);
  const devices = positiveInt('devices', o.devices ?? 2, 1);
  const eventsPerDevice = positiveInt('eventsPerDevice', o.eventsPerDevice ?? 16, 1);
  const deviceThreads = positiveInt('deviceThreads', o.deviceThreads ?? devices, 1);
  const quietEvery = positiveInt('quietEvery', o.quietEvery ?? 4, 0);
  const lockCheck = o.lockCheck ?? true;
  const commands = o.commands ?? true;
  const churn =
    commands === false
      ? { movi: false, movall: false, remap: false, int: false }
      : { movi: true, movall: true, remap: true, int: true, ...(commands === true ? {} : commands) };
  const plan: LpiPlan = { vcpus, devices, eventsPerDevice };

  const { machine: m, ram, backendOptions } = lpiMachine(create, lpi, plan, { ...(o.lrs !== undefined && { lrs: o.lrs }), lockCheck, shared: true });
  // Workers read the debug word of the buffer when they open it.
  if (lockCheck) m.vgic.setDebugFlag(DEBUG_LOCKDEP, true);
  guest.init(m, { eoiMode: 0 });
  lpi.setUp(m, ram, plan);
  for (let k = 0; k < vcpus; k++) m.exit(k);
  o.breakMachine?.(m);

  const events = eventCount(plan);
  const layout: LpiStressLayout = { plan, ram, deviceThreads, quietEvery, backend: ref, churn, seed: o.seed ?? 1 };
  // The control block's own words: an epoch per event, then the word that starts the device and command threads (stress-lpi-roles.ts).
  const control = ThreadControl.create(vcpus, events + 1);
  const data = { ...layout, epochs: 0 };
  const threads = await VcpuThreads.start({ machine: m, backend: ref, backendOptions, guest: { module: 'vgic:stress-lpi-guest', data }, control });
  for (let i = 0; i < deviceThreads; i++) await threads.startTask(`device ${i}`, { module: 'vgic:stress-lpi-device', data: { ...data, index: i } });
  const commanding = Object.values(churn).some((x) => x);
  if (commanding) await threads.startTask('commands', { module: 'vgic:stress-lpi-commands', data });

  Atomics.store(control.user, goWord(plan), 1);
  Atomics.notify(control.user, goWord(plan));
  const started = performance.now();
  await sleep(o.seconds * 1000);
  const elapsed = (performance.now() - started) / 1000;
  const shut = await threads.shutdown({ drain: true, timeoutMs: o.timeoutMs ?? 10_000 });

  const v = m.vgic;
  const dev = Object.entries(shut.tasks)
    .filter(([name]) => name.startsWith('device'))
    .map(([, r]) => r as LpiDeviceResult);
  const cmd = shut.tasks['commands'] as LpiCommandResult | undefined;
  const g = (key: string): number => sum(shut.counters.map((c) => c.guest[key] ?? 0));

  const msi = {
    sent: sum(dev.map((r) => r.sent)),
    translated: sum(dev.map((r) => r.translated)),
    dropped: sum(dev.map((r) => r.dropped)),
    wronglyDropped: sum(dev.map((r) => r.wronglyDropped)),
  };
  const commandCounts = { movi: cmd?.movi ?? 0, movall: cmd?.movall ?? 0, remaps: cmd?.remaps ?? 0, raised: cmd?.raised ?? 0 };
  const injected = msi.translated + commandCounts.raised;
  const delivered = g('lpiDelivered');
  const unexpected = g('lpiUnexpected');
  const coalesced = msiCoalesced(v) + sum(Array.from(v.foldCoalesced));
  const droppedPending = lpiDroppedPending(v);
  const lost = injected - delivered - coalesced - droppedPending;

  // Every thread has finished (or been terminated): the state is ours alone.
  const problems = [...shut.problems, ...checkInvariants(v), ...leftovers(m)];
  if (shut.counters.length !== threads.vcpus.length) problems.push(`${threads.vcpus.length - shut.counters.length} vCPU threads did not report`);
  if (dev.length !== deviceThreads) problems.push(`${deviceThreads - dev.length} device threads did not report`);
  if (commanding && cmd === undefined) problems.push('the command thread did not report');
  if (msi.wronglyDropped !== 0) problems.push(`${msi.wronglyDropped} MSIs were dropped while their event stayed mapped`);
  if (unexpected !== 0) problems.push(`the guests acknowledged ${unexpected} interrupts no device signalled`);
  if (lost !== 0) problems.push(`the books do not balance: ${injected} injected, ${delivered} delivered, ${coalesced} coalesced, ${droppedPending} dropped pending (${lost} lost)`);

  const lockOrderViolations = v.lockViolations;
  return {
    gic: o.gic,
    vcpus,
    devices,
    eventsPerDevice,
    deviceThreads,
    seconds: o.seconds,
    injected,
    delivered,
    coalesced,
    droppedPending,
    lost,
    msi,
    commands: commandCounts,
    unexpected,
    lockOrderViolations,
    invariantViolations: problems.length,
    wfi: {
      sleeps: sum(shut.counters.map((c) => c.wfiSleeps)),
      kicks: sum(shut.counters.map((c) => c.kicks)),
      timeouts: sum(shut.counters.map((c) => c.wfiTimeouts)),
    },
    throughput: { msisPerSecond: Math.round(msi.sent / elapsed), deliveredPerSecond: Math.round(delivered / elapsed) },
    drained: shut.drained,
    problems,
    perVcpu: shut.counters,
    ok: lost === 0 && msi.wronglyDropped === 0 && unexpected === 0 && lockOrderViolations === 0 && problems.length === 0,
  };
}
