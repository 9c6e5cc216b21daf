import { describe, expect, test } from 'vitest';
import {
  KVM_DEV_ARM_VGIC_GRP_CTRL,
  KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES,
  kvmDevice,
  lpiAllocate,
  lpiSetTarget,
  lpiSlot,
  restoreMachine,
  saveMachine,
  type Machine,
} from '@vgic/core';
import { createGicv3, type Gicv3Machine } from './index.js';
import { bringUp, read32 } from './fixtures.js';
import { LPI_BASER_RESET, lpiIntidLimit, lpiReadConfig, lpiSavePendingTables, lpiSyncPendingBit, lpisEnabled } from './regs/lpi.js';

const RAM = 0x4000_0000;
const PROP = RAM + 0x1_0000;
/** Each vCPU's pending table, 64 KiB aligned. */
const PEND = (k: number): number => RAM + 0x10_0000 + k * 0x1_0000;

function lpiMachine(vcpus = 2): { m: Gicv3Machine; ram: Uint8Array } {
  const buffer = new ArrayBuffer(0x20_0000);
  const m = createGicv3({ vcpus, lpis: 64, guestMemory: [{ base: RAM, buffer }] });
  return { m, ram: new Uint8Array(buffer) };
}

/** What a guest's driver does: the tables' addresses, 14 INTID bits. */
function setTables(m: Machine): void {
  m.writeRegister('GICR_PROPBASER', BigInt(PROP) | LPI_ATTRS | 13n, { rd: 0 });
  for (let k = 0; k < m.vcpus; k++) m.writeRegister('GICR_PENDBASER', BigInt(PEND(k)) | LPI_ATTRS, { rd: k });
}
const LPI_ATTRS = BigInt(LPI_BASER_RESET);

function enableLpis(m: Machine, k: number, on = true): void {
  m.writeRegister('GICR_CTLR', on ? 1 : 0, { rd: k });
}

/** An LPI mapped as the ITS maps one: a slot, a target. */
function mapLpi(m: Machine, intid: number, vcpu: number): number {
  const slot = lpiAllocate(m.vgic, intid);
  lpiSetTarget(m.vgic, slot, vcpu);
  return slot;
}

describe('a GICv3 without LPIs reads as before', () => {
  test('PLPIS 0, 10 INTID bits and no LPIS, PROPBASER and PENDBASER RAZ/WI, EnableLPIs ignored', () => {
    const m = createGicv3({ vcpus: 2 });
    expect(m.readRegister('GICR_TYPER', { rd: 0 }) & 1n).toBe(0n);
    const typer = read32(m, 'GICD_TYPER');
    expect((typer >>> 19) & 0x1f).toBe(9);
    expect((typer >>> 17) & 1).toBe(0);
    m.writeRegister('GICR_PROPBASER', 0x1234_5000n);
    m.writeRegister('GICR_PENDBASER', 0x1234_0000n, { rd: 1 });
    expect(m.readRegister('GICR_PROPBASER')).toBe(0n);
    expect(m.readRegister('GICR_PENDBASER', { rd: 1 })).toBe(0n);
    m.writeRegister('GICR_CTLR', 1);
    expect(read32(m, 'GICR_CTLR')).toBe(0b110);
    expect(Array.from(m.vgic.dist).every((w) => w === 0)).toBe(true);
    expect(Array.from(m.vgic.vcpuWords).every((w) => w === 0)).toBe(true);
  });
});

describe('GICR_TYPER, GICD_TYPER and GICR_CTLR with LPIs', () => {
  test('PLPIS 1 on every redistributor; 16 INTID bits and LPIS, as KVM with an ITS', () => {
    const { m } = lpiMachine(3);
    for (let k = 0; k < 3; k++) expect(m.readRegister('GICR_TYPER', { rd: k }) & 1n).toBe(1n);
    const typer = read32(m, 'GICD_TYPER');
    expect((typer >>> 19) & 0x1f).toBe(15);
    expect((typer >>> 17) & 1).toBe(1);
  });

  test('EnableLPIs is per redistributor, beside IR and CES; RWP never reads busy', () => {
    const { m } = lpiMachine();
    enableLpis(m, 1);
    expect(read32(m, 'GICR_CTLR', { rd: 1 })).toBe(0b111);
    expect(read32(m, 'GICR_CTLR', { rd: 0 })).toBe(0b110);
    expect(lpisEnabled(m.vgic, 1)).toBe(true);
    enableLpis(m, 1, false);
    expect(read32(m, 'GICR_CTLR', { rd: 1 })).toBe(0b110);
    expect(lpisEnabled(m.vgic, 1)).toBe(false);
  });
});

