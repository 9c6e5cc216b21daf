import { describe, expect, test } from 'vitest';
import { createGicv3, ICC_ASGI1R_EL1, ICC_IAR1_EL1, ICC_SGI0R_EL1, ICC_SGI1R_EL1 } from './index.js';
import { bringUp, pendingOn } from './fixtures.js';

/** ICC_SGI1R_EL1 fields. */
function sgi(f: { intid: number; targets?: number; aff1?: number; aff2?: number; aff3?: number; rs?: number; irm?: boolean }): bigint {
  return (
    (BigInt(f.aff3 ?? 0) << 48n) |
    (BigInt(f.rs ?? 0) << 44n) |
    (f.irm ? 1n << 40n : 0n) |
    (BigInt(f.aff2 ?? 0) << 32n) |
    (BigInt(f.intid) << 24n) |
    (BigInt(f.aff1 ?? 0) << 16n) |
    BigInt(f.targets ?? 0)
  );
}

describe('ICC_SGI1R_EL1 decode', () => {
  test('Aff1 selects the cluster: TargetList bits 1 and 3 with Aff1 1 reach vCPUs 17 and 19 only', () => {
    const m = createGicv3({ vcpus: 40 });
    m.sysregWrite(0, ICC_SGI1R_EL1, sgi({ intid: 5, aff1: 1, targets: 0b1010 }));
    expect(pendingOn(m, 5)).toEqual([17, 19]);
    m.sysregWrite(0, ICC_SGI1R_EL1, sgi({ intid: 6, aff1: 2, targets: 0x80ff }));
    expect(pendingOn(m, 6)).toEqual([32, 33, 34, 35, 36, 37, 38, 39]);
  });

  test('Aff2 and Aff3 select the cluster too', () => {
    const m = createGicv3({ vcpus: 4, mpidr: [0x0, 0x01_0001, 0x1_0001_0001n, 0x2_0000_0001n] });
    m.sysregWrite(0, ICC_SGI1R_EL1, sgi({ intid: 1, aff2: 1, targets: 0b10 }));
    expect(pendingOn(m, 1)).toEqual([1]);
    m.sysregWrite(0, ICC_SGI1R_EL1, sgi({ intid: 2, aff3: 1, aff2: 1, targets: 0b10 }));
    expect(pendingOn(m, 2)).toEqual([2]);
    m.sysregWrite(0, ICC_SGI1R_EL1, sgi({ intid: 3, aff3: 2, targets: 0b11 }));
    expect(pendingOn(m, 3)).toEqual([3]);
  });

  test('RS selects Aff0 = RS * 16 + bit (beyond KVM, which ignores RS)', () => {
    const m = createGicv3({ vcpus: 4, mpidr: [0x00, 0x05, 0x25, 0x1f] });
    m.sysregWrite(0, ICC_SGI1R_EL1, sgi({ intid: 9, rs: 2, targets: 1 << 5 }));
    expect(pendingOn(m, 9)).toEqual([2]);
    m.sysregWrite(0, ICC_SGI1R_EL1, sgi({ intid: 10, rs: 0, targets: 1 << 5 }));
    expect(pendingOn(m, 10)).toEqual([1]);
    m.sysregWrite(0, ICC_SGI1R_EL1, sgi({ intid: 11, rs: 1, targets: 1 << 15 }));
    expect(pendingOn(m, 11)).toEqual([3]);
    m.sysregWrite(0, ICC_SGI1R_EL1, sgi({ intid: 12, rs: 15, targets: 0xffff }));
    expect(pendingOn(m, 12)).toEqual([]);
  });

  test('IRM = 1 sends to every vCPU but the sender, whatever TargetList says', () => {
    const m = createGicv3({ vcpus: 5 });
    m.sysregWrite(2, ICC_SGI1R_EL1, sgi({ intid: 7, irm: true, targets: 0b100 }));
    expect(pendingOn(m, 7)).toEqual([0, 1, 3, 4]);
  });

  test('TargetList bits that name no vCPU are skipped, and the sender may target itself', () => {
    const m = createGicv3({ vcpus: 2 });
    m.sysregWrite(1, ICC_SGI1R_EL1, sgi({ intid: 4, targets: 0xfffe }));
    expect(pendingOn(m, 4)).toEqual([1]);
    m.sysregWrite(1, ICC_SGI1R_EL1, sgi({ intid: 4, aff1: 9, targets: 0xffff }));
    expect(pendingOn(m, 4)).toEqual([1]);
  });

  test('the SGI registers are write-only: a read gives 0', () => {
    const m = createGicv3({ vcpus: 2 });
    m.sysregWrite(0, ICC_SGI1R_EL1, sgi({ intid: 4, targets: 0b10 }));
    expect(m.sysregRead(0, ICC_SGI1R_EL1)).toBe(0n);
    expect(m.sysregRead(0, ICC_SGI0R_EL1)).toBe(0n);
  });

  test('the target takes the SGI with IAR, INTID only (no source bits on GICv3)', () => {
    const m = createGicv3({ vcpus: 2 });
    bringUp(m);
    m.sysregWrite(0, ICC_SGI1R_EL1, sgi({ intid: 13, targets: 0b10 }));
    expect(m.sysregRead(1, ICC_IAR1_EL1)).toBe(13n);
    expect(m.sysregRead(0, ICC_IAR1_EL1)).toBe(1023n);
  });

  test('an SGI write traps: the sender re-enters with its own SGI already in a list register', () => {
    const m = createGicv3({ vcpus: 2 });
    bringUp(m);
    m.sysregWrite(0, ICC_SGI1R_EL1, sgi({ intid: 2, targets: 0b1 }));
    expect(m.listRegisters(0).map((lr) => lr.intid)).toEqual([2]);
    expect(m.irqLine(0)).toBe(true);
  });
});

