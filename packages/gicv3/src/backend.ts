/**
 * The GICv3 backend: a GICv3 as KVM presents it to a guest — one security
 * state (GICD_CTLR.DS = 1), affinity routing always on (ARE = 1), the CPU
 * interface as system registers — plugged into core's `GicBackend`.
 *
 * Where it goes beyond KVM (each said again where it is done):
 * - IROUTER's Aff3 routes (GICD_TYPER.A3V set), and ICC_SGI1R_EL1's Aff3 and
 *   RS reach every affinity (ICC_CTLR_EL1.A3V and RSS set);
 * - IRM = 1 (1-of-N) routes, deterministically (routing.ts);
 * - rerouting a pending interrupt that had no target delivers it;
 * - GICD_CTLR.EnableGrp0 exists beside EnableGrp1.
 */
import {
  LPI_INTID_SPACE,
  NONE,
  VgicError,
  frameBase,
  readOptions,
  resetCpuInterface,
  resetIrqState,
  setDistEnable,
  type FrameDef,
  type GicBackend,
  type SysregDef,
  type Vgic,
} from '@vgic/core';
import { formatAffinity, parseMpidrs, TopologyRegistry, vcpuByAffinity, type Topology } from './affinity.js';
import { itsLpisDisabled, plugIts } from './its/index.js';
import { GITS_SIZE } from './its/frame.js';
import { registerIts } from './its/machines.js';
import { readItsOption, type ItsOptions } from './its/options.js';
import { gicrLpis } from './its/redistributors.js';
import { gicv3Kvm } from './kvm.js';
import { encodeLr } from './lr.js';
import { checkGicv3Snapshot } from './restore-check.js';
import { gicdRegisters, GICD_SIZE } from './regs/gicd.js';
import { gicrRegisters, GICR_SIZE } from './regs/gicr.js';
import { NO_LPI_HOOKS, lpiResetDist, lpiResetVcpu, type LpiHooks } from './regs/lpi.js';
import { iccRegisters } from './regs/icc.js';
import { gicv3Distributor, gicv3GuestCpu } from './roles.js';
import { IROUTER_IRM, routeAffinity, slotTarget } from './routing.js';

export interface Gicv3BackendOptions {
  /** Guest physical base of the distributor (64 KiB). Default 0x08000000, as QEMU's `virt`. */
  gicdBase?: number;
  /**
   * Guest physical base of the redistributors: one 128 KiB frame per vCPU,
   * contiguous. Default 0x080A0000, as QEMU's `virt`.
   */
  gicrBase?: number;
  /**
   * Each vCPU's MPIDR_EL1 (only the affinity fields count; bits 31, 30 and
   * 24 are ignored). Default, as KVM: Aff0 = k & 0xf, Aff1 = (k >> 4) & 0xff,
   * Aff2 = (k >> 12) & 0xff.
   */
  mpidr?: readonly (number | bigint)[];
  /**
   * An ITS (its.ts): `true` for one at QEMU virt's GITS base (0x08080000),
   * or `{ base, devices, collections, translations, cache }`. A machine
   * with an ITS has LPIs (`createGicv3` gives it 8192 unless `lpis` says).
   */
  its?: boolean | ItsOptions;
}

/** The options `createGicv3Backend` takes (and `createGicv3` on top of the machine's). */
export const GICV3_OPTION_KEYS: readonly string[] = Object.freeze(['gicdBase', 'gicrBase', 'mpidr', 'its']);

export const DEFAULT_GICD_BASE = 0x0800_0000;
export const DEFAULT_GICR_BASE = 0x080a_0000;

/**
 * KVM's limits for a GICv3 guest: VGIC_V3_MAX_CPUS, VGIC_V3_MAX_LRS, 1020 - 32
 * SPIs; LPIs: as many as 16-bit INTIDs name (8192..65535), the IDbits KVM's
 * GICD_TYPER reports.
 */
const LIMITS = { maxVcpus: 512, maxLrs: 16, maxSpis: 988, maxLpis: LPI_INTID_SPACE } as const;

/**
 * A frame base from the options: 64 KiB-aligned, and below 2^52, the
 * largest physical address space Armv8 has (52-bit PAs).
 */
