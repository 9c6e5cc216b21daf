import { describe, expect, test } from 'vitest';
import { createGicv3, encodeIchLr } from './index.js';
import { bringUp } from './fixtures.js';

describe('ICH_LR<n>_EL2 encoding', () => {
  test('vINTID 31:0, EOI 41, Priority 55:48, Group 60, State 63:62 for a software interrupt', () => {
    const lr = encodeIchLr({ intid: 40, state: 1, priority: 0xa8, group: 1, hw: false, hostIntid: 0x55, eoi: true });
    expect(lr).toBe((1n << 62n) | (1n << 60n) | (0xa8n << 48n) | (1n << 41n) | 40n);
  });

  test('HW 61 and pINTID 44:32 for a hardware interrupt, never the EOI bit', () => {
    const lr = encodeIchLr({ intid: 27, state: 3, priority: 0, group: 0, hw: true, hostIntid: 0x1abc, eoi: true });
    expect(lr).toBe((3n << 62n) | (1n << 61n) | (0x1abcn << 32n) | 27n);
  });

  test('an active Group-1 interrupt with priority 0xf8 sets the top bits without sign trouble', () => {
    const lr = encodeIchLr({ intid: 1019, state: 2, priority: 0xf8, group: 1, hw: false, hostIntid: 0, eoi: false });
    expect(lr).toBe((2n << 62n) | (1n << 60n) | (0xf8n << 48n) | 1019n);
    expect(lr < 1n << 64n).toBe(true);
  });

  test('a machine\'s list registers are reported in this encoding', () => {
    const m = createGicv3({ vcpus: 1 });
    bringUp(m);
    m.writeRegister('GICD_ICFGR2', 0xaaaa_aaa2);
    m.writeRegister('GICD_ISENABLER1', 0x2);
    m.writeRegister('GICD+0x421', 0x60, { width: 8 });
    m.writeRegister('GICR_ISENABLER0', 1 << 27);
    m.mapHw(27, 0x1b, 0);
    m.inject(33, 1);
    m.inject(27, 1, 0);
    m.enter(0);
    const lrs = m.listRegisters(0);
    expect(lrs.map((l) => l.encoded)).toEqual([
      (1n << 62n) | (1n << 61n) | (1n << 60n) | (0x1bn << 32n) | 27n,
      (1n << 62n) | (1n << 60n) | (0x60n << 48n) | (1n << 41n) | 33n,
    ]);
  });
});
