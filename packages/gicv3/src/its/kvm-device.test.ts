import { describe, expect, test } from 'vitest';
import { KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_DEV_ARM_VGIC_GRP_CTRL, VgicError, lpiSlot, NONE } from '@vgic/core';
import { createGicv3 } from '../machine.js';
import { itsState } from './api.js';
import { decodeCte, decodeDte, decodeIte } from './abi.js';
import { COLLECTION_TABLE, DEVICE_TABLE, GITS, RAM, RAM_SIZE, itsRig, itt, mapDeviceAndCollections, type ItsRig, lpi } from './fixtures.js';
import { GITS_OFFSETS } from './frame.js';
import {
  KVM_DEV_ARM_ITS_CTRL_RESET,
  KVM_DEV_ARM_ITS_RESTORE_TABLES,
  KVM_DEV_ARM_ITS_SAVE_TABLES,
  KVM_DEV_ARM_VGIC_GRP_ITS_REGS,
  KVM_VGIC_ITS_ADDR_TYPE,
  kvmItsDevice,
} from './kvm-device.js';

const O = GITS_OFFSETS;
const LPI = 8192;

function populated(): ItsRig {
  const r = itsRig();
  mapDeviceAndCollections(r, 1);
  r.cmd({ cmd: 'MAPD', device: 7, itt: itt(7), size: 2, valid: true });
  r.cmd({ cmd: 'MAPTI', device: 1, event: 0, intid: LPI, collection: 0 });
  r.cmd({ cmd: 'MAPTI', device: 1, event: 9, intid: LPI + 9, collection: 1 });
  r.cmd({ cmd: 'MAPTI', device: 7, event: 3, intid: LPI + 100, collection: 1 });
  r.cmd({ cmd: 'MAPTI', device: 7, event: 2, intid: LPI + 200, collection: 5 }); // makes collection 5, unmapped
  return r;
}

const u64 = (r: ItsRig, addr: number): bigint => r.ram.getBigUint64(addr - RAM, true);

