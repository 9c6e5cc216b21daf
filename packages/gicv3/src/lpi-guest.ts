/**
 * What a GICv3 guest's LPI and ITS drivers do (core's `LpiGuestOps`), as
 * Linux's irq-gic-v3 / irq-gic-v3-its and the kernel's vgic_lpi_stress
 * selftest do it: the LPI property table and a pending table per
 * redistributor in RAM, GICR_PROPBASER / GICR_PENDBASER, GICR_CTLR.EnableLPIs;
 * a flat device table and collection table (GITS_BASER<n>, by the type each
 * one reports), the command queue (GITS_CBASER), GITS_CTLR.Enabled; then
 * commands written at GITS_CWRITER's offset in the queue with the ITS's own
 * encoder and GITS_CWRITER moved past them.
 *
 * RAM layout, from the RAM's base (64 KiB blocks, as the selftest lays it):
 *   0x00000 device table, 0x10000 collection table, 0x20000 command queue,
 *   0x30000 LPI property table (16-bit INTIDs: 56 KiB), 0x40000 a pending
 *   table per vCPU (64 KiB apart), then an interrupt translation table per
 *   device (256-byte aligned).
 */
import type { Machine } from '@vgic/core';
import { hostRead, hostWrite, resolveHostRegister, type HostRegister } from '@vgic/core';
import type { CommandIssuer, GuestRam, LpiDriver, LpiGuestOps, LpiPlan, RamObserver } from '@vgic/core/testing';
import { encodeItsCommand, type ItsCommand } from './its/command.js';

const LPI_FIRST = 8192;
const BLOCK = 0x1_0000;
const DEVICE_TABLE = 0x0_0000;
const COLLECTION_TABLE = 0x1_0000;
const COMMAND_QUEUE = 0x2_0000;
const PROPERTY_TABLE = 0x3_0000;
const PENDING_TABLES = 0x4_0000;
const ITT_ALIGN = 256;
/** ITT entry size KVM reports in GITS_TYPER (8 bytes). */
const ITE_BYTES = 8;
const COMMAND_BYTES = 32;

/** 16-bit INTIDs: GICR_PROPBASER.IDbits = 15, as KVM's GICD_TYPER.IDbits allows. */
const ID_BITS = 16;
/**
 * Inner shareable (bits 11:10), inner write-back read/write-allocate: what
 * Linux asks for and KVM keeps. The redistributors' registers hold
 * InnerCache in bits 9:7, the ITS's in bits 61:59.
 */
const RD_CACHEABLE = (7n << 7n) | (1n << 10n);
const ITS_CACHEABLE = (7n << 59n) | (1n << 10n);
const BASER_VALID = 1n << 63n;
const BASER_TYPE_DEVICE = 1n;
const BASER_TYPE_COLLECTION = 4n;
const GITS_CTLR_ENABLED = 1;
const GICR_CTLR_ENABLE_LPIS = 1;
/** LPI property byte: priority [7:2], bit 1 RES1 (Linux's LPI_PROP_GROUP1), enable [0]. */
const PROP_RES1 = 0x2;

/** EventID bits an ITT needs for `events` events (at least 1). */
function eventBitsFor(events: number): number {
  let bits = 1;
  while (1 << bits < events) bits++;
  return bits;
}

function ittStride(plan: LpiPlan): number {
  const bytes = (1 << eventBitsFor(plan.eventsPerDevice)) * ITE_BYTES;
  return Math.ceil(bytes / ITT_ALIGN) * ITT_ALIGN;
}

function ittOffset(plan: LpiPlan, device: number): number {
  return PENDING_TABLES + plan.vcpus * BLOCK + device * ittStride(plan);
}

function ramBytes(plan: LpiPlan): number {
  const end = ittOffset(plan, plan.devices);
  return Math.ceil(end / BLOCK) * BLOCK;
}

/** A part of the guest's RAM: its offset from the RAM's base, and its size, in bytes. */
export interface RamArea {
  readonly offset: number;
  readonly size: number;
}

/** Where `gicv3Guest.lpi` lays each table in the guest's RAM for a plan (see the module comment). */
export interface Gicv3LpiLayout {
  readonly deviceTable: RamArea;
  readonly collectionTable: RamArea;
  readonly commandQueue: RamArea;
  readonly propertyTable: RamArea;
  /** Every vCPU's pending table, one block each. */
  readonly pendingTables: RamArea;
  /** Every device's interrupt translation table. */
  readonly itts: RamArea;
  /** EventID bits each device is mapped with. */
  readonly eventBits: number;
  /** The offset of device `device`'s interrupt translation table. */
  itt(device: number): number;
}

