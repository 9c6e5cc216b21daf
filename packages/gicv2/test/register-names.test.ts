/**
 * The register names as types (see gicv3's test of the same name: the
 * `@ts-expect-error` lines fail the type-check if the union degrades to
 * `string`), and the exported offsets against the register tables.
 */
import { createGicv2, GICC_OFFSETS, GICD_OFFSETS, type Gicv2Machine, type Gicv2RegisterName } from '@vgic/gicv2';
import { describe, expect, expectTypeOf, test } from 'vitest';

describe('GICv2 register names are a union type', () => {
  test('a GICv3 name does not compile on a GICv2 machine; every GICv2 read is a number', () => {
    const m = createGicv2({ vcpus: 2 });
    expectTypeOf(m).toEqualTypeOf<Gicv2Machine>();
    // @ts-expect-error GICD_IROUTER is GICv3's
    expect(() => m.readRegister('GICD_IROUTER40')).toThrow(/unknown register/);
    // @ts-expect-error ICC_IAR1_EL1 is a GICv3 system register
    expect(() => m.resolve('ICC_IAR1_EL1')).toThrow(/unknown register/);
    expectTypeOf<Gicv2RegisterName>().not.toEqualTypeOf<string>();
    m.writeRegister('GICD_ITARGETSR10', 0x02020202);
    const targets = m.readRegister('GICD_ITARGETSR10');
    expectTypeOf(targets).toEqualTypeOf<number>();
    expect(targets).toBe(0x02020202);
    expectTypeOf(m.readRegister('GICC_IAR', { vcpu: 1 })).toEqualTypeOf<number>();
  });

  test('every GICD and GICC register of the machine is at the offset the exported table gives, and the table has no other', () => {
    const m = createGicv2({ vcpus: 2 });
    const tables: Record<string, Readonly<Record<string, number>>> = { GICD: GICD_OFFSETS, GICC: GICC_OFFSETS };
    for (const frame of m.frames) {
      const table = tables[frame.name]!;
      expect(Object.keys(table).sort()).toEqual(frame.registers.map((r) => r.name).sort());
      for (const r of frame.registers) expect(table[r.name]! + (r.firstIndex ?? 0) * (r.stride ?? 4), r.name).toBe(r.offset);
    }
    expect(m.resolve('GICC_APR2')).toMatchObject({ addr: m.frames[1]!.base + GICC_OFFSETS.GICC_APR + 8 });
  });
});
