/**
 * Random operations on a machine, as abstract values fast-check can shrink.
 *
 * An operation names INTIDs, vCPUs, registers and frames by index; the
 * executor maps each index onto the machine at hand (modulo its size), so a
 * case stays meaningful while fast-check shrinks the machine under it.
 * Operations come in three kinds:
 * - the host's: line changes (KVM_IRQ_LINE), the line-level interface,
 *   hardware mapping, vCPU entry and exit, save and restore — with INTIDs
 *   and vCPUs that may not exist, which must fail and change nothing;
 * - the guest's, through the backend's `GuestOps` (what an OS does), and
 *   acknowledge / EOI / DIR with the values the guest acknowledged;
 * - raw guest accesses: any register by name, any offset of any frame at
 *   any width with any value, any system register with any 64-bit value;
 * and for the ITS target a fourth, LPIs and the ITS (its-ops.ts).
 */
import fc from 'fast-check';
import { itsOpArbitrary, type ItsOp } from './its-ops.js';

export type GuestCall =
  | 'init'
  | 'enable'
  | 'disable'
  | 'setPriority'
  | 'setEdge'
  | 'route'
  | 'routeNowhere'
  | 'setGroup'
  | 'setPending'
  | 'clearPending'
  | 'setActive'
  | 'clearActive'
  | 'setPmr'
  | 'setBpr'
  | 'setEoiMode'
  | 'setGroupEnable'
  | 'setDistributorEnable'
  | 'sendSgi'
  | 'broadcastSgi'
  | 'runningPriority'
  | 'highestPending';

export type Op =
  /** KVM_IRQ_LINE. `intid` indexes the host pool (valid and invalid INTIDs); `vcpu` may be out of range. */
  | { kind: 'inject'; intid: number; level: 0 | 1; vcpu: number }
  /** The line level of one interrupt, without injection's validation: `Machine.setLineLevel` (no scenario step). */
  | { kind: 'lineLevel'; intid: number; level: boolean; vcpu: number }
  /**
   * KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO through the KVM device façade: 32 line
   * levels from a multiple of 32 (`first` indexes INTID words, past 1023 too),
   * the bits `bits` (no scenario step).
   */
  | { kind: 'levelInfo'; first: number; bits: number; vcpu: number }
  | { kind: 'map'; intid: number; host: number; vcpu: number }
  /** `Machine.unmapHw` (no scenario step). */
  | { kind: 'unmap'; intid: number; vcpu: number }
  | { kind: 'run' | 'exit'; vcpu: number }
  | { kind: 'snapshot' | 'restore' }
  | { kind: 'guest'; call: GuestCall; vcpu: number; intid: number; value: number; targets: number }
  /** IAR of the guest's group, or of group `group` (GuestOps.ackRaw). */
  | { kind: 'ack'; vcpu: number; group: number }
  /** EOI of the last acknowledged (`fromStack`) or of `intid`. */
  | { kind: 'eoi'; vcpu: number; fromStack: boolean; intid: number; group: number }
  | { kind: 'dir'; vcpu: number; fromStack: boolean; intid: number }
  /** Any register by name (arrays at any index), at its natural width or another. */
  | { kind: 'reg'; write: boolean; reg: number; index: number; width: number; value: bigint; vcpu: number; rd: number }
  /** Any offset of any frame. */
  | { kind: 'mmio'; write: boolean; frame: number; offset: number; width: number; value: bigint; vcpu: number; rd: number }
  | { kind: 'sysreg'; write: boolean; reg: number; value: bigint; vcpu: number }
  /** LPIs and the ITS (its-ops.ts): the ITS target only. */
  | ItsOp;

/** An index into a table the executor knows: any size, taken modulo. */
const index = fc.nat(1 << 16);
/** A vCPU index, mostly in range (taken modulo the vCPU count where it must be). */
const vcpu = fc.nat(7);
/** An access width, legal for scenarios (8, 16, 32, 64), or 0 for the register's natural width. */
const width = fc.constantFrom(0, 0, 32, 8, 16, 64);

/** 64-bit values that matter more than the rest: zero, all ones, single bits, small numbers. */
export const value64: fc.Arbitrary<bigint> = fc.oneof(
  { weight: 3, arbitrary: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }) },
  { weight: 2, arbitrary: fc.bigInt({ min: 0n, max: 0xffffffffn }) },
  { weight: 2, arbitrary: fc.nat(63).map((b) => 1n << BigInt(b)) },
  { weight: 2, arbitrary: fc.constantFrom(0n, 0xffn, 0xffffffffn, (1n << 64n) - 1n, 1n, 2n, 0x3ffn) },
  { weight: 2, arbitrary: fc.nat(1100).map(BigInt) },
);

