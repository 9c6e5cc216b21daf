import { describe, expect, it } from 'vitest';
import type { AccessWidth } from '@vgic/core';
import { DEFAULT_GICD_BASE } from './backend.js';
import { GICD_IIDR_VALUE } from './regs/gicd.js';
import { enable, gicv2, rd, wr } from './testutil.js';

const D = DEFAULT_GICD_BASE;

/** kvm-unit-tests' test_readonly_32: three patterns written, the value never moves. */
function expectReadOnly(m: ReturnType<typeof gicv2>, name: string, vcpu = 0): void {
  const orig = rd(m, name, vcpu);
  for (const pattern of [0xffffffff, 0xa5a55a5a, 0]) {
    wr(m, name, pattern, vcpu);
    expect(rd(m, name, vcpu), `${name} after writing ${pattern.toString(16)}`).toBe(orig);
  }
}

function expectRazWi(m: ReturnType<typeof gicv2>, name: string, vcpu = 0, width?: AccessWidth): void {
  expect(rd(m, name, vcpu, width), `${name} reads as zero`).toBe(0);
  wr(m, name, 0xffffffff, vcpu, width);
  expect(rd(m, name, vcpu, width), `${name} ignores writes`).toBe(0);
}

describe('GICD_CTLR', () => {
  it('resets to 0: the distributor is disabled', () => {
    expect(rd(gicv2(), 'GICD_CTLR')).toBe(0);
  });

  it('keeps only bit 0, one enable for both groups as KVM', () => {
    const m = gicv2();
    wr(m, 'GICD_CTLR', 0xffffffff);
    expect(rd(m, 'GICD_CTLR')).toBe(1);
    wr(m, 'GICD_CTLR', 0b10);
    expect(rd(m, 'GICD_CTLR')).toBe(0);
  });

  it('forwards interrupts of both groups once enabled', () => {
    const m = gicv2();
    wr(m, 'GICD_IGROUPR1', 1 << 9); // INTID 41 in group 1
    enable(m, 40);
    enable(m, 41);
    m.inject(40, 1);
    m.inject(41, 1);
    expect(m.irq(40).queued).toBeNull();
    wr(m, 'GICD_CTLR', 1);
    expect(m.irq(40).queued).toBe(0);
    expect(m.irq(41).queued).toBe(0);
  });
});

describe('GICD_TYPER', () => {
  it('reports ITLinesNumber and CPUNumber for the machine', () => {
    expect(rd(gicv2({ vcpus: 2, spis: 64 }), 'GICD_TYPER')).toBe(0x22);
    expect(rd(gicv2({ vcpus: 8, spis: 960 }), 'GICD_TYPER')).toBe(30 | (7 << 5));
    expect(rd(gicv2({ vcpus: 1, spis: 0 }), 'GICD_TYPER')).toBe(0);
  });

  it('is read-only', () => {
    expectReadOnly(gicv2({ vcpus: 3 }), 'GICD_TYPER');
  });
});

describe('GICD_IIDR and GICD_ICPIDR2', () => {
  it('GICD_IIDR reads KVM\'s value and is read-only', () => {
    const m = gicv2();
    expect(rd(m, 'GICD_IIDR')).toBe(0x4b00343b);
    expect(GICD_IIDR_VALUE >>> 0).toBe(0x4b00343b);
    expectReadOnly(m, 'GICD_IIDR');
  });

  it('GICD_ICPIDR2 reads zero, as KVM\'s GICv2 has no ID registers, and is read-only', () => {
    const m = gicv2();
    expect(rd(m, 'GICD_ICPIDR2')).toBe(0);
    expectReadOnly(m, 'GICD_ICPIDR2');
  });
});

describe('GICD_IGROUPR', () => {
  it('resets every interrupt to group 0', () => {
    const m = gicv2({ vcpus: 2 });
    for (const n of [0, 1, 2]) expect(rd(m, `GICD_IGROUPR${n}`, 1)).toBe(0);
  });

  it('is writable bit by bit, banked for INTIDs 0-31', () => {
    const m = gicv2({ vcpus: 2 });
    wr(m, 'GICD_IGROUPR0', 0x8000_0001, 1);
    wr(m, 'GICD_IGROUPR1', 0x0000_0300);
    expect(rd(m, 'GICD_IGROUPR0', 1)).toBe(0x8000_0001);
    expect(rd(m, 'GICD_IGROUPR0', 0)).toBe(0);
    expect(rd(m, 'GICD_IGROUPR1', 1)).toBe(0x300);
    expect(m.irq(31, 1).group).toBe(1);
    expect(m.irq(41).group).toBe(1);
  });

  it('is RAZ/WI beyond the last interrupt', () => {
    expectRazWi(gicv2({ spis: 64 }), 'GICD_IGROUPR3');
  });
});

