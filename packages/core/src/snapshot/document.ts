/**
 * The saved form of a whole GIC: a versioned JSON document (`GicSnapshot`)
 * and the JSON Schema that describes it (`gicSnapshotSchema`).
 *
 * The document holds the architectural state only — what a VMM saves through
 * KVM's device attributes, plus what those attributes lose (a GICv2 SGI's
 * sources, the active state of a hardware-mapped interrupt, the vCPU an
 * active SPI is active on). The ap_lists and the list registers are derived
 * state: a save makes every vCPU exit first, so the list registers are folded
 * into the interrupts, and a restore rebuilds the ap_lists.
 *
 * JSON-safe by construction: every number is a 32-bit value or smaller and
 * stays exact in a double; the one 64-bit value, an interrupt's routing word,
 * is a string of 16 hex digits (`"0x0000000100000000"`).
 */

/**
 * The document version this build writes for a machine with LPIs or state
 * of its backend's own (2); a machine with neither is saved as version 1, as
 * before. Both versions restore.
 */
export const GIC_SNAPSHOT_VERSION = 2;

/** The document versions this build reads: 1 (no LPIs) and 2. */
export const GIC_SNAPSHOT_VERSIONS: readonly number[] = Object.freeze([1, 2]);

/** The GIC version a document was saved from: the backend's `version`. */
export type GicSnapshotVersionName = 'v2' | 'v3' | (string & {});

/** One interrupt (one slot: private interrupts are per vCPU). */
export interface IrqSnapshot {
  /** 0-31 in a vCPU's `private` list, 32.. in `spis`, in order. */
  intid: number;
  enabled: boolean;
  /** The software pending latch (edge: the whole pending state; level: set by ISPENDR). */
  pendingLatch: boolean;
  /** The input line (level-triggered interrupts are pending while it is high). */
  lineLevel: boolean;
  active: boolean;
  /**
   * The vCPU an active interrupt is active on (whose ap_list holds it);
   * absent or null: the vCPU its routing names. Only with `active`.
   */
  activeOn?: number | null;
  group: number;
  /** 8 bits, with the unimplemented low bits clear. */
  priority: number;
  config: 'edge' | 'level';
  /** The backend's 64-bit routing word (GICv2: ITARGETSR byte; GICv3: IROUTER), `0x` and 16 hex digits. */
  route: string;
  /** The host INTID of a hardware-mapped interrupt (kvm_vgic_map_phys_irq), or null. */
  hostIntid: number | null;
  /** GICv2 SGIs only: bitmap of the vCPUs this SGI is pending from. */
  sources?: number;
  /** GICv2 SGIs only: the source vCPU of the active instance. */
  activeSource?: number;
}

/**
 * One mapped LPI (version 2). Edge-triggered, group 1, with no line: only
 * what can differ is kept.
 */
export interface LpiSnapshot {
  /** 8192..65535; the list is in INTID order. */
  intid: number;
  /** From its property byte. */
  enabled: boolean;
  pendingLatch: boolean;
  /** Acknowledged and not yet deactivated (held in a list register when saved). */
  active: boolean;
  /** The vCPU an active LPI is active on; absent or null: its target. */
  activeOn?: number | null;
  /** From its property byte: bits 7:2. */
  priority: number;
  /** The vCPU it is delivered to (its collection's), or null. */
  target: number | null;
  /** References that keep it mapped (the ITS's translations). */
  refs: number;
}

/** A vCPU's virtual CPU interface (ICH_VMCR / GICH_VMCR fields and the active-priority registers). */
export interface CpuInterfaceSnapshot {
  /** Priority mask, 8 bits. */
  pmr: number;
  /** Binary point of group 0 (GICC_BPR, ICC_BPR0_EL1), 0-7. */
  bpr0: number;
  /** Binary point of group 1 (GICC_ABPR, ICC_BPR1_EL1), 0-7. */
  bpr1: number;
  enableGrp0: boolean;
  enableGrp1: boolean;
  /** 1: EOI drops the priority only, DIR deactivates. */
  eoiMode: number;
  cbpr: boolean;
  /** GICv2 GICC_CTLR.AckCtl. */
  ackCtl: boolean;
  /** GICv2 GICC_CTLR.FIQEn (group 0 signalled as FIQ). */
  fiqEn: boolean;
  /** AP0R0..3 (group 0 active priorities), 32-bit words. */
  ap0r: number[];
  /** AP1R0..3 (group 1 active priorities), 32-bit words. */
  ap1r: number[];
}

