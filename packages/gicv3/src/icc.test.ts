import { describe, expect, test } from 'vitest';
import { sysregKey } from '@vgic/core';
import {
  createGicv3,
  ICC_AP0R0_EL1,
  ICC_AP1R0_EL1,
  ICC_AP1R1_EL1,
  ICC_AP1R3_EL1,
  ICC_BPR0_EL1,
  ICC_BPR1_EL1,
  ICC_CTLR_EL1,
  ICC_DIR_EL1,
  ICC_ENCODINGS,
  ICC_EOIR0_EL1,
  ICC_EOIR1_EL1,
  ICC_HPPIR0_EL1,
  ICC_HPPIR1_EL1,
  ICC_IAR0_EL1,
  ICC_IAR1_EL1,
  ICC_IGRPEN0_EL1,
  ICC_IGRPEN1_EL1,
  ICC_KEYS,
  ICC_PMR_EL1,
  ICC_RPR_EL1,
  ICC_SRE_EL1,
  type IccRegisterName,
} from './index.js';
import { bringUp } from './fixtures.js';
import type { Machine } from '@vgic/core';

/** A one-vCPU machine, distributor and both groups on, with SPIs 32..63 enabled at `priority`. */
function machine(priority = 0xa0): Machine {
  const m = createGicv3({ vcpus: 1, spis: 32 });
  bringUp(m, 3);
  m.writeRegister('GICD_ISENABLER1', 0xffff_ffff);
  for (let n = 8; n < 16; n++) m.writeRegister(`GICD_IPRIORITYR${n}`, priority * 0x0101_0101);
  return m;
}

describe('encodings', () => {
  test('each ICC register has the encoding the architecture gives it', () => {
    expect(ICC_IAR1_EL1).toEqual({ op0: 3, op1: 0, crn: 12, crm: 12, op2: 0 });
    expect(ICC_PMR_EL1).toEqual({ op0: 3, op1: 0, crn: 4, crm: 6, op2: 0 });
    expect(ICC_ENCODINGS.ICC_SGI1R_EL1).toEqual({ op0: 3, op1: 0, crn: 12, crm: 11, op2: 5 });
    expect(ICC_ENCODINGS.ICC_AP0R3_EL1).toEqual({ op0: 3, op1: 0, crn: 12, crm: 8, op2: 7 });
    expect(ICC_ENCODINGS.ICC_AP1R2_EL1).toEqual({ op0: 3, op1: 0, crn: 12, crm: 9, op2: 2 });
    expect(ICC_KEYS.ICC_IAR1_EL1).toBe(sysregKey(ICC_IAR1_EL1));
    expect(ICC_KEYS.ICC_IAR1_EL1).toBe(0xc660);
    expect(Object.keys(ICC_KEYS)).toHaveLength(26);
    expect(new Set(Object.values(ICC_KEYS)).size).toBe(26);
  });

  test('every register is reachable by name and by encoding, and names resolve to the encoding', () => {
    const m = createGicv3({ vcpus: 1 });
    for (const [name, e] of Object.entries(ICC_ENCODINGS)) {
      expect(m.resolve(name as IccRegisterName)).toEqual({ kind: 'sysreg', name, encoding: e, width: 64 });
    }
  });

  test('sysregRead/sysregWrite take an encoding object or its packed key, with bigint values', () => {
    const m = createGicv3({ vcpus: 1 });
    expect(m.sysregWrite(0, ICC_KEYS.ICC_PMR_EL1, 0x80n)).toBe(true);
    expect(m.sysregRead(0, ICC_PMR_EL1)).toBe(0x80n);
    expect(m.sysregRead(0, { op0: 3, op1: 0, crn: 4, crm: 6, op2: 0 })).toBe(0x80n);
    expect(typeof m.sysregRead(0, ICC_KEYS.ICC_RPR_EL1)).toBe('bigint');
  });

  test('an encoding this GIC does not implement reads undefined and writes false (the caller raises UNDEFINED)', () => {
    const m = createGicv3({ vcpus: 1 });
    expect(m.sysregRead(0, { op0: 3, op1: 0, crn: 12, crm: 11, op2: 0 })).toBeUndefined();
    expect(m.sysregWrite(0, { op0: 3, op1: 4, crn: 12, crm: 12, op2: 5 }, 1n)).toBe(false);
  });

  test('an MRS of an encoding beyond the field ranges is no ICC_IAR1_EL1: it reads undefined and acknowledges nothing', () => {
    const m = machine();
    m.inject(40, 1);
    for (const enc of [
      { ...ICC_IAR1_EL1, op0: 7 },
      { ...ICC_IAR1_EL1, crn: 28 },
      { ...ICC_IAR1_EL1, op1: 8 },
      { ...ICC_IAR1_EL1, crm: 12 + 16 },
      { ...ICC_IAR1_EL1, op2: 8 },
    ]) {
      expect(m.sysregRead(0, enc), JSON.stringify(enc)).toBeUndefined();
      expect(m.irq(40)).toMatchObject({ pending: true, active: false });
      // Nor does ICC_EOIR1_EL1's alias deactivate anything.
      expect(m.sysregWrite(0, { ...ICC_EOIR1_EL1, op0: 7 }, 40n)).toBe(false);
    }
    expect(m.sysregRead32(0, ICC_KEYS.ICC_IAR1_EL1 | 0x1_0000)).toBe(-1);
    expect(m.sysregRead(0, ICC_IAR1_EL1)).toBe(40n);
  });
});