describe('GICD_ISENABLER / GICD_ICENABLER', () => {
  it('reset: SGIs enabled, PPIs and SPIs disabled', () => {
    const m = gicv2();
    expect(rd(m, 'GICD_ISENABLER0')).toBe(0x0000ffff);
    expect(rd(m, 'GICD_ICENABLER0')).toBe(0x0000ffff);
    expect(rd(m, 'GICD_ISENABLER1')).toBe(0);
  });

  it('set and clear only the bits written as one', () => {
    const m = gicv2();
    wr(m, 'GICD_ISENABLER1', 0x0000_0101);
    wr(m, 'GICD_ISENABLER1', 0x8000_0000);
    expect(rd(m, 'GICD_ISENABLER1')).toBe(0x8000_0101);
    wr(m, 'GICD_ICENABLER1', 0x0000_0001);
    expect(rd(m, 'GICD_ICENABLER1')).toBe(0x8000_0100);
    wr(m, 'GICD_ICENABLER0', 0x0000_0001);
    expect(rd(m, 'GICD_ISENABLER0')).toBe(0x0000_fffe);
  });

  it('are banked per vCPU for INTIDs 0-31', () => {
    const m = gicv2({ vcpus: 2 });
    wr(m, 'GICD_ISENABLER0', 1 << 27, 1);
    expect(rd(m, 'GICD_ISENABLER0', 1)).toBe(0x0800_ffff);
    expect(rd(m, 'GICD_ISENABLER0', 0)).toBe(0x0000_ffff);
  });

  it('are RAZ/WI beyond the last interrupt', () => {
    const m = gicv2({ spis: 64 });
    expectRazWi(m, 'GICD_ISENABLER3');
    expectRazWi(m, 'GICD_ICENABLER31');
  });

  it('ignore byte and halfword accesses', () => {
    const m = gicv2();
    expect(rd(m, 'GICD+0x100', 0, 8)).toBe(0);
    expect(rd(m, 'GICD+0x100', 0, 16)).toBe(0);
    wr(m, 'GICD+0x104', 0xff, 0, 8);
    wr(m, 'GICD+0x104', 0xffff, 0, 16);
    expect(rd(m, 'GICD_ISENABLER1')).toBe(0);
  });
});

describe('GICD_ISPENDR / GICD_ICPENDR', () => {
  it('reset to nothing pending', () => {
    const m = gicv2();
    expect(rd(m, 'GICD_ISPENDR0')).toBe(0);
    expect(rd(m, 'GICD_ISPENDR1')).toBe(0);
  });

  it('set and clear the pending state of PPIs and SPIs', () => {
    const m = gicv2();
    wr(m, 'GICD_ISPENDR0', 0x0001_0000);
    wr(m, 'GICD_ISPENDR1', 0x0000_0003);
    expect(rd(m, 'GICD_ICPENDR0')).toBe(0x0001_0000);
    expect(rd(m, 'GICD_ISPENDR1')).toBe(3);
    wr(m, 'GICD_ICPENDR1', 1);
    expect(rd(m, 'GICD_ISPENDR1')).toBe(2);
  });

  it('ignore SGI bits: GICv2 SGIs are pended per source through SPENDSGIR', () => {
    const m = gicv2();
    wr(m, 'GICD_ISPENDR0', 0x0000_ffff);
    expect(rd(m, 'GICD_ISPENDR0')).toBe(0);
    wr(m, 'GICD_SPENDSGIR0', 0x01);
    wr(m, 'GICD_ICPENDR0', 0x0000_ffff);
    expect(rd(m, 'GICD_ISPENDR0')).toBe(1);
  });

  it('ICPENDR leaves a level interrupt pending while its line is high', () => {
    const m = gicv2();
    wr(m, 'GICD_ICFGR2', 0); // INTIDs 32-47 level
    m.inject(40, 1);
    wr(m, 'GICD_ICPENDR1', 1 << 8);
    expect(rd(m, 'GICD_ISPENDR1')).toBe(1 << 8);
    m.inject(40, 0);
    expect(rd(m, 'GICD_ISPENDR1')).toBe(0);
  });

  it('are RAZ/WI beyond the last interrupt', () => {
    const m = gicv2({ spis: 32 });
    expectRazWi(m, 'GICD_ISPENDR2');
    expectRazWi(m, 'GICD_ICPENDR2');
  });
});

