import { NONE } from '@vgic/core';
import { describe, expect, test } from 'vitest';
import { ICC_EOIR1_EL1, ICC_IAR1_EL1 } from '../regs/icc.js';
import { itsState, setItsDebug } from './api.js';
import { ITS_DEBUG_NO_CACHE_INVALIDATION } from './cache.js';
import { KVM_DEV_ARM_VGIC_GRP_CTRL } from '@vgic/core';
import { encodeItsCommand } from './command.js';
import { KVM_DEV_ARM_ITS_CTRL_RESET, KVM_DEV_ARM_ITS_RESTORE_TABLES, KVM_DEV_ARM_ITS_SAVE_TABLES, KVM_DEV_ARM_VGIC_GRP_ITS_REGS, kvmItsDevice } from './kvm-device.js';
import { COLLECTION_TABLE, DEVICE_TABLE, PROP, QUEUE, RAM, enableAll, itsRig, itt, mapDeviceAndCollections, type ItsRig, lpi } from './fixtures.js';

const LPI = 8192;

/** Device 1, collections k → vCPU k, event 0 → LPI 8192 in collection 0. */
function mapped(o: Parameters<typeof itsRig>[0] = {}): ItsRig {
  const r = itsRig(o);
  mapDeviceAndCollections(r);
  r.cmd({ cmd: 'MAPTI', device: 1, event: 0, intid: LPI, collection: 0 });
  return r;
}

const creadr = (r: ItsRig): bigint => r.m.readRegister('GITS_CREADR') as bigint;
const cwriter = (r: ItsRig): bigint => r.m.readRegister('GITS_CWRITER') as bigint;

describe('an MSI through the ITS', () => {
  test('MAPD, MAPC, MAPTI, then a device\'s MSI makes the LPI pending on the collection\'s vCPU, and the guest takes it', () => {
    const r = mapped();
    expect(r.m.signalMsi(1, 0)).toBe(true);
    const s = r.slot(LPI);
    expect(lpi(r.m, LPI)!.pending).toBe(true);
    expect(r.m.vgic.apListVcpu[s]).toBe(0);
    r.m.enter(0);
    expect(r.m.sysregRead(0, ICC_IAR1_EL1)).toBe(BigInt(LPI));
  });

  test('an MSI with no translation, to a disabled ITS, or to a redistributor with LPIs off is dropped', () => {
    const r = mapped();
    expect(r.m.signalMsi(1, 1)).toBe(false);
    expect(r.m.signalMsi(2, 0)).toBe(false);
    expect(r.m.signalMsi(0x1_0000, 0)).toBe(false);
    r.m.writeRegister('GICR_CTLR', 0, { rd: 0 });
    expect(r.m.signalMsi(1, 0)).toBe(false);
    expect(lpi(r.m, LPI)!.pending).toBe(false);
    r.m.writeRegister('GICR_CTLR', 1, { rd: 0 });
    r.m.writeRegister('GITS_CTLR', 0);
    expect(r.m.signalMsi(1, 0)).toBe(false);
    r.m.writeRegister('GITS_CTLR', 1);
    expect(r.m.signalMsi(1, 0)).toBe(true);
  });
});