describe('the KVM ITS device', () => {
  test('KVM_DEV_ARM_ITS_SAVE_TABLES writes DTEs, ITEs and CTEs in ABI revision 0, each with its next offset', () => {
    const r = populated();
    kvmItsDevice(r.m).setAttr(KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_ITS_SAVE_TABLES);
    expect(decodeDte(u64(r, DEVICE_TABLE + 8))).toEqual({ valid: true, next: 6, itt: itt(1), eventBits: 4 });
    expect(decodeDte(u64(r, DEVICE_TABLE + 7 * 8))).toEqual({ valid: true, next: 0, itt: itt(7), eventBits: 2 });
    expect(decodeIte(u64(r, itt(1)))).toEqual({ next: 9, intid: LPI, icid: 0 });
    expect(decodeIte(u64(r, itt(1) + 9 * 8))).toEqual({ next: 0, intid: LPI + 9, icid: 1 });
    expect(decodeIte(u64(r, itt(7) + 2 * 8))).toEqual({ next: 1, intid: LPI + 200, icid: 5 });
    const ctes = [0, 1, 2].map((i) => decodeCte(u64(r, COLLECTION_TABLE + i * 8)));
    expect(ctes.map((c) => [c.icid, c.target]).sort()).toEqual([
      [0, 0],
      [1, 1],
      [5, 0xffff_ffff],
    ]);
    // The table is not full: an invalid entry ends it.
    expect(u64(r, COLLECTION_TABLE + 3 * 8)).toBe(0n);
  });

  test('save, then a fresh machine restored in the documented order translates the same MSIs to the same LPIs', () => {
    const a = populated();
    const dev = kvmItsDevice(a.m);
    dev.setAttr(KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_ITS_SAVE_TABLES);
    const regs = [O.GITS_CBASER, O.GITS_CWRITER, O.GITS_IIDR, O.GITS_BASER, O.GITS_BASER + 8].map((o) => [o, dev.getAttr(KVM_DEV_ARM_VGIC_GRP_ITS_REGS, o)] as const);
    const creadr = dev.getAttr(KVM_DEV_ARM_VGIC_GRP_ITS_REGS, O.GITS_CREADR);
    const ctlr = dev.getAttr(KVM_DEV_ARM_VGIC_GRP_ITS_REGS, O.GITS_CTLR);

    // The new machine gets the same guest RAM (the VMM migrates it) and its redistributors first.
    const b = createGicv3({ vcpus: 2, its: true, guestMemory: [{ base: RAM, buffer: a.ram.buffer.slice(0) }] });
    b.writeRegister('GICD_CTLR', 0x13);
    b.writeRegister('GICR_PROPBASER', a.m.readRegister('GICR_PROPBASER', { rd: 0 }) as bigint, { rd: 0 });
    for (let k = 0; k < 2; k++) {
      b.writeRegister('GICR_PENDBASER', a.m.readRegister('GICR_PENDBASER', { rd: k }) as bigint, { rd: k });
      b.writeRegister('GICR_CTLR', 1, { rd: k });
    }
    const devB = kvmItsDevice(b);
    expect(devB.getAttr(KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_ITS_ADDR_TYPE)).toBe(BigInt(GITS));
    for (const [o, value] of regs) devB.setAttr(KVM_DEV_ARM_VGIC_GRP_ITS_REGS, o, value);
    devB.setAttr(KVM_DEV_ARM_VGIC_GRP_ITS_REGS, O.GITS_CREADR, creadr);
    devB.setAttr(KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_ITS_RESTORE_TABLES);
    devB.setAttr(KVM_DEV_ARM_VGIC_GRP_ITS_REGS, O.GITS_CTLR, ctlr);

    const sa = itsState(a.m);
    const sb = itsState(b);
    expect(sb.devices).toEqual(sa.devices);
    expect(sb.collections).toEqual(sa.collections);
    expect(sb.translations).toEqual(sa.translations);
    expect([sb.cbaser, sb.cwriter, sb.creadr, sb.enabled]).toEqual([sa.cbaser, sa.cwriter, sa.creadr, true]);
    expect(b.signalMsi(1, 9)).toBe(true);
    expect(lpi(b, LPI + 9)!.pending).toBe(true);
    expect(b.vgic.apListVcpu[lpiSlot(b.vgic, LPI + 9)]).toBe(1);
    expect(b.signalMsi(7, 2)).toBe(false); // its collection is unmapped
  });

  test('a restore of corrupt tables fails with the errno KVM would give, and says why', () => {
    const r = itsRig({ noEnable: true });
    // A CTE targeting a vCPU the machine lacks.
    r.ram.setBigUint64(COLLECTION_TABLE - RAM, (1n << 63n) | (9n << 16n) | 3n, true);
    const dev = kvmItsDevice(r.m);
    expect(() => dev.setAttr(KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_ITS_RESTORE_TABLES)).toThrow(/EINVAL.*vCPU 9/);
    // An ITE naming a collection the table lacks.
    r.ram.setBigUint64(COLLECTION_TABLE - RAM, 0n, true);
    r.ram.setBigUint64(DEVICE_TABLE - RAM + 8, (1n << 63n) | (BigInt(itt(1) / 256) << 5n) | 3n, true);
    r.ram.setBigUint64(itt(1) - RAM, (BigInt(LPI) << 16n) | 4n, true);
    expect(() => dev.setAttr(KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_ITS_RESTORE_TABLES)).toThrow(/EINVAL.*collection 4/);
    expect(itsState(r.m).devices).toEqual([]);
    expect(lpiSlot(r.m.vgic, LPI)).toBe(NONE);
  });

  test('KVM_DEV_ARM_ITS_CTRL_RESET: tables not valid, queue registers 0, disabled, every mapping gone', () => {
    const r = populated();
    kvmItsDevice(r.m).setAttr(KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_ITS_CTRL_RESET);
    const s = itsState(r.m);
    expect([s.enabled, s.cbaser, s.cwriter, s.creadr, s.baser[0] >> 63n, s.baser[1] >> 63n]).toEqual([false, 0n, 0, 0, 0n, 0n]);
    expect([s.devices, s.collections, s.translations]).toEqual([[], [], []]);
    expect(lpiSlot(r.m.vgic, LPI)).toBe(NONE);
    // The ABI fields stay.
    expect((s.baser[0] >> 48n) & 0x1fn).toBe(7n);
  });

  test('GITS_CREADR is writable from userspace only while disabled and only inside the queue; GITS_IIDR only with revision 0', () => {
    const r = itsRig();
    const dev = kvmItsDevice(r.m);
    expect(() => dev.setAttr(KVM_DEV_ARM_VGIC_GRP_ITS_REGS, O.GITS_CREADR, 0x20)).toThrow(/EBUSY/);
    r.m.writeRegister('GITS_CTLR', 0);
    expect(() => dev.setAttr(KVM_DEV_ARM_VGIC_GRP_ITS_REGS, O.GITS_CREADR, 0x1000)).toThrow(/past the command queue/);
    dev.setAttr(KVM_DEV_ARM_VGIC_GRP_ITS_REGS, O.GITS_CREADR, 0x40);
    expect(r.m.readRegister('GITS_CREADR')).toBe(0x40n);
    expect(() => dev.setAttr(KVM_DEV_ARM_VGIC_GRP_ITS_REGS, O.GITS_IIDR, 0x4b00_143b)).toThrow(/Revision 1/);
    dev.setAttr(KVM_DEV_ARM_VGIC_GRP_ITS_REGS, O.GITS_IIDR, 0x4b00_043b);
  });

  test('attributes KVM refuses are refused: a misaligned 64-bit register, GITS_TRANSLATER, another ITS base, a machine without an ITS', () => {
    const r = itsRig();
    const dev = kvmItsDevice(r.m);
    expect(() => dev.getAttr(KVM_DEV_ARM_VGIC_GRP_ITS_REGS, O.GITS_CBASER + 4)).toThrow(VgicError);
    expect(() => dev.getAttr(KVM_DEV_ARM_VGIC_GRP_ITS_REGS, 0x10040)).toThrow(/ENXIO/);
    expect(() => dev.setAttr(KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_ITS_ADDR_TYPE, 0x9000_0000)).toThrow(/fixed/);
    expect(() => kvmItsDevice(createGicv3({ vcpus: 1 }))).toThrow(/no ITS/);
    expect(() => kvmItsDevice(createGicv3({ vcpus: 1, guestMemory: [{ base: RAM, buffer: new ArrayBuffer(RAM_SIZE) }] }))).toThrow(/no ITS/);
  });
});