describe('GICD_ISACTIVER / GICD_ICACTIVER', () => {
  it('reset to nothing active', () => {
    const m = gicv2();
    expect(rd(m, 'GICD_ISACTIVER0')).toBe(0);
    expect(rd(m, 'GICD_ISACTIVER1')).toBe(0);
  });

  it('set and clear the active state, banked for INTIDs 0-31', () => {
    const m = gicv2({ vcpus: 2 });
    wr(m, 'GICD_ISACTIVER0', 0x0000_0004, 1);
    wr(m, 'GICD_ISACTIVER1', 0x0000_0010);
    expect(rd(m, 'GICD_ICACTIVER0', 1)).toBe(4);
    expect(rd(m, 'GICD_ICACTIVER0', 0)).toBe(0);
    expect(rd(m, 'GICD_ISACTIVER1')).toBe(0x10);
    expect(m.irq(36).active).toBe(true);
    wr(m, 'GICD_ICACTIVER1', 0x10);
    wr(m, 'GICD_ICACTIVER0', 4, 1);
    expect(rd(m, 'GICD_ISACTIVER1')).toBe(0);
    expect(rd(m, 'GICD_ISACTIVER0', 1)).toBe(0);
  });

  it('are RAZ/WI beyond the last interrupt', () => {
    const m = gicv2({ spis: 32 });
    expectRazWi(m, 'GICD_ISACTIVER2');
    expectRazWi(m, 'GICD_ICACTIVER2');
  });
});

describe('GICD_IPRIORITYR', () => {
  it('resets every priority to 0', () => {
    const m = gicv2();
    for (const n of [0, 4, 8, 23]) expect(rd(m, `GICD_IPRIORITYR${n}`)).toBe(0);
  });

  it('implements five priority bits: 0xff reads 0xf8', () => {
    const m = gicv2();
    wr(m, 'GICD_IPRIORITYR8', 0xffffffff);
    expect(rd(m, 'GICD_IPRIORITYR8')).toBe(0xf8f8f8f8);
    wr(m, 'GICD_IPRIORITYR8', 0xff7fbf3f);
    expect(rd(m, 'GICD_IPRIORITYR8')).toBe(0xf878b838);
    expect(m.irq(35).priority).toBe(0xf8);
  });

  it('is byte-accessible (kvm-unit-tests test_byte_access)', () => {
    const m = gicv2();
    wr(m, 'GICD_IPRIORITYR8', 0xff7fbf3f);
    expect(rd(m, 'GICD+0x421', 0, 8)).toBe(0xb8);
    wr(m, 'GICD+0x422', 0x1f, 0, 8);
    expect(rd(m, 'GICD_IPRIORITYR8')).toBe(0xf818b838);
    wr(m, 'GICD+0x429', 0xa0, 0, 8);
    expect(m.irq(41).priority).toBe(0xa0);
  });

  it('ignores halfword and unaligned word accesses', () => {
    const m = gicv2();
    wr(m, 'GICD+0x420', 0xffff, 0, 16);
    wr(m, 'GICD+0x421', 0xffffffff, 0, 32);
    expect(rd(m, 'GICD_IPRIORITYR8')).toBe(0);
    wr(m, 'GICD_IPRIORITYR8', 0x80808080);
    expect(rd(m, 'GICD+0x422', 0, 16)).toBe(0);
    expect(rd(m, 'GICD+0x421', 0, 32)).toBe(0);
  });

  it('is banked for the private interrupts', () => {
    const m = gicv2({ vcpus: 2 });
    wr(m, 'GICD+0x403', 0x40, 1, 8);
    expect(m.irq(3, 1).priority).toBe(0x40);
    expect(m.irq(3, 0).priority).toBe(0);
    expect(rd(m, 'GICD_IPRIORITYR0', 1)).toBe(0x40000000);
  });

  it('is RAZ/WI beyond the last interrupt (test_priorities "accesses beyond limit")', () => {
    const m = gicv2({ spis: 64 });
    expectRazWi(m, 'GICD_IPRIORITYR24');
    expectRazWi(m, 'GICD+0x460', 0, 8);
    wr(m, 'GICD_IPRIORITYR23', 0xffffffff);
    expect(rd(m, 'GICD_IPRIORITYR23')).toBe(0xf8f8f8f8);
  });
});

