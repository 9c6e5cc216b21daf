/**
 * Restoring a saved GIC: check the document completely, then replace the
 * machine's state with it and rebuild the ap_lists.
 *
 * A document that cannot be restored on the machine is refused with
 * `VgicError('INVALID_SNAPSHOT')` before anything is written: the machine is
 * unchanged (its running vCPUs keep running). "Cannot be restored" covers a
 * document that is not one (the schema), one for another machine (version,
 * shape, affinities), and one that holds state no guest or host write could
 * have produced — a route naming a vCPU the machine does not have, reserved
 * routing bits, a priority mask or binary point the CPU interface does not
 * implement, a hardware-mapped SGI, ... — as such state would otherwise be
 * written half-way, or accepted and break the machine later. Call it when no
 * other thread is inside the engine.
 */
import { LPI_PROP_PRIORITY, lpiResetAll, lpiRestoreMapping, lpiUnmapUnreferenced } from '../lpi.js';
import { describeValue, isArray } from '../args.js';
import { apListAddTail } from '../aplist.js';
import { cpuifUpdateLines } from '../cpuif.js';
import { VgicError } from '../errors.js';
import { Machine, type MachineOptions } from '../machine.js';
import { rethrowCallbackError } from '../notify.js';
import { requeue } from '../queue.js';
import {
  CONFIG_EDGE,
  CONFIG_LEVEL,
  CTL_DIST_ENABLE,
  DIST_WORDS,
  NONE,
  VCPU_OUTSIDE,
  VCPU_WORDS,
  type Vgic,
} from '../vgic.js';
import { formatMpidr, machineAffinities } from './affinity.js';
import { GIC_SNAPSHOT_VERSIONS, gicSnapshotSchema, type CpuInterfaceSnapshot, type GicSnapshot, type IrqSnapshot, type JsonSchema } from './document.js';
import { maxSnapshotValues, plainCopy } from './plain.js';
import { checkSchema } from './schema-check.js';

function refuse(message: string): never {
  throw new VgicError('INVALID_SNAPSHOT', message);
}

/** The routing word's two 32-bit halves from its `0x` + 16 hex digits form. */
export function parseRoute(route: string): [lo: number, hi: number] {
  return [Number.parseInt(route.slice(10, 18), 16) >>> 0, Number.parseInt(route.slice(2, 10), 16) >>> 0];
}

/** The first things a document says, read before the rest: its GIC and shape. */
interface Heading {
  gic: unknown;
  vcpus: number;
  spis: number;
  /** The LPI capacity a version-2 document names (0 when it names none). */
  lpis: number;
}

/** One field of a value the caller gave, as plain data (`limit` values at most), or undefined. */
function readField(from: unknown, key: string, path: string, limit: number): unknown {
  if (typeof from !== 'object' || from === null) return undefined;
  let x: unknown;
  try {
    x = (from as Record<string, unknown>)[key];
  } catch {
    refuse(`the document cannot be read at ${path}`);
  }
  return x === undefined ? undefined : plainCopy(x, limit);
}

const SHAPE_SCHEMA = (gicSnapshotSchema['properties'] as Record<string, { properties: Record<string, JsonSchema> }>)['shape']!.properties;

/**
 * A document's version, GIC and vCPU and SPI counts, read without reading
 * the rest, so that how much of the rest to read can follow from the shape.
 */
