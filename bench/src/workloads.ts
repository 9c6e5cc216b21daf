/**
 * The workloads: what an emulator does to a GIC, through the calls it makes.
 *
 * Each one is written once per GIC version, because that is where the two
 * differ for a guest: GICv2's CPU interface is memory-mapped (GICC_IAR,
 * GICC_EOIR at guest physical addresses, `mmioRead`/`mmioWrite`), GICv3's is
 * system registers (ICC_IAR1_EL1, ICC_EOIR1_EL1 by packed encoding through
 * the allocation-free `sysregRead32`/`sysregWriteWords`). SGIs go through
 * GICD_SGIR and ICC_SGI1R_EL1, routing through GICD_ITARGETSR and
 * GICD_IROUTER. Host-side calls are the same on both: `inject`, `enter`,
 * `exit`.
 *
 * A batch function performs `n` operations and returns how many of them had
 * the expected outcome (the INTID acknowledged, the count of acks); the
 * suite stops on any shortfall. Set-up, done once and untimed, uses the
 * guest's bring-up (`GuestOps`).
 */
import type { Machine } from '@vgic/core';
import {
  affinityOf,
  configureIrq,
  makeMachine,
  mmioAddr,
  sysregKeyOf,
  type GicKit,
  type GicName,
  type ModeName,
} from './machines.js';
import type { BatchFn } from './suite.js';

export const SPURIOUS = 1023;

/** A workload made ready on one machine: its batch function and what to check once it has run. */
export interface Prepared {
  readonly machine: Machine;
  readonly fn: BatchFn;
  /** Operations per call of `fn`. */
  readonly ops: number;
  /** Throws if the machine is not back in the state an operation leaves it in. */
  verify(): void;
}

export interface WorkloadDef {
  readonly name: string;
  readonly summary: string;
  /** The GIC versions that have what it needs (default: every one). */
  readonly gics?: readonly GicName[];
  /** Operations per timed call: enough that one call takes tens of microseconds. */
  readonly batch: number;
  prepare(kit: GicKit, mode: ModeName): Prepared;
}

/** Throws unless every vCPU's ap_list is empty and the vCPUs are outside. */
function expectQuiet(m: Machine, where: string): void {
  for (let k = 0; k < m.vcpus; k++) {
    const list = m.apList(k);
    if (list.length > 0) throw new Error(`${where}: vCPU ${k}'s ap_list still holds ${list.join(', ')}`);
    if (m.isRunning(k)) throw new Error(`${where}: vCPU ${k} is still running`);
  }
}

function prepared(m: Machine, fn: BatchFn, ops: number, name: string): Prepared {
  return { machine: m, fn, ops, verify: () => expectQuiet(m, `${name} on GIC${m.version}`) };
}

// ------------------------------------------------------------ spi-roundtrip

/**
 * One op: inject(32, 1) → enter (flush) → acknowledge → EOI (EOImode 0) →
 * exit (sync). 1 vCPU, SPI 32 edge, enabled, the guest's group, priority
 * 0xa0, PMR 0xff, 4 LRs.
 */
function roundtripV2(m: Machine, n: number, iar: number, eoir: number): number {
  let ok = 0;
  for (let i = 0; i < n; i++) {
    m.inject(32, 1);
    m.enter(0);
    const id = m.mmioRead(0, iar, 32)!;
    m.mmioWrite(0, eoir, 32, id);
    m.exit(0);
    if (id === 32) ok++;
  }
  return ok;
}

function roundtripV3(m: Machine, n: number, iar: number, eoir: number): number {
  let ok = 0;
  for (let i = 0; i < n; i++) {
    m.inject(32, 1);
    m.enter(0);
    const id = m.sysregRead32(0, iar);
    m.sysregWriteWords(0, eoir, id, 0);
    m.exit(0);
    if (id === 32) ok++;
  }
  return ok;
}