describe('reset values', () => {
  test('the CPU interface resets as KVM (VMCR 0): PMR 0, minimum binary points, groups off, idle', () => {
    const m = createGicv3({ vcpus: 2 });
    for (const k of [0, 1]) {
      expect(m.sysregRead(k, ICC_PMR_EL1)).toBe(0n);
      expect(m.sysregRead(k, ICC_BPR0_EL1)).toBe(2n);
      expect(m.sysregRead(k, ICC_BPR1_EL1)).toBe(3n);
      expect(m.sysregRead(k, ICC_IGRPEN0_EL1)).toBe(0n);
      expect(m.sysregRead(k, ICC_IGRPEN1_EL1)).toBe(0n);
      expect(m.sysregRead(k, ICC_RPR_EL1)).toBe(0xffn);
      expect(m.sysregRead(k, ICC_HPPIR1_EL1)).toBe(1023n);
      expect(m.sysregRead(k, ICC_IAR1_EL1)).toBe(1023n);
      expect(m.sysregRead(k, ICC_AP0R0_EL1)).toBe(0n);
      expect(m.sysregRead(k, ICC_AP1R0_EL1)).toBe(0n);
      expect(m.sysregRead(k, ICC_SRE_EL1)).toBe(7n);
      // PRIbits 4 (5 bits), IDbits 0 (16), A3V, RSS; CBPR and EOImode clear.
      expect(m.sysregRead(k, ICC_CTLR_EL1)).toBe(0x4_8400n);
    }
  });
});

describe('ICC_CTLR_EL1, ICC_SRE_EL1, ICC_PMR_EL1', () => {
  test('ICC_CTLR_EL1 takes only CBPR and EOImode', () => {
    const m = createGicv3({ vcpus: 1 });
    m.sysregWrite(0, ICC_CTLR_EL1, 0xffff_ffff_ffff_ffffn);
    expect(m.sysregRead(0, ICC_CTLR_EL1)).toBe(0x4_8403n);
    m.sysregWrite(0, ICC_CTLR_EL1, 0n);
    expect(m.sysregRead(0, ICC_CTLR_EL1)).toBe(0x4_8400n);
    m.sysregWrite(0, ICC_CTLR_EL1, 2n);
    expect(m.vcpu(0).eoiMode).toBe(1);
  });

  test('ICC_SRE_EL1 is RAO/WI', () => {
    const m = createGicv3({ vcpus: 1 });
    m.sysregWrite(0, ICC_SRE_EL1, 0n);
    expect(m.sysregRead(0, ICC_SRE_EL1)).toBe(7n);
  });

  test('ICC_PMR_EL1 keeps the 5 implemented bits: 0xff reads back 0xf8', () => {
    const m = createGicv3({ vcpus: 1 });
    m.sysregWrite(0, ICC_PMR_EL1, 0x1_0000_00ffn);
    expect(m.sysregRead(0, ICC_PMR_EL1)).toBe(0xf8n);
    m.sysregWrite(0, ICC_PMR_EL1, 0x47n);
    expect(m.sysregRead(0, ICC_PMR_EL1)).toBe(0x40n);
  });

  test('PMR masks interrupts of its priority or lower', () => {
    const m = machine(0x80);
    m.sysregWrite(0, ICC_PMR_EL1, 0x80n);
    m.inject(32, 1);
    expect(m.sysregRead(0, ICC_IAR1_EL1)).toBe(1023n);
    expect(m.sysregRead(0, ICC_HPPIR1_EL1)).toBe(32n);
    m.sysregWrite(0, ICC_PMR_EL1, 0x88n);
    expect(m.sysregRead(0, ICC_IAR1_EL1)).toBe(32n);
  });
});