function readHeading(doc: unknown): Heading {
  if (typeof doc !== 'object' || doc === null || isArray(doc)) {
    refuse(`a GIC snapshot is a JSON object; got ${doc === null ? 'null' : isArray(doc) ? 'an array' : typeof doc}`);
  }
  const version = readField(doc, 'version', '$.version', 1);
  if (version === undefined) refuse('the document has no "version": it is not a GIC snapshot');
  if (!GIC_SNAPSHOT_VERSIONS.includes(version as number)) {
    refuse(`snapshot version ${describeValue(version)} is not supported; this build reads versions ${GIC_SNAPSHOT_VERSIONS.join(' and ')}`);
  }
  let shape: unknown;
  try {
    shape = (doc as Record<string, unknown>)['shape'];
  } catch {
    refuse('the document cannot be read at $.shape');
  }
  const vcpus = readField(shape, 'vcpus', '$.shape.vcpus', 1);
  const spis = readField(shape, 'spis', '$.shape.spis', 1);
  const lpis = readField(shape, 'lpis', '$.shape.lpis', 1);
  if (typeof shape === 'object' && shape !== null) {
    const problem =
      (vcpus === undefined ? null : checkSchema(vcpus, SHAPE_SCHEMA['vcpus']!, '$.shape.vcpus')) ??
      (spis === undefined ? null : checkSchema(spis, SHAPE_SCHEMA['spis']!, '$.shape.spis')) ??
      (lpis === undefined ? null : checkSchema(lpis, SHAPE_SCHEMA['lpis']!, '$.shape.lpis'));
    if (problem !== null) refuse(`the snapshot does not match its schema: ${problem}`);
  }
  // A missing or malformed shape is reported by the schema check of the whole document.
  const ok = typeof vcpus === 'number' && typeof spis === 'number';
  return {
    gic: readField(doc, 'gic', '$.gic', 1),
    vcpus: ok ? vcpus : 1,
    spis: ok ? spis : 0,
    lpis: typeof lpis === 'number' ? lpis : 0,
  };
}

/** The whole document as plain data, checked against the schema; at most as much as a document of its own shape holds. */
function readDocument(doc: unknown, maxValues: number): GicSnapshot {
  const plain = plainCopy(doc, maxValues);
  const problem = checkSchema(plain, gicSnapshotSchema);
  if (problem !== null) refuse(`the snapshot does not match its schema: ${problem}`);
  return plain as GicSnapshot;
}

/**
 * Check a document on its own: an object, a version this build reads, and
 * the schema. Returns a plain-data copy of it, typed: a getter or Proxy in
 * the original runs once, while it is copied.
 */
export function checkSnapshotDocument(doc: unknown): GicSnapshot {
  const { vcpus, spis, lpis } = readHeading(doc);
  return readDocument(doc, maxSnapshotValues(vcpus, spis, lpis));
}

/** The checks the schema cannot make, against the machine the document is for. */
function checkAgainstMachine(m: Machine, doc: GicSnapshot): void {
  const v = m.vgic;
  if (doc.gic !== m.version) {
    refuse(`the snapshot is of a GIC${doc.gic} machine; this machine is GIC${m.version}`);
  }
  const { vcpus, spis, lrs } = doc.shape;
  if (lrs > m.backend.limits.maxLrs) {
    refuse(`shape.lrs is ${lrs}; no GIC${m.version} machine has more than ${m.backend.limits.maxLrs} list registers`);
  }
  if (vcpus !== v.nrVcpus) {
    refuse(`the snapshot has ${vcpus} vCPU${vcpus === 1 ? '' : 's'}; this machine has ${v.nrVcpus}: restore it on a machine of the same shape`);
  }
  if (spis !== v.nrSpis) {
    refuse(`the snapshot has ${spis} SPIs; this machine has ${v.nrSpis}: restore it on a machine of the same shape`);
  }
  const mpidr = doc.shape.mpidr;
  if (mpidr !== undefined) {
    if (mpidr.length !== vcpus) refuse(`shape.mpidr lists ${mpidr.length} affinities for ${vcpus} vCPUs`);
    const own = machineAffinities(m);
    if (own === null) refuse(`the snapshot names vCPU affinities (shape.mpidr); this GIC${m.version} has none`);
    own.forEach((aff, k) => {
      if (formatMpidr(aff) !== mpidr[k]) {
        refuse(`the snapshot's vCPU ${k} has affinity ${mpidr[k]}; this machine's has ${formatMpidr(aff)}: restore on a machine made with the same mpidr`);
      }
    });
  }
  if (doc.distributor.words.length !== DIST_WORDS) {
    refuse(`distributor.words must hold ${DIST_WORDS} words; it holds ${doc.distributor.words.length}`);
  }
  if (doc.vcpus.length !== vcpus) refuse(`shape.vcpus is ${vcpus} but vcpus lists ${doc.vcpus.length}`);
  if (doc.spis.length !== spis) refuse(`shape.spis is ${spis} but spis lists ${doc.spis.length}`);
  doc.vcpus.forEach((c, k) => {
    const at = `vcpus[${k}]`;
    if (c.vcpu !== k) refuse(`${at}.vcpu must be ${k}; got ${c.vcpu}`);
    if (c.words.length !== VCPU_WORDS) refuse(`${at}.words must hold ${VCPU_WORDS} words; it holds ${c.words.length}`);
    checkCpuInterface(v, c.cpuInterface, `${at}.cpuInterface`);
    c.private.forEach((irq, i) => checkIrq(v, irq, i, k, `${at}.private[${i}]`));
  });
  doc.spis.forEach((irq, n) => checkIrq(v, irq, 32 + n, NONE, `spis[${n}]`));
  checkLpis(m, doc);
  const problem = m.backend.checkSnapshot?.(v, doc) ?? null;
  if (problem !== null) refuse(problem);
  const extra = m.backend.snapshotState;
  if (doc.backend !== undefined && extra === undefined) refuse(`the snapshot holds a backend part; this GIC${m.version} backend keeps none`);
  const extraProblem = extra?.check(v, doc.backend, doc) ?? null;
  if (extraProblem !== null) refuse(`backend: ${extraProblem}`);
}

