/**
 * What a guest's LPI driver does, said once per GIC version that has LPIs
 * (`GuestOps.lpi`): it lays its LPI tables and its interrupt translation
 * service's tables and command queue in its own RAM, turns LPIs on, and from
 * then on maps, moves and discards translations by writing commands to the
 * queue and advancing the queue's write pointer — the calls an OS makes.
 * Core's stress run, the benchmark and the fuzzer drive LPIs through it and
 * stay version-neutral; the commands' encoding is the backend's.
 *
 * The RAM is the guest's: a buffer the caller made and gave the machine as
 * its `guestMemory` too. The driver stores into it directly, as the guest's CPU
 * does; the machine reads the same bytes.
 */
import type { Machine } from '../machine.js';

/** The guest's RAM as its CPU sees it: a buffer mapped at a guest physical address. */
export interface GuestRam {
  base: number;
  buffer: ArrayBuffer | SharedArrayBuffer;
}

/** How many devices, events and vCPUs the LPI tables are laid out for. */
export interface LpiPlan {
  vcpus: number;
  devices: number;
  /** Events of each device (DeviceID 0..devices-1, EventID 0..eventsPerDevice-1). */
  eventsPerDevice: number;
  /** The LPI capacity of the machine (`lpis`; default: four times the plan's events, at least 256, so re-mapped ones fit beside those not yet freed). */
  lpis?: number;
}

/**
 * Who issues a command: a vCPU (its store to the queue's write pointer is a
 * guest instruction: the vCPU exits, the access is emulated, it re-enters),
 * or `'host'` — the emulation of that trapped access, from a thread that
 * runs no vCPU (the stress run's command thread).
 */
export type CommandIssuer = number | 'host';

/**
 * Told of every store the driver makes to RAM, after it is made (the fuzzer
 * records them as the guest's stores). A function: for this thread only.
 */
export type RamObserver = (addr: number, bytes: Uint8Array) => void;

/**
 * One driver over one machine and its RAM, in one thread. Every method
 * writes one command (or, `config`, one property byte) and, for commands,
 * advances the queue's write pointer: the machine processes it before the
 * call returns. Parameters are taken as given, in range or not (the fuzzer
 * sends bad ones); the machine decides what a bad command does.
 */
export interface LpiDriver {
  /** Map a device: an interrupt translation table for `eventBits` EventID bits (1..32), or unmap it. */
  mapDevice(device: number, eventBits: number, valid: boolean): void;
  /** Map a collection to a vCPU, or unmap it. */
  mapCollection(collection: number, vcpu: number, valid: boolean): void;
  /** Translate (device, event) to LPI `intid` in `collection`. */
  mapEvent(device: number, event: number, intid: number, collection: number): void;
  /** Translate (device, event) to the LPI whose INTID is the event number, in `collection`. */
  mapEventIdentity(device: number, event: number, collection: number): void;
  /** Remove the translation of (device, event) (its pending LPI goes with it). */
  discard(device: number, event: number): void;
  /** Move (device, event)'s LPI to `collection`. */
  move(device: number, event: number, collection: number): void;
  /** Move every LPI of vCPU `from` to vCPU `to`. */
  moveAll(from: number, to: number): void;
  /** Make (device, event)'s LPI pending / not pending, as its MSI would / as if it had been taken. */
  raise(device: number, event: number): void;
  clear(device: number, event: number): void;
  /** Re-read the property of (device, event)'s LPI / of every LPI of `collection`. */
  invalidate(device: number, event: number): void;
  invalidateAll(collection: number): void;
  /** Wait for the commands before it to take effect on `vcpu`'s redistributor. */
  sync(vcpu: number): void;
  /** Any 32 bytes as a command (four little-endian 64-bit words). */
  raw(words: readonly [bigint, bigint, bigint, bigint]): void;
  /** Write the property byte of LPI `intid` (priority, enabled) — a store to RAM; an invalidate makes the machine read it. */
  config(intid: number, priority: number, enabled: boolean): void;
}

export interface LpiGuestOps {
  /** Bytes of RAM the tables of `plan` take (from the RAM's base, 64 KiB aligned). */
  ramBytes(plan: LpiPlan): number;
  /** Options the backend's factory needs for a machine with LPIs for `plan` (its translation service, its capacity). */
  machineOptions(plan: LpiPlan): Record<string, unknown>;
  /**
   * The LPI INTID of (device, event) under `plan` at bring-up:
   * 8192 + device × eventsPerDevice + event.
   */
  intidOf(plan: LpiPlan, device: number, event: number): number;
  /**
   * Bring LPIs up as an OS does, on a machine made with `machineOptions`:
   * the property table (every LPI the plan can use — twice its events, so a
   * re-mapped event can take a second INTID — at `priority`, enabled)
   * and a pending table per vCPU in `ram`, LPIs enabled on every
   * redistributor, the translation service's tables and command queue, the
   * service enabled; collection k mapped to vCPU k, each device mapped, and
   * event e of device d translated to `intidOf(plan, d, e)` in collection
   * (d × eventsPerDevice + e) mod vcpus. Issued by vCPU 0.
   */
  setUp(m: Machine, ram: GuestRam, plan: LpiPlan, options?: { priority?: number; observe?: RamObserver }): void;
  /** A driver over a machine that `setUp` brought up (in this thread or another one, over the same RAM). */
  driver(m: Machine, ram: GuestRam, plan: LpiPlan, by: CommandIssuer, observe?: RamObserver): LpiDriver;
}
