/**
 * The GICv2 list register, GICH_LR<n> (IHI 0048B, chapter 5, "GICH_LRn"),
 * as KVM's vgic-v2.c fills it:
 *
 *   bit 31     HW          the virtual interrupt is mapped to a physical one
 *   bit 30     Grp1        group 1 (signalled as virtual IRQ, never FIQ)
 *   bits 29:28 State       0 invalid, 1 pending, 2 active, 3 pending and active
 *   bits 27:23 Priority    the top five bits of the 8-bit priority
 *   bits 19:10 PhysicalID  with HW: the physical INTID to deactivate
 *     bit 19   EOI         without HW: raise a maintenance interrupt on EOI
 *     bits 12:10 CPUID     without HW: the source vCPU of an SGI
 *   bits 9:0   VirtualID   the INTID the guest sees
 *
 * The engine keeps an LR as separate fields (`Vgic.lr*`); this is the
 * encoding snapshots and traces show.
 */

export const GICH_LR_HW = 0x8000_0000;
export const GICH_LR_GRP1 = 0x4000_0000;
export const GICH_LR_STATE_SHIFT = 28;
export const GICH_LR_PRIORITY_SHIFT = 23;
export const GICH_LR_EOI = 0x0008_0000;
export const GICH_LR_PHYSID_SHIFT = 10;
export const GICH_LR_CPUID_SHIFT = 10;

/** The fields of one GICH_LR value. */
export interface GichLrFields {
  /** VirtualID, bits 9:0. */
  virtualId: number;
  /** 0 invalid, 1 pending, 2 active, 3 pending and active (bits 29:28). */
  state: number;
  /** The 8-bit priority; the register keeps its top five bits. */
  priority: number;
  /** Grp1, bit 30. */
  group: number;
  /** HW, bit 31. */
  hw: boolean;
  /** With HW: PhysicalID, bits 19:10; 0 otherwise. */
  physicalId: number;
  /** Without HW: the SGI source, CPUID bits 12:10; 0 otherwise. */
  cpuId: number;
  /** Without HW: EOI, bit 19 (maintenance interrupt on EOI). */
  eoi: boolean;
}

/** Pack GICH_LR fields given as numbers (no allocation: the backend's `encodeLr` uses it). */
export function packGichLr(
  virtualId: number,
  state: number,
  priority: number,
  group: number,
  hw: boolean,
  physicalId: number,
  cpuId: number,
  eoi: boolean,
): number {
  let w = virtualId & 0x3ff;
  w |= (state & 3) << GICH_LR_STATE_SHIFT;
  w |= ((priority >> 3) & 0x1f) << GICH_LR_PRIORITY_SHIFT;
  if (group !== 0) w |= GICH_LR_GRP1;
  if (hw) {
    // With HW set, bits 19:10 are the physical INTID: there is no EOI bit.
    w |= GICH_LR_HW | ((physicalId & 0x3ff) << GICH_LR_PHYSID_SHIFT);
  } else {
    w |= (cpuId & 7) << GICH_LR_CPUID_SHIFT;
    if (eoi) w |= GICH_LR_EOI;
  }
  return w >>> 0;
}

/** Encode a GICH_LR value. Fields not given are zero. */
export function encodeGichLr(fields: Partial<GichLrFields> & { virtualId: number }): number {
  return packGichLr(
    fields.virtualId,
    fields.state ?? 0,
    fields.priority ?? 0,
    fields.group ?? 0,
    fields.hw ?? false,
    fields.physicalId ?? 0,
    fields.cpuId ?? 0,
    fields.eoi ?? false,
  );
}

/** Decode a GICH_LR value (a number or the bigint the backend's `encodeLr` returns). */
export function decodeGichLr(value: number | bigint): GichLrFields {
  const w = typeof value === 'bigint' ? Number(BigInt.asUintN(32, value)) : value >>> 0;
  const hw = (w & GICH_LR_HW) !== 0;
  return {
    virtualId: w & 0x3ff,
    state: (w >>> GICH_LR_STATE_SHIFT) & 3,
    priority: ((w >>> GICH_LR_PRIORITY_SHIFT) & 0x1f) << 3,
    group: (w & GICH_LR_GRP1) !== 0 ? 1 : 0,
    hw,
    physicalId: hw ? (w >>> GICH_LR_PHYSID_SHIFT) & 0x3ff : 0,
    cpuId: hw ? 0 : (w >>> GICH_LR_CPUID_SHIFT) & 7,
    eoi: !hw && (w & GICH_LR_EOI) !== 0,
  };
}