export interface VcpuSnapshot {
  /** The vCPU index; vcpus[k].vcpu is k. */
  vcpu: number;
  /** The backend's per-vCPU words (redistributor state, affinity), 32-bit each. */
  words: number[];
  cpuInterface: CpuInterfaceSnapshot;
  /** SGIs 0-15 and PPIs 16-31 of this vCPU, by INTID. */
  private: IrqSnapshot[];
}

export interface GicSnapshot {
  /** 1, or 2 for a document that may hold LPIs and the backend's own part. */
  version: 1 | 2;
  gic: GicSnapshotVersionName;
  shape: {
    vcpus: number;
    spis: number;
    /** List registers per vCPU of the saved machine (not state: a restore may use another count). */
    lrs: number;
    /**
     * GICs with redistributors (GICv3): each vCPU's MPIDR_EL1 affinity
     * (Aff3 in 39:32, Aff2.Aff1.Aff0 in 23:0), `0x` and 16 hex digits. The
     * routing words name vCPUs by these, so a restore needs the same ones.
     */
    mpidr?: string[];
    /** Version 2: the saved machine's LPI capacity (absent: 0). */
    lpis?: number;
  };
  distributor: {
    /** Group enables: bit g set when the distributor forwards group g. */
    enable: number;
    /** The backend's distributor words, 32-bit each. */
    words: number[];
  };
  vcpus: VcpuSnapshot[];
  /** SPIs 32.. by INTID. */
  spis: IrqSnapshot[];
  /** Version 2: the mapped LPIs, by INTID (absent: none). */
  lpis?: LpiSnapshot[];
  /** Version 2: what the backend saves of its own (`GicBackend.snapshotState`, the ITS), JSON; absent: nothing. */
  backend?: unknown;
}

/** A JSON Schema (draft 2020-12) as a plain object. */
export type JsonSchema = { readonly [keyword: string]: unknown };

const u32: JsonSchema = { type: 'integer', minimum: 0, maximum: 0xffffffff };
const u8: JsonSchema = { type: 'integer', minimum: 0, maximum: 255 };
const vcpuIndex: JsonSchema = { type: 'integer', minimum: 0, maximum: 65535 };

const irqSchema: JsonSchema = {
  type: 'object',
  description: 'One interrupt. Private interrupts are listed per vCPU, SPIs once.',
  required: ['intid', 'enabled', 'pendingLatch', 'lineLevel', 'active', 'group', 'priority', 'config', 'route', 'hostIntid'],
  additionalProperties: false,
  properties: {
    intid: { type: 'integer', minimum: 0, maximum: 1019 },
    enabled: { type: 'boolean' },
    pendingLatch: { type: 'boolean', description: 'Software pending latch: the pending state of an edge interrupt; set by ISPENDR for a level one.' },
    lineLevel: { type: 'boolean', description: 'Input line level; a level interrupt is pending while it is high.' },
    active: { type: 'boolean' },
    activeOn: {
      type: ['integer', 'null'],
      minimum: 0,
      maximum: 65535,
      description: 'The vCPU an active interrupt is active on; absent or null: the vCPU its routing names.',
    },
    group: { type: 'integer', minimum: 0, maximum: 1 },
    priority: { ...u8, description: 'Priority; the bits the GIC does not implement must be clear.' },
    config: { enum: ['edge', 'level'] },
    route: {
      type: 'string',
      pattern: '^0x[0-9a-f]{16}$',
      description: "The backend's 64-bit routing word (what its routing register holds), as 0x and 16 lower-case hex digits.",
    },
    hostIntid: { type: ['integer', 'null'], minimum: 0, maximum: 0xffffff, description: 'Host INTID of a hardware-mapped interrupt, or null.' },
    sources: { ...u8, description: 'GICv2 SGIs only: bit s set when the SGI is pending from vCPU s.' },
    activeSource: { type: 'integer', minimum: 0, maximum: 7, description: 'GICv2 SGIs only: the source vCPU of the active instance.' },
  },
};

