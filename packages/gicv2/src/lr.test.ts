import { describe, expect, it } from 'vitest';
import { decodeGichLr, encodeGichLr } from './lr.js';
import { bringUp, enable, gicv2, rd, wr } from './testutil.js';

describe('the GICH_LR encoding', () => {
  it('places a software interrupt\'s fields as IHI 0048B lays them out', () => {
    const w = encodeGichLr({ virtualId: 5, cpuId: 2, state: 1, priority: 0xa0, eoi: true });
    expect(w).toBe(5 | (2 << 10) | (1 << 19) | ((0xa0 >> 3) << 23) | (1 << 28));
    expect(w).toBe(0x1a080805);
  });

  it('places a hardware interrupt\'s physical INTID in bits 19:10, with no EOI bit or CPUID', () => {
    const w = encodeGichLr({ virtualId: 27, physicalId: 30, hw: true, state: 2, group: 1, eoi: true, cpuId: 7 });
    expect(w).toBe(0xe000781b);
  });

  it('keeps the top five priority bits and two state bits', () => {
    expect(decodeGichLr(encodeGichLr({ virtualId: 1, priority: 0xff, state: 3 })).priority).toBe(0xf8);
    expect(decodeGichLr(encodeGichLr({ virtualId: 1, state: 3 })).state).toBe(3);
    expect(encodeGichLr({ virtualId: 0x7ff })).toBe(0x3ff);
  });

  it('decodes what it encodes', () => {
    const sw = { virtualId: 40, state: 3, priority: 0x48, group: 1, hw: false, physicalId: 0, cpuId: 0, eoi: true };
    const hw = { virtualId: 27, state: 2, priority: 0, group: 0, hw: true, physicalId: 1019, cpuId: 0, eoi: false };
    const sgi = { virtualId: 3, state: 1, priority: 0xf8, group: 0, hw: false, physicalId: 0, cpuId: 5, eoi: false };
    for (const f of [sw, hw, sgi]) expect(decodeGichLr(encodeGichLr(f))).toEqual(f);
    expect(decodeGichLr(BigInt(encodeGichLr(sgi)))).toEqual(sgi);
  });
});

describe('the backend\'s list registers and routes', () => {
  it('encodes a vCPU\'s live LRs: an SGI with its source, a level SPI with EOI, a mapped PPI with HW', () => {
    const m = gicv2({ vcpus: 3, lrs: 4 });
    bringUp(m);
    wr(m, 'GICD+0x403', 0x10, 0, 8); // SGI 3 at 0x10
    wr(m, 'GICD+0x41b', 0x20, 0, 8); // PPI 27 at 0x20
    wr(m, 'GICD+0x428', 0x30, 0, 8); // SPI 40 at 0x30
    wr(m, 'GICD_ICFGR2', 0); // SPIs 32-47 level
    enable(m, 27);
    enable(m, 40);
    m.mapHw(27, 30, 0);
    wr(m, 'GICD_SGIR', (1 << 16) | 3, 2);
    m.inject(27, 1, 0);
    m.inject(40, 1);
    m.enter(0);
    const lrs = m.listRegisters(0).map((lr) => ({ intid: lr.intid, word: Number(lr.encoded) }));
    expect(lrs).toEqual([
      { intid: 3, word: encodeGichLr({ virtualId: 3, cpuId: 2, state: 1, priority: 0x10 }) },
      { intid: 27, word: encodeGichLr({ virtualId: 27, physicalId: 30, hw: true, state: 1, priority: 0x20 }) },
      { intid: 40, word: encodeGichLr({ virtualId: 40, eoi: true, state: 1, priority: 0x30 }) },
    ]);
    // Acknowledged, the SGI's LR shows the active state.
    expect(rd(m, 'GICC_IAR')).toBe(3 | (2 << 10));
    expect(decodeGichLr(m.listRegisters(0)[0]!.encoded).state).toBe(2);
  });

  it('describes a route by its target bits, and an empty byte as vCPU 0', () => {
    const m = gicv2({ vcpus: 4 });
    const slot = (intid: number, vcpu = 0): number => m.vgic.slotOf(intid, vcpu);
    wr(m, 'GICD+0x828', 0b101, 0, 8);
    expect(m.backend.describeRoute(m.vgic, slot(40))).toBe('cpu0|cpu2');
    expect(m.backend.describeRoute(m.vgic, slot(41))).toBe('none (cpu0)');
    expect(m.backend.describeRoute(m.vgic, slot(20, 3))).toBe('cpu3');
  });

  it('computes the target from the routing word', () => {
    const m = gicv2({ vcpus: 4 });
    const s = m.vgic.slotOf(40, 0);
    wr(m, 'GICD+0x828', 0b1100, 0, 8);
    expect(m.backend.routeTarget(m.vgic, s)).toBe(2);
    expect(m.backend.routeTarget(m.vgic, m.vgic.slotOf(7, 3))).toBe(3);
  });
});