describe('GICR_PROPBASER and GICR_PENDBASER', () => {
  test('start at KVM\'s initial value: inner RaWb, inner shareable, no address', () => {
    const { m } = lpiMachine();
    expect(m.readRegister('GICR_PROPBASER')).toBe(0x580n);
    expect(m.readRegister('GICR_PENDBASER', { rd: 1 })).toBe(0x580n);
  });

  test('keep what KVM keeps of a write (vgic_sanitise_propbaser): reserved bits cleared, outer-shareable and non-cacheable attributes replaced', () => {
    const { m } = lpiMachine();
    m.writeRegister('GICR_PROPBASER', 0xffff_ffff_ffff_ffffn);
    // RES0 63:59, 55:52, 6:5; OuterCache 7 → nC (1); InnerCache 7 and Shareability 3 stay.
    expect(m.readRegister('GICR_PROPBASER')).toBe(0x010f_ffff_ffff_ff9fn);
    // Outer shareable (2) → inner shareable (1); inner nCnB (0) → RaWb (3); outer SameAsInner (0) stays.
    m.writeRegister('GICR_PROPBASER', (2n << 10n) | 0x1fn);
    expect(m.readRegister('GICR_PROPBASER')).toBe((1n << 10n) | (3n << 7n) | 0x1fn);
    // Inner nC (1) → RaWb; outer RaWb (3) → nC.
    m.writeRegister('GICR_PROPBASER', (3n << 56n) | (1n << 7n));
    expect(m.readRegister('GICR_PROPBASER')).toBe((1n << 56n) | (3n << 7n));
  });

  test('PROPBASER is one register for every redistributor; PENDBASER one per redistributor, its PTZ read as 0', () => {
    const { m } = lpiMachine();
    m.writeRegister('GICR_PROPBASER', BigInt(PROP) | 0x580n, { rd: 1 });
    expect(m.readRegister('GICR_PROPBASER', { rd: 0 })).toBe(BigInt(PROP) | 0x580n);
    m.writeRegister('GICR_PENDBASER', 0xffff_ffff_ffff_ffffn, { rd: 0 });
    // RES0 63, 61:59, 55:52, 15:12, 6:0; PTZ (62) kept but read as 0.
    expect(m.readRegister('GICR_PENDBASER', { rd: 0 })).toBe(0x010f_ffff_ffff_0f80n);
    expect(m.readRegister('GICR_PENDBASER', { rd: 1 })).toBe(0x580n);
    // 32-bit halves are the same register.
    m.writeRegister('GICR_PENDBASER', 0x0002_0000, { rd: 1, width: 32 });
    expect(read32(m, 'GICR_PENDBASER', { rd: 1, width: 32 })).toBe(0x0002_0000 | (3 << 7));
  });

  test('a write is ignored while the redistributor written through has LPIs enabled', () => {
    const { m } = lpiMachine();
    setTables(m);
    enableLpis(m, 0);
    m.writeRegister('GICR_PROPBASER', 0x580n, { rd: 0 });
    m.writeRegister('GICR_PENDBASER', 0x580n, { rd: 0 });
    expect(m.readRegister('GICR_PROPBASER')).toBe(BigInt(PROP) | LPI_ATTRS | 13n);
    expect(m.readRegister('GICR_PENDBASER', { rd: 0 })).toBe(BigInt(PEND(0)) | LPI_ATTRS);
    // As KVM: the check is the accessed redistributor's own EnableLPIs.
    m.writeRegister('GICR_PROPBASER', 0x580n, { rd: 1 });
    expect(m.readRegister('GICR_PROPBASER')).toBe(0x580n);
  });

  test('IDbits bound the INTIDs the property table covers (max_lpis_propbaser)', () => {
    const { m } = lpiMachine();
    m.writeRegister('GICR_PROPBASER', 13n);
    expect(lpiIntidLimit(m.vgic)).toBe(1 << 14);
    m.writeRegister('GICR_PROPBASER', 31n);
    expect(lpiIntidLimit(m.vgic)).toBe(1 << 16);
  });

  test('reset puts them back, and turns LPIs off', () => {
    const { m } = lpiMachine();
    setTables(m);
    enableLpis(m, 1);
    m.reset();
    expect(m.readRegister('GICR_PROPBASER')).toBe(0x580n);
    expect(m.readRegister('GICR_PENDBASER', { rd: 1 })).toBe(0x580n);
    expect(lpisEnabled(m.vgic, 1)).toBe(false);
  });
});