const lpiSchema: JsonSchema = {
  type: 'object',
  description: 'One mapped LPI.',
  required: ['intid', 'enabled', 'pendingLatch', 'active', 'priority', 'target', 'refs'],
  additionalProperties: false,
  properties: {
    intid: { type: 'integer', minimum: 8192, maximum: 65535 },
    enabled: { type: 'boolean' },
    pendingLatch: { type: 'boolean' },
    active: { type: 'boolean' },
    activeOn: { type: ['integer', 'null'], minimum: 0, maximum: 65535, description: 'The vCPU an active LPI is active on; absent or null: its target.' },
    priority: { ...u8, description: 'Bits 7:2 of its property byte (bits 1:0 clear).' },
    target: { type: ['integer', 'null'], minimum: 0, maximum: 65535, description: 'The vCPU it is delivered to, or null.' },
    refs: { type: 'integer', minimum: 1, maximum: 0x7fffffff, description: 'References that keep it mapped.' },
  },
};

const cpuInterfaceSchema: JsonSchema = {
  type: 'object',
  description: "A vCPU's virtual CPU interface: the VMCR fields and the active-priority registers.",
  required: ['pmr', 'bpr0', 'bpr1', 'enableGrp0', 'enableGrp1', 'eoiMode', 'cbpr', 'ackCtl', 'fiqEn', 'ap0r', 'ap1r'],
  additionalProperties: false,
  properties: {
    pmr: u8,
    bpr0: { type: 'integer', minimum: 0, maximum: 7 },
    bpr1: { type: 'integer', minimum: 0, maximum: 7 },
    enableGrp0: { type: 'boolean' },
    enableGrp1: { type: 'boolean' },
    eoiMode: { type: 'integer', minimum: 0, maximum: 1 },
    cbpr: { type: 'boolean' },
    ackCtl: { type: 'boolean' },
    fiqEn: { type: 'boolean' },
    ap0r: { type: 'array', items: u32, minItems: 4, maxItems: 4 },
    ap1r: { type: 'array', items: u32, minItems: 4, maxItems: 4 },
  },
};

/**
 * The JSON Schema of a saved GIC (versions 1 and 2). `restoreMachine` checks a
 * document against it before anything else; the checks the schema cannot
 * express (lengths that follow the shape, INTIDs in order, fields that only
 * GICv2 SGIs carry) are made there too.
 */
export const gicSnapshotSchema: JsonSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'urn:vgic:gic-snapshot:1',
  title: 'vgic GIC snapshot',
  description: 'The architectural state of a virtual GIC: distributor, redistributors, every interrupt and every vCPU interface.',
  type: 'object',
  required: ['version', 'gic', 'shape', 'distributor', 'vcpus', 'spis'],
  additionalProperties: false,
  properties: {
    version: { enum: [1, 2], description: 'Document version: 2 may hold LPIs and the backend part.' },
    gic: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$', description: "The saved machine's GIC version (its backend's `version`): v2 or v3." },
    shape: {
      type: 'object',
      required: ['vcpus', 'spis', 'lrs'],
      additionalProperties: false,
      properties: {
        vcpus: { type: 'integer', minimum: 1, maximum: 65536 },
        spis: { type: 'integer', minimum: 0, maximum: 988 },
        lrs: { type: 'integer', minimum: 1, maximum: 64 },
        mpidr: {
          type: 'array',
          items: { type: 'string', pattern: '^0x[0-9a-f]{16}$' },
          description: "For a GIC that names vCPUs by affinity (GICv3): each vCPU's affinity fields, Aff3 in bits 39:32, as 0x and 16 lower-case hex digits.",
        },
        lpis: { type: 'integer', minimum: 0, maximum: 57344, description: "Version 2: the saved machine's LPI capacity." },
      },
    },
    distributor: {
      type: 'object',
      required: ['enable', 'words'],
      additionalProperties: false,
      properties: {
        enable: { type: 'integer', minimum: 0, maximum: 3, description: 'Bit g: the distributor forwards group g.' },
        words: { type: 'array', items: u32, description: "The backend's distributor words." },
      },
    },
    vcpus: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        required: ['vcpu', 'words', 'cpuInterface', 'private'],
        additionalProperties: false,
        properties: {
          vcpu: vcpuIndex,
          words: { type: 'array', items: u32, description: "The backend's per-vCPU words (redistributor state)." },
          cpuInterface: cpuInterfaceSchema,
          private: { type: 'array', items: irqSchema, minItems: 32, maxItems: 32, description: 'SGIs 0-15 and PPIs 16-31 of this vCPU.' },
        },
      },
    },
    spis: { type: 'array', items: irqSchema, maxItems: 988, description: 'SPIs from INTID 32 up.' },
    lpis: { type: 'array', items: lpiSchema, maxItems: 57344, description: 'Version 2: the mapped LPIs, in INTID order.' },
    backend: { description: "Version 2: the backend's own saved state (the ITS's), as it writes it." },
  },
};
