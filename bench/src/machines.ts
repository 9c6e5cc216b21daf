/**
 * The machines the workloads run on, made exactly as a consumer makes them:
 * the backend package's factory, then the guest's own bring-up through
 * `GuestOps` (register names, as a guest OS would program the GIC).
 *
 * Three modes, the axis of the benchmark:
 * - `single`: an unshared ArrayBuffer with plain locks (one thread);
 * - `shared`: a SharedArrayBuffer with `Atomics` locks (vCPUs may be on
 *   worker threads);
 * - `shared-wasm`: the buffer of a shared WebAssembly.Memory with locks on
 *   WebAssembly's atomic instructions.
 * The lock-order checker is off: it measures itself, not the engine.
 */
import { sysregKey, wasmLocksSupported, type Machine, type MachineOptions } from '@vgic/core';
import type { GuestOps, GuestRam, LpiGuestOps } from '@vgic/core/testing';
import { createGicv2, gicv2Guest } from '@vgic/gicv2';
import { createGicv3, gicv3Guest } from '@vgic/gicv3';

export const GICS = ['v2', 'v3'] as const;
export type GicName = (typeof GICS)[number];

export const MODES = ['single', 'shared', 'shared-wasm'] as const;
export type ModeName = (typeof MODES)[number];

export interface GicKit {
  readonly gic: GicName;
  readonly guest: GuestOps;
  create(options: MachineOptions & Record<string, unknown>): Machine;
}

export const KITS: Readonly<Record<GicName, GicKit>> = {
  v2: { gic: 'v2', guest: gicv2Guest, create: (o) => createGicv2(o) },
  v3: { gic: 'v3', guest: gicv3Guest, create: (o) => createGicv3(o) },
};

/** The lock primitive each mode must end up with (checked: a mode that silently fell back would mislabel its numbers). */
const LOCK_KIND: Readonly<Record<ModeName, string>> = {
  single: 'plain',
  shared: 'atomic',
  'shared-wasm': 'wasm-atomic',
};

function modeOptions(mode: ModeName): Pick<MachineOptions, 'shared' | 'memory'> {
  switch (mode) {
    case 'single':
      return { shared: false };
    case 'shared':
      return { shared: true };
    case 'shared-wasm':
      return { shared: true, memory: 'wasm' };
  }
}

/** Why a mode cannot run here, or null when it can. */
export function modeUnavailable(mode: ModeName): string | null {
  if (mode !== 'single' && typeof SharedArrayBuffer === 'undefined') return 'this runtime has no SharedArrayBuffer';
  if (mode === 'shared-wasm' && !wasmLocksSupported()) return 'this runtime cannot run WebAssembly atomics on shared memory';
  return null;
}

export interface MachineSpec {
  vcpus: number;
  /** SPIs (a multiple of 32; default 32). */
  spis?: number;
  /**
   * LPIs through the ITS, for this many devices and events each: the guest's
   * RAM (an ArrayBuffer in `single`, a SharedArrayBuffer in the shared modes,
   * at 0x40000000), and its LPI driver's bring-up (`GuestOps.lpi`).
   */
  lpis?: { devices: number; eventsPerDevice: number };
}

/** Where the workloads put the guest's RAM (QEMU virt's RAM base). */
export const RAM_BASE = 0x4000_0000;

const RAMS = new WeakMap<Machine, GuestRam>();

/** The guest RAM `makeMachine` gave a machine with LPIs. */
export function guestRamOf(m: Machine): GuestRam {
  const ram = RAMS.get(m);
  if (ram === undefined) throw new Error('this machine was made without LPIs: it has no guest RAM');
  return ram;
}

/** The LPI driver of a GIC with LPIs. */
export function lpiGuest(kit: GicKit): LpiGuestOps {
  const lpi = kit.guest.lpi;
  if (lpi === undefined) throw new Error(`GIC${kit.gic} has no LPIs`);
  return lpi;
}