const spiRoundtrip: WorkloadDef = {
  name: 'spi-roundtrip',
  summary: 'inject SPI 32 → enter → IAR → EOIR → exit, 1 vCPU',
  batch: 256,
  prepare(kit, mode) {
    const m = makeMachine(kit, mode, { vcpus: 1 });
    configureIrq(kit, m, 32, 0xa0, 0);
    const n = this.batch;
    let fn: BatchFn;
    if (kit.gic === 'v2') {
      const iar = mmioAddr(m, 'GICC_IAR');
      const eoir = mmioAddr(m, 'GICC_EOIR');
      fn = () => roundtripV2(m, n, iar, eoir);
    } else {
      const iar = sysregKeyOf(m, 'ICC_IAR1_EL1');
      const eoir = sysregKeyOf(m, 'ICC_EOIR1_EL1');
      fn = () => roundtripV3(m, n, iar, eoir);
    }
    return prepared(m, fn, n, this.name);
  },
};

// ------------------------------------------------------------ burst16

const BURST = 16;
/** 32 + 33 + … + 47: what the acknowledged INTIDs of one burst add up to. */
const BURST_SUM = (BURST * (32 + 32 + BURST - 1)) / 2;

/**
 * One op: SPIs 32..47 injected, then {enter, acknowledge + EOI until
 * spurious, exit} until nothing is left pending for the vCPU. 16 LRs' worth
 * through 4: the underflow maintenance interrupt brings the vCPU back out
 * for the rest (the machine re-enters it before the next guest access).
 */
function burstV2(m: Machine, n: number, iar: number, eoir: number): number {
  let ok = 0;
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < BURST; k++) m.inject(32 + k, 1);
    let acks = 0;
    let sum = 0;
    do {
      m.enter(0);
      for (;;) {
        const id = m.mmioRead(0, iar, 32)!;
        if (id === SPURIOUS) break;
        m.mmioWrite(0, eoir, 32, id);
        acks++;
        sum += id;
      }
      m.exit(0);
    } while (m.hasPending(0));
    if (acks === BURST && sum === BURST_SUM) ok++;
  }
  return ok;
}

function burstV3(m: Machine, n: number, iar: number, eoir: number): number {
  let ok = 0;
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < BURST; k++) m.inject(32 + k, 1);
    let acks = 0;
    let sum = 0;
    do {
      m.enter(0);
      for (;;) {
        const id = m.sysregRead32(0, iar);
        if (id === SPURIOUS) break;
        m.sysregWriteWords(0, eoir, id, 0);
        acks++;
        sum += id;
      }
      m.exit(0);
    } while (m.hasPending(0));
    if (acks === BURST && sum === BURST_SUM) ok++;
  }
  return ok;
}

const burst16: WorkloadDef = {
  name: 'burst16',
  summary: 'SPIs 32..47 (priority 0x80 − 8k) through 4 LRs, 16 acks',
  batch: 32,
  prepare(kit, mode) {
    const m = makeMachine(kit, mode, { vcpus: 1 });
    for (let k = 0; k < BURST; k++) configureIrq(kit, m, 32 + k, 0x80 - 8 * k, 0);
    const n = this.batch;
    let fn: BatchFn;
    if (kit.gic === 'v2') {
      const iar = mmioAddr(m, 'GICC_IAR');
      const eoir = mmioAddr(m, 'GICC_EOIR');
      fn = () => burstV2(m, n, iar, eoir);
    } else {
      const iar = sysregKeyOf(m, 'ICC_IAR1_EL1');
      const eoir = sysregKeyOf(m, 'ICC_EOIR1_EL1');
      fn = () => burstV3(m, n, iar, eoir);
    }
    return prepared(m, fn, n, this.name);
  },
};

// ------------------------------------------------------------ ipi

const IPI = 1;

/**
 * One op: vCPU 0 sends SGI 1 to vCPU 1 (a trapped write: vCPU 0 exits, the
 * SGI is emulated, vCPU 0 re-enters), vCPU 1 acknowledges it, EOIs it and
 * exits. GICv2's IAR carries the source vCPU in bits 12:10; the EOIR write
 * gives it back.
 */
function ipiV2(m: Machine, n: number, sgir: number, sgirValue: number, iar: number, eoir: number): number {
  let ok = 0;
  for (let i = 0; i < n; i++) {
    m.mmioWrite(0, sgir, 32, sgirValue);
    const raw = m.mmioRead(1, iar, 32)!;
    m.mmioWrite(1, eoir, 32, raw);
    m.exit(1);
    if ((raw & 0x3ff) === IPI) ok++;
  }
  return ok;
}

