/**
 * The register names as types (type-checked with the tests: a `@ts-expect-error`
 * that no longer finds an error fails the type-check, so these lines fail if the
 * name union degrades to `string`), and the exported offsets against the
 * register tables the machine runs on.
 */
import { ICC_ENCODINGS, createGicv3, GICD_OFFSETS, GICR_OFFSETS, GICR_SIZE, GITS_OFFSETS, type Gicv3Machine, type Gicv3RegisterName } from '@vgic/gicv3';
import type { Machine } from '@vgic/core';
import { describe, expect, expectTypeOf, test } from 'vitest';

describe('GICv3 register names are a union type', () => {
  test('a name the GICv3 lacks, or a typo, does not compile; a string does not either, unless the machine is a plain Machine', () => {
    const m = createGicv3({ vcpus: 2 });
    expectTypeOf(m).toEqualTypeOf<Gicv3Machine>();
    // @ts-expect-error GICD_CTRL is a typo of GICD_CTLR
    expect(() => m.readRegister('GICD_CTRL')).toThrow(/did you mean GICD_CTLR/);
    // @ts-expect-error GICC_IAR is a GICv2 register
    expect(() => m.writeRegister('GICC_IAR', 0)).toThrow(/unknown register/);
    // @ts-expect-error an array register needs its index
    expect(() => m.resolve('GICD_ISENABLER')).toThrow(/unknown register/);
    const name: string = 'GICD_CTLR';
    // @ts-expect-error a string may be any name
    m.readRegister(name);
    // A machine of a backend chosen at run time takes any string, and checks it when called.
    const dynamic: Machine = m;
    expect(dynamic.readRegister(name)).toBe(0x50); // ARE | DS
    expectTypeOf<Gicv3RegisterName>().not.toEqualTypeOf<string>();
    expectTypeOf<'GICD_ISENABLER1' | 'GICR_WAKER' | 'ICC_IAR1_EL1' | 'GICD+0x104'>().toExtend<Gicv3RegisterName>();
    // An index computed at run time is a name too (its range is checked when the call is made).
    for (let n = 1; n < 3; n++) m.writeRegister(`GICD_ISENABLER${n}`, 0);
    expect(() => m.readRegister('GICD_ISENABLER32')).toThrow(/GICD_ISENABLER<n> takes n = 0..31/);
  });

  test('a read is a number for a 32-bit register and a bigint for a 64-bit one, in the type and at run time', () => {
    const m = createGicv3({ vcpus: 2 });
    m.writeRegister('GICD_ISENABLER1', 1 << 8);
    const enabled = m.readRegister('GICD_ISENABLER1');
    expectTypeOf(enabled).toEqualTypeOf<number>();
    expect(enabled).toBe(256);
    const route = m.readRegister('GICD_IROUTER40');
    expectTypeOf(route).toEqualTypeOf<bigint>();
    expect(route).toBe(0n);
    const typer = m.readRegister('GICR_TYPER', { rd: 1 });
    expectTypeOf(typer).toEqualTypeOf<bigint>();
    expect(typer).toBe((1n << 32n) | (1n << 8n) | (1n << 4n)); // vCPU 1: affinity 0.0.0.1, processor 1, Last
    // The system registers are 64 bits wide, as AArch64 makes them all.
    const iar = m.readRegister('ICC_IAR1_EL1');
    expectTypeOf(iar).toEqualTypeOf<bigint>();
    expect(iar).toBe(1023n);
    // A width asks for that many bits: 32 or fewer read a number.
    const low = m.readRegister('GICD_IROUTER40', { width: 32 });
    expectTypeOf(low).toEqualTypeOf<number>();
    expect(low).toBe(0);
    expectTypeOf(m.readRegister('ICC_PMR_EL1', { vcpu: 1, width: 32 })).toEqualTypeOf<number>();
    expect(m.readRegister('ICC_PMR_EL1', { vcpu: 1, width: 32 })).toBe(0);
    expectTypeOf(m.readRegister('GICD_CTLR', { width: 64 })).toEqualTypeOf<bigint>();
    // A plain Machine cannot know: number | bigint.
    const dynamic: Machine = m;
    expectTypeOf(dynamic.readRegister('GICD_ISENABLER1')).toEqualTypeOf<number | bigint>();
  });
});

describe('GICv3 register offsets and encodings, for an emulator\'s decoder', () => {
  test('every GICD and GICR register of the machine is at the offset the exported table gives, and the table has no other', () => {
    const m = createGicv3({ vcpus: 2 });
    const tables: Record<string, Readonly<Record<string, number>>> = { GICD: GICD_OFFSETS, GICR: GICR_OFFSETS };
    for (const frame of m.frames) {
      const table = tables[frame.name]!;
      const names = frame.registers.map((r) => r.name);
      expect(Object.keys(table).sort()).toEqual([...names].sort());
      for (const r of frame.registers) {
        const stride = r.stride ?? r.width / 8;
        expect(table[r.name]! + (r.firstIndex ?? 0) * stride, r.name).toBe(r.offset);
      }
    }
    // As a decoder uses them: SPI 40's enable bit is in GICD_ISENABLER<1>, vCPU 1's SGI_base registers are in its frame.
    expect(m.resolve('GICD_ISENABLER1')).toMatchObject({ addr: m.frames[0]!.base + GICD_OFFSETS.GICD_ISENABLER + 4 });
    expect(m.resolve('GICD_IROUTER40')).toMatchObject({ addr: m.frames[0]!.base + GICD_OFFSETS.GICD_IROUTER + 8 * 40 });
    const gicr = m.frames.find((f) => f.name === 'GICR')!;
    expect(m.resolve('GICR_ISENABLER0', { rd: 1 })).toMatchObject({ addr: gicr.base + GICR_SIZE + GICR_OFFSETS.GICR_ISENABLER0 });
  });

  test('every GITS register of a machine with an ITS is at the offset GITS_OFFSETS gives, and the table has no other', () => {
    const m = createGicv3({ vcpus: 1, its: true });
    const gits = m.frames.find((f) => f.name === 'GITS')!;
    expect(Object.keys(GITS_OFFSETS).sort()).toEqual(gits.registers.map((r) => r.name).sort());
    for (const r of gits.registers) expect(GITS_OFFSETS[r.name as keyof typeof GITS_OFFSETS], r.name).toBe(r.offset);
    expect(m.resolve('GITS_BASER1')).toMatchObject({ addr: gits.base + GITS_OFFSETS.GITS_BASER + 8 });
    expectTypeOf(m.readRegister('GITS_CWRITER')).toEqualTypeOf<bigint>();
    expectTypeOf(m.readRegister('GITS_CTLR')).toEqualTypeOf<number>();
    expectTypeOf<'GITS_BASER7' | 'GITS_TRANSLATER' | 'GITS+0x88'>().toExtend<Gicv3RegisterName>();
  });

  test('every system register of the machine has its exported encoding', () => {
    const m = createGicv3({ vcpus: 1 });
    const sysregs = m.backend.sysregs.map((r) => r.name).sort();
    expect(Object.keys(ICC_ENCODINGS).sort()).toEqual(sysregs);
  });
});