describe('commands as KVM handles them', () => {
  test('a command with bad parameters is skipped, CREADR moves past it, nothing changes', () => {
    const r = itsRig({ vcpus: 2 });
    mapDeviceAndCollections(r);
    const before = itsState(r.m);
    const bad = [
      { cmd: 'MAPTI', device: 1, event: 0, intid: 8191, collection: 0 }, // below the LPI range
      { cmd: 'MAPTI', device: 1, event: 0, intid: 0x1_0000, collection: 0 }, // past PROPBASER.IDbits
      { cmd: 'MAPTI', device: 1, event: 16, intid: LPI, collection: 0 }, // past the device's 4 EventID bits
      { cmd: 'MAPTI', device: 2, event: 0, intid: LPI, collection: 0 }, // no such device
      { cmd: 'MAPD', device: 3, itt: itt(3), size: 17, valid: true }, // an ITT of more than 16 bits
      { cmd: 'MAPD', device: 0x1_0000, itt: itt(3), size: 4, valid: true }, // past Devbits
      { cmd: 'MAPC', collection: 5, target: 2, valid: true }, // no vCPU 2
      { cmd: 'MOVI', device: 1, event: 0, collection: 1 },
      { cmd: 'DISCARD', device: 1, event: 0 },
      { cmd: 'INT', device: 1, event: 0 },
      { cmd: 'MOVALL', from: 0, target: 7 },
    ] as const;
    for (const c of bad) {
      r.cmd(c);
      expect(creadr(r), c.cmd).toBe(cwriter(r));
    }
    // A command number no command has.
    const bytes = encodeItsCommand({ cmd: 'SYNC', target: 0 });
    bytes[0] = 0x02;
    const at = QUEUE + Number(cwriter(r));
    for (let i = 0; i < 32; i++) r.ram.setUint8(at - RAM + i, bytes[i]!);
    r.m.writeRegister('GITS_CWRITER', cwriter(r) + 32n);
    expect(creadr(r)).toBe(cwriter(r));
    expect(itsState(r.m)).toEqual({ ...before, cwriter: Number(cwriter(r)), creadr: Number(creadr(r)) });
    expect(r.slot(LPI)).toBe(NONE);
  });

  test('MAPTI of an event already mapped is ignored: the first mapping stays', () => {
    const r = mapped();
    r.cmd({ cmd: 'MAPTI', device: 1, event: 0, intid: LPI + 5, collection: 1 });
    expect(itsState(r.m).translations).toEqual([{ device: 1, event: 0, intid: LPI, collection: 0 }]);
    expect(r.slot(LPI + 5)).toBe(NONE);
  });

  test('MAPTI naming a collection that does not exist creates it unmapped; MAPC later makes the LPI reachable', () => {
    const r = itsRig();
    r.cmd({ cmd: 'MAPD', device: 1, itt: itt(1), size: 4, valid: true });
    r.cmd({ cmd: 'MAPTI', device: 1, event: 3, intid: LPI + 3, collection: 9 });
    expect(itsState(r.m).collections).toEqual([{ collection: 9, target: null }]);
    expect(r.m.signalMsi(1, 3)).toBe(false);
    r.cmd({ cmd: 'MAPC', collection: 9, target: 1, valid: true });
    expect(r.m.signalMsi(1, 3)).toBe(true);
    expect(r.m.vgic.apListVcpu[r.slot(LPI + 3)]).toBe(1);
  });

  test('MAPI maps EventID as the LPI INTID', () => {
    const r = itsRig();
    mapDeviceAndCollections(r);
    r.cmd({ cmd: 'MAPD', device: 2, itt: itt(2), size: 16, valid: true });
    r.cmd({ cmd: 'MAPI', device: 2, event: LPI + 1, collection: 1 });
    expect(r.m.signalMsi(2, LPI + 1)).toBe(true);
    expect(lpi(r.m, LPI + 1)!.pending).toBe(true);
  });

  test('MAPD V=0 unmaps the device and its translations, frees their LPIs and clears its device table entry', () => {
    const r = mapped();
    r.ram.setUint32(DEVICE_TABLE - RAM + 8, 0xdead_beef, true);
    r.cmd({ cmd: 'MAPD', device: 1, itt: 0, size: 1, valid: false });
    expect(itsState(r.m).devices).toEqual([]);
    expect(itsState(r.m).translations).toEqual([]);
    expect(r.slot(LPI)).toBe(NONE);
    expect(r.m.signalMsi(1, 0)).toBe(false);
    expect(r.ram.getUint32(DEVICE_TABLE - RAM + 8, true)).toBe(0);
  });

  test('MAPD of a mapped device starts it afresh: its translations are gone', () => {
    const r = mapped();
    r.cmd({ cmd: 'MAPD', device: 1, itt: itt(1), size: 8, valid: true });
    expect(itsState(r.m).devices).toEqual([{ device: 1, itt: itt(1), size: 8 }]);
    expect(itsState(r.m).translations).toEqual([]);
    expect(r.m.signalMsi(1, 0)).toBe(false);
  });

  test('MAPC V=0 unmaps the collection: its translations keep no collection, MSIs and INT to them are dropped', () => {
    const r = mapped();
    r.cmd({ cmd: 'MAPC', collection: 0, target: 0, valid: false });
    expect(itsState(r.m).collections.map((c) => c.collection)).toEqual([1]);
    expect(itsState(r.m).translations).toEqual([{ device: 1, event: 0, intid: LPI, collection: null }]);
    expect(r.m.signalMsi(1, 0)).toBe(false);
    r.cmd({ cmd: 'INT', device: 1, event: 0 });
    expect(lpi(r.m, LPI)!.pending).toBe(false);
    // Mapping the collection again does not bring the translation back into it.
    r.cmd({ cmd: 'MAPC', collection: 0, target: 0, valid: true });
    expect(r.m.signalMsi(1, 0)).toBe(false);
  });

  test('MAPC of a mapped collection retargets every LPI in it', () => {
    const r = mapped();
    r.cmd({ cmd: 'MAPTI', device: 1, event: 1, intid: LPI + 1, collection: 0 });
    r.cmd({ cmd: 'MAPC', collection: 0, target: 1, valid: true });
    expect(r.m.vgic.target[r.slot(LPI)]).toBe(1);
    expect(r.m.vgic.target[r.slot(LPI + 1)]).toBe(1);
    expect(r.m.signalMsi(1, 1)).toBe(true);
    expect(r.m.vgic.apListVcpu[r.slot(LPI + 1)]).toBe(1);
  });

  test('DISCARD drops the translation and its LPI and clears the ITT entry; an MSI afterwards reaches nothing', () => {
    const r = mapped();
    r.ram.setUint32(itt(1) - RAM, 0x1234, true);
    r.cmd({ cmd: 'DISCARD', device: 1, event: 0 });
    expect(itsState(r.m).translations).toEqual([]);
    expect(r.slot(LPI)).toBe(NONE);
    expect(r.ram.getUint32(itt(1) - RAM, true)).toBe(0);
    expect(r.m.signalMsi(1, 0)).toBe(false);
  });

  test('INT makes the LPI pending and CLEAR takes it back', () => {
    const r = mapped();
    r.cmd({ cmd: 'INT', device: 1, event: 0 });
    expect(lpi(r.m, LPI)!.pending).toBe(true);
    r.cmd({ cmd: 'CLEAR', device: 1, event: 0 });
    expect(lpi(r.m, LPI)!.pending).toBe(false);
  });

  test('MOVI moves the LPI to another collection: a pending one moves to that vCPU\'s ap_list', () => {
    const r = mapped();
    expect(r.m.signalMsi(1, 0)).toBe(true);
    const s = r.slot(LPI);
    expect(r.m.vgic.apListVcpu[s]).toBe(0);
    r.cmd({ cmd: 'MOVI', device: 1, event: 0, collection: 1 });
    expect(r.m.vgic.target[s]).toBe(1);
    expect(r.m.vgic.apListVcpu[s]).toBe(1);
    expect(itsState(r.m).translations[0]!.collection).toBe(1);
  });

  test('MOVI of an LPI in a list register leaves it there until the vCPU exits', () => {
    const r = mapped();
    r.m.signalMsi(1, 0);
    const s = r.slot(LPI);
    r.m.enter(0);
    expect(r.m.vgic.inLr[s]).not.toBe(NONE);
    // The command comes from vCPU 1: vCPU 0 stays in the guest with the LPI in a list register.
    r.cmd({ cmd: 'MOVI', device: 1, event: 0, collection: 1 }, 1);
    expect(r.m.vgic.apListVcpu[s]).toBe(0);
    r.m.exit(0);
    expect(r.m.vgic.apListVcpu[s]).toBe(1);
    r.m.enter(1);
    expect(r.m.sysregRead(1, ICC_IAR1_EL1)).toBe(BigInt(LPI));
  });

  test('MOVI to an unmapped collection is skipped', () => {
    const r = mapped();
    r.cmd({ cmd: 'MOVI', device: 1, event: 0, collection: 7 });
    expect(itsState(r.m).translations[0]!.collection).toBe(0);
    expect(r.m.vgic.target[r.slot(LPI)]).toBe(0);
  });

  test('MOVALL retargets every LPI that targets the first vCPU, and only those', () => {
    const r = mapped({ vcpus: 3 });
    r.cmd({ cmd: 'MAPTI', device: 1, event: 1, intid: LPI + 1, collection: 0 });
    r.cmd({ cmd: 'MAPTI', device: 1, event: 2, intid: LPI + 2, collection: 2 });
    r.m.signalMsi(1, 1);
    r.cmd({ cmd: 'MOVALL', from: 0, target: 1 });
    const v = r.m.vgic;
    expect([v.target[r.slot(LPI)], v.target[r.slot(LPI + 1)], v.target[r.slot(LPI + 2)]]).toEqual([1, 1, 2]);
    expect(v.apListVcpu[r.slot(LPI + 1)]).toBe(1);
  });

  test('INV re-reads the property byte; INVALL re-reads those of every LPI on the collection\'s vCPU', () => {
    const r = mapped();
    r.cmd({ cmd: 'MAPTI', device: 1, event: 1, intid: LPI + 1, collection: 0 });
    r.cmd({ cmd: 'MAPTI', device: 1, event: 2, intid: LPI + 2, collection: 1 });
    expect(lpi(r.m, LPI)!.priority).toBe(0xa0);
    r.ram.setUint8(PROP - RAM, 0x40); // priority 0x40, disabled
    expect(lpi(r.m, LPI)!.enabled).toBe(true);
    r.cmd({ cmd: 'INV', device: 1, event: 0 });
    expect([lpi(r.m, LPI)!.priority, lpi(r.m, LPI)!.enabled]).toEqual([0x40, false]);
    r.ram.setUint8(PROP - RAM + 1, 0x81);
    r.ram.setUint8(PROP - RAM + 2, 0x81);
    r.cmd({ cmd: 'INVALL', collection: 0 });
    expect(lpi(r.m, LPI + 1)!.priority).toBe(0x80);
    expect(lpi(r.m, LPI + 2)!.priority).toBe(0xa0);
  });

  test('an LPI whose property byte says disabled stays pending but undelivered until INV enables it', () => {
    const r = itsRig();
    mapDeviceAndCollections(r);
    r.ram.setUint8(PROP - RAM + 4, 0xa0);
    r.cmd({ cmd: 'MAPTI', device: 1, event: 4, intid: LPI + 4, collection: 0 });
    expect(r.m.signalMsi(1, 4)).toBe(true);
    expect(r.m.vgic.apListVcpu[r.slot(LPI + 4)]).toBe(NONE);
    r.ram.setUint8(PROP - RAM + 4, 0xa1);
    r.cmd({ cmd: 'INV', device: 1, event: 4 });
    expect(r.m.vgic.apListVcpu[r.slot(LPI + 4)]).toBe(0);
  });
});

