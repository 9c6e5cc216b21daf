/**
 * The GICv2 backend: a GICv2 as Linux KVM presents it to a guest
 * (vgic-v2.c, vgic-mmio-v2.c, vgic-init.c), plugged into core's
 * `GicBackend` contract.
 *
 * - A distributor frame (GICD, 4 KiB) whose accesses trap, and a CPU
 *   interface frame (GICC, 8 KiB) served from the list registers.
 * - Routing: each SPI's ITARGETSR byte, kept in the low word of its routing
 *   word; the target is its lowest set bit (vCPU 0 when none is set, as KVM).
 * - SGIs carry a source-vCPU bitmap, and IAR reports the source.
 * - At most 8 vCPUs (VGIC_V2_MAX_CPUS), up to 16 list registers (the
 *   engine's limit; GICH_VTR could name 64), five priority bits.
 */
import {
  VgicError,
  frameBase,
  readOptions,
  resetCpuInterface,
  resetIrqState,
  setDistEnable,
  type FrameDef,
  type GicBackend,
  type Vgic,
} from '@vgic/core';
import { gicv2Kvm } from './kvm.js';
import { packGichLr } from './lr.js';
import { checkGicv2Snapshot } from './restore-check.js';
import { GICC_ABPR_MIN, GICC_BPR_MIN, GICC_SIZE, giccRegisters } from './regs/gicc.js';
import { GICD_SIZE, gicdRegisters, spiTarget } from './regs/gicd.js';
import { gicv2Distributor, gicv2GuestCpu } from './roles.js';

/** QEMU `virt`'s GICv2 distributor base (VIRT_GIC_DIST). */
export const DEFAULT_GICD_BASE = 0x0800_0000;
/** QEMU `virt`'s GICv2 CPU interface base (VIRT_GIC_CPU). */
export const DEFAULT_GICC_BASE = 0x0801_0000;

export { GICD_SIZE, GICC_SIZE };

export interface Gicv2BackendOptions {
  /** Guest physical base of the distributor frame (default 0x08000000). */
  gicdBase?: number;
  /** Guest physical base of the CPU interface frame (default 0x08010000). */
  giccBase?: number;
}

/** The options `createGicv2Backend` takes (and `createGicv2` on top of the machine's). */
export const GICV2_OPTION_KEYS: readonly string[] = Object.freeze(['gicdBase', 'giccBase']);

function hex(x: number): string {
  return `0x${x.toString(16)}`;
}

/** The frame bases the options name, checked: aligned, in range, not overlapping. */
export function gicv2Bases(options: Gicv2BackendOptions = {}): { gicdBase: number; giccBase: number } {
  const o = readOptions(options, GICV2_OPTION_KEYS, 'INVALID_CONFIG', 'GICv2 options');
  const gicdBase = frameBase('gicdBase', o['gicdBase'], { fallback: DEFAULT_GICD_BASE, align: 0x1000, size: GICD_SIZE, addressBits: 48 });
  const giccBase = frameBase('giccBase', o['giccBase'], { fallback: DEFAULT_GICC_BASE, align: 0x1000, size: GICC_SIZE, addressBits: 48 });
  if (gicdBase < giccBase + GICC_SIZE && giccBase < gicdBase + GICD_SIZE) {
    throw new VgicError(
      'INVALID_CONFIG',
      `the GICD frame (${hex(gicdBase)}, 4 KiB) and the GICC frame (${hex(giccBase)}, 8 KiB) overlap`,
    );
  }
  return { gicdBase, giccBase };
}

// --- reset (vgic-init.c) ------------------------------------------------------------

/**
 * One interrupt's reset state, as kvm_vgic_vcpu_init/kvm_vgic_dist_init leave
 * it for the GICv2 model: SGIs enabled and edge-triggered, PPIs disabled and
 * level-triggered, SPIs disabled and edge-triggered; everything in group 0
 * at priority 0. A private interrupt's target byte is its own vCPU's bit (so
 * ITARGETSR0-7 read back the reader's bit); an SPI's is 0, routed to vCPU 0.
 */
function resetIrq(v: Vgic, slot: number, intid: number, vcpu: number): void {
  resetIrqState(v, slot, intid, 0);
  const own = intid < 32 ? 1 << vcpu : 0;
  v.route[slot * 2] = own;
  v.route[slot * 2 + 1] = 0;
  v.target[slot] = intid < 32 ? vcpu : spiTarget(own);
}

/**
 * A vCPU's CPU interface at reset: GICH_VMCR = 0, so PMR 0 (everything
 * masked), both groups disabled, AckCtl, FIQEn, CBPR and EOImode 0; the
 * binary points at their minimum (KVM writes 0 and the hardware clamps).
 */
function resetVcpu(v: Vgic, vcpu: number): void {
  resetCpuInterface(v, vcpu, { bpr0: GICC_BPR_MIN, bpr1: GICC_ABPR_MIN, fiqEn: 0 });
}

/** The distributor at reset: disabled. */
function resetDist(v: Vgic): void {
  setDistEnable(v, 0);
}

// --- routing ------------------------------------------------------------------------

function routeTarget(v: Vgic, slot: number): number {
  const own = v.slotVcpu(slot);
  return own >= 0 ? own : spiTarget(v.route[slot * 2]! & 0xff);
}

function describeRoute(v: Vgic, slot: number): string {
  const targets = v.route[slot * 2]! & 0xff;
  if (targets === 0) return 'none (cpu0)';
  const names: string[] = [];
  for (let k = 0; k < 8; k++) if ((targets >> k) & 1) names.push(`cpu${k}`);
  return names.join('|');
}

// --- list registers -------------------------------------------------------------------

function encodeLr(v: Vgic, vcpu: number, k: number): bigint {
  const lr = v.lrBase(vcpu) + k;
  const word = packGichLr(
    v.lrIntid[lr]!,
    v.lrState[lr]!,
    v.lrPrio[lr]!,
    v.lrGroup[lr]!,
    v.lrHw[lr] !== 0,
    v.lrHost[lr]!,
    v.lrSrc[lr]!,
    v.lrEoi[lr] !== 0,
  );
  return BigInt(word);
}

// --- the backend ------------------------------------------------------------------------

/**
 * A GICv2 backend with its frames at the given guest physical addresses
 * (default: QEMU `virt`'s). Pass it to core's `createMachine`, or use
 * `createGicv2`, which does both.
 */
export function createGicv2Backend(options: Gicv2BackendOptions = {}): GicBackend {
  const { gicdBase, giccBase } = gicv2Bases(options);
  const frames: FrameDef[] = [
    { name: 'GICD', base: gicdBase, size: GICD_SIZE, perVcpu: false, traps: true, registers: gicdRegisters },
    { name: 'GICC', base: giccBase, size: GICC_SIZE, perVcpu: false, traps: false, registers: giccRegisters },
  ];
  return {
    version: 'v2',
    limits: { maxVcpus: 8, maxLrs: 16, maxSpis: 988 },
    priorityBits: 5,
    sgiSources: true,
    resetIrq,
    resetVcpu,
    resetDist,
    routeTarget,
    frames,
    sysregs: [],
    encodeLr,
    describeRoute,
    checkSnapshot: checkGicv2Snapshot,
    guestCpu: gicv2GuestCpu,
    distributor: gicv2Distributor,
    kvm: gicv2Kvm,
  };
}