/**
 * A version-2 document's LPIs, as this machine can hold them: no more than
 * its capacity, in INTID order, a priority a property byte gives (bits 1:0
 * clear), vCPUs it has. A version-1 document holds none.
 */
function checkLpis(m: Machine, doc: GicSnapshot): void {
  const v = m.vgic;
  if (doc.version === 1 && (doc.lpis !== undefined || doc.backend !== undefined || doc.shape.lpis !== undefined)) {
    refuse('a version-1 snapshot holds no LPIs, LPI capacity or backend part: those are version 2');
  }
  const lpis = doc.lpis ?? [];
  if (lpis.length > v.nrLpis) {
    refuse(`the snapshot maps ${lpis.length} LPIs; this machine has room for ${v.nrLpis} (its lpis option)`);
  }
  let last = 0;
  lpis.forEach((lpi, i) => {
    const at = `lpis[${i}]`;
    if (lpi.intid <= last) refuse(`${at}.intid ${lpi.intid} is out of order: LPIs are listed once each, in INTID order`);
    last = lpi.intid;
    if ((lpi.priority & ~LPI_PROP_PRIORITY) !== 0) refuse(`${at}.priority 0x${lpi.priority.toString(16)}: a property byte gives bits 7:2 only`);
    if (lpi.target !== null && lpi.target >= v.nrVcpus) refuse(`${at}.target must be a vCPU 0..${v.nrVcpus - 1} or null; got ${lpi.target}`);
    const on = lpi.activeOn ?? null;
    if (on !== null) {
      if (!lpi.active) refuse(`${at}.activeOn is only meaningful for an active LPI`);
      if (on >= v.nrVcpus) refuse(`${at}.activeOn must be a vCPU 0..${v.nrVcpus - 1}; got ${on}`);
    }
  });
}

/**
 * A CPU interface's values as its registers can hold them: a priority mask
 * of the implemented bits only (PMR's low bits are RAZ/WI), binary points no
 * lower than the minimum (a lower write reads back the minimum: BPR0 8 -
 * priority bits - 1, BPR1 one more), and no active priorities in the
 * AP0R/AP1R words the priority bits leave unimplemented (RAZ/WI).
 */
function checkCpuInterface(v: Vgic, ci: CpuInterfaceSnapshot, at: string): void {
  if ((ci.pmr & ~v.priorityMask) !== 0) {
    refuse(`${at}.pmr 0x${ci.pmr.toString(16)} sets bits the priority mask does not implement (it implements 0x${v.priorityMask.toString(16)})`);
  }
  if (ci.bpr0 < v.bprMin - 1) refuse(`${at}.bpr0 is ${ci.bpr0}; the binary point of group 0 is at least ${v.bprMin - 1}`);
  if (ci.bpr1 < v.bprMin) refuse(`${at}.bpr1 is ${ci.bpr1}; the binary point of group 1 is at least ${v.bprMin}`);
  for (let n = v.aprWordsUsed; n < 4; n++) {
    if (ci.ap0r[n] !== 0 || ci.ap1r[n] !== 0) {
      refuse(`${at}: AP0R${n}/AP1R${n} do not exist with ${v.priorityBits} priority bits (AP<n>R0..${v.aprWordsUsed - 1}); they must be 0`);
    }
  }
}