describe('binary points', () => {
  test('BPR0 and BPR1 clamp to their minimum (2 and 3) and keep 3 bits', () => {
    const m = createGicv3({ vcpus: 1 });
    m.sysregWrite(0, ICC_BPR0_EL1, 0n);
    m.sysregWrite(0, ICC_BPR1_EL1, 1n);
    expect(m.sysregRead(0, ICC_BPR0_EL1)).toBe(2n);
    expect(m.sysregRead(0, ICC_BPR1_EL1)).toBe(3n);
    m.sysregWrite(0, ICC_BPR0_EL1, 0xfn);
    m.sysregWrite(0, ICC_BPR1_EL1, 5n);
    expect(m.sysregRead(0, ICC_BPR0_EL1)).toBe(7n);
    expect(m.sysregRead(0, ICC_BPR1_EL1)).toBe(5n);
  });

  test('with CBPR set BPR1 reads BPR0 + 1 (at most 7) and ignores writes', () => {
    const m = createGicv3({ vcpus: 1 });
    m.sysregWrite(0, ICC_BPR1_EL1, 5n);
    m.sysregWrite(0, ICC_BPR0_EL1, 3n);
    m.sysregWrite(0, ICC_CTLR_EL1, 1n);
    expect(m.sysregRead(0, ICC_BPR1_EL1)).toBe(4n);
    m.sysregWrite(0, ICC_BPR1_EL1, 6n);
    m.sysregWrite(0, ICC_BPR0_EL1, 7n);
    expect(m.sysregRead(0, ICC_BPR1_EL1)).toBe(7n);
    m.sysregWrite(0, ICC_CTLR_EL1, 0n);
    expect(m.sysregRead(0, ICC_BPR1_EL1)).toBe(5n);
  });

  test('BPR1 decides which priorities preempt: 0x40 preempts 0x48 with BPR1 3, not with BPR1 4', () => {
    for (const [bpr, preempts] of [
      [3n, true],
      [4n, false],
    ] as const) {
      const m = machine();
      m.sysregWrite(0, ICC_BPR1_EL1, bpr);
      m.writeRegister('GICD+0x420', 0x48, { width: 8 });
      m.writeRegister('GICD+0x421', 0x40, { width: 8 });
      m.inject(32, 1);
      expect(m.sysregRead(0, ICC_IAR1_EL1)).toBe(32n);
      m.inject(33, 1);
      expect(m.sysregRead(0, ICC_IAR1_EL1)).toBe(preempts ? 33n : 1023n);
    }
  });
});