describe('the translation cache', () => {
  /**
   * DISCARD, then MAPTI of another event to a new LPI — with room for one
   * LPI, the slot the discarded one had — then an MSI to the discarded event.
   */
  function discardThenMsi(broken: boolean): boolean {
    const r = mapped({ lpis: 1 });
    if (broken) setItsDebug(r.m, ITS_DEBUG_NO_CACHE_INVALIDATION);
    expect(r.m.signalMsi(1, 0)).toBe(true); // cached now
    r.m.enter(0);
    r.m.sysregWrite(0, ICC_EOIR1_EL1, r.m.sysregRead(0, ICC_IAR1_EL1)!);
    r.m.exit(0);
    r.cmd({ cmd: 'DISCARD', device: 1, event: 0 });
    r.cmd({ cmd: 'MAPTI', device: 1, event: 5, intid: LPI + 9, collection: 0 });
    expect(r.slot(LPI + 9)).not.toBe(NONE);
    const reached = r.m.signalMsi(1, 0);
    return reached && lpi(r.m, LPI + 9)!.pending;
  }

  test('an MSI after DISCARD reaches no LPI; with invalidation broken on purpose the stale entry delivers it to the LPI now in that slot', () => {
    expect(discardThenMsi(false)).toBe(false);
    expect(discardThenMsi(true)).toBe(true);
  });

  test('MOVI invalidates: an MSI after it goes to the new vCPU', () => {
    const r = mapped();
    r.m.signalMsi(1, 0);
    r.cmd({ cmd: 'CLEAR', device: 1, event: 0 });
    r.m.writeRegister('GICR_CTLR', 0, { rd: 1 });
    r.cmd({ cmd: 'MOVI', device: 1, event: 0, collection: 1 });
    // vCPU 1 has LPIs disabled: a stale cache entry would skip that check.
    expect(r.m.signalMsi(1, 0)).toBe(false);
  });

  test('a redistributor turning LPIs off invalidates: an MSI to it is dropped at once', () => {
    const r = mapped();
    expect(r.m.signalMsi(1, 0)).toBe(true);
    r.cmd({ cmd: 'CLEAR', device: 1, event: 0 });
    r.m.writeRegister('GICR_CTLR', 0, { rd: 0 });
    expect(r.m.signalMsi(1, 0)).toBe(false);
  });

  test('disabling the ITS invalidates: an MSI to a disabled ITS is dropped even when it was cached', () => {
    const r = mapped();
    expect(r.m.signalMsi(1, 0)).toBe(true);
    r.m.writeRegister('GITS_CTLR', 0);
    r.m.writeRegister('GITS_CTLR', 1);
    r.cmd({ cmd: 'CLEAR', device: 1, event: 0 });
    r.cmd({ cmd: 'MAPC', collection: 0, target: 0, valid: false });
    expect(r.m.signalMsi(1, 0)).toBe(false);
  });
});