describe('the property table (update_lpi_config), INVLPIR and INVALLR', () => {
  test('an LPI\'s route reads as its target vCPU\'s affinity, or none', () => {
    const { m } = lpiMachine();
    const slot = lpiAllocate(m.vgic, 8192);
    expect(m.backend.describeRoute(m.vgic, slot)).toBe('none');
    lpiSetTarget(m.vgic, slot, 1);
    expect(m.backend.describeRoute(m.vgic, slot)).toBe('0.0.0.1');
  });

  test('lpiReadConfig applies the LPI\'s byte of the table: priority 7:2, enable 0', () => {
    const { m, ram } = lpiMachine();
    setTables(m);
    const slot = mapLpi(m, 8192 + 5, 0);
    ram[PROP - RAM + 5] = 0x41;
    lpiReadConfig(m.vgic, slot);
    expect(m.vgic.priority[slot]).toBe(0x40);
    expect(m.vgic.enabled[slot]).toBe(1);
  });

  test('a byte outside guest memory leaves the LPI as it is, and raises no fault it did not find', () => {
    const { m } = lpiMachine();
    m.writeRegister('GICR_PROPBASER', 0x7000_0000n);
    const slot = mapLpi(m, 8192, 0);
    lpiReadConfig(m.vgic, slot);
    expect([m.vgic.priority[slot], m.vgic.enabled[slot]]).toEqual([0xa0, 0]);
    expect(m.memory.fault).toBe(true);
    m.memory.fault = false;
    setTables(m);
    lpiReadConfig(m.vgic, slot);
    expect(m.memory.fault).toBe(false);
  });

  test('INVLPIR re-reads one LPI\'s byte, whichever redistributor it targets; not with LPIs off, not from the high half', () => {
    const { m, ram } = lpiMachine();
    bringUp(m);
    setTables(m);
    const slot = mapLpi(m, 8200, 1);
    ram[PROP - RAM + 8] = 0x61;
    m.writeRegister('GICR_INVLPIR', 8200n, { rd: 0 });
    expect(m.vgic.enabled[slot]).toBe(0);
    enableLpis(m, 0);
    m.writeRegister('GICR_INVLPIR', 8200, { rd: 0, width: 32 });
    expect(m.vgic.enabled[slot]).toBe(1);
    expect(m.vgic.priority[slot]).toBe(0x60);
    ram[PROP - RAM + 8] = 0x20;
    m.mmioWrite(0, 0x080a_0000 + 0xa4, 32, 8200);
    expect(m.vgic.enabled[slot]).toBe(1);
    expect(m.readRegister('GICR_INVLPIR')).toBe(0n);
    expect(read32(m, 'GICR_SYNCR')).toBe(0);
  });

  test('INVALLR re-reads the byte of every LPI that targets its redistributor, and no other', () => {
    const { m, ram } = lpiMachine();
    setTables(m);
    const mine = [mapLpi(m, 8192, 1), mapLpi(m, 8193, 1)];
    const other = mapLpi(m, 8194, 0);
    ram.fill(0x81, PROP - RAM, PROP - RAM + 3);
    enableLpis(m, 1);
    m.writeRegister('GICR_INVALLR', 0n, { rd: 1 });
    expect(mine.map((s) => m.vgic.priority[s])).toEqual([0x80, 0x80]);
    expect(m.vgic.priority[other]).toBe(0xa0);
  });
});