function checkIrq(v: Vgic, irq: IrqSnapshot, intid: number, vcpu: number, at: string): void {
  if (irq.intid !== intid) refuse(`${at}.intid must be ${intid} (interrupts are listed in INTID order); got ${irq.intid}`);
  if ((irq.priority & ~v.priorityMask) !== 0) {
    refuse(`${at}.priority 0x${irq.priority.toString(16)} sets bits this GIC does not implement (it implements 0x${v.priorityMask.toString(16)})`);
  }
  const v2Sgi = v.sgiSources && intid < 16;
  if (intid < 16 && irq.config !== 'edge') refuse(`${at}: SGIs are edge-triggered; config must be "edge"`);
  // The host maps and raises PPIs and SPIs only; an SGI has no line.
  if (intid < 16 && irq.hostIntid !== null) refuse(`${at}: an SGI cannot be hardware-mapped; hostIntid must be null`);
  if (intid < 16 && irq.lineLevel) refuse(`${at}: an SGI has no input line; lineLevel must be false`);
  if (!v2Sgi && (irq.sources !== undefined || irq.activeSource !== undefined)) {
    refuse(`${at}: only GICv2 SGIs have "sources" and "activeSource"`);
  }
  if (v2Sgi) {
    const sources = irq.sources ?? 0;
    if (sources >> v.nrVcpus !== 0) refuse(`${at}.sources names a vCPU this machine does not have (vCPUs 0..${v.nrVcpus - 1})`);
    if ((irq.activeSource ?? 0) >= v.nrVcpus) refuse(`${at}.activeSource must be a vCPU 0..${v.nrVcpus - 1}`);
    if (irq.pendingLatch !== (sources !== 0)) {
      refuse(`${at}: a GICv2 SGI is pending exactly when it has sources; pendingLatch is ${irq.pendingLatch} with sources ${sources}`);
    }
  }
  const on = irq.activeOn ?? null;
  if (on !== null) {
    if (!irq.active) refuse(`${at}.activeOn is only meaningful for an active interrupt`);
    if (on >= v.nrVcpus) refuse(`${at}.activeOn must be a vCPU 0..${v.nrVcpus - 1}; got ${on}`);
    if (vcpu !== NONE && on !== vcpu) refuse(`${at}.activeOn must be ${vcpu}: a private interrupt is active on its own vCPU`);
  }
}

/**
 * Everything a machine must refuse, before anything is written: the
 * document is read (as plain data, no more of it than a document for this
 * machine holds), checked against the schema, then against the machine.
 */
function validateFor(m: Machine, doc: unknown): GicSnapshot {
  readHeading(doc);
  const checked = readDocument(doc, maxSnapshotValues(m.vgic.nrVcpus, m.vgic.nrSpis, m.vgic.nrLpis));
  checkAgainstMachine(m, checked);
  return checked;
}

function writeIrq(v: Vgic, slot: number, irq: IrqSnapshot): void {
  v.enabled[slot] = irq.enabled ? 1 : 0;
  v.pendingLatch[slot] = irq.pendingLatch ? 1 : 0;
  v.lineLevel[slot] = irq.lineLevel ? 1 : 0;
  v.active[slot] = irq.active ? 1 : 0;
  v.group[slot] = irq.group;
  v.priority[slot] = irq.priority;
  v.config[slot] = irq.config === 'edge' ? CONFIG_EDGE : CONFIG_LEVEL;
  const [lo, hi] = parseRoute(irq.route);
  v.route[slot * 2] = lo;
  v.route[slot * 2 + 1] = hi;
  v.hw[slot] = irq.hostIntid !== null ? 1 : 0;
  v.hostIntid[slot] = irq.hostIntid ?? 0;
  v.sgiSrc[slot] = irq.sources ?? 0;
  v.activeSrc[slot] = irq.activeSource ?? 0;
  v.foldChanges[slot] = 0;
}

/** Put `slot` on `vcpu`'s ap_list: an active interrupt goes back to the vCPU it is active on. */
function queueOn(v: Vgic, vcpu: number, slot: number): void {
  v.lockApList(vcpu);
  v.lockIrq(slot);
  apListAddTail(v, vcpu, slot);
  v.apListVcpu[slot] = vcpu;
  v.unlockIrq(slot);
  v.unlockApList(vcpu);
}