/**
 * A machine of `gic` in `mode`, brought up as a guest OS would: distributor
 * and CPU interfaces enabled for the guest's group, PMR 0xff, the smallest
 * binary point, EOImode 0; 4 list registers per vCPU; with `lpis`, LPIs on
 * and the ITS's devices, collections and translations mapped.
 */
export function makeMachine(kit: GicKit, mode: ModeName, spec: MachineSpec): Machine {
  const plan = spec.lpis === undefined ? null : { vcpus: spec.vcpus, ...spec.lpis };
  const lpi = plan === null ? null : lpiGuest(kit);
  let ram: GuestRam | null = null;
  let extra: Record<string, unknown> = {};
  if (lpi !== null && plan !== null) {
    const bytes = lpi.ramBytes(plan);
    ram = { base: RAM_BASE, buffer: mode === 'single' ? new ArrayBuffer(bytes) : new SharedArrayBuffer(bytes) };
    extra = { ...lpi.machineOptions(plan), guestMemory: [{ base: ram.base, buffer: ram.buffer }] };
  }
  const m = kit.create({ vcpus: spec.vcpus, spis: spec.spis ?? 32, lrs: 4, lockCheck: false, ...modeOptions(mode), ...extra });
  const kind = m.vgic.locks.kind;
  if (kind !== LOCK_KIND[mode]) {
    throw new Error(`GIC${kit.gic} ${mode}: the machine was made with ${kind} locks, not ${LOCK_KIND[mode]}`);
  }
  kit.guest.init(m, { eoiMode: 0 });
  if (lpi !== null && plan !== null && ram !== null) {
    RAMS.set(m, ram);
    lpi.setUp(m, ram, plan);
  }
  return m;
}

/** An edge-triggered interrupt, enabled, in the guest's group, at `priority`, routed to `vcpu` (SPIs) or banked on it. */
export function configureIrq(kit: GicKit, m: Machine, intid: number, priority: number, vcpu: number): void {
  const g = kit.guest;
  const bank = intid < 32 ? vcpu : 0;
  g.setGroup(m, intid, g.group, bank);
  g.setPriority(m, intid, priority, bank);
  if (intid >= 32) {
    g.setEdge(m, intid, true);
    g.route(m, intid, vcpu);
  }
  g.enable(m, intid, bank);
}

/** The guest physical address of an MMIO register (`GICC_IAR`, `GICD_SGIR`, `GICD_IROUTER32`). */
export function mmioAddr(m: Machine, name: string, rd?: number): number {
  const r = m.resolve(name, rd === undefined ? {} : { rd });
  if (r.kind !== 'mmio') throw new Error(`${name} is not a memory-mapped register on GIC${m.version}`);
  return r.addr;
}

/** The packed encoding (`sysregKey`) of a system register, for `sysregRead32` / `sysregWriteWords`. */
export function sysregKeyOf(m: Machine, name: string): number {
  const r = m.resolve(name);
  if (r.kind !== 'sysreg') throw new Error(`${name} is not a system register on GIC${m.version}`);
  return sysregKey(r.encoding);
}

/** vCPU `vcpu`'s affinity, Aff3.Aff2.Aff1.Aff0 packed from the top byte down, as its redistributor reports it (GICR_TYPER[63:32]). */
export function affinityOf(m: Machine, vcpu: number): number {
  return Number((BigInt(m.readRegister('GICR_TYPER', { rd: vcpu })) >> 32n) & 0xffffffffn);
}

/** The engine is sound: invariants hold and no lock is left held. Throws with what is wrong. */
export function assertSound(m: Machine, where: string): void {
  const broken = m.checkInvariants();
  if (broken.length > 0) throw new Error(`${where}: engine invariants broken: ${broken.join('; ')}`);
  if (!m.noLockHeld()) throw new Error(`${where}: a lock is still held`);
}