/** The RAM layout the GICv3 guest's LPI driver uses for `plan`: for a test or fuzzer that aims stores at its tables. */
export function gicv3LpiLayout(plan: LpiPlan): Gicv3LpiLayout {
  const itts = ittOffset(plan, 0);
  return {
    deviceTable: { offset: DEVICE_TABLE, size: BLOCK },
    collectionTable: { offset: COLLECTION_TABLE, size: BLOCK },
    commandQueue: { offset: COMMAND_QUEUE, size: BLOCK },
    propertyTable: { offset: PROPERTY_TABLE, size: BLOCK },
    pendingTables: { offset: PENDING_TABLES, size: plan.vcpus * BLOCK },
    itts: { offset: itts, size: ramBytes(plan) - itts },
    eventBits: eventBitsFor(plan.eventsPerDevice),
    itt: (device) => ittOffset(plan, device),
  };
}

function intidOf(plan: LpiPlan, device: number, event: number): number {
  return LPI_FIRST + device * plan.eventsPerDevice + event;
}

/** Register access by a vCPU (a trapped guest instruction) or by a thread that runs none (its emulation). */
interface Regs {
  read(name: string): bigint;
  write(name: string, value: bigint | number): void;
}

function vcpuRegs(m: Machine, vcpu: number): Regs {
  return {
    read: (name) => BigInt(m.readRegister(name, { vcpu })),
    write: (name, value) => m.writeRegister(name, value, { vcpu }),
  };
}

function hostRegs(m: Machine): Regs {
  const resolved = new Map<string, HostRegister>();
  const reg = (name: string): HostRegister => {
    let r = resolved.get(name);
    if (r === undefined) {
      r = resolveHostRegister(m, name);
      resolved.set(name, r);
    }
    return r;
  };
  return {
    read: (name) => hostRead(m, reg(name)),
    write: (name, value) => hostWrite(m, reg(name), value),
  };
}

/** Stores to the guest's RAM, as its CPU makes them (an address outside the RAM stores nothing). */
class Ram {
  private readonly view: DataView;
  constructor(
    readonly ram: GuestRam,
    private readonly observe: RamObserver | undefined,
  ) {
    this.view = new DataView(ram.buffer);
  }
  private at(addr: number, bytes: number): number {
    const off = addr - this.ram.base;
    return off >= 0 && off + bytes <= this.view.byteLength ? off : -1;
  }
  store8(addr: number, value: number): void {
    const off = this.at(addr, 1);
    if (off < 0) return;
    this.view.setUint8(off, value);
    this.observe?.(addr, new Uint8Array(this.ram.buffer, off, 1));
  }
  storeBytes(addr: number, bytes: Uint8Array): void {
    const off = this.at(addr, bytes.length);
    if (off < 0) return;
    new Uint8Array(this.ram.buffer, off, bytes.length).set(bytes);
    this.observe?.(addr, bytes);
  }
}

class Gicv3LpiDriver implements LpiDriver {
  private readonly mem: Ram;
  private readonly regs: Regs;
  private readonly raw32 = new Uint8Array(COMMAND_BYTES);
  private readonly rawView = new DataView(this.raw32.buffer);

  constructor(
    private readonly ram: GuestRam,
    private readonly plan: LpiPlan,
    m: Machine,
    by: CommandIssuer,
    observe?: RamObserver,
  ) {
    this.mem = new Ram(ram, observe);
    this.regs = by === 'host' ? hostRegs(m) : vcpuRegs(m, by);
  }

  /** Write the command at GITS_CWRITER's offset in the queue GITS_CBASER names, then move GITS_CWRITER past it. */
  private issue(bytes: Uint8Array): void {
    const cbaser = this.regs.read('GITS_CBASER');
    const base = Number(cbaser & 0x000f_ffff_ffff_f000n);
    const size = (Number(cbaser & 0xffn) + 1) * 0x1000;
    const offset = Number(this.regs.read('GITS_CWRITER') & 0xf_ffe0n);
    this.mem.storeBytes(base + offset, bytes);
    this.regs.write('GITS_CWRITER', (offset + COMMAND_BYTES) % size);
  }

  private command(c: ItsCommand): void {
    this.issue(encodeItsCommand(c));
  }