/** Write a checked document into the machine. Nothing here can fail. */
function applySnapshot(m: Machine, doc: GicSnapshot): void {
  const v = m.vgic;
  // Every vCPU leaves the guest; what its list registers held is replaced,
  // not folded. Every word a lock protects is rewritten below, so a machine
  // a dead thread left broken is sound again: its locks start free.
  v.resetLocks();
  v.resetLinks();
  if (v.nrLpis !== 0) lpiResetAll(v);
  v.runState.fill(VCPU_OUTSIDE);
  v.kick.fill(0);
  v.underflowRequested.fill(0);
  v.maintenancePending.fill(0);
  v.eoiCount.fill(0);

  Atomics.store(v.header, CTL_DIST_ENABLE, doc.distributor.enable);
  v.dist.set(doc.distributor.words);
  doc.vcpus.forEach((c, k) => {
    v.vcpuWords.set(c.words, k * VCPU_WORDS);
    const ci = c.cpuInterface;
    v.pmr[k] = ci.pmr;
    v.bpr0[k] = ci.bpr0;
    v.bpr1[k] = ci.bpr1;
    v.grpEn0[k] = ci.enableGrp0 ? 1 : 0;
    v.grpEn1[k] = ci.enableGrp1 ? 1 : 0;
    v.eoiMode[k] = ci.eoiMode;
    v.cbpr[k] = ci.cbpr ? 1 : 0;
    v.ackCtl[k] = ci.ackCtl ? 1 : 0;
    v.fiqEn[k] = ci.fiqEn ? 1 : 0;
    v.apr.set(ci.ap0r, v.aprBase(k));
    v.apr.set(ci.ap1r, v.aprBase(k) + 4);
    c.private.forEach((irq, i) => writeIrq(v, k * 32 + i, irq));
  });
  doc.spis.forEach((irq, n) => writeIrq(v, v.nrVcpus * 32 + n, irq));
  // The LPIs, each in a slot of its own. A backend with a part of its own
  // takes their references again when it restores (its translations).
  const retake = m.backend.snapshotState !== undefined;
  (doc.lpis ?? []).forEach((lpi, i) => {
    const slot = lpiRestoreMapping(v, i, lpi.intid, retake ? 0 : lpi.refs);
    v.enabled[slot] = lpi.enabled ? 1 : 0;
    v.pendingLatch[slot] = lpi.pendingLatch ? 1 : 0;
    v.active[slot] = lpi.active ? 1 : 0;
    v.priority[slot] = lpi.priority;
    v.target[slot] = lpi.target ?? NONE;
  });

  // Targets come from the routing words, through the backend, once every
  // word they may depend on (affinities in the per-vCPU words) is in place.
  for (let s = 0; s < v.lpiBase; s++) v.target[s] = m.backend.routeTarget(v, s);

  // Rebuild the ap_lists: an active interrupt on the vCPU it is active on,
  // everything else wherever the target oracle routes it.
  const activeOn = (s: number): number | null => {
    const k = v.slotVcpu(s);
    const irq = k !== NONE ? doc.vcpus[k]!.private[s - k * 32]! : doc.spis[s - v.nrVcpus * 32]!;
    return irq.active ? (irq.activeOn ?? null) : null;
  };
  for (let s = 0; s < v.lpiBase; s++) {
    const on = activeOn(s);
    if (on !== null) queueOn(v, on, s);
    else requeue(v, s);
  }
  (doc.lpis ?? []).forEach((lpi, i) => {
    const on = lpi.active ? (lpi.activeOn ?? null) : null;
    if (on !== null) queueOn(v, on, v.lpiBase + i);
    else requeue(v, v.lpiBase + i);
  });
  if (retake) {
    m.backend.snapshotState!.restore(v, doc.backend, doc);
    lpiUnmapUnreferenced(v);
  }
  for (let k = 0; k < v.nrVcpus; k++) cpuifUpdateLines(v, k);
}

/**
 * Replace the GIC state of `m` with a saved document. The document must be
 * of this GIC version and of this machine's shape (vCPUs and SPIs; the list
 * register count may differ). Refused documents throw
 * `VgicError('INVALID_SNAPSHOT')` and leave the machine unchanged. Afterwards
 * every vCPU is outside; each re-enters on its next guest access.
 */