describe('the pending tables', () => {
  test('EnableLPIs 0 → 1 takes the pending state of the LPIs that target the vCPU from its table, and queues them', () => {
    const { m, ram } = lpiMachine();
    bringUp(m);
    setTables(m);
    const a = mapLpi(m, 8195, 1);
    const b = mapLpi(m, 8196, 0);
    ram[PROP - RAM + 3] = 0xa1;
    ram[PROP - RAM + 4] = 0xa1;
    lpiReadConfig(m.vgic, a);
    lpiReadConfig(m.vgic, b);
    // Bits 8195 and 8196 in both vCPUs' tables.
    for (const k of [0, 1]) ram[PEND(k) - RAM + (8195 >>> 3)] = (1 << (8195 & 7)) | (1 << (8196 & 7));
    enableLpis(m, 1);
    expect(m.vgic.pendingLatch[a]).toBe(1);
    expect(m.vgic.pendingLatch[b]).toBe(0);
    expect(m.apList(1)).toEqual([8195]);
    // Read, not consumed.
    expect(ram[PEND(1) - RAM + (8195 >>> 3)]).toBe((1 << 3) | (1 << 4));
    expect(m.checkInvariants()).toEqual([]);
  });

  test('EnableLPIs 1 → 0 drops the pending state of the vCPU\'s LPIs; a re-enable reads the table again', () => {
    const { m, ram } = lpiMachine();
    bringUp(m);
    setTables(m);
    const a = mapLpi(m, 8192, 0);
    ram[PROP - RAM] = 0xa1;
    lpiReadConfig(m.vgic, a);
    ram[PEND(0) - RAM + 1024] = 1;
    enableLpis(m, 0);
    expect(m.apList(0)).toEqual([8192]);
    enableLpis(m, 0, false);
    expect(m.vgic.pendingLatch[a]).toBe(0);
    m.exit(0);
    expect(m.apList(0)).toEqual([]);
    enableLpis(m, 0);
    expect(m.apList(0)).toEqual([8192]);
    expect(m.checkInvariants()).toEqual([]);
  });

  test('a new LPI takes its bit from its target\'s table and consumes it (vgic_v3_lpi_sync_pending_status)', () => {
    const { m, ram } = lpiMachine();
    setTables(m);
    ram[PEND(1) - RAM + 1025] = 0b100;
    const slot = mapLpi(m, 8192 + 8 + 2, 1);
    lpiSyncPendingBit(m.vgic, slot);
    expect(m.vgic.pendingLatch[slot]).toBe(1);
    expect(ram[PEND(1) - RAM + 1025]).toBe(0);
    const none = lpiAllocate(m.vgic, 8300);
    lpiSyncPendingBit(m.vgic, none);
    expect(m.vgic.pendingLatch[none]).toBe(0);
  });

  test('saving writes every mapped LPI\'s pending state to its target\'s table (vgic_v3_save_pending_tables)', () => {
    const { m, ram } = lpiMachine();
    setTables(m);
    const a = mapLpi(m, 8192 + 1, 1);
    mapLpi(m, 8192 + 2, 1);
    m.vgic.pendingLatch[a] = 1;
    ram[PEND(1) - RAM + 1024] = 0b100;
    lpiSavePendingTables(m.vgic);
    expect(ram[PEND(1) - RAM + 1024]).toBe(0b010);
    expect(lpiSlot(m.vgic, 8193)).toBe(a);
    // The same through KVM's device attribute, as a VMM saves before migrating.
    m.vgic.pendingLatch[a] = 0;
    kvmDevice(m).setAttr(KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES, 0);
    expect(ram[PEND(1) - RAM + 1024]).toBe(0);
  });
});

describe('the LPI registers in a saved document', () => {
  test('PROPBASER, PENDBASER and EnableLPIs are saved and restored; words no register could hold are refused', () => {
    const { m } = lpiMachine();
    setTables(m);
    enableLpis(m, 1);
    const doc = saveMachine(m);
    const { m: other } = lpiMachine();
    restoreMachine(other, doc);
    expect(other.readRegister('GICR_PROPBASER')).toBe(BigInt(PROP) | LPI_ATTRS | 13n);
    expect(other.readRegister('GICR_PENDBASER', { rd: 1 })).toBe(BigInt(PEND(1)) | LPI_ATTRS);
    expect(lpisEnabled(other.vgic, 1)).toBe(true);
    expect(lpisEnabled(other.vgic, 0)).toBe(false);
    const bad = structuredClone(doc);
    bad.distributor.words[0] = 0x60;
    expect(() => restoreMachine(other, bad)).toThrow(/GICR_PROPBASER's low word 0x60/);
    const bad2 = structuredClone(doc);
    bad2.vcpus[0]!.words[0] = 2;
    expect(() => restoreMachine(other, bad2)).toThrow(/EnableLPIs\) is 0 or 1/);
    const bad3 = structuredClone(doc);
    bad3.vcpus[0]!.words[5] = 1;
    expect(() => restoreMachine(other, bad3)).toThrow(/word 5 holds nothing/);
  });
});
