/**
 * Operations on a GICv3 machine's LPIs and ITS, as abstract values
 * fast-check can shrink (the ITS target adds them to ops.ts's). Fields
 * index pools the executor builds for the machine at hand (its-exec.ts):
 * mostly IDs the guest's driver mapped, sometimes one past them, and
 * values no driver would write.
 */
import fc from 'fast-check';

/** The twelve commands, then two kinds of garbage: an opcode no ITS has, and 32 random bytes. */
export const ITS_COMMAND_KINDS = ['MAPD', 'MAPC', 'MAPTI', 'MAPI', 'INT', 'CLEAR', 'DISCARD', 'MOVI', 'MOVALL', 'INV', 'INVALL', 'SYNC', 'unknown', 'raw'] as const;
export type ItsCommandKind = (typeof ITS_COMMAND_KINDS)[number];

/** Where a random store to RAM lands: a table of the driver's layout, or anywhere in RAM. */
export const RAM_AREAS = ['deviceTable', 'collectionTable', 'queue', 'properties', 'pending', 'itt', 'anywhere'] as const;
export type RamArea = (typeof RAM_AREAS)[number];

/** How a property change is made visible: an ITS command, a redistributor register, or not at all. */
export const INVALIDATIONS = ['INV', 'INVALL', 'GICR_INVLPIR', 'GICR_INVALLR', 'none'] as const;
export type Invalidation = (typeof INVALIDATIONS)[number];

/** How an MSI arrives: KVM_SIGNAL_MSI, a device's write by address (the doorbell or not), or a vCPU's own store to GITS_TRANSLATER. */
export const MSI_PATHS = ['signal', 'translater', 'elsewhere', 'vcpuStore'] as const;
export type MsiPath = (typeof MSI_PATHS)[number];

/** What a VMM does through the KVM ITS device (KVM_DEV_TYPE_ARM_VGIC_ITS): the CTRL group, then register writes and a read. */
export const KVM_ITS_CALLS = ['save', 'restore', 'reset', 'savePending', 'GITS_CREADR', 'GITS_CWRITER', 'GITS_CBASER', 'GITS_CTLR', 'GITS_BASER0', 'GITS_BASER1', 'GITS_IIDR', 'read'] as const;
export type KvmItsCall = (typeof KVM_ITS_CALLS)[number];

export type ItsOp =
  /** The guest's LPI and ITS bring-up (GuestOps.lpi.setUp), at a property priority. */
  | { kind: 'lpiUp'; priority: number }
  /** One command: fields index the executor's pools; `words` are a raw command's four doublewords. */
  | {
      kind: 'itsCmd';
      cmd: number;
      device: number;
      event: number;
      intid: number;
      collection: number;
      target: number;
      size: number;
      itt: number;
      valid: boolean;
      vcpu: number;
      opcode: number;
      words: [bigint, bigint, bigint, bigint];
    }
  | { kind: 'msi'; path: number; device: number; event: number; vcpu: number }
  /** An LPI's property byte written in RAM, then maybe an invalidation. */
  | { kind: 'prop'; intid: number; priority: number; enabled: boolean; then: number; vcpu: number; rd: number }
  /** Any store to RAM: the tables under the ITS and redistributors change as a guest may change them. */
  | { kind: 'poke'; area: number; offset: number; width: number; value: bigint }
  /** GICR_CTLR.EnableLPIs of redistributor `rd`, by vCPU `vcpu`. */
  | { kind: 'enableLpis'; rd: number; on: boolean; vcpu: number }
  /** A VMM's call on the KVM ITS device: save or restore the tables, reset, a register written with `value` or read. */
  | { kind: 'kvmIts'; call: number; value: bigint }
  /**
   * The guest's drivers move their tables: the ITS disabled, a flat or a
   * two-level device table given, the ITS enabled again; or LPIs off on
   * every redistributor, GICR_PROPBASER with `idBits` INTID bits, LPIs on.
   */
  | { kind: 'deviceTable'; indirect: boolean; l2: boolean; vcpu: number }
  | { kind: 'propIdBits'; idBits: number; vcpu: number };

const pick = fc.nat(1 << 12);
const vcpu = fc.nat(7);

/** A doubleword of a command or a store: any, small, or a single bit. */
const value64 = fc.oneof(
  { weight: 3, arbitrary: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }) },
  { weight: 2, arbitrary: fc.bigInt({ min: 0n, max: 0xffffn }) },
  { weight: 1, arbitrary: fc.nat(63).map((b) => 1n << BigInt(b)) },
  { weight: 1, arbitrary: fc.constantFrom(0n, (1n << 64n) - 1n) },
);

/** Four doublewords, the low byte of the first one an opcode the executor chooses. */
const words = fc.tuple(value64, value64, value64, value64);

export const itsOpArbitrary: fc.Arbitrary<ItsOp> = fc.oneof(
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('lpiUp' as const), priority: fc.constantFrom(0xa0, 0x00, 0xfc, 0x80) }) },
  {
    weight: 14,
    arbitrary: fc.record({
      kind: fc.constant('itsCmd' as const),
      cmd: fc.nat(ITS_COMMAND_KINDS.length - 1),
      device: pick,
      event: pick,
      intid: pick,
      collection: pick,
      target: pick,
      size: pick,
      itt: pick,
      valid: fc.oneof({ weight: 5, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
      vcpu,
      opcode: fc.nat(0xff),
      words,
    }),
  },
  { weight: 12, arbitrary: fc.record({ kind: fc.constant('msi' as const), path: fc.constantFrom(0, 0, 0, 1, 2, 3), device: pick, event: pick, vcpu }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('prop' as const),
      intid: pick,
      priority: fc.constantFrom(0xa0, 0x10, 0xf0, 0xfc, 0),
      enabled: fc.boolean(),
      then: fc.nat(INVALIDATIONS.length - 1),
      vcpu,
      rd: vcpu,
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('poke' as const),
      area: fc.nat(RAM_AREAS.length - 1),
      offset: fc.oneof(fc.nat(0x40), fc.nat(0x1000), fc.nat(0xfffff)),
      width: fc.constantFrom(64, 32, 8, 16),
      value: value64,
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('enableLpis' as const), rd: vcpu, on: fc.boolean(), vcpu }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('kvmIts' as const), call: fc.nat(KVM_ITS_CALLS.length - 1), value: value64 }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('deviceTable' as const), indirect: fc.boolean(), l2: fc.boolean(), vcpu }) },
  // IDbits + 1 INTID bits: 14 and 15 bits leave LPIs the driver maps out of range; 7 is too few for any LPI.
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('propIdBits' as const), idBits: fc.constantFrom(13, 14, 15, 7, 31), vcpu }) },
);
