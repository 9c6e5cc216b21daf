import { expect, test } from 'vitest';
import { createGicv3, ICC_BPR0_EL1, ICC_IGRPEN1_EL1, ICC_PMR_EL1 } from './index.js';
import { read32 } from './fixtures.js';

test('reset state is KVM\'s: Group 1 everywhere, SGIs enabled and edge, PPIs level, SPIs edge to 0.0.0.0, priority 0', () => {
  const m = createGicv3({ vcpus: 2, spis: 32 });
  for (const k of [0, 1]) {
    for (let intid = 0; intid < 32; intid++) {
      expect(m.irq(intid, k)).toMatchObject({
        group: 1,
        priority: 0,
        enabled: intid < 16,
        config: intid < 16 ? 'edge' : 'level',
        target: k,
        pending: false,
        active: false,
      });
    }
  }
  for (let intid = 32; intid < 64; intid++) {
    expect(m.irq(intid)).toMatchObject({ group: 1, priority: 0, enabled: false, config: 'edge', target: 0 });
    expect(m.readRegister(`GICD_IROUTER${intid}`)).toBe(0n);
  }
  expect(read32(m, 'GICD_CTLR') & 3).toBe(0);
  expect(m.vcpu(1)).toMatchObject({ pmr: 0, bpr0: 2, bpr1: 3, groupEnable: [false, false], eoiMode: 0, cbpr: false });
  expect(m.vgic.fiqEn[1]).toBe(1);
});

test('Machine.reset restores the reset state after the guest changed it', () => {
  const m = createGicv3({ vcpus: 2, spis: 32 });
  m.writeRegister('GICD_CTLR', 0x13);
  m.writeRegister('GICD_IGROUPR1', 0);
  m.writeRegister('GICD_IROUTER40', 0x8000_0001n);
  m.writeRegister('GICD_ICFGR2', 0);
  m.writeRegister('GICR_IPRIORITYR4', 0x8080_8080, { rd: 1 });
  m.sysregWrite(1, ICC_PMR_EL1, 0xf0n);
  m.sysregWrite(1, ICC_BPR0_EL1, 6n);
  m.sysregWrite(1, ICC_IGRPEN1_EL1, 1n);
  m.reset();
  expect(read32(m, 'GICD_CTLR')).toBe(0x50);
  expect(read32(m, 'GICD_IGROUPR1')).toBe(0xffff_ffff);
  expect(m.readRegister('GICD_IROUTER40')).toBe(0n);
  expect(m.irq(40).target).toBe(0);
  expect(read32(m, 'GICD_ICFGR2')).toBe(0xaaaa_aaaa);
  expect(read32(m, 'GICR_IPRIORITYR4', { rd: 1 })).toBe(0);
  expect(m.vcpu(1)).toMatchObject({ pmr: 0, bpr0: 2, groupEnable: [false, false] });
});