describe('GICD_ITARGETSR', () => {
  it.each([1, 3, 8])('with %i vCPUs masks bits of vCPUs that do not exist (kvm-unit-tests test_targets)', (nrCpus) => {
    const m = gicv2({ vcpus: nrCpus, spis: 64 });
    const lane = (1 << nrCpus) - 1;
    const cpuMask = (lane | (lane << 8) | (lane << 16) | (lane << 24)) >>> 0;
    const first = 'GICD_ITARGETSR8';

    wr(m, first, 0xffffffff);
    expect(rd(m, first) & ~cpuMask).toBe(0);
    expect(rd(m, first)).toBe(cpuMask);

    expectRazWi(m, 'GICD_ITARGETSR24');

    const pattern = 0x0103020f;
    wr(m, first, pattern);
    expect(rd(m, first)).toBe((pattern & cpuMask) >>> 0);

    // Byte access: byte 1 reads alone; byte 2 writes alone.
    expect(rd(m, 'GICD+0x821', 0, 8)).toBe(((pattern >>> 8) & 0xff) & lane);
    wr(m, 'GICD+0x822', 0x1f, 0, 8);
    const replaced = ((pattern & ~0x00ff0000) | (0x1f << 16)) >>> 0;
    expect(rd(m, first)).toBe((replaced & cpuMask) >>> 0);
  });

  it('routes an SPI to the lowest target bit', () => {
    const m = gicv2({ vcpus: 3 });
    wr(m, 'GICD+0x828', 0b110, 0, 8);
    expect(m.irq(40).target).toBe(1);
    wr(m, 'GICD+0x828', 0b100, 0, 8);
    expect(m.irq(40).target).toBe(2);
  });

  it('routes an SPI with no target bit to vCPU 0, as KVM does', () => {
    const m = gicv2({ vcpus: 3 });
    wr(m, 'GICD+0x828', 0b100, 0, 8);
    wr(m, 'GICD+0x828', 0, 0, 8);
    expect(m.irq(40).target).toBe(0);
    // A bit only for a vCPU that does not exist is no bit at all.
    wr(m, 'GICD+0x828', 0x80, 0, 8);
    expect(rd(m, 'GICD+0x828', 0, 8)).toBe(0);
    expect(m.irq(40).target).toBe(0);
  });

  it('resets SPI targets to 0', () => {
    const m = gicv2({ vcpus: 4 });
    expect(rd(m, 'GICD_ITARGETSR8')).toBe(0);
    expect(m.irq(32).target).toBe(0);
  });

  it('ITARGETSR0-7 are read-only, each vCPU reading its own bit', () => {
    const m = gicv2({ vcpus: 4 });
    for (let k = 0; k < 4; k++) {
      const own = (1 << k) * 0x01010101;
      for (let n = 0; n < 8; n++) expect(rd(m, `GICD_ITARGETSR${n}`, k)).toBe(own >>> 0);
      expect(rd(m, 'GICD+0x81f', k, 8)).toBe(1 << k);
      expectReadOnly(m, 'GICD_ITARGETSR7', k);
      wr(m, 'GICD+0x81f', 0xff, k, 8);
      expect(rd(m, 'GICD+0x81f', k, 8)).toBe(1 << k);
    }
  });

  it('moves a pending SPI to its new target', () => {
    const m = gicv2({ vcpus: 2 });
    wr(m, 'GICD_CTLR', 1);
    enable(m, 40);
    m.inject(40, 1);
    expect(m.irq(40).queued).toBe(0);
    wr(m, 'GICD+0x828', 0b10, 0, 8);
    m.exit(0);
    expect(m.irq(40).queued).toBe(1);
    expect(m.checkInvariants()).toEqual([]);
  });
});

