/**
 * Runs the LPI and ITS operations (its-ops.ts) on a GICv3 machine with an
 * ITS, as its guest and its devices would: the guest's LPI driver
 * (GuestOps.lpi) brings LPIs up; commands go through the queue in guest RAM
 * (`queueItsCommand`, or 32 stored bytes and a GITS_CWRITER write for a
 * command that does not encode); MSIs through KVM_SIGNAL_MSI and
 * GITS_TRANSLATER; stores to RAM where the tables are.
 *
 * The RAM layout is the driver's (packages/gicv3/src/lpi-guest.ts): 64 KiB
 * blocks from the RAM's base — device table, collection table, command
 * queue, property table, a pending table per vCPU — then one interrupt
 * translation table per device.
 */
import type { AccessWidth, Machine } from '@vgic/core';
import type { GuestOps, GuestRam, LpiPlan } from '@vgic/core/testing';
import {
  GITS_OFFSETS,
  GITS_TRANSLATER_OFFSET,
  KVM_DEV_ARM_ITS_CTRL_RESET,
  KVM_DEV_ARM_ITS_RESTORE_TABLES,
  KVM_DEV_ARM_ITS_SAVE_TABLES,
  KVM_DEV_ARM_VGIC_GRP_ITS_REGS,
  itsState,
  itsTranslaterWrite,
  kvmItsDevice,
  gicv3LpiLayout,
  queueItsCommand,
  type Gicv3LpiLayout,
  type ItsCommand,
} from '@vgic/gicv3';
import { KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES, hostRead, kvmDevice, resolveHostRegister } from '@vgic/core';
import { FUZZ_RAM, type ItsFuzzConfig } from './config.js';
import { INVALIDATIONS, ITS_COMMAND_KINDS, KVM_ITS_CALLS, MSI_PATHS, RAM_AREAS, type ItsOp } from './its-ops.js';
import { FuzzFailure, type Record, type Recorder } from './recorder.js';

const LPI_FIRST = 8192;
/** A two-level device table's level-2 page: high in RAM, past every table of the layout. */
const L2_PAGE = 0xe_0000;

/** Opcodes no GICv3 ITS command has (GICv4's VMAPI, VMAPP... among them: this ITS has no vLPIs). */
const UNKNOWN_OPCODES: readonly number[] = [0x00, 0x02, 0x06, 0x07, 0x10, 0x20, 0x21, 0x22, 0x29, 0x2a, 0xff];


/** Index `i` into `valid` three times in four, else into `extra` (IDs no driver would use). */
function choose(i: number, valid: readonly number[], extra: readonly number[]): number {
  const j = i >>> 2;
  if ((i & 3) !== 3 || extra.length === 0) return valid[j % valid.length]!;
  return extra[j % extra.length]!;
}

function range(n: number, from = 0): number[] {
  return Array.from({ length: n }, (_, i) => from + i);
}

/** The IDs and addresses an ITS case's fields index, for one machine. */
export class ItsSpace {
  readonly plan: LpiPlan;
  /** Where the guest's LPI driver lays its tables for `plan`. */
  readonly layout: Gicv3LpiLayout;
  readonly eventBits: number;
  readonly devices: number[];
  readonly events: number[];
  readonly vcpus: number[];
  /** The LPIs the driver maps and enables (two per event, as its property table covers). */
  readonly lpis: number[];
  readonly gits: number;

  constructor(
    m: Machine,
    readonly config: ItsFuzzConfig,
    readonly ram: GuestRam,
  ) {
    this.plan = { vcpus: m.vcpus, devices: config.devices, eventsPerDevice: config.events, lpis: config.lpis };
    this.layout = gicv3LpiLayout(this.plan);
    this.eventBits = this.layout.eventBits;
    this.devices = range(config.devices);
    this.events = range(config.events);
    this.vcpus = range(m.vcpus);
    this.lpis = range(2 * config.devices * config.events, LPI_FIRST);
    this.gits = m.frameMap.named('GITS')!.frame.base;
  }