export function restoreMachine(m: Machine, doc: unknown): void {
  if (!Machine.isMachine(m)) throw new VgicError('INVALID_ARGUMENT', `restoreMachine restores into a machine; got ${describeValue(m)}`);
  applySnapshot(m, validateFor(m, doc));
  rethrowCallbackError(m.vgic);
}

/** How `createFromSnapshot` builds a machine for a GIC version (`createGicv2`, `createGicv3`). */
export type MachineFactory = (options: MachineOptions) => Machine;

/**
 * A new machine of the document's GIC version and shape, with the document
 * restored into it. `factories` maps a GIC version (`v2`, `v3`) to the
 * backend package's machine factory. The factory is given the document's
 * shape (`vcpus`, `spis`, `lrs`, and for GICv3 `mpidr`, the vCPUs'
 * affinities) on top of `options` (frame bases, `shared`, ...).
 */
export function createFromSnapshot(
  doc: unknown,
  factories: Readonly<Record<string, MachineFactory>>,
  options: Partial<MachineOptions> & Record<string, unknown> = {},
): Machine {
  const given = readFactoryOptions(options);
  if (typeof factories !== 'object' || factories === null) {
    throw new VgicError('INVALID_ARGUMENT', `factories maps a GIC version to a machine factory ({ v2: createGicv2, ... }); got ${describeValue(factories)}`);
  }
  // Only as much of the document as names its machine is read here; the
  // rest is read by the restore, no more of it than that machine's holds.
  const { gic, vcpus } = readHeading(doc);
  const props = gicSnapshotSchema['properties'] as Record<string, JsonSchema>;
  const shape = readField(doc, 'shape', '$.shape', 16 + vcpus);
  const problem = checkSchema(gic, props['gic']!, '$.gic') ?? checkSchema(shape, props['shape']!, '$.shape');
  if (problem !== null) refuse(`the snapshot does not match its schema: ${problem}`);
  const name = gic as string;
  const { spis, lrs, mpidr, lpis } = shape as GicSnapshot['shape'];
  let factory: unknown;
  let known: string[];
  try {
    factory = Object.hasOwn(factories, name) ? factories[name] : undefined;
    known = Object.keys(factories);
  } catch {
    throw new VgicError('INVALID_ARGUMENT', 'factories cannot be read');
  }
  if (factory === undefined) {
    refuse(`the snapshot is of a GIC${name} machine and no factory for "${name}" was given${known.length ? ` (given: ${known.join(', ')})` : ''}`);
  }
  if (typeof factory !== 'function') throw new VgicError('INVALID_ARGUMENT', `factories.${name} must be a machine factory; got ${describeValue(factory)}`);
  let m: unknown;
  try {
    m = (factory as MachineFactory)({
      ...given,
      vcpus,
      spis,
      lrs,
      ...(mpidr !== undefined && { mpidr: mpidr.map((x) => BigInt(x)) }),
      ...(lpis !== undefined && lpis > 0 && { lpis }),
    });
  } catch (e) {
    refuse(`no GIC${name} machine of the snapshot's shape can be built: ${e instanceof VgicError ? e.message : describeValue(e)}`);
  }
  if (!Machine.isMachine(m)) throw new VgicError('INVALID_ARGUMENT', `factories.${name} returned ${describeValue(m)}, not a machine`);
  restoreMachine(m, doc);
  return m;
}

/** The caller's options for the factory, read once (own keys, any names: they are the factory's to check). */
function readFactoryOptions(options: unknown): Record<string, unknown> {
  if (options === undefined) return {};
  if (typeof options !== 'object' || options === null || isArray(options)) {
    throw new VgicError('INVALID_ARGUMENT', `createFromSnapshot's options are an object of machine options; got ${describeValue(options)}`);
  }
  const out: Record<string, unknown> = {};
  try {
    for (const key of Object.keys(options)) if (key !== '__proto__') out[key] = (options as Record<string, unknown>)[key];
  } catch {
    throw new VgicError('INVALID_ARGUMENT', "createFromSnapshot's options cannot be read");
  }
  return out;
}