describe('acknowledge, priority drop and deactivation', () => {
  test('IAR1 takes Group-1 interrupts and IAR0 Group-0 ones; the other reads 1023', () => {
    const m = machine();
    m.writeRegister('GICD_IGROUPR1', 0xffff_fffe);
    m.writeRegister('GICD+0x421', 0x90, { width: 8 });
    m.inject(32, 1);
    m.inject(33, 1);
    // 32 (Group 0, 0xa0) waits behind 33 (Group 1, 0x90).
    expect(m.sysregRead(0, ICC_HPPIR0_EL1)).toBe(1023n);
    expect(m.sysregRead(0, ICC_HPPIR1_EL1)).toBe(33n);
    expect(m.sysregRead(0, ICC_IAR0_EL1)).toBe(1023n);
    expect(m.sysregRead(0, ICC_IAR1_EL1)).toBe(33n);
    m.sysregWrite(0, ICC_EOIR1_EL1, 33n);
    expect(m.sysregRead(0, ICC_HPPIR0_EL1)).toBe(32n);
    expect(m.sysregRead(0, ICC_IAR1_EL1)).toBe(1023n);
    expect(m.sysregRead(0, ICC_IAR0_EL1)).toBe(32n);
    m.sysregWrite(0, ICC_EOIR0_EL1, 32n);
    expect(m.irq(32)).toMatchObject({ active: false, pending: false });
  });

  test('a disabled group is not acknowledged, and enabling it lets the interrupt through', () => {
    const m = machine();
    m.sysregWrite(0, ICC_IGRPEN1_EL1, 0n);
    m.inject(40, 1);
    expect(m.sysregRead(0, ICC_IAR1_EL1)).toBe(1023n);
    m.sysregWrite(0, ICC_IGRPEN1_EL1, 0xffn);
    expect(m.sysregRead(0, ICC_IGRPEN1_EL1)).toBe(1n);
    expect(m.sysregRead(0, ICC_IAR1_EL1)).toBe(40n);
  });

  test('Group 0 is signalled as FIQ and Group 1 as IRQ', () => {
    const m = machine();
    const seen: [number, boolean, boolean][] = [];
    m.onLine((k, irq, fiq) => seen.push([k, irq, fiq]));
    m.writeRegister('GICD_IGROUPR1', 0xffff_fffe);
    m.inject(32, 1);
    m.enter(0);
    expect(m.fiqLine(0)).toBe(true);
    expect(m.irqLine(0)).toBe(false);
    expect(m.sysregRead(0, ICC_IAR0_EL1)).toBe(32n);
    expect(m.fiqLine(0)).toBe(false);
    m.sysregWrite(0, ICC_EOIR0_EL1, 32n);
    m.inject(33, 1);
    m.enter(0);
    expect(m.irqLine(0)).toBe(true);
    expect(seen).toEqual([
      [0, false, true],
      [0, false, false],
      [0, true, false],
    ]);
  });

  test('acknowledging sets the active priority: AP1R0 bit priority >> 3, RPR the priority; EOI clears both', () => {
    const m = machine(0x40);
    m.inject(32, 1);
    expect(m.sysregRead(0, ICC_IAR1_EL1)).toBe(32n);
    expect(m.sysregRead(0, ICC_AP1R0_EL1)).toBe(1n << 8n);
    expect(m.sysregRead(0, ICC_RPR_EL1)).toBe(0x40n);
    m.sysregWrite(0, ICC_EOIR1_EL1, 32n);
    expect(m.sysregRead(0, ICC_AP1R0_EL1)).toBe(0n);
    expect(m.sysregRead(0, ICC_RPR_EL1)).toBe(0xffn);
  });

  test('AP0R0 is writable and sets the running priority; AP*R1..3 are RAZ/WI', () => {
    const m = machine(0x20);
    m.sysregWrite(0, ICC_AP0R0_EL1, 1n << 2n);
    expect(m.sysregRead(0, ICC_RPR_EL1)).toBe(0x10n);
    m.inject(32, 1);
    expect(m.sysregRead(0, ICC_IAR1_EL1)).toBe(1023n);
    m.sysregWrite(0, ICC_AP0R0_EL1, 0n);
    expect(m.sysregRead(0, ICC_IAR1_EL1)).toBe(32n);
    m.sysregWrite(0, ICC_AP1R1_EL1, 0xffff_ffffn);
    m.sysregWrite(0, ICC_AP1R3_EL1, 1n);
    expect(m.sysregRead(0, ICC_AP1R1_EL1)).toBe(0n);
    expect(m.sysregRead(0, ICC_AP1R3_EL1)).toBe(0n);
    expect(m.vcpu(0).apr).toEqual([0, 0, 0, 0, 1 << 4, 0, 0, 0]);
  });

  test('with EOImode 1, EOIR only drops the priority and DIR deactivates', () => {
    const m = machine();
    m.sysregWrite(0, ICC_CTLR_EL1, 2n);
    m.inject(35, 1);
    expect(m.sysregRead(0, ICC_IAR1_EL1)).toBe(35n);
    m.sysregWrite(0, ICC_EOIR1_EL1, 35n);
    expect(m.sysregRead(0, ICC_RPR_EL1)).toBe(0xffn);
    expect(m.irq(35).active).toBe(true);
    m.sysregWrite(0, ICC_DIR_EL1, 35n);
    expect(m.irq(35).active).toBe(false);
  });

  test('with EOImode 0, DIR is ignored', () => {
    const m = machine();
    m.inject(35, 1);
    m.sysregRead(0, ICC_IAR1_EL1);
    m.sysregWrite(0, ICC_DIR_EL1, 35n);
    expect(m.irq(35).active).toBe(true);
  });

  test('EOIR and DIR take the INTID from bits 23:0 of a 64-bit value', () => {
    const m = machine();
    m.inject(36, 1);
    m.sysregRead(0, ICC_IAR1_EL1);
    m.sysregWrite(0, ICC_EOIR1_EL1, (0xdead_beefn << 32n) | 0xff00_0024n);
    expect(m.irq(36).active).toBe(false);
  });
});