  device(i: number): number {
    return choose(i, this.devices, [this.config.devices, 0xffff, 0x1_0000, 0xffff_ffff]);
  }
  event(i: number): number {
    return choose(i, this.events, [this.config.events, (1 << this.eventBits) - 1, 0xffff, 0x1_0000, 0xffff_ffff]);
  }
  intid(i: number): number {
    const l = this.config.lpis;
    return choose(i, this.lpis, [LPI_FIRST + l, LPI_FIRST + l - 1, LPI_FIRST - 1, 1023, 0, 40, 0xffff, 0x1_0000, 0x1_2000, 0xffff_ffff]);
  }
  collection(i: number): number {
    return choose(i, this.vcpus, [this.vcpus.length, 511, 512, 0xffff]);
  }
  vcpu(i: number): number {
    return choose(i, this.vcpus, [this.vcpus.length, 7, 0xffff, 0xffff_ffff]);
  }
  size(i: number): number {
    return choose(i, [this.eventBits], [1, 16, 17, 32]);
  }
  /** Device `device`'s ITT as the driver lays it out, or an address where no ITT belongs. */
  itt(i: number, device: number): number {
    const own = this.ram.base + this.layout.itt(device % this.config.devices);
    const end = this.ram.base + FUZZ_RAM.size;
    return choose(i, [own], [0, this.ram.base, this.ram.base + this.layout.propertyTable.offset, end - 256, end, 2 ** 52 - 256]);
  }
  /** A random store's address: inside area `area` of the layout, aligned to `bytes`. */
  storeAddress(area: number, offset: number, bytes: number): number {
    const a = RAM_AREAS[area % RAM_AREAS.length]!;
    const l = this.layout;
    const { offset: from, size } =
      a === 'deviceTable'
        ? l.deviceTable
        : a === 'collectionTable'
          ? l.collectionTable
          : a === 'queue'
            ? l.commandQueue
            : a === 'properties'
              ? l.propertyTable
              : a === 'pending'
                ? l.pendingTables
                : a === 'itt'
                  ? l.itts
                  : { offset: 0, size: FUZZ_RAM.size };
    const at = Math.min(from + (offset % size), FUZZ_RAM.size - bytes);
    return this.ram.base + at - (at % bytes);
  }
}

/** `bytes` at `addr` as the fewest aligned stores of 8, 4, 2 or 1 bytes, little-endian. */
export function storesOf(addr: number, bytes: Uint8Array): { addr: number; width: 8 | 16 | 32 | 64; value: bigint }[] {
  const out: { addr: number; width: 8 | 16 | 32 | 64; value: bigint }[] = [];
  let i = 0;
  while (i < bytes.length) {
    const a = addr + i;
    let n = 8;
    while (n > 1 && (a % n !== 0 || i + n > bytes.length)) n >>= 1;
    let value = 0n;
    for (let b = n - 1; b >= 0; b--) value = (value << 8n) | BigInt(bytes[i + b]!);
    out.push({ addr: a, width: (n * 8) as 8 | 16 | 32 | 64, value });
    i += n;
  }
  return out;
}

/** Runs ITS operations on one machine; every call goes through `rec`. */
export class ItsExecutor {
  private readonly view: DataView;

  constructor(
    readonly m: Machine,
    readonly guest: GuestOps,
    readonly rec: Recorder,
    readonly space: ItsSpace,
  ) {
    this.view = new DataView(space.ram.buffer);
  }

  /** A guest store of `width` bits at `addr` (inside the RAM), recorded as a `poke`. */
  private store(addr: number, width: 8 | 16 | 32 | 64, value: bigint): void {
    const off = addr - this.space.ram.base;
    const v = BigInt.asUintN(width, value);
    if (width === 8) this.view.setUint8(off, Number(v));
    else if (width === 16) this.view.setUint16(off, Number(v), true);
    else if (width === 32) this.view.setUint32(off, Number(v), true);
    else this.view.setBigUint64(off, v, true);
    this.rec.store({ t: 'poke', addr, width, value: v });
  }