describe('GICD_ICFGR', () => {
  it('reset: SGIs edge, PPIs level, SPIs edge', () => {
    const m = gicv2();
    expect(rd(m, 'GICD_ICFGR0')).toBe(0xaaaaaaaa);
    expect(rd(m, 'GICD_ICFGR1')).toBe(0);
    expect(rd(m, 'GICD_ICFGR2')).toBe(0xaaaaaaaa);
    expect(rd(m, 'GICD_ICFGR5')).toBe(0xaaaaaaaa);
  });

  it('SGI and PPI configuration is read-only', () => {
    const m = gicv2();
    expectReadOnly(m, 'GICD_ICFGR0');
    expectReadOnly(m, 'GICD_ICFGR1');
  });

  it('SPIs take the odd bit of each pair: edge (1) or level (0)', () => {
    const m = gicv2();
    wr(m, 'GICD_ICFGR2', 0x55555555);
    expect(rd(m, 'GICD_ICFGR2')).toBe(0);
    expect(m.irq(32).config).toBe('level');
    wr(m, 'GICD_ICFGR2', 0xffffffff);
    expect(rd(m, 'GICD_ICFGR2')).toBe(0xaaaaaaaa);
    wr(m, 'GICD_ICFGR2', 0x00020000);
    expect(rd(m, 'GICD_ICFGR2')).toBe(0x00020000);
    expect(m.irq(40).config).toBe('edge');
    expect(m.irq(41).config).toBe('level');
  });

  it('is RAZ/WI beyond the last interrupt', () => {
    expectRazWi(gicv2({ spis: 64 }), 'GICD_ICFGR6');
  });
});

describe('GICD_SGIR', () => {
  it('is write-only: reads as zero', () => {
    const m = gicv2({ vcpus: 2 });
    wr(m, 'GICD_SGIR', 0x00020003);
    expect(rd(m, 'GICD_SGIR')).toBe(0);
  });

  it('TargetListFilter 0 sends to the vCPUs in CPUTargetList, recording the sender', () => {
    const m = gicv2({ vcpus: 4 });
    wr(m, 'GICD_SGIR', (0b1010 << 16) | 5, 2);
    for (let k = 0; k < 4; k++) {
      const expected = k === 1 || k === 3 ? 1 << 2 : 0;
      expect(rd(m, 'GICD+0xf25', k, 8), `vCPU ${k}`).toBe(expected);
    }
  });

  it('TargetListFilter 1 sends to every vCPU but the sender', () => {
    const m = gicv2({ vcpus: 4 });
    wr(m, 'GICD_SGIR', (1 << 24) | (0xff << 16) | 7, 1);
    for (let k = 0; k < 4; k++) {
      expect(rd(m, 'GICD+0xf27', k, 8), `vCPU ${k}`).toBe(k === 1 ? 0 : 1 << 1);
    }
  });

  it('TargetListFilter 2 sends to the sender only', () => {
    const m = gicv2({ vcpus: 4 });
    wr(m, 'GICD_SGIR', (2 << 24) | (0b1111 << 16) | 9, 3);
    for (let k = 0; k < 4; k++) {
      expect(rd(m, 'GICD+0xf29', k, 8), `vCPU ${k}`).toBe(k === 3 ? 1 << 3 : 0);
    }
  });

  it('TargetListFilter 3 is reserved and sends nothing', () => {
    const m = gicv2({ vcpus: 2 });
    wr(m, 'GICD_SGIR', (3 << 24) | (0b11 << 16) | 1, 0);
    expect(rd(m, 'GICD_SPENDSGIR0', 0)).toBe(0);
    expect(rd(m, 'GICD_SPENDSGIR0', 1)).toBe(0);
  });

  it('ignores target bits of vCPUs that do not exist, and NSATT', () => {
    const m = gicv2({ vcpus: 2 });
    wr(m, 'GICD_SGIR', (0xfc << 16) | 1, 0);
    expect(m.checkInvariants()).toEqual([]);
    expect(rd(m, 'GICD_SPENDSGIR0', 1)).toBe(0);
    wr(m, 'GICD_SGIR', (0x02 << 16) | (1 << 15) | 1, 0);
    expect(rd(m, 'GICD+0xf21', 1, 8)).toBe(1);
  });

  it('ignores byte accesses', () => {
    const m = gicv2({ vcpus: 2 });
    wr(m, 'GICD+0xf02', 0x02, 0, 8);
    wr(m, 'GICD+0xf00', 0x01, 0, 8);
    expect(rd(m, 'GICD_SPENDSGIR0', 1)).toBe(0);
  });
});

