import { describe, expect, it } from 'vitest';
import { createToy } from '../test/fixtures/toy-gic.js';
import { isVgicError, type VgicErrorCode } from './errors.js';
import { lpiAllocate, lpiSetConfig, lpiSetTarget, lpiSlot } from './lpi.js';
import { Machine } from './machine.js';
import { createToyBackend } from '../test/fixtures/toy-gic.js';

function codeOf(fn: () => unknown): VgicErrorCode | null {
  try {
    fn();
  } catch (e) {
    return isVgicError(e) ? e.code : null;
  }
  return null;
}

describe('a machine with LPIs (the lpis option)', () => {
  it('lays out the capacity asked for, and the backend its state words', () => {
    const m = createToy({ vcpus: 2, lpis: 64, msi: true });
    expect(m.lpis).toBe(64);
    expect(m.vgic.nrSlots).toBe(m.vgic.lpiBase + 64);
    expect(m.vgic.backendState.length).toBe(4);
    expect(createToy({ vcpus: 2 }).lpis).toBe(0);
  });

  it('refuses a capacity the backend cannot have, before anything is made', () => {
    expect(codeOf(() => createToy({ vcpus: 1, lpis: 8 }))).toBe('INVALID_CONFIG');
    for (const lpis of [-1, 1.5, 1025, '8', Number.NaN]) {
      expect(codeOf(() => createToy({ vcpus: 1, lpis: lpis as number, msi: true })), String(lpis)).toBe('INVALID_CONFIG');
    }
    expect(() => createToy({ vcpus: 1, lpis: 8 })).toThrow(/lpis: GICtoy has no LPIs/);
  });

  it('refuses host injection of an LPI, saying how LPIs are raised', () => {
    const m = createToy({ vcpus: 1, lpis: 4, msi: true });
    lpiAllocate(m.vgic, 8192);
    expect(() => m.inject(8192, 1)).toThrow(/INTID 8192 is an LPI: LPIs are message-signalled \(signalMsi\), not host injection/);
    expect(() => createToy({ vcpus: 1 }).inject(8192, 1)).toThrow(/out of range; SPIs on this machine are 32\.\.63/);
  });

  it('unmaps every LPI at reset', () => {
    const m = createToy({ vcpus: 1, lpis: 4, msi: true });
    const slot = lpiAllocate(m.vgic, 8192);
    lpiSetConfig(m.vgic, slot, 0x81);
    lpiSetTarget(m.vgic, slot, 0);
    m.writeRegister('TDIST_CTLR', 3);
    expect(m.signalMsi(0, 0)).toBe(true);
    expect(m.apList(0)).toEqual([8192]);
    m.reset();
    expect(lpiSlot(m.vgic, 8192)).toBe(-1);
    expect(m.apList(0)).toEqual([]);
    expect(m.checkInvariants()).toEqual([]);
  });
});

describe('Machine.signalMsi (KVM_SIGNAL_MSI)', () => {
  it('hands the MSI to the backend, which makes the LPI pending on its target; false when nothing translates it', () => {
    const m = createToy({ vcpus: 2, lpis: 8, msi: true });
    m.writeRegister('TDIST_CTLR', 3);
    const v = m.vgic;
    const slot = lpiAllocate(v, 8195);
    lpiSetConfig(v, slot, 0x41);
    lpiSetTarget(v, slot, 1);
    const kicks: number[] = [];
    m.onKick((k) => kicks.push(k));
    expect(m.signalMsi(0, 3)).toBe(true);
    expect(m.apList(1)).toEqual([8195]);
    expect(kicks).toEqual([1]);
    expect(v.backendState[0]).toBe(1);
    expect(m.signalMsi(0, 4)).toBe(false);
    expect(m.signalMsi(7, 3)).toBe(false);
    expect(m.signalMsi(0xffff_ffff, 0xffff_ffff)).toBe(false);
    m.enter(1);
    expect(m.listRegisters(1).map((lr) => lr.intid)).toEqual([8195]);
  });

  it('refuses numbers that are not u32s, and a machine whose backend takes no MSIs, changing nothing', () => {
    const m = createToy({ vcpus: 1, lpis: 8, msi: true });
    for (const bad of [-1, 2 ** 32, 1.5, Number.NaN, '1', 1n]) {
      expect(codeOf(() => m.signalMsi(bad as number, 0)), String(bad)).toBe('INVALID_ARGUMENT');
      expect(codeOf(() => m.signalMsi(0, bad as number)), String(bad)).toBe('INVALID_ARGUMENT');
    }
    expect(m.vgic.backendState[0]).toBe(0);
    expect(codeOf(() => createToy({ vcpus: 1 }).signalMsi(0, 0))).toBe('INVALID_CONFIG');
  });
});

describe('guest memory (the guestMemory option)', () => {
  it('is what the machine and its backend read, and travels to another thread with the handle when shared', () => {
    const ram = new SharedArrayBuffer(0x1000);
    const local = new ArrayBuffer(0x100);
    const m = createToy({
      vcpus: 1,
      shared: true,
      guestMemory: [
        { base: 0x4000_0000, buffer: ram },
        { base: 0x5000_0000, buffer: local },
      ],
    });
    expect(m.memory.write32(0x4000_0010, 99)).toBe(true);
    expect(m.vgic.memory).toBe(m.memory);
    const handle = m.handle({});
    expect(handle.guestMemory).toEqual([{ base: 0x4000_0000, buffer: ram, offset: 0, size: 0x1000 }]);
    const other = Machine.attach(createToyBackend(), handle.buffer, { guestMemory: handle.guestMemory });
    expect(other.memory.read32(0x4000_0010)).toBe(99);
    // An unshared buffer stays with its thread: there, an access faults.
    other.memory.read32(0x5000_0000);
    expect(other.memory.fault).toBe(true);
  });

  it('refuses regions that are wrong with INVALID_CONFIG, and a machine without it faults every access', () => {
    expect(codeOf(() => createToy({ vcpus: 1, guestMemory: [{ base: 0, buffer: new ArrayBuffer(4), size: 0 }] }))).toBe('INVALID_CONFIG');
    expect(codeOf(() => createToy({ vcpus: 1, guestMemory: 'ram' as never }))).toBe('INVALID_CONFIG');
    const m = createToy({ vcpus: 1 });
    expect(m.memory.read32(0)).toBe(0);
    expect(m.memory.fault).toBe(true);
  });

  it('refuses a buffer whose backend state words do not match the backend opening it', () => {
    const m = createToy({ vcpus: 1, shared: true, lpis: 4, msi: true });
    expect(codeOf(() => Machine.attach(createToyBackend({ msi: true }), m.vgic.buffer))).toBe(null);
    expect(codeOf(() => Machine.attach(createToyBackend(), m.vgic.buffer))).toBe('INVALID_ARGUMENT');
  });
});