  /** The guest's LPI and ITS drivers' bring-up, every store it makes to RAM recorded as a `poke`. */
  lpiUp(priority: number): void {
    const lpi = this.guest.lpi;
    if (lpi === undefined) return;
    lpi.setUp(this.m, this.space.ram, this.space.plan, {
      priority,
      observe: (addr, bytes) => {
        for (const s of storesOf(addr, bytes)) this.rec.store({ t: 'poke', ...s });
      },
    });
  }

  perform(op: ItsOp): void {
    const { m, space } = this;
    switch (op.kind) {
      case 'lpiUp':
        this.lpiUp(op.priority);
        return;
      case 'itsCmd':
        this.command(op);
        return;
      case 'msi': {
        const device = space.device(op.device);
        const event = space.event(op.event);
        const path = MSI_PATHS[op.path % MSI_PATHS.length]!;
        const doorbell = space.gits + GITS_TRANSLATER_OFFSET;
        if (path === 'signal') {
          // Now and then a number that is no u32: host misuse, which must change nothing.
          m.signalMsi((op.device & 0xfff) === 0xfff ? -1 : device, event);
        } else if (path === 'translater') {
          itsTranslaterWrite(m, device, doorbell, event);
        } else if (path === 'elsewhere') {
          const address = doorbell + [4, -4, 0x10000, -GITS_TRANSLATER_OFFSET][op.event % 4]!;
          this.rec.hostCall(
            () => ({ t: 'translater', device, address, value: event }),
            () => itsTranslaterWrite(m, device, address, event),
          );
        } else {
          // A vCPU's own store to the doorbell carries no DeviceID: KVM signals nothing.
          const width = (op.event & 1) === 0 ? 32 : 16;
          m.mmioWrite(op.vcpu % m.vcpus, doorbell, width as AccessWidth, width === 32 ? event >>> 0 : event & 0xffff);
        }
        return;
      }
      case 'prop': {
        const intid = space.intid(op.intid);
        const k = op.vcpu % m.vcpus;
        if (intid >= LPI_FIRST && intid < 0x1_0000) {
          this.store(space.ram.base + space.layout.propertyTable.offset + intid - LPI_FIRST, 8, BigInt((op.priority & 0xfc) | 0x2 | (op.enabled ? 1 : 0)));
        }
        const then = INVALIDATIONS[op.then % INVALIDATIONS.length]!;
        const n = intid - LPI_FIRST;
        const e = space.config.events;
        if (then === 'INV') this.queue({ cmd: 'INV', device: n >= 0 ? Math.floor(n / e) : 0, event: n >= 0 ? n % e : 0 }, k);
        else if (then === 'INVALL') this.queue({ cmd: 'INVALL', collection: space.collection(op.rd) }, k);
        else if (then === 'GICR_INVLPIR') m.writeRegister('GICR_INVLPIR', BigInt(intid), { vcpu: k, rd: op.rd % m.vcpus });
        else if (then === 'GICR_INVALLR') m.writeRegister('GICR_INVALLR', 0n, { vcpu: k, rd: op.rd % m.vcpus });
        return;
      }
      case 'poke': {
        const width = op.width as 8 | 16 | 32 | 64;
        this.store(space.storeAddress(op.area, op.offset, width / 8), width, op.value);
        return;
      }
      case 'enableLpis':
        m.writeRegister('GICR_CTLR', op.on ? 1 : 0, { vcpu: op.vcpu % m.vcpus, rd: op.rd % m.vcpus });
        return;
      case 'kvmIts':
        this.kvmIts(op.call, op.value);
        return;
      case 'deviceTable':
        this.deviceTable(op.indirect, op.l2, op.vcpu % m.vcpus);
        return;
      case 'propIdBits':
        this.propIdBits(op.idBits, op.vcpu % m.vcpus);
        return;
    }
  }

