/**
 * ICH_LR<n>_EL2, the GICv3 list register (IHI 0069, ICH_LR<n>_EL2):
 *
 *   63:62 State (01 pending, 10 active, 11 both)   61 HW   60 Group
 *   55:48 Priority   44:32 pINTID (with HW)   41 EOI (without HW)   31:0 vINTID
 *
 * Without HW, bits 44:42 are RES0 and bit 41 asks for an EOI maintenance
 * interrupt; with HW, bits 44:32 are the physical INTID to deactivate.
 */
import { toU64, type Vgic } from '@vgic/core';

export interface IchLrFields {
  /** vINTID. */
  readonly intid: number;
  /** 1 pending, 2 active, 3 pending and active (core's LR_PENDING / LR_ACTIVE). */
  readonly state: number;
  readonly priority: number;
  readonly group: number;
  readonly hw: boolean;
  /** pINTID, used when `hw`. */
  readonly hostIntid: number;
  /** EOI maintenance requested, used when not `hw`. */
  readonly eoi: boolean;
}

/** The high word of ICH_LR<n>_EL2 (bits 63:32). */
function ichLrHigh(state: number, priority: number, group: number, hw: boolean, hostIntid: number, eoi: boolean): number {
  let hi = ((state & 3) << 30) | ((group & 1) << 28) | ((priority & 0xff) << 16);
  if (hw) hi |= (1 << 29) | (hostIntid & 0x1fff);
  else if (eoi) hi |= 1 << 9;
  return hi >>> 0;
}

/** Encode list-register fields as ICH_LR<n>_EL2 holds them. */
export function encodeIchLr(lr: IchLrFields): bigint {
  return toU64(lr.intid >>> 0, ichLrHigh(lr.state, lr.priority, lr.group, lr.hw, lr.hostIntid, lr.eoi));
}

/** List register `k` of `vcpu`, from the engine's LR arrays. */
export function encodeLr(v: Vgic, vcpu: number, k: number): bigint {
  const lr = v.lrBase(vcpu) + k;
  const hi = ichLrHigh(v.lrState[lr]!, v.lrPrio[lr]!, v.lrGroup[lr]!, v.lrHw[lr] !== 0, v.lrHost[lr]!, v.lrEoi[lr] !== 0);
  return toU64(v.lrIntid[lr]! >>> 0, hi);
}
