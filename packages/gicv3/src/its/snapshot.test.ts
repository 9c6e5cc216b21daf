import { KVM_DEV_ARM_VGIC_GRP_CTRL, restoreMachine, saveMachine } from '@vgic/core';
import { describe, expect, test } from 'vitest';
import { createGicv3 } from '../machine.js';
import { itsState } from './api.js';
import { RAM, RAM_SIZE, itsRig, itt, lpi, mapDeviceAndCollections } from './fixtures.js';
import { KVM_DEV_ARM_ITS_CTRL_RESET, kvmItsDevice } from './kvm-device.js';
import { itsOfMachine } from './machines.js';
import { checkItsSnapshot, restoreIts, saveIts, type ItsSnapshot } from './snapshot.js';

const LPI = 8192;

function populated() {
  const r = itsRig();
  mapDeviceAndCollections(r);
  r.cmd({ cmd: 'MAPTI', device: 1, event: 2, intid: LPI + 2, collection: 1 });
  r.cmd({ cmd: 'MAPTI', device: 1, event: 3, intid: LPI + 2, collection: 1 }); // a second translation to the same LPI
  r.cmd({ cmd: 'MAPTI', device: 1, event: 4, intid: LPI + 4, collection: 6 });
  return r;
}

describe('the ITS in a saved document', () => {
  test('save, then restore into a fresh machine: the same registers, tables and translations, LPIs mapped once each', () => {
    const a = populated();
    const doc = JSON.parse(JSON.stringify(saveIts(itsOfMachine(a.m)))) as ItsSnapshot;
    const b = createGicv3({ vcpus: 2, its: true, guestMemory: [{ base: RAM, buffer: new ArrayBuffer(RAM_SIZE) }] });
    const its = itsOfMachine(b);
    expect(checkItsSnapshot(b.vgic, its, doc)).toBeNull();
    restoreIts(its, doc);
    expect(itsState(b)).toEqual(itsState(a.m));
    expect(lpi(b, LPI + 2)!.target).toBe(1);
    // Both translations hold the LPI: discarding one leaves it mapped.
    expect(b.vgic.lpiRefs[b.vgic.lpiSlotOf(LPI + 2) - b.vgic.lpiBase]).toBe(2);
    expect(b.vgic.lpiRefs[b.vgic.lpiSlotOf(LPI + 4) - b.vgic.lpiBase]).toBe(1);
  });

  test('a document the ITS could not hold is refused, naming the field', () => {
    const r = populated();
    const its = itsOfMachine(r.m);
    const good = saveIts(its);
    const bad = (patch: Partial<Record<keyof ItsSnapshot, unknown>>) => checkItsSnapshot(r.m.vgic, its, { ...good, ...patch });
    expect(bad({ cbaser: '0x8000000040128000' })).toMatch(/cbaser/); // bits 15:12 set: KVM clears them
    expect(bad({ baser: [good.baser[0], '0x0'] })).toMatch(/baser\[1\]/);
    expect(bad({ cwriter: 0x1000 })).toMatch(/cwriter/);
    expect(bad({ devices: [{ device: 1, itt: itt(1), size: 17 }] })).toMatch(/devices\[0\]/);
    expect(bad({ collections: [{ collection: 0, target: 2 }] })).toMatch(/target/);
    expect(bad({ translations: [{ device: 9, event: 0, intid: LPI, collection: 0 }] })).toMatch(/device/);
    expect(bad({ translations: [{ device: 1, event: 16, intid: LPI, collection: 0 }] })).toMatch(/event/);
    expect(bad({ translations: [{ device: 1, event: 0, intid: 100, collection: 0 }] })).toMatch(/intid/);
    expect(bad({ translations: [{ device: 1, event: 0, intid: LPI, collection: 99 }] })).toMatch(/collection/);
    expect(checkItsSnapshot(r.m.vgic, its, 'x')).toMatch(/object/);
  });
});

describe('the ITS through saveMachine / restoreMachine', () => {
  test('a machine saved with pending LPIs restores into a fresh one with the same translations, state and references', () => {
    const a = populated();
    expect(a.m.signalMsi(1, 2)).toBe(true);
    const doc = JSON.parse(JSON.stringify(saveMachine(a.m)));
    expect(doc.backend.its.translations.length).toBe(3);
    const b = createGicv3({ vcpus: 2, its: true, guestMemory: [{ base: RAM, buffer: a.ram.buffer.slice(0) }] });
    restoreMachine(b, doc);
    expect(itsState(b)).toEqual(itsState(a.m));
    expect(lpi(b, LPI + 2)).toMatchObject({ pending: true, target: 1 });
    const slot = b.vgic.lpiSlotOf(LPI + 2) - b.vgic.lpiBase;
    expect(b.vgic.lpiRefs[slot]).toBe(2);
    // Collection 6 came back unmapped, as it was saved.
    expect(b.signalMsi(1, 4)).toBe(false); // collection 6 is unmapped
    expect(b.checkInvariants()).toEqual([]);
  });

  test('a document whose ITS part is wrong is refused before anything is written', () => {
    const a = populated();
    const doc = JSON.parse(JSON.stringify(saveMachine(a.m)));
    doc.backend.its.translations[0].device = 9;
    const b = createGicv3({ vcpus: 2, its: true, guestMemory: [{ base: RAM, buffer: new ArrayBuffer(RAM_SIZE) }] });
    expect(() => restoreMachine(b, doc)).toThrow(/translations\[0\]\.device/);
  });
});

describe('the ITS registers at reset in a saved document', () => {
  const fresh = () => createGicv3({ vcpus: 2, its: true, guestMemory: [{ base: RAM, buffer: new ArrayBuffer(RAM_SIZE) }] });

  // KVM's GITS_CBASER is 0 until the guest writes it (vgic_its_create leaves it zeroed, vgic_its_reset sets
  // it to 0): no value a guest's write leaves (cbaserSanitise fixes up the cacheability), but one it holds.
  test('a fresh machine saved restores, GITS_CBASER 0 and all', () => {
    const a = fresh();
    expect(itsState(a).cbaser).toBe(0n);
    const doc = JSON.parse(JSON.stringify(saveMachine(a)));
    const b = fresh();
    restoreMachine(b, doc);
    expect(itsState(b)).toEqual(itsState(a));
    restoreMachine(a, doc);
    expect(a.checkInvariants()).toEqual([]);
  });

  test('after KVM_DEV_ARM_ITS_CTRL_RESET the ITS saves and restores (GITS_CBASER 0, the BASERs not valid)', () => {
    const a = populated();
    kvmItsDevice(a.m).setAttr(KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_ITS_CTRL_RESET);
    const doc = JSON.parse(JSON.stringify(saveMachine(a.m)));
    expect(doc.backend.its.cbaser).toBe('0x0000000000000000');
    const b = fresh();
    restoreMachine(b, doc);
    expect(itsState(b)).toEqual(itsState(a.m));
  });

  test('a GITS_CBASER other than 0 still has to be one a write could leave', () => {
    const a = fresh();
    const its = itsOfMachine(a);
    const doc = saveIts(its);
    expect(checkItsSnapshot(a.vgic, its, { ...doc, cbaser: '0x0000000000000001' })).toMatch(/cbaser/); // inner cacheability 0
    expect(checkItsSnapshot(a.vgic, its, { ...doc, cbaser: '0x0000000000000000' })).toBeNull();
  });
});