function ipiV3(m: Machine, n: number, sgi1r: number, lo: number, hi: number, iar: number, eoir: number): number {
  let ok = 0;
  for (let i = 0; i < n; i++) {
    m.sysregWriteWords(0, sgi1r, lo, hi);
    const id = m.sysregRead32(1, iar);
    m.sysregWriteWords(1, eoir, id, 0);
    m.exit(1);
    if (id === IPI) ok++;
  }
  return ok;
}

/** ICC_SGI1R_EL1 naming one vCPU by affinity: TargetList[15:0], Aff1[23:16], INTID[27:24]; Aff2[39:32], RS[47:44], Aff3[55:48]. */
export function sgi1rWords(affinity: number, intid: number): [lo: number, hi: number] {
  const aff0 = affinity & 0xff;
  const aff1 = (affinity >>> 8) & 0xff;
  const aff2 = (affinity >>> 16) & 0xff;
  const aff3 = affinity >>> 24;
  const lo = ((1 << (aff0 & 15)) | (aff1 << 16) | ((intid & 15) << 24)) >>> 0;
  const hi = (aff2 | ((aff0 >> 4) << 12) | (aff3 << 16)) >>> 0;
  return [lo, hi];
}

const ipi: WorkloadDef = {
  name: 'ipi',
  summary: 'vCPU 0 sends SGI 1 to vCPU 1 (GICD_SGIR / ICC_SGI1R_EL1), vCPU 1 takes it',
  batch: 128,
  prepare(kit, mode) {
    const m = makeMachine(kit, mode, { vcpus: 2 });
    configureIrq(kit, m, IPI, 0xa0, 1);
    const n = this.batch;
    let fn: BatchFn;
    if (kit.gic === 'v2') {
      const sgir = mmioAddr(m, 'GICD_SGIR');
      // TargetListFilter 0, CPUTargetList = vCPU 1, SGIINTID.
      const value = ((1 << 1) << 16) | IPI;
      const iar = mmioAddr(m, 'GICC_IAR');
      const eoir = mmioAddr(m, 'GICC_EOIR');
      fn = () => ipiV2(m, n, sgir, value, iar, eoir);
    } else {
      const sgi1r = sysregKeyOf(m, 'ICC_SGI1R_EL1');
      const [lo, hi] = sgi1rWords(affinityOf(m, 1), IPI);
      const iar = sysregKeyOf(m, 'ICC_IAR1_EL1');
      const eoir = sysregKeyOf(m, 'ICC_EOIR1_EL1');
      fn = () => ipiV3(m, n, sgi1r, lo, hi, iar, eoir);
    }
    return {
      machine: m,
      fn,
      ops: n,
      // vCPU 0 stays in the guest after its trapped SGIR write; let it out before looking.
      verify: () => {
        m.exit(0);
        expectQuiet(m, `ipi on GIC${m.version}`);
      },
    };
  },
};

// ------------------------------------------------------------ migrate

/**
 * One op: SPI 32 is made pending while routed to vCPU `from`; the guest on
 * `from` retargets it to `to` (GICD_ITARGETSR byte / GICD_IROUTER low word,
 * a trapped write); `from` exits, and its prune moves the interrupt to
 * `to`'s ap_list; `to` acknowledges, EOIs and exits. The next op goes back.
 */
function migrateV2(m: Machine, n: number, state: { at: number }, itargetsr: number, iar: number, eoir: number): number {
  let ok = 0;
  let from = state.at;
  for (let i = 0; i < n; i++) {
    const to = from ^ 1;
    m.inject(32, 1);
    m.mmioWrite(from, itargetsr, 8, 1 << to);
    m.exit(from);
    const id = m.mmioRead(to, iar, 32)!;
    m.mmioWrite(to, eoir, 32, id);
    m.exit(to);
    if (id === 32) ok++;
    from = to;
  }
  state.at = from;
  return ok;
}