  /**
   * The device table moved as a driver moves it, by vCPU `k`: the ITS
   * disabled, GITS_BASER0 written (flat over the driver's 64 KiB, or
   * two-level: its first level there, one valid entry naming a 64 KiB
   * level-2 page high in RAM — or, without `l2`, none valid), the ITS
   * enabled again. The mappings stay: the ITS keeps them, not the table.
   */
  private deviceTable(indirect: boolean, l2: boolean, k: number): void {
    const { m, space } = this;
    const gits = space.gits;
    const table = space.ram.base;
    const page = space.ram.base + L2_PAGE;
    const at = (o: number): number => gits + o;
    m.mmioWrite(k, at(GITS_OFFSETS.GITS_CTLR), 32, 0);
    if (indirect) this.store(table, 64, l2 ? (1n << 63n) | BigInt(page) : 0n);
    const attrs = (7n << 59n) | (1n << 10n) | (2n << 8n);
    m.mmioWrite(k, at(GITS_OFFSETS.GITS_BASER), 64, (1n << 63n) | (indirect ? 1n << 62n : 0n) | attrs | BigInt(table));
    m.mmioWrite(k, at(GITS_OFFSETS.GITS_CTLR), 32, 1);
  }

  /** GICR_PROPBASER given `idBits` + 1 INTID bits over the driver's property table: LPIs off on every redistributor first, on again after. */
  private propIdBits(idBits: number, k: number): void {
    const { m, space } = this;
    for (let rd = 0; rd < m.vcpus; rd++) m.writeRegister('GICR_CTLR', 0, { vcpu: k, rd });
    const value = BigInt(space.ram.base + space.layout.propertyTable.offset) | (7n << 7n) | (1n << 10n) | BigInt(idBits);
    for (let rd = 0; rd < m.vcpus; rd++) m.writeRegister('GICR_PROPBASER', value, { vcpu: k, rd });
    for (let rd = 0; rd < m.vcpus; rd++) m.writeRegister('GICR_CTLR', 1, { vcpu: k, rd });
  }

  /**
   * A VMM's call on the KVM ITS device. Restoring the tables may fail for
   * what the guest left in them (INVALID_STATE, KVM's EINVAL/EFAULT/EEXIST/
   * ENOMEM, keeping what it restored before), as may saving them into
   * tables outside guest RAM; everything else fails only as misuse.
   */
  private kvmIts(i: number, value: bigint): void {
    const call = KVM_ITS_CALLS[i % KVM_ITS_CALLS.length]!;
    const dev = kvmItsDevice(this.m);
    if (call === 'savePending') {
      // The GIC device's, beside the ITS's: every LPI's pending bit into its redistributor's pending table.
      this.rec.hostCallFailing(
        () => ({ t: 'kvmIts', ctrl: call, offset: 0, write: true, value: 0n }),
        () => kvmDevice(this.m).setAttr(KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES, 0),
        'INVALID_STATE',
      );
      return;
    }
    if (call === 'save' || call === 'restore' || call === 'reset') {
      const attr = call === 'save' ? KVM_DEV_ARM_ITS_SAVE_TABLES : call === 'restore' ? KVM_DEV_ARM_ITS_RESTORE_TABLES : KVM_DEV_ARM_ITS_CTRL_RESET;
      const rec = (): Record => ({ t: 'kvmIts', ctrl: call, offset: 0, write: true, value: 0n });
      const run = (): void => dev.setAttr(KVM_DEV_ARM_VGIC_GRP_CTRL, attr);
      if (call === 'reset') this.rec.hostCall(rec, run);
      else this.rec.hostCallFailing(rec, run, 'INVALID_STATE');
      return;
    }
    if (call === 'read') {
      const offsets = [GITS_OFFSETS.GITS_CTLR, GITS_OFFSETS.GITS_CBASER, GITS_OFFSETS.GITS_CREADR, GITS_OFFSETS.GITS_BASER + 8, 0x40, GITS_OFFSETS.GITS_CBASER + 4];
      const offset = offsets[Number(value % BigInt(offsets.length))]!;
      this.rec.hostCall(
        () => ({ t: 'kvmIts', ctrl: null, offset, write: false, value: 0n }),
        () => dev.getAttr(KVM_DEV_ARM_VGIC_GRP_ITS_REGS, offset),
      );
      return;
    }
    const offset = call === 'GITS_BASER0' ? GITS_OFFSETS.GITS_BASER : call === 'GITS_BASER1' ? GITS_OFFSETS.GITS_BASER + 8 : GITS_OFFSETS[call];
    // A queue offset a VMM restores, now and then one no queue holds; a 32-bit register's value sometimes wider than it.
    const v = call === 'GITS_CREADR' && (value & 1n) === 0n ? value & 0xf_ffe0n : value;
    const run = (): void => dev.setAttr(KVM_DEV_ARM_VGIC_GRP_ITS_REGS, offset, v);
    const rec = (): Record => ({ t: 'kvmIts', ctrl: null, offset, write: true, value: v });
    // GITS_CREADR is writable only while the ITS is disabled (EBUSY otherwise).
    if (call === 'GITS_CREADR') this.rec.hostCallFailing(rec, run, 'INVALID_STATE');
    else this.rec.hostCall(rec, run);
  }