describe('the command queue', () => {
  test('CWRITER past the queue\'s end is ignored; the queue wraps at its end', () => {
    const r = itsRig();
    r.m.writeRegister('GITS_CWRITER', 0x1000n);
    expect(cwriter(r)).toBe(0n);
    for (let i = 0; i < 130; i++) r.cmd({ cmd: 'SYNC', target: 0 });
    expect(cwriter(r)).toBe(64n);
    expect(creadr(r)).toBe(64n);
  });

  test('commands are processed only while the ITS is enabled; enabling it processes what was queued', () => {
    const r = itsRig({ noEnable: true });
    for (let k = 0; k < 2; k++) r.m.writeRegister('GICR_CTLR', 1, { rd: k });
    r.cmd({ cmd: 'MAPD', device: 1, itt: itt(1), size: 4, valid: true });
    expect(creadr(r)).toBe(0n);
    expect(Number(r.m.readRegister('GITS_CTLR')) >>> 31).toBe(0); // not quiescent
    r.m.writeRegister('GITS_CTLR', 1);
    expect(creadr(r)).toBe(32n);
    expect(Number(r.m.readRegister('GITS_CTLR')) >>> 0).toBe(0x8000_0001);
    expect(itsState(r.m).devices.length).toBe(1);
  });

  test('GITS_CTLR.Enabled is not taken while a table or the queue is not valid', () => {
    const r = itsRig({ noEnable: true });
    r.m.writeRegister('GITS_BASER1', BigInt(COLLECTION_TABLE));
    r.m.writeRegister('GITS_CTLR', 1);
    expect(Number(r.m.readRegister('GITS_CTLR')) & 1).toBe(0);
  });

  test('a command the ITS cannot read is skipped and CREADR moves on', () => {
    const r = itsRig({ noEnable: true });
    // A queue past the end of guest RAM.
    r.m.writeRegister('GITS_CBASER', (1n << 63n) | BigInt(RAM + 0x40_0000));
    enableAll(r.m);
    r.m.writeRegister('GITS_CWRITER', 64n);
    expect(creadr(r)).toBe(64n);
  });

  test('GITS_CBASER, GITS_BASER<n> are read-only while the ITS is enabled; a CBASER write starts the queue at 0', () => {
    const r = itsRig();
    r.cmd({ cmd: 'SYNC', target: 0 });
    r.m.writeRegister('GITS_CBASER', (1n << 63n) | BigInt(RAM));
    r.m.writeRegister('GITS_BASER0', 0n);
    expect(r.m.readRegister('GITS_CBASER')).toBe((1n << 63n) | (3n << 59n) | BigInt(QUEUE));
    expect((r.m.readRegister('GITS_BASER0') as bigint) >> 63n).toBe(1n);
    r.m.writeRegister('GITS_CTLR', 0);
    r.m.writeRegister('GITS_CBASER', (1n << 63n) | BigInt(QUEUE) | 1n);
    expect([creadr(r), cwriter(r)]).toEqual([0n, 0n]);
  });

  test('GITS_BASER0 written not valid forgets every device', () => {
    const r = mapped();
    r.m.writeRegister('GITS_CTLR', 0);
    r.m.writeRegister('GITS_BASER0', BigInt(DEVICE_TABLE));
    expect(itsState(r.m).devices).toEqual([]);
    expect(r.slot(LPI)).toBe(NONE);
  });
});