describe('SGI groups', () => {
  test('SGI0R raises only Group-0 SGIs and SGI1R only Group-1 SGIs', () => {
    const m = createGicv3({ vcpus: 2 });
    m.writeRegister('GICR_IGROUPR0', ~(1 << 3) >>> 0, { rd: 1 });
    m.sysregWrite(0, ICC_SGI1R_EL1, sgi({ intid: 3, targets: 0b10 }));
    m.sysregWrite(0, ICC_SGI0R_EL1, sgi({ intid: 4, targets: 0b10 }));
    expect(pendingOn(m, 3)).toEqual([]);
    expect(pendingOn(m, 4)).toEqual([]);
    m.sysregWrite(0, ICC_SGI0R_EL1, sgi({ intid: 3, targets: 0b10 }));
    m.sysregWrite(0, ICC_SGI1R_EL1, sgi({ intid: 4, targets: 0b10 }));
    expect(pendingOn(m, 3)).toEqual([1]);
    expect(pendingOn(m, 4)).toEqual([1]);
  });

  test('the group is the target\'s: one broadcast reaches only the vCPUs where the SGI is in that group', () => {
    const m = createGicv3({ vcpus: 3 });
    m.writeRegister('GICR_IGROUPR0', 0xffff_fffe, { rd: 2 });
    m.sysregWrite(0, ICC_SGI0R_EL1, sgi({ intid: 0, irm: true }));
    expect(pendingOn(m, 0)).toEqual([2]);
    m.sysregWrite(0, ICC_SGI1R_EL1, sgi({ intid: 0, irm: true }));
    expect(pendingOn(m, 0)).toEqual([1, 2]);
  });

  test('ASGI1R raises Group-0 SGIs with one security state, as QEMU does', () => {
    const m = createGicv3({ vcpus: 2 });
    m.writeRegister('GICR_IGROUPR0', ~(1 << 3) >>> 0, { rd: 1 });
    m.sysregWrite(0, ICC_ASGI1R_EL1, sgi({ intid: 3, targets: 0b10 }));
    m.sysregWrite(0, ICC_ASGI1R_EL1, sgi({ intid: 4, targets: 0b10 }));
    expect(pendingOn(m, 3)).toEqual([1]);
    expect(pendingOn(m, 4)).toEqual([]);
  });
});