  /** `c` queued by vCPU `k` through `queueItsCommand`, recorded as the `its:` step that does the same. */
  private queue(c: ItsCommand, k: number): void {
    const fields: [string, bigint][] = Object.entries(c)
      .filter(([name]) => name !== 'cmd')
      .map(([name, v]) => [name, typeof v === 'boolean' ? (v ? 1n : 0n) : BigInt(v as number | bigint)]);
    let queued = true;
    this.rec.guestCall(
      () => ({ t: 'its', command: c.cmd, fields, vcpu: k }),
      () => (queued = queueItsCommand(this.m, c, k)),
    );
    if (!queued) this.rec.store({ t: 'note', text: `${c.cmd} not queued: GITS_CBASER + GITS_CWRITER is outside guest RAM` });
  }

  private command(op: Extract<ItsOp, { kind: 'itsCmd' }>): void {
    const { space } = this;
    const kind = ITS_COMMAND_KINDS[op.cmd % ITS_COMMAND_KINDS.length]!;
    const k = op.vcpu % this.m.vcpus;
    const device = space.device(op.device);
    const event = space.event(op.event);
    switch (kind) {
      case 'MAPD':
        this.queue({ cmd: 'MAPD', device, itt: space.itt(op.itt, device), size: space.size(op.size), valid: op.valid }, k);
        return;
      case 'MAPC':
        this.queue({ cmd: 'MAPC', collection: space.collection(op.collection), target: space.vcpu(op.target), valid: op.valid }, k);
        return;
      case 'MAPTI':
        this.queue({ cmd: 'MAPTI', device, event, intid: space.intid(op.intid), collection: space.collection(op.collection) }, k);
        return;
      case 'MAPI':
      case 'MOVI':
        this.queue({ cmd: kind, device, event, collection: space.collection(op.collection) }, k);
        return;
      case 'INT':
      case 'CLEAR':
      case 'DISCARD':
      case 'INV':
        this.queue({ cmd: kind, device, event }, k);
        return;
      case 'INVALL':
        this.queue({ cmd: 'INVALL', collection: space.collection(op.collection) }, k);
        return;
      case 'MOVALL':
        this.queue({ cmd: 'MOVALL', from: space.vcpu(op.target), target: space.vcpu(op.collection) }, k);
        return;
      case 'SYNC':
        this.queue({ cmd: 'SYNC', target: space.vcpu(op.target) }, k);
        return;
      case 'unknown':
      case 'raw': {
        const w = [...op.words];
        if (kind === 'unknown') w[0] = (w[0]! & ~0xffn) | BigInt(UNKNOWN_OPCODES[op.opcode % UNKNOWN_OPCODES.length]!);
        this.raw(w, k);
        return;
      }
    }
  }