describe('GICD_CPENDSGIR / GICD_SPENDSGIR', () => {
  it('reset to no SGI pending from any source', () => {
    const m = gicv2({ vcpus: 2 });
    for (let n = 0; n < 4; n++) {
      expect(rd(m, `GICD_SPENDSGIR${n}`, 1)).toBe(0);
      expect(rd(m, `GICD_CPENDSGIR${n}`, 1)).toBe(0);
    }
  });

  it('set and clear source bits per SGI byte, banked per vCPU', () => {
    const m = gicv2({ vcpus: 4 });
    wr(m, 'GICD_SPENDSGIR1', 0x0c000500, 2); // SGI 5 from 0 and 2; SGI 7 from 2 and 3
    expect(rd(m, 'GICD_SPENDSGIR1', 2)).toBe(0x0c000500);
    expect(rd(m, 'GICD_CPENDSGIR1', 2)).toBe(0x0c000500);
    expect(rd(m, 'GICD_SPENDSGIR1', 0)).toBe(0);
    expect(m.irq(5, 2).sources).toEqual([0, 2]);
    expect(rd(m, 'GICD_ISPENDR0', 2)).toBe((1 << 5) | (1 << 7));

    wr(m, 'GICD+0xf15', 0x01, 2, 8); // clear source 0 of SGI 5
    expect(rd(m, 'GICD+0xf25', 2, 8)).toBe(0x04);
    wr(m, 'GICD_CPENDSGIR1', 0xffffffff, 2);
    expect(rd(m, 'GICD_SPENDSGIR1', 2)).toBe(0);
    expect(rd(m, 'GICD_ISPENDR0', 2)).toBe(0);
  });

  it('ignore source bits of vCPUs that do not exist', () => {
    const m = gicv2({ vcpus: 2 });
    wr(m, 'GICD_SPENDSGIR0', 0xfcfcfcfc);
    expect(rd(m, 'GICD_SPENDSGIR0')).toBe(0);
    expect(rd(m, 'GICD_ISPENDR0')).toBe(0);
    wr(m, 'GICD+0xf22', 0xff, 0, 8);
    expect(rd(m, 'GICD_SPENDSGIR0')).toBe(0x00030000);
  });

  it('ignore halfword accesses', () => {
    const m = gicv2({ vcpus: 2 });
    wr(m, 'GICD+0xf20', 0x0101, 0, 16);
    expect(rd(m, 'GICD_SPENDSGIR0')).toBe(0);
    wr(m, 'GICD_SPENDSGIR0', 0x0101);
    expect(rd(m, 'GICD+0xf20', 0, 16)).toBe(0);
  });
});

describe('the GICD frame', () => {
  it('reads offsets no register holds as zero and ignores writes to them', () => {
    const m = gicv2();
    for (const off of [0x00c, 0x040, 0x7fc, 0xbfc, 0xe00, 0xf04, 0xf30, 0xfd0, 0xffc]) {
      expectRazWi(m, `GICD+0x${off.toString(16)}`);
    }
  });

  it('ignores 64-bit accesses', () => {
    const m = gicv2();
    expect(m.mmioWrite(0, D + 0x100, 64, 0xffffffffffffffffn)).toBe(true);
    expect(m.mmioRead(0, D + 0x100, 64)).toBe(0n);
    expect(rd(m, 'GICD_ISENABLER1')).toBe(0);
  });

  it('traps: a distributor access folds the running vCPU\'s list registers', () => {
    const m = gicv2();
    wr(m, 'GICD_CTLR', 1);
    wr(m, 'GICC_PMR', 0xff);
    wr(m, 'GICC_CTLR', 1);
    enable(m, 40);
    m.inject(40, 1);
    expect(rd(m, 'GICC_IAR')).toBe(40);
    const events: string[] = [];
    m.onTrace((e) => events.push(e.type));
    rd(m, 'GICC_RPR');
    wr(m, 'GICC_EOIR', 40);
    expect(events).not.toContain('fold');
    rd(m, 'GICD_CTLR');
    expect(events).toContain('fold');
  });
});