function checkBase(name: string, value: unknown, fallback: number, size: number): number {
  return frameBase(name, value, { fallback, align: 0x10000, size, addressBits: 52 });
}

/** No two frames overlap (the redistributor region's size depends on the vCPU count). */
function checkLayout(gicdBase: number, gicrBase: number, gitsBase: number | null, nrVcpus: number): void {
  const gicrEnd = gicrBase + nrVcpus * GICR_SIZE;
  const hex = (n: number): string => `0x${n.toString(16)}`;
  const regions: [string, number, number][] = [
    [`the distributor at ${hex(gicdBase)}`, gicdBase, gicdBase + GICD_SIZE],
    [`the redistributors at ${hex(gicrBase)}..${hex(gicrEnd - 1)} (${nrVcpus} × 128 KiB)`, gicrBase, gicrEnd],
  ];
  if (gitsBase !== null) regions.push([`the ITS at ${hex(gitsBase)}`, gitsBase, gitsBase + GITS_SIZE]);
  for (let i = 0; i < regions.length; i++) {
    for (let j = i + 1; j < regions.length; j++) {
      const [a, a0, a1] = regions[i]!;
      const [b, b0, b1] = regions[j]!;
      if (a0 < b1 && b0 < a1) throw new VgicError('INVALID_CONFIG', `${a} overlaps ${b}`);
    }
  }
}

/** One interrupt's reset state: core's shared one in group 1 (KVM's GICv3 default), and its routing word. */
function resetIrq(v: Vgic, t: Topology, slot: number, intid: number, vcpu: number): void {
  resetIrqState(v, slot, intid, 1);
  if (vcpu !== NONE) {
    // A private interrupt's routing word records its own vCPU's affinity (KVM's irq->mpidr).
    const aff = t.affinity[vcpu]!;
    v.route[slot * 2] = aff & 0xff_ffff;
    v.route[slot * 2 + 1] = aff >>> 24;
    v.target[slot] = vcpu;
  } else {
    // IROUTER = 0: the vCPU with affinity 0.0.0.0, or none when custom
    // affinities leave it out (KVM targets vCPU 0 whatever IROUTER says).
    v.route[slot * 2] = 0;
    v.route[slot * 2 + 1] = 0;
    v.target[slot] = vcpuByAffinity(t, 0);
  }
}

/**
 * The CPU interface at reset (KVM: VMCR = 0): everything masked (PMR 0),
 * both groups disabled, EOImode 0, binary points at their minimum. Group 0
 * is signalled as FIQ: with the system-register interface FIQEn is RES1.
 */
function resetVcpu(v: Vgic, vcpu: number): void {
  resetCpuInterface(v, vcpu, { bpr0: v.bprMin - 1, bpr1: v.bprMin, fiqEn: 1 });
  lpiResetVcpu(v, vcpu);
}

function describeRoute(v: Vgic, t: Topology, slot: number): string {
  const own = v.slotVcpu(slot);
  if (own !== NONE) return formatAffinity(t.affinity[own]!);
  if (v.isLpiSlot(slot)) {
    // An LPI has no routing word: it goes where its collection (the ITS) sent it.
    const target = v.target[slot]!;
    return target === NONE ? 'none' : formatAffinity(t.affinity[target]!);
  }
  const lo = v.route[slot * 2]!;
  const aff = formatAffinity(routeAffinity(lo, v.route[slot * 2 + 1]!));
  return (lo & IROUTER_IRM) !== 0 ? `${aff} IRM` : aff;
}

/**
 * What a backend's registers are built over: the machines' topologies
 * (each machine's built at its attach, from the `mpidr` option or the
 * default) and the register tables that look them up.
 */
interface Gicv3Tables {
  registry: TopologyRegistry;
  topo: (v: Vgic) => Topology;
  gicd: FrameDef['registers'];
  gicr: FrameDef['registers'];
  sysregs: SysregDef[];
  guestCpu: GicBackend['guestCpu'];
  distributor: GicBackend['distributor'];
}