function migrateV3(
  m: Machine,
  n: number,
  state: { at: number },
  irouter: number,
  routeLo: Uint32Array,
  iar: number,
  eoir: number,
): number {
  let ok = 0;
  let from = state.at;
  for (let i = 0; i < n; i++) {
    const to = from ^ 1;
    m.inject(32, 1);
    m.mmioWrite(from, irouter, 32, routeLo[to]!);
    m.exit(from);
    const id = m.sysregRead32(to, iar);
    m.sysregWriteWords(to, eoir, id, 0);
    m.exit(to);
    if (id === 32) ok++;
    from = to;
  }
  state.at = from;
  return ok;
}

const migrate: WorkloadDef = {
  name: 'migrate',
  summary: 'pending SPI 32 retargeted between vCPUs 0 and 1, taken on the new one',
  batch: 64,
  prepare(kit, mode) {
    const m = makeMachine(kit, mode, { vcpus: 2 });
    configureIrq(kit, m, 32, 0xa0, 0);
    const n = this.batch;
    const state = { at: 0 };
    let fn: BatchFn;
    if (kit.gic === 'v2') {
      // ITARGETSR8 holds INTIDs 32..35, one byte each: 32's is its first byte.
      const itargetsr = mmioAddr(m, 'GICD_ITARGETSR8');
      const iar = mmioAddr(m, 'GICC_IAR');
      const eoir = mmioAddr(m, 'GICC_EOIR');
      fn = () => migrateV2(m, n, state, itargetsr, iar, eoir);
    } else {
      const irouter = mmioAddr(m, 'GICD_IROUTER32');
      // IROUTER[31:0] = Aff2.Aff1.Aff0 with IRM (bit 31) clear; Aff3 (bits 39:32) is 0 for these vCPUs.
      const routeLo = new Uint32Array(2);
      for (let k = 0; k < 2; k++) {
        const aff = affinityOf(m, k);
        if (aff >>> 24 !== 0) throw new Error(`migrate: vCPU ${k} has Aff3 ${aff >>> 24}; the workload writes IROUTER's low word only`);
        routeLo[k] = aff & 0xffffff;
      }
      const iar = sysregKeyOf(m, 'ICC_IAR1_EL1');
      const eoir = sysregKeyOf(m, 'ICC_EOIR1_EL1');
      fn = () => migrateV3(m, n, state, irouter, routeLo, iar, eoir);
    }
    return prepared(m, fn, n, this.name);
  },
};

// ------------------------------------------------------------ nested

const NEST = 31;
const NEST_LOWEST = 0xf0;

/**
 * One op: 31 SPIs, each more urgent than the last (priority 0xf0 − 8i),
 * injected one at a time while the vCPU runs; each preempts the one before
 * and is acknowledged, until 31 are active at once in 4 list registers
 * (flush spills the least urgent active ones to keep a pending one
 * resident). Then all 31 are EOI'd, most urgent first (priority drop and
 * deactivation, EOImode 0), most of them from outside the list registers.
 */
function nestedV2(m: Machine, n: number, iar: number, eoir: number): number {
  let ok = 0;
  for (let i = 0; i < n; i++) {
    let good = 0;
    for (let k = 0; k < NEST; k++) {
      m.inject(32 + k, 1);
      if (m.mmioRead(0, iar, 32) === 32 + k) good++;
    }
    for (let k = NEST - 1; k >= 0; k--) m.mmioWrite(0, eoir, 32, 32 + k);
    m.exit(0);
    if (good === NEST) ok++;
  }
  return ok;
}

function nestedV3(m: Machine, n: number, iar: number, eoir: number): number {
  let ok = 0;
  for (let i = 0; i < n; i++) {
    let good = 0;
    for (let k = 0; k < NEST; k++) {
      m.inject(32 + k, 1);
      if (m.sysregRead32(0, iar) === 32 + k) good++;
    }
    for (let k = NEST - 1; k >= 0; k--) m.sysregWriteWords(0, eoir, 32 + k, 0);
    m.exit(0);
    if (good === NEST) ok++;
  }
  return ok;
}