describe('capacities', () => {
  test('a full device table fails MAPD as KVM fails an allocation: skipped, CREADR moves on', () => {
    const r = itsRig({ its: { devices: 2 } });
    for (let d = 0; d < 3; d++) r.cmd({ cmd: 'MAPD', device: d, itt: itt(d), size: 2, valid: true });
    expect(itsState(r.m).devices.map((d) => d.device)).toEqual([0, 1]);
    expect(creadr(r)).toBe(cwriter(r));
  });

  test('MAPTI beyond the machine\'s LPI capacity fails as KVM does when it cannot allocate an LPI', () => {
    const r = itsRig({ lpis: 2, its: { translations: 4 } });
    mapDeviceAndCollections(r);
    for (let e = 0; e < 3; e++) r.cmd({ cmd: 'MAPTI', device: 1, event: e, intid: LPI + e, collection: 0 });
    expect(itsState(r.m).translations.map((t) => t.intid)).toEqual([LPI, LPI + 1]);
    // Two events may share one LPI: that takes no new slot.
    r.cmd({ cmd: 'MAPTI', device: 1, event: 3, intid: LPI, collection: 0 });
    expect(itsState(r.m).translations.length).toBe(3);
  });
});

describe('a two-level device table (GITS_BASER0.Indirect), as Linux allocates one', () => {
  test('MAPD reaches a DeviceID whose level-1 entry is valid, skips one whose entry is not; save and restore walk both levels', () => {
    const r = itsRig({ noEnable: true });
    const l2 = RAM + 0x13_0000;
    r.m.writeRegister('GITS_BASER0', (1n << 63n) | (1n << 62n) | BigInt(DEVICE_TABLE));
    // Level-1 entry 1 covers DeviceIDs 8192..16383.
    r.ram.setBigUint64(DEVICE_TABLE - RAM + 8, (1n << 63n) | BigInt(l2), true);
    enableAll(r.m);
    r.cmd({ cmd: 'MAPD', device: 8192 + 5, itt: itt(1), size: 4, valid: true });
    r.cmd({ cmd: 'MAPD', device: 5, itt: itt(2), size: 4, valid: true });
    expect(itsState(r.m).devices.map((d) => d.device)).toEqual([8197]);
    r.cmd({ cmd: 'MAPC', collection: 0, target: 0, valid: true });
    r.cmd({ cmd: 'MAPTI', device: 8197, event: 1, intid: LPI + 1, collection: 0 });
    const dev = kvmItsDevice(r.m);
    dev.setAttr(KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_ITS_SAVE_TABLES);
    expect(r.ram.getBigUint64(l2 - RAM + 5 * 8, true) >> 63n).toBe(1n);
    dev.setAttr(KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_ITS_CTRL_RESET);
    for (const [o, x] of [
      [0x80, (1n << 63n) | BigInt(QUEUE)],
      [0x100, (1n << 63n) | (1n << 62n) | BigInt(DEVICE_TABLE)],
      [0x108, (1n << 63n) | BigInt(COLLECTION_TABLE)],
    ] as const) {
      dev.setAttr(KVM_DEV_ARM_VGIC_GRP_ITS_REGS, o, x);
    }
    dev.setAttr(KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_ITS_RESTORE_TABLES);
    dev.setAttr(KVM_DEV_ARM_VGIC_GRP_ITS_REGS, 0, 1);
    expect(itsState(r.m).translations).toEqual([{ device: 8197, event: 1, intid: LPI + 1, collection: 0 }]);
    expect(r.m.signalMsi(8197, 1)).toBe(true);
  });
});
