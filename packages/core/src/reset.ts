/**
 * The reset state every GIC version shares, as KVM's vgic-init.c leaves it
 * (kvm_vgic_vcpu_init, kvm_vgic_dist_init): what a backend's `resetIrq` and
 * `resetVcpu` start from before setting what is its own (the group an
 * interrupt starts in, its routing word; the binary points' minimum, FIQEn).
 * A backend's frames and options are checked with `frameBase`.
 */
import { describeValue } from './args.js';
import { VgicError } from './errors.js';
import { APR_WORDS, CONFIG_EDGE, CONFIG_LEVEL, type Vgic } from './vgic.js';

/**
 * One interrupt's shared reset state: SGIs enabled and edge-triggered, PPIs
 * disabled and level-triggered, SPIs disabled and edge-triggered, all at
 * priority 0, in `group`.
 */
export function resetIrqState(v: Vgic, slot: number, intid: number, group: number): void {
  v.enabled[slot] = intid < 16 ? 1 : 0;
  v.config[slot] = intid >= 16 && intid < 32 ? CONFIG_LEVEL : CONFIG_EDGE;
  v.group[slot] = group;
  v.priority[slot] = 0;
}

/**
 * A vCPU's CPU interface at reset, the VMCR KVM starts from (0): everything
 * masked (PMR 0), both groups disabled, EOImode, CBPR and AckCtl 0, no
 * active priorities; the binary points and FIQEn as the version has them.
 */
export function resetCpuInterface(v: Vgic, vcpu: number, o: { bpr0: number; bpr1: number; fiqEn: 0 | 1 }): void {
  v.pmr[vcpu] = 0;
  v.bpr0[vcpu] = o.bpr0;
  v.bpr1[vcpu] = o.bpr1;
  v.grpEn0[vcpu] = 0;
  v.grpEn1[vcpu] = 0;
  v.eoiMode[vcpu] = 0;
  v.cbpr[vcpu] = 0;
  v.ackCtl[vcpu] = 0;
  v.fiqEn[vcpu] = o.fiqEn;
  v.apr.fill(0, v.aprBase(vcpu), v.aprBase(vcpu) + APR_WORDS);
}

/**
 * A frame's guest physical base from a backend's options: `fallback` when
 * the option is not given, else a whole number aligned to `align` bytes
 * whose frame of `size` bytes ends at or below 2^`addressBits`. Throws
 * INVALID_CONFIG naming the option.
 */
export function frameBase(name: string, value: unknown, o: { fallback: number; align: number; size: number; addressBits: number }): number {
  if (value === undefined) return o.fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || value % o.align !== 0 || value + o.size > 2 ** o.addressBits) {
    throw new VgicError(
      'INVALID_CONFIG',
      `${name} must be a ${o.align / 1024} KiB-aligned guest physical address below 2^${o.addressBits}; got ${describeValue(value)}`,
    );
  }
  return value;
}