const nested: WorkloadDef = {
  name: 'nested',
  summary: '31 SPIs of rising priority taken nested in 4 LRs, then EOI’d (overflow path)',
  batch: 4,
  prepare(kit, mode) {
    const m = makeMachine(kit, mode, { vcpus: 1 });
    for (let k = 0; k < NEST; k++) configureIrq(kit, m, 32 + k, NEST_LOWEST - 8 * k, 0);
    const n = this.batch;
    let fn: BatchFn;
    if (kit.gic === 'v2') {
      const iar = mmioAddr(m, 'GICC_IAR');
      const eoir = mmioAddr(m, 'GICC_EOIR');
      fn = () => nestedV2(m, n, iar, eoir);
    } else {
      const iar = sysregKeyOf(m, 'ICC_IAR1_EL1');
      const eoir = sysregKeyOf(m, 'ICC_EOIR1_EL1');
      fn = () => nestedV3(m, n, iar, eoir);
    }
    return {
      machine: m,
      fn,
      ops: n,
      verify: () => {
        expectQuiet(m, `nested on GIC${m.version}`);
        const rpr = kit.guest.runningPriority(m, 0);
        if (rpr !== 0xff) throw new Error(`nested on GIC${m.version}: running priority is 0x${rpr.toString(16)} after every EOI, not idle (0xff)`);
        m.exit(0);
      },
    };
  },
};

// ------------------------------------------------------------ lpi-roundtrip

/** The LPI of device 0, event 0 at bring-up. */
const LPI = 8192;

/**
 * One op: signalMsi(0, 0) (a device's write to GITS_TRANSLATER,
 * KVM_SIGNAL_MSI: the ITS's translation, the LPI made pending and queued) →
 * enter (flush) → ICC_IAR1_EL1 → ICC_EOIR1_EL1 → exit (sync). GICv3 only.
 */
function lpiRoundtripV3(m: Machine, n: number, iar: number, eoir: number): number {
  let ok = 0;
  for (let i = 0; i < n; i++) {
    m.signalMsi(0, 0);
    m.enter(0);
    const id = m.sysregRead32(0, iar);
    m.sysregWriteWords(0, eoir, id, 0);
    m.exit(0);
    if (id === LPI) ok++;
  }
  return ok;
}

const lpiRoundtrip: WorkloadDef = {
  name: 'lpi-roundtrip',
  summary: 'signalMsi(device 0, event 0) → ITS → LPI 8192 → enter → IAR → EOIR → exit, 1 vCPU',
  gics: ['v3'],
  batch: 256,
  prepare(kit, mode) {
    // One device, one event, translated to LPI 8192 in the collection of vCPU 0, at priority 0xa0.
    const m = makeMachine(kit, mode, { vcpus: 1, lpis: { devices: 1, eventsPerDevice: 1 } });
    const n = this.batch;
    const iar = sysregKeyOf(m, 'ICC_IAR1_EL1');
    const eoir = sysregKeyOf(m, 'ICC_EOIR1_EL1');
    return prepared(m, () => lpiRoundtripV3(m, n, iar, eoir), n, this.name);
  },
};

/** The single-thread workloads, in the order the issue lists them. */
export const WORKLOADS: readonly WorkloadDef[] = [spiRoundtrip, burst16, ipi, migrate, nested, lpiRoundtrip];

/** Every workload name the harness knows, the multi-threaded `scaling` (scaling.ts) and `lpi-stress` (lpi-stress.ts) included. */
export const WORKLOAD_NAMES: readonly string[] = [...WORKLOADS.map((w) => w.name), 'scaling', 'lpi-stress'];

export function workloadDef(name: string): WorkloadDef | undefined {
  return WORKLOADS.find((w) => w.name === name);
}

/** Does `def` run on `gic`? */
export function runsOn(def: WorkloadDef, gic: GicName): boolean {
  return def.gics === undefined || def.gics.includes(gic);
}

/** Of `names`, the single-thread workloads that run on `gic`. */
export function cellsFor(names: readonly string[], gic: GicName): string[] {
  return names.filter((name) => {
    const def = workloadDef(name);
    return def !== undefined && runsOn(def, gic);
  });
}

/** What set-up and one dry run must leave behind, before anything is timed. */
export function dryRun(p: Prepared, where: string): void {
  const got = p.fn();
  if (got !== p.ops) throw new Error(`${where}: ${got} of ${p.ops} operations had the expected outcome on a dry run`);
  p.verify();
}

export type { GicName, ModeName };