  mapDevice(device: number, eventBits: number, valid: boolean): void {
    const itt = this.ram.base + ittOffset(this.plan, device % Math.max(1, this.plan.devices));
    this.command({ cmd: 'MAPD', device, itt, size: eventBits, valid });
  }
  mapCollection(collection: number, vcpu: number, valid: boolean): void {
    this.command({ cmd: 'MAPC', collection, target: vcpu, valid });
  }
  mapEvent(device: number, event: number, intid: number, collection: number): void {
    this.command({ cmd: 'MAPTI', device, event, intid, collection });
  }
  mapEventIdentity(device: number, event: number, collection: number): void {
    this.command({ cmd: 'MAPI', device, event, collection });
  }
  discard(device: number, event: number): void {
    this.command({ cmd: 'DISCARD', device, event });
  }
  move(device: number, event: number, collection: number): void {
    this.command({ cmd: 'MOVI', device, event, collection });
  }
  moveAll(from: number, to: number): void {
    this.command({ cmd: 'MOVALL', from, target: to });
  }
  raise(device: number, event: number): void {
    this.command({ cmd: 'INT', device, event });
  }
  clear(device: number, event: number): void {
    this.command({ cmd: 'CLEAR', device, event });
  }
  invalidate(device: number, event: number): void {
    this.command({ cmd: 'INV', device, event });
  }
  invalidateAll(collection: number): void {
    this.command({ cmd: 'INVALL', collection });
  }
  sync(vcpu: number): void {
    this.command({ cmd: 'SYNC', target: vcpu });
  }
  raw(words: readonly [bigint, bigint, bigint, bigint]): void {
    for (let i = 0; i < 4; i++) this.rawView.setBigUint64(i * 8, BigInt.asUintN(64, words[i]!), true);
    this.issue(this.raw32);
  }
  config(intid: number, priority: number, enabled: boolean): void {
    if (intid < LPI_FIRST || intid >= 1 << ID_BITS) return;
    this.mem.store8(this.ram.base + PROPERTY_TABLE + intid - LPI_FIRST, (priority & 0xfc) | PROP_RES1 | (enabled ? 1 : 0));
  }
}

/** 64 KiB pages (Page_Size, bits 9:8): the size KVM's ITS takes whatever is written. */
const BASER_PAGE_64K = 2n << 8n;

/** The GITS_BASER<n> of the given table type (as each reports it), programmed flat over `bytes` of 64 KiB pages at `pa`. */
function programBaser(regs: Regs, type: bigint, pa: number, bytes: number): void {
  for (let n = 0; n < 8; n++) {
    const name = `GITS_BASER${n}`;
    if (((regs.read(name) >> 56n) & 7n) !== type) continue;
    regs.write(name, BASER_VALID | ITS_CACHEABLE | BASER_PAGE_64K | BigInt(pa) | BigInt(bytes / BLOCK - 1));
    return;
  }
  throw new Error(`the ITS reports no GITS_BASER<n> of type ${type}`);
}

export const gicv3LpiGuest: LpiGuestOps = {
  ramBytes,
  machineOptions(plan) {
    const events = plan.devices * plan.eventsPerDevice;
    // Room for every event mapped twice over, and as many again: an LPI
    // discarded while it waits on an ap_list or in a list register keeps its
    // slot until its vCPU lets it go.
    return { its: true, lpis: plan.lpis ?? Math.max(256, Math.ceil((4 * events) / 64) * 64) };
  },
  intidOf,
  setUp(m, ram, plan, options = {}) {
    const priority = options.priority ?? 0xa0;
    const mem = new Ram(ram, options.observe);
    const base = ram.base;
    const events = plan.devices * plan.eventsPerDevice;
    // Every LPI the plan can use, both of each event's INTIDs, enabled.
    mem.storeBytes(base + PROPERTY_TABLE, new Uint8Array(2 * events).fill((priority & 0xfc) | PROP_RES1 | 1));
    const propbaser = BigInt(base + PROPERTY_TABLE) | RD_CACHEABLE | BigInt(ID_BITS - 1);
    for (let k = 0; k < plan.vcpus; k++) {
      const rd = { vcpu: k, rd: k };
      m.writeRegister('GICR_PROPBASER', propbaser, rd);
      m.writeRegister('GICR_PENDBASER', BigInt(base + PENDING_TABLES + k * BLOCK) | RD_CACHEABLE, rd);
      m.writeRegister('GICR_CTLR', Number(m.readRegister('GICR_CTLR', rd)) | GICR_CTLR_ENABLE_LPIS, rd);
    }
    const regs = vcpuRegs(m, 0);
    programBaser(regs, BASER_TYPE_DEVICE, base + DEVICE_TABLE, BLOCK);
    programBaser(regs, BASER_TYPE_COLLECTION, base + COLLECTION_TABLE, BLOCK);
    regs.write('GITS_CBASER', BASER_VALID | ITS_CACHEABLE | BigInt(base + COMMAND_QUEUE) | BigInt(BLOCK / 0x1000 - 1));
    regs.write('GITS_CWRITER', 0);
    regs.write('GITS_CTLR', Number(regs.read('GITS_CTLR')) | GITS_CTLR_ENABLED);
    const drv = new Gicv3LpiDriver(ram, plan, m, 0, options.observe);
    for (let k = 0; k < plan.vcpus; k++) drv.mapCollection(k, k, true);
    const bits = eventBitsFor(plan.eventsPerDevice);
    for (let d = 0; d < plan.devices; d++) {
      drv.mapDevice(d, bits, true);
      for (let e = 0; e < plan.eventsPerDevice; e++) drv.mapEvent(d, e, intidOf(plan, d, e), (d * plan.eventsPerDevice + e) % plan.vcpus);
    }
    for (let k = 0; k < plan.vcpus; k++) drv.sync(k);
  },
  driver(m, ram, plan, by, observe) {
    return new Gicv3LpiDriver(ram, plan, m, by, observe);
  },
};