function buildTables(given: Uint32Array | null, lpiHooks: LpiHooks): Gicv3Tables {
  const registry = new TopologyRegistry(given);
  const topo = (v: Vgic): Topology => registry.of(v);
  return {
    registry,
    topo,
    gicd: gicdRegisters(topo),
    gicr: gicrRegisters(topo, lpiHooks),
    sysregs: iccRegisters(topo),
    guestCpu: gicv3GuestCpu(topo),
    distributor: gicv3Distributor(topo),
  };
}

/**
 * The tables of machines with the default topology, built once per thread
 * and shared — without an ITS and with one (what the redistributors tell
 * it) — so a machine costs its state buffer and a few objects, not a copy
 * of every register table. The registry keeps each machine's topology apart.
 */
const defaultTables: { plain: Gicv3Tables | null; withIts: Gicv3Tables | null } = { plain: null, withIts: null };

function tablesFor(given: Uint32Array | null, withIts: boolean): Gicv3Tables {
  // What the redistributors tell the ITS.
  const hooks: LpiHooks = withIts ? { lpisDisabled: itsLpisDisabled } : NO_LPI_HOOKS;
  if (given !== null) return buildTables(given, hooks);
  if (withIts) return (defaultTables.withIts ??= buildTables(null, hooks));
  return (defaultTables.plain ??= buildTables(null, hooks));
}

/** A GICv3 backend value, for `createMachine` (or use `createGicv3`). Throws INVALID_CONFIG for bad options. */
export function createGicv3Backend(options: Gicv3BackendOptions = {}): GicBackend {
  const o = readOptions(options, GICV3_OPTION_KEYS, 'INVALID_CONFIG', 'GICv3 options');
  const gicdBase = checkBase('gicdBase', o['gicdBase'], DEFAULT_GICD_BASE, GICD_SIZE);
  const gicrBase = checkBase('gicrBase', o['gicrBase'], DEFAULT_GICR_BASE, GICR_SIZE);
  const given = o['mpidr'] === undefined ? null : parseMpidrs(o['mpidr'], LIMITS.maxVcpus);
  const itsConfig = readItsOption(o['its']);
  const its = itsConfig === null ? null : plugIts(itsConfig, gicrLpis);
  const tables = tablesFor(given, its !== null);
  const { registry, topo } = tables;

  const frames: FrameDef[] = [
    { name: 'GICD', base: gicdBase, size: GICD_SIZE, perVcpu: false, traps: true, registers: tables.gicd },
    { name: 'GICR', base: gicrBase, size: GICR_SIZE, perVcpu: true, traps: true, registers: tables.gicr },
    ...(its !== null ? [its.frame] : []),
  ];
  const sysregs: SysregDef[] = tables.sysregs;

  const backend: GicBackend = {
    version: 'v3',
    limits: LIMITS,
    priorityBits: 5,
    sgiSources: false,
    attach(v) {
      checkLayout(gicdBase, gicrBase, itsConfig?.base ?? null, v.nrVcpus);
      if (its !== null && v.nrLpis === 0) throw new VgicError('INVALID_CONFIG', 'an ITS needs LPIs: give the machine `lpis` (createGicv3 gives 8192)');
      registry.attach(v);
    },
    resetIrq: (v, slot, intid, vcpu) => resetIrq(v, topo(v), slot, intid, vcpu),
    resetVcpu,
    resetDist: (v) => {
      setDistEnable(v, 0);
      lpiResetDist(v);
      its?.reset(v);
    },
    routeTarget: (v, slot) => slotTarget(v, topo(v), slot),
    frames,
    sysregs,
    encodeLr,
    describeRoute: (v, slot) => describeRoute(v, topo(v), slot),
    checkSnapshot: (v, doc) => checkGicv3Snapshot(v, topo(v), doc),
    vcpuAffinity: (v, vcpu) => topo(v).affinity[vcpu]!,
    guestCpu: tables.guestCpu,
    distributor: tables.distributor,
    kvm: gicv3Kvm,
    ...(its !== null && { msi: its.msi, stateWords: its.stateWords, snapshotState: its.snapshot }),
  };
  if (its !== null) registerIts(backend, its.registry);
  return backend;
}
