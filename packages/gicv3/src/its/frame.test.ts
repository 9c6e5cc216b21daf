import { describe, expect, test } from 'vitest';
import { createGicv3 } from '../machine.js';
import { GITS, RAM, RAM_SIZE, itsRig, lpi } from './fixtures.js';
import { GITS_TRANSLATER_OFFSET } from './frame.js';

function machine() {
  return createGicv3({ vcpus: 2, its: true, guestMemory: [{ base: RAM, buffer: new ArrayBuffer(RAM_SIZE) }] });
}

describe('the GITS frame as KVM presents it', () => {
  test('at QEMU virt\'s base by default, or where `its.base` puts it', () => {
    expect(machine().resolve('GITS_CTLR')).toMatchObject({ addr: GITS });
    const m = createGicv3({ vcpus: 1, its: { base: 0x2000_0000 } });
    expect(m.resolve('GITS_TYPER')).toMatchObject({ addr: 0x2000_0008 });
    expect(m.resolve('GITS_TRANSLATER')).toMatchObject({ addr: 0x2001_0040 });
  });

  test('a machine with `its` has LPIs, 8192 of them unless `lpis` says', () => {
    expect(machine().vgic.nrLpis).toBe(8192);
    expect(createGicv3({ vcpus: 1, its: true, lpis: 64 }).vgic.nrLpis).toBe(64);
    expect(() => createGicv3({ vcpus: 1 }).readRegister('GITS_CTLR' as 'GICD_CTLR')).toThrow(/unknown register/);
  });

  test('GITS_TYPER: Physical, 8-byte ITT entries, 16 IDbits and Devbits, PTA 0; GITS_IIDR KVM\'s with ABI revision 0', () => {
    const m = machine();
    const typer = m.readRegister('GITS_TYPER');
    expect(typer).toBe(0x1ef71n);
    expect(Number(typer) & 1).toBe(1); // Physical
    expect((Number(typer) >> 4) & 0xf).toBe(7); // ITT_entry_size - 1
    expect((Number(typer) >> 8) & 0x1f).toBe(15); // IDbits - 1
    expect((Number(typer) >> 13) & 0x1f).toBe(15); // Devbits - 1
    expect((Number(typer) >> 19) & 1).toBe(0); // PTA
    expect(m.readRegister('GITS_IIDR')).toBe(0x4b00_043b);
    expect(m.readRegister('GITS_TYPER', { width: 32 })).toBe(0x1ef71);
  });

  test('the ID registers read as KVM\'s', () => {
    const m = machine();
    const ids = ['GITS_PIDR0', 'GITS_PIDR1', 'GITS_PIDR2', 'GITS_PIDR3', 'GITS_PIDR4', 'GITS_CIDR0', 'GITS_CIDR1', 'GITS_CIDR2', 'GITS_CIDR3'] as const;
    expect(ids.map((n) => m.readRegister(n))).toEqual([0x92, 0xb4, 0x3b, 0, 0x40, 0x0d, 0xf0, 0x05, 0xb1]);
  });

  test('GITS_CTLR at reset: disabled and quiescent; BASER0 a device table, BASER1 a collection table, BASER2..7 RAZ/WI', () => {
    const m = machine();
    expect(m.readRegister('GITS_CTLR')).toBe(0x8000_0000);
    expect((m.readRegister('GITS_BASER0') as bigint) >> 56n).toBe(0x19n); // RaWb inner (3 << 3) | type 1
    expect(((m.readRegister('GITS_BASER1') as bigint) >> 56n) & 7n).toBe(4n);
    m.writeRegister('GITS_BASER2', 0xffff_ffffn);
    expect(m.readRegister('GITS_BASER2')).toBe(0n);
  });

  test('a 32-bit write to either half of a 64-bit register keeps the other half', () => {
    const m = machine();
    m.writeRegister('GITS_CBASER', 0x4012_0000n);
    m.mmioWrite(0, GITS + 0x84, 32, 0x8000_0000);
    expect(m.readRegister('GITS_CBASER')).toBe((1n << 63n) | (3n << 59n) | 0x4012_0000n);
  });

  test('GITS_CREADR is read-only to the guest', () => {
    const r = itsRig();
    r.m.writeRegister('GITS_CREADR', 0x40n);
    expect(r.m.readRegister('GITS_CREADR')).toBe(0n);
  });

  test('a vCPU\'s store to GITS_TRANSLATER carries no DeviceID and signals nothing', () => {
    const r = itsRig();
    r.cmd({ cmd: 'MAPD', device: 0, itt: RAM + 0x30_0000, size: 4, valid: true });
    r.cmd({ cmd: 'MAPC', collection: 0, target: 0, valid: true });
    r.cmd({ cmd: 'MAPTI', device: 0, event: 0, intid: 8192, collection: 0 });
    expect(r.m.mmioWrite(0, GITS + GITS_TRANSLATER_OFFSET, 32, 0)).toBe(true);
    expect(lpi(r.m, 8192)!.pending).toBe(false);
    expect(r.m.mmioRead(0, GITS + GITS_TRANSLATER_OFFSET, 32)).toBe(0);
  });

  test('frames may not overlap: an ITS on the redistributors is refused', () => {
    expect(() => createGicv3({ vcpus: 2, its: { base: 0x080a_0000 } })).toThrow(/overlaps/);
    expect(() => createGicv3({ vcpus: 1, its: { base: 0x1234 } })).toThrow(/its.base/);
    expect(() => createGicv3({ vcpus: 1, its: { devices: 0 } })).toThrow(/its.devices/);
    expect(() => createGicv3({ vcpus: 1, its: { cache: 3 } })).toThrow(/power of two/);
    expect(() => createGicv3({ vcpus: 1, its: { bogus: 1 } as never })).toThrow(/no option/);
  });
});