  /**
   * 32 bytes no encoder would write, as the guest stores them: at the
   * queue's write offset (when that is RAM), then GITS_CWRITER moved past
   * them by vCPU `k`, a trapped access.
   */
  private raw(words: bigint[], k: number): void {
    const s = itsState(this.m);
    const base = Number(s.cbaser & 0x000f_ffff_ffff_f000n);
    const size = (Number(s.cbaser & 0xffn) + 1) * 0x1000;
    const at = base + s.cwriter;
    const ram = this.space.ram;
    if (at >= ram.base && at + 32 <= ram.base + FUZZ_RAM.size) {
      for (let i = 0; i < 4; i++) this.store(at + 8 * i, 64, words[i]!);
    }
    this.m.mmioWrite(k, this.space.gits + GITS_OFFSETS.GITS_CWRITER, 64, BigInt((s.cwriter + 32) % size));
  }
}

/**
 * What the ITS's tables and the LPIs must agree on after every call (core's
 * invariants see the LPIs, not the translations that hold them): each
 * translation is of a mapped device, an event its ITT covers, a collection
 * that exists, and an LPI that is mapped, live and held at least once per
 * translation to it. The problem, or null.
 */
export function itsProblem(m: Machine): string | null {
  const s = itsState(m);
  const v = m.vgic;
  const devices = new Map(s.devices.map((d) => [d.device, d.size]));
  const collections = new Set(s.collections.map((c) => c.collection));
  const held = new Map<number, number>();
  for (const t of s.translations) {
    const what = `translation (${t.device}, ${t.event}) → LPI ${t.intid}`;
    const size = devices.get(t.device);
    if (size === undefined) return `${what}: device ${t.device} is not mapped`;
    if (t.event >= 2 ** size) return `${what}: event ${t.event} is past the device's ${size} EventID bits`;
    if (t.collection !== null && !collections.has(t.collection)) return `${what}: collection ${t.collection} does not exist`;
    const slot = v.lpiSlotOf(t.intid);
    if (slot < 0) return `${what}: the LPI is not mapped`;
    held.set(slot, (held.get(slot) ?? 0) + 1);
  }
  for (const [slot, n] of held) {
    const refs = v.lpiRefs[slot - v.lpiBase]!;
    if (refs < n) return `LPI ${v.intid[slot]} has ${refs} references for ${n} translations`;
  }
  for (const c of s.collections) if (c.target !== null && c.target >= m.vcpus) return `collection ${c.collection} targets vCPU ${c.target}, which does not exist`;
  return null;
}

/**
 * Make machine `m` check every MSI (after the recorder's own checks): it is
 * translated exactly when KVM's vgic_its_resolve_lpi would translate it
 * from what the ITS holds — the ITS enabled, a translation of the device's
 * event, its collection mapped to a vCPU whose redistributor has LPIs
 * enabled, the LPI mapped. A stale translation cache answers otherwise. A
 * wrong answer throws a FuzzFailure (a scenario's `msi` step fails with it).
 */
export function checkMsis(m: Machine, rec: Recorder): void {
  const signal = m.signalMsi.bind(m);
  m.signalMsi = (device, event) => {
    if (device >>> 0 !== device || event >>> 0 !== event) return signal(device, event);
    const s = itsState(m);
    const t = s.translations.find((x) => x.device === device && x.event === event);
    const target = t?.collection == null ? null : (s.collections.find((c) => c.collection === t.collection)?.target ?? null);
    const lpis = target !== null && (Number(hostRead(m, resolveHostRegister(m, 'GICR_CTLR', { rd: target }))) & 1) === 1;
    const want = s.enabled && t !== undefined && lpis && m.vgic.lpiSlotOf(t.intid) >= 0;
    const got = signal(device, event);
    if (got !== want) {
      const why = t === undefined ? 'no translation' : `LPI ${t.intid}, collection ${String(t.collection)} on vCPU ${String(target)}, LPIs ${lpis ? 'on' : 'off'}`;
      throw new FuzzFailure(
        `the MSI of device ${device} event ${event} was ${got ? '' : 'not '}translated (the ITS ${s.enabled ? 'enabled' : 'disabled'}, ${why})`,
        rec.calls - 1,
      );
    }
    return got;
  };
}