const GUEST_CALLS: readonly GuestCall[] = [
  'enable',
  'enable',
  'setPending',
  'setPending',
  'setPriority',
  'disable',
  'clearPending',
  'setActive',
  'clearActive',
  'setEdge',
  'route',
  'routeNowhere',
  'setGroup',
  'setPmr',
  'setBpr',
  'setEoiMode',
  'setGroupEnable',
  'setDistributorEnable',
  'sendSgi',
  'sendSgi',
  'broadcastSgi',
  'runningPriority',
  'highestPending',
  'init',
];

const ackArbitrary: fc.Arbitrary<Op> = fc.record({ kind: fc.constant('ack' as const), vcpu, group: fc.constantFrom(-1, -1, -1, 0, 1) });
const eoiArbitrary: fc.Arbitrary<Op> = fc.record({
  kind: fc.constant('eoi' as const),
  vcpu,
  fromStack: fc.constantFrom(true, true, true, false),
  intid: index,
  group: fc.constantFrom(-1, -1, -1, 0, 1),
});

export const opArbitrary: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 12,
    arbitrary: fc.record({ kind: fc.constant('inject' as const), intid: index, level: fc.constantFrom<0 | 1>(1, 1, 0), vcpu }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('lineLevel' as const), intid: index, level: fc.boolean(), vcpu }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('levelInfo' as const),
      first: fc.oneof(fc.nat(3), fc.nat(40)),
      bits: fc.oneof(fc.nat(0xffffffff), fc.nat(31).map((b) => (1 << b) >>> 0)),
      vcpu,
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('map' as const), intid: index, host: fc.nat(1100), vcpu }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('unmap' as const), intid: index, vcpu }) },
  { weight: 5, arbitrary: fc.record({ kind: fc.constantFrom('run' as const, 'exit' as const), vcpu }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constantFrom('snapshot' as const, 'restore' as const) }) },
  {
    weight: 24,
    arbitrary: fc.record({
      kind: fc.constant('guest' as const),
      call: fc.constantFrom(...GUEST_CALLS),
      vcpu,
      intid: index,
      value: fc.nat(0xff),
      targets: fc.nat(0xff),
    }),
  },
  { weight: 14, arbitrary: ackArbitrary },
  { weight: 7, arbitrary: eoiArbitrary },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('dir' as const), vcpu, fromStack: fc.constantFrom(true, true, false), intid: index }) },
  {
    weight: 5,
    arbitrary: fc.record({ kind: fc.constant('reg' as const), write: fc.boolean(), reg: index, index, width, value: value64, vcpu, rd: vcpu }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('mmio' as const),
      write: fc.boolean(),
      frame: index,
      offset: fc.nat(0x1ffff),
      width: fc.constantFrom(8, 16, 32, 64),
      value: value64,
      vcpu,
      rd: vcpu,
    }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('sysreg' as const), write: fc.boolean(), reg: index, value: value64, vcpu }) },
);

/**
 * Bring the GIC up first as an OS would, with this EOImode: `GuestOps.init`
 * (distributor and CPU interfaces on), and with `enableAll` every INTID the
 * guest names enabled at its own priority, SPIs spread over the vCPUs.
 */
export interface BringUp {
  eoiMode: 0 | 1;
  enableAll: boolean;
  /** On a machine with an ITS: then the guest's LPI and ITS drivers' bring-up (GuestOps.lpi.setUp). */
  lpis: boolean;
}

export interface FuzzCase<C> {
  config: C;
  bringUp: BringUp | null;
  ops: Op[];
}

/**
 * The ITS target's operations: the machine's, about as many again on LPIs
 * and the ITS, and more acknowledges and EOIs, so that LPIs MSIs made
 * pending are taken (and ended) as often as SPIs are.
 */
const withItsOps: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: opArbitrary },
  { weight: 6, arbitrary: itsOpArbitrary },
  { weight: 1, arbitrary: ackArbitrary },
  { weight: 1, arbitrary: eoiArbitrary },
);

/** Cases on machines of `config`; `its`: with the LPI and ITS operations among them. */
export function caseArbitrary<C>(config: fc.Arbitrary<C>, maxOps: number, its = false): fc.Arbitrary<FuzzCase<C>> {
  const lpis = its ? fc.oneof({ weight: 6, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }) : fc.constant(false);
  return fc.record({
    config,
    bringUp: fc.option(fc.record({ eoiMode: fc.constantFrom<0 | 1>(0, 1), enableAll: fc.boolean(), lpis }), { nil: null, freq: its ? 12 : 5 }),
    ops: fc.array(its ? withItsOps : opArbitrary, { maxLength: maxOps, size: 'max' }),
  });
}