describe('a register write the KVM ITS device refuses changes nothing', () => {
  // The refusal comes before every running vCPU is made to exit: an exit folds its list registers back.
  const refused = (r: ItsRig, offset: number, value: bigint): string => {
    r.m.enter(0);
    const before = new Uint8Array(r.m.vgic.buffer).slice();
    let code = 'none';
    try {
      kvmItsDevice(r.m).setAttr(KVM_DEV_ARM_VGIC_GRP_ITS_REGS, offset, value);
    } catch (e) {
      code = e instanceof VgicError ? e.code : String(e);
    }
    const after = new Uint8Array(r.m.vgic.buffer);
    expect(after.every((b, i) => b === before[i])).toBe(true);
    expect(r.m.isRunning(0)).toBe(true);
    return code;
  };

  test('a 32-bit register given more than 32 bits, a GITS_IIDR of another ABI revision, a GITS_CREADR past the queue', () => {
    const r = itsRig();
    expect(refused(r, O.GITS_CTLR, 1n << 32n)).toBe('INVALID_ARGUMENT');
    expect(refused(r, O.GITS_IIDR, 0x1000n)).toBe('INVALID_ARGUMENT');
    expect(refused(itsRig({ noEnable: true }), O.GITS_CREADR, 0xffff_ffff_ffff_ffffn)).toBe('INVALID_ARGUMENT');
  });

  test('GITS_CREADR while the ITS is enabled (EBUSY)', () => {
    const r = itsRig();
    expect(refused(r, O.GITS_CREADR, 0n)).toBe('INVALID_STATE');
  });
});
