import { describe, expect, it } from 'vitest';
import { DEFAULT_GICC_BASE } from './backend.js';
import { bringUp, enable, gicv2, rd, wr } from './testutil.js';

const C = DEFAULT_GICC_BASE;

/** A machine with the distributor on, vCPU 0's interface taking group 0, and SPIs at the given priorities enabled. */
function withSpis(prios: Record<number, number>, ctlr = 0b01, options: Parameters<typeof gicv2>[0] = {}) {
  const m = gicv2(options);
  bringUp(m, ctlr);
  for (const [intid, prio] of Object.entries(prios)) {
    wr(m, `GICD+0x${(0x400 + Number(intid)).toString(16)}`, prio, 0, 8);
    enable(m, Number(intid));
  }
  return m;
}

describe('GICC_CTLR', () => {
  it('resets to 0: both groups off, AckCtl, FIQEn, CBPR and EOImode 0', () => {
    const m = gicv2();
    expect(rd(m, 'GICC_CTLR')).toBe(0);
    const s = m.vcpu(0);
    expect(s.groupEnable).toEqual([false, false]);
    expect(s.eoiMode).toBe(0);
    expect(s.cbpr).toBe(false);
  });

  it('keeps EnableGrp0, EnableGrp1, AckCtl, FIQEn, CBPR and EOImode; other bits are RAZ/WI', () => {
    const m = gicv2();
    wr(m, 'GICC_CTLR', 0xffffffff);
    expect(rd(m, 'GICC_CTLR')).toBe(0x21f);
    const s = m.vcpu(0);
    expect(s.groupEnable).toEqual([true, true]);
    expect(s.eoiMode).toBe(1);
    expect(s.cbpr).toBe(true);
    wr(m, 'GICC_CTLR', 0x202);
    expect(rd(m, 'GICC_CTLR')).toBe(0x202);
    expect(m.vcpu(0).groupEnable).toEqual([false, true]);
  });

  it('is banked per vCPU', () => {
    const m = gicv2({ vcpus: 2 });
    wr(m, 'GICC_CTLR', 3, 1);
    expect(rd(m, 'GICC_CTLR', 1)).toBe(3);
    expect(rd(m, 'GICC_CTLR', 0)).toBe(0);
  });

  it('a disabled group is neither signalled nor acknowledged', () => {
    const m = withSpis({ 40: 0x80 }, 0);
    m.inject(40, 1);
    expect(rd(m, 'GICC_IAR')).toBe(1023);
    expect(rd(m, 'GICC_HPPIR')).toBe(1023);
    expect(m.irqLine(0)).toBe(false);
    wr(m, 'GICC_CTLR', 1);
    expect(m.irqLine(0)).toBe(true);
    wr(m, 'GICC_CTLR', 0);
    expect(m.irqLine(0)).toBe(false);
  });
});

describe('GICC_PMR', () => {
  it('resets to 0, masking everything', () => {
    const m = gicv2();
    expect(rd(m, 'GICC_PMR')).toBe(0);
    wr(m, 'GICD_CTLR', 1);
    wr(m, 'GICC_CTLR', 1);
    enable(m, 40);
    m.inject(40, 1);
    expect(rd(m, 'GICC_IAR')).toBe(1023);
  });

  it('implements five bits: 0xff reads 0xf8', () => {
    const m = gicv2();
    wr(m, 'GICC_PMR', 0xff);
    expect(rd(m, 'GICC_PMR')).toBe(0xf8);
    wr(m, 'GICC_PMR', 0x157);
    expect(rd(m, 'GICC_PMR')).toBe(0x50);
  });

  it('signals only priorities strictly higher than the mask', () => {
    const m = withSpis({ 40: 0x80 });
    m.inject(40, 1);
    wr(m, 'GICC_PMR', 0x80);
    expect(m.irqLine(0)).toBe(false);
    expect(rd(m, 'GICC_IAR')).toBe(1023);
    wr(m, 'GICC_PMR', 0x88);
    expect(m.irqLine(0)).toBe(true);
    expect(rd(m, 'GICC_IAR')).toBe(40);
  });
});

describe('GICC_BPR and GICC_ABPR', () => {
  it('reset to their minimum, 2 and 3', () => {
    const m = gicv2();
    expect(rd(m, 'GICC_BPR')).toBe(2);
    expect(rd(m, 'GICC_ABPR')).toBe(3);
  });

  it('clamp writes below the minimum and keep three bits', () => {
    const m = gicv2();
    wr(m, 'GICC_BPR', 0);
    wr(m, 'GICC_ABPR', 1);
    expect(rd(m, 'GICC_BPR')).toBe(2);
    expect(rd(m, 'GICC_ABPR')).toBe(3);
    wr(m, 'GICC_BPR', 5);
    wr(m, 'GICC_ABPR', 0xf6);
    expect(rd(m, 'GICC_BPR')).toBe(5);
    expect(rd(m, 'GICC_ABPR')).toBe(6);
  });

  it('GICC_BPR decides which group-0 priorities preempt', () => {
    const m = withSpis({ 40: 0x48, 41: 0x40 });
    m.inject(40, 1);
    expect(rd(m, 'GICC_IAR')).toBe(40);
    m.inject(41, 1);
    // BPR 2: group priority bits 7:3, so 0x40 preempts 0x48.
    expect(rd(m, 'GICC_IAR')).toBe(41);
    wr(m, 'GICC_EOIR', 41);
    wr(m, 'GICC_EOIR', 40);

    wr(m, 'GICC_BPR', 3);
    m.inject(40, 1);
    expect(rd(m, 'GICC_IAR')).toBe(40);
    m.inject(41, 1);
    // BPR 3: group priority bits 7:4, and 0x40 and 0x48 are one group priority.
    expect(rd(m, 'GICC_IAR')).toBe(1023);
  });

  it('GICC_ABPR decides for group 1 unless CBPR is set', () => {
    /** Is 0x40 taken while 0x48 is active, both in group 1? */
    const preempts = (ctlr: number): number => {
      const m = withSpis({ 40: 0x48, 41: 0x40 }, ctlr);
      wr(m, 'GICD_IGROUPR1', 0x300);
      wr(m, 'GICC_ABPR', 4); // group priority bits 7:4
      m.inject(40, 1);
      expect(rd(m, 'GICC_AIAR')).toBe(40);
      m.inject(41, 1);
      return rd(m, 'GICC_AIAR');
    };
    // ABPR 4: 0x40 and 0x48 are one group priority.
    expect(preempts(0b10)).toBe(1023);
    // CBPR: group 1 follows GICC_BPR (2: bits 7:3), and 0x40 preempts.
    expect(preempts(0b10 | 0x10)).toBe(41);
  });
});

describe('GICC_IAR and GICC_EOIR', () => {
  it('IAR reads 1023 with nothing pending', () => {
    expect(rd(withSpis({}), 'GICC_IAR')).toBe(1023);
  });

  it('IAR acknowledges the highest-priority pending interrupt; EOIR drops and deactivates', () => {
    const m = withSpis({ 40: 0xa0, 41: 0x60 });
    m.inject(40, 1);
    m.inject(41, 1);
    expect(rd(m, 'GICC_IAR')).toBe(41);
    expect(m.irq(41).active).toBe(true);
    expect(m.irq(41).pending).toBe(false);
    expect(rd(m, 'GICC_IAR')).toBe(1023); // 0xa0 cannot preempt 0x60
    wr(m, 'GICC_EOIR', 41);
    expect(m.irq(41).active).toBe(false);
    expect(rd(m, 'GICC_IAR')).toBe(40);
    wr(m, 'GICC_EOIR', 40);
    expect(m.irq(40).active).toBe(false);
    expect(rd(m, 'GICC_IAR')).toBe(1023);
  });

  it('IAR ignores writes and EOIR reads as zero', () => {
    const m = withSpis({ 40: 0xa0 });
    m.inject(40, 1);
    wr(m, 'GICC_IAR', 40);
    expect(m.irq(40).active).toBe(false);
    expect(rd(m, 'GICC_IAR')).toBe(40);
    expect(rd(m, 'GICC_EOIR')).toBe(0);
    expect(m.irq(40).active).toBe(true);
  });

  it('takes 32-bit accesses only: a byte read of IAR acknowledges nothing', () => {
    const m = withSpis({ 40: 0xa0 });
    m.inject(40, 1);
    expect(rd(m, 'GICC+0xc', 0, 8)).toBe(0);
    expect(rd(m, 'GICC+0xc', 0, 16)).toBe(0);
    expect(m.irq(40).active).toBe(false);
    expect(rd(m, 'GICC_IAR')).toBe(40);
    wr(m, 'GICC+0x10', 40, 0, 8);
    expect(m.irq(40).active).toBe(true);
  });
});

describe('AckCtl and the 1022 special INTID', () => {
  it('with AckCtl 0, IAR and HPPIR read 1022 for a group 1 interrupt, which AIAR acknowledges', () => {
    const m = withSpis({ 40: 0x80 }, 0b11);
    wr(m, 'GICD_IGROUPR1', 1 << 8);
    m.inject(40, 1);
    expect(rd(m, 'GICC_HPPIR')).toBe(1022);
    expect(rd(m, 'GICC_IAR')).toBe(1022);
    expect(m.irq(40).active).toBe(false);
    expect(rd(m, 'GICC_AHPPIR')).toBe(40);
    expect(rd(m, 'GICC_AIAR')).toBe(40);
    wr(m, 'GICC_AEOIR', 40);
    expect(m.irq(40).active).toBe(false);
  });

  it('with AckCtl 1, IAR acknowledges group 1 too and EOIR completes it', () => {
    const m = withSpis({ 40: 0x80 }, 0b111);
    wr(m, 'GICD_IGROUPR1', 1 << 8);
    m.inject(40, 1);
    expect(rd(m, 'GICC_HPPIR')).toBe(40);
    expect(rd(m, 'GICC_IAR')).toBe(40);
    wr(m, 'GICC_EOIR', 40);
    expect(m.irq(40).active).toBe(false);
    expect(rd(m, 'GICC_RPR')).toBe(0xff);
  });

  it('the aliased registers read 1023 for a group 0 interrupt', () => {
    const m = withSpis({ 40: 0x80 }, 0b11);
    m.inject(40, 1);
    expect(rd(m, 'GICC_AHPPIR')).toBe(1023);
    expect(rd(m, 'GICC_AIAR')).toBe(1023);
    expect(m.irq(40).active).toBe(false);
  });

  it('with AckCtl 0, EOIR of a group 1 interrupt drops its priority but leaves it active', () => {
    const m = withSpis({ 40: 0x80 }, 0b11);
    wr(m, 'GICD_IGROUPR1', 1 << 8);
    m.inject(40, 1);
    expect(rd(m, 'GICC_AIAR')).toBe(40);
    wr(m, 'GICC_EOIR', 40);
    expect(rd(m, 'GICC_RPR')).toBe(0xff);
    expect(m.irq(40).active).toBe(true);
  });
});

describe('GICC_RPR', () => {
  it('reads 0xff when idle and the running group priority otherwise; it is read-only', () => {
    const m = withSpis({ 40: 0xa8 });
    expect(rd(m, 'GICC_RPR')).toBe(0xff);
    m.inject(40, 1);
    rd(m, 'GICC_IAR');
    expect(rd(m, 'GICC_RPR')).toBe(0xa8);
    wr(m, 'GICC_RPR', 0);
    expect(rd(m, 'GICC_RPR')).toBe(0xa8);
    wr(m, 'GICC_EOIR', 40);
    expect(rd(m, 'GICC_RPR')).toBe(0xff);
  });
});

describe('GICC_HPPIR', () => {
  it('names the highest-priority pending interrupt without acknowledging it, whatever PMR', () => {
    const m = withSpis({ 40: 0xa0, 41: 0x90 });
    expect(rd(m, 'GICC_HPPIR')).toBe(1023);
    m.inject(40, 1);
    m.inject(41, 1);
    wr(m, 'GICC_PMR', 0);
    expect(rd(m, 'GICC_HPPIR')).toBe(41);
    expect(m.irq(41).pending).toBe(true);
    wr(m, 'GICC_HPPIR', 0);
    expect(rd(m, 'GICC_HPPIR')).toBe(41);
  });
});

describe('GICC_APR0 and GICC_NSAPR0', () => {
  it('reset to 0; acknowledging sets the bit of the group priority', () => {
    const m = withSpis({ 40: 0xa0, 41: 0x48 }, 0b11);
    wr(m, 'GICD_IGROUPR1', 1 << 9);
    expect(rd(m, 'GICC_APR0')).toBe(0);
    expect(rd(m, 'GICC_NSAPR0')).toBe(0);
    m.inject(40, 1);
    expect(rd(m, 'GICC_IAR')).toBe(40);
    expect(rd(m, 'GICC_APR0')).toBe(1 << (0xa0 >> 3));
    m.inject(41, 1);
    expect(rd(m, 'GICC_AIAR')).toBe(41);
    expect(rd(m, 'GICC_NSAPR0')).toBe(1 << (0x48 >> 3));
    wr(m, 'GICC_AEOIR', 41);
    wr(m, 'GICC_EOIR', 40);
    expect(rd(m, 'GICC_APR0')).toBe(0);
    expect(rd(m, 'GICC_NSAPR0')).toBe(0);
  });

  it('are writable and set the running priority', () => {
    const m = withSpis({ 40: 0x40 });
    wr(m, 'GICC_APR0', 1 << 4);
    expect(rd(m, 'GICC_APR0')).toBe(1 << 4);
    expect(rd(m, 'GICC_RPR')).toBe(0x20);
    m.inject(40, 1);
    m.enter(0);
    expect(m.irqLine(0)).toBe(false); // 0x40 does not preempt 0x20
    wr(m, 'GICC_APR0', 0);
    expect(m.irqLine(0)).toBe(true);
    wr(m, 'GICC_NSAPR0', 1 << 2);
    expect(rd(m, 'GICC_RPR')).toBe(0x10);
    expect(m.irqLine(0)).toBe(false);
  });

  it('APR1-3 and NSAPR1-3 are RAZ/WI', () => {
    const m = gicv2();
    for (const name of ['GICC_APR1', 'GICC_APR2', 'GICC_APR3', 'GICC_NSAPR1', 'GICC_NSAPR2', 'GICC_NSAPR3']) {
      wr(m, name, 0xffffffff);
      expect(rd(m, name), name).toBe(0);
    }
    expect(rd(m, 'GICC_RPR')).toBe(0xff);
  });
});

describe('GICC_IIDR', () => {
  it('reads KVM\'s value and is read-only', () => {
    const m = gicv2();
    expect(rd(m, 'GICC_IIDR')).toBe(0x04b2043b);
    wr(m, 'GICC_IIDR', 0);
    expect(rd(m, 'GICC_IIDR')).toBe(0x04b2043b);
  });
});

describe('GICC_DIR and EOImode', () => {
  it('with EOImode 1, EOIR only drops the priority and DIR deactivates', () => {
    const m = withSpis({ 40: 0x80 }, 0x201);
    m.inject(40, 1);
    expect(rd(m, 'GICC_IAR')).toBe(40);
    wr(m, 'GICC_EOIR', 40);
    expect(rd(m, 'GICC_RPR')).toBe(0xff);
    expect(m.irq(40).active).toBe(true);
    expect(rd(m, 'GICD_ISACTIVER1')).toBe(1 << 8);
    wr(m, 'GICC_DIR', 40);
    expect(m.irq(40).active).toBe(false);
    expect(rd(m, 'GICD_ISACTIVER1')).toBe(0);
  });

  it('with EOImode 1, a new instance is taken after the drop even before DIR', () => {
    const m = withSpis({ 40: 0x80, 41: 0x90 }, 0x201);
    m.inject(40, 1);
    expect(rd(m, 'GICC_IAR')).toBe(40);
    wr(m, 'GICC_EOIR', 40);
    m.inject(41, 1);
    expect(rd(m, 'GICC_IAR')).toBe(41);
    wr(m, 'GICC_EOIR', 41);
    wr(m, 'GICC_DIR', 40);
    wr(m, 'GICC_DIR', 41);
    expect(m.irq(40).active).toBe(false);
    expect(m.irq(41).active).toBe(false);
    expect(m.checkInvariants()).toEqual([]);
  });

  it('with EOImode 0, DIR is ignored', () => {
    const m = withSpis({ 40: 0x80 });
    m.inject(40, 1);
    expect(rd(m, 'GICC_IAR')).toBe(40);
    wr(m, 'GICC_DIR', 40);
    expect(m.irq(40).active).toBe(true);
    expect(rd(m, 'GICC_DIR')).toBe(0);
    wr(m, 'GICC_EOIR', 40);
    expect(m.irq(40).active).toBe(false);
  });

  it('DIR sits at 0x1000 and takes 32-bit accesses only', () => {
    const m = withSpis({ 40: 0x80 }, 0x201);
    m.inject(40, 1);
    expect(Number(m.mmioRead(0, C + 0xc, 32))).toBe(40);
    m.mmioWrite(0, C + 0x10, 32, 40);
    m.mmioWrite(0, C + 0x1000, 8, 40);
    m.mmioWrite(0, C + 0x1000, 16, 40);
    expect(m.irq(40).active).toBe(true);
    m.mmioWrite(0, C + 0x1000, 32, 40);
    expect(m.irq(40).active).toBe(false);
  });
});

describe('FIQEn', () => {
  it('signals group 0 on the FIQ line when set, on the IRQ line when clear', () => {
    const m = withSpis({ 40: 0x80 }, 0b1001);
    m.inject(40, 1);
    m.enter(0);
    expect(m.fiqLine(0)).toBe(true);
    expect(m.irqLine(0)).toBe(false);
    wr(m, 'GICC_CTLR', 0b0001);
    expect(m.fiqLine(0)).toBe(false);
    expect(m.irqLine(0)).toBe(true);
  });

  it('signals group 1 on the IRQ line whatever FIQEn', () => {
    const m = withSpis({ 40: 0x80 }, 0b1011);
    wr(m, 'GICD_IGROUPR1', 1 << 8);
    m.inject(40, 1);
    m.enter(0);
    expect(m.irqLine(0)).toBe(true);
    expect(m.fiqLine(0)).toBe(false);
  });

  it('reports line changes through onLine', () => {
    const m = withSpis({ 40: 0x80 }, 0b1001);
    const seen: [number, boolean, boolean][] = [];
    m.onLine((k, irq, fiq) => seen.push([k, irq, fiq]));
    m.inject(40, 1);
    m.enter(0);
    expect(rd(m, 'GICC_IAR')).toBe(40);
    expect(seen).toEqual([
      [0, false, true],
      [0, false, false],
    ]);
  });
});

describe('the GICC frame', () => {
  it('reads offsets no register holds as zero and ignores writes to them', () => {
    const m = gicv2();
    for (const off of [0x2c, 0x40, 0xcc, 0xf0, 0xf8, 0x1004, 0x1ffc]) {
      const name = `GICC+0x${off.toString(16)}`;
      wr(m, name, 0xffffffff);
      expect(rd(m, name), name).toBe(0);
    }
  });

  it('ends at 8 KiB: the next address belongs to no frame', () => {
    const m = gicv2();
    expect(m.mmioRead(0, C + 0x2000, 32)).toBeUndefined();
    expect(m.mmioWrite(0, C + 0x2000, 32, 0)).toBe(false);
    expect(m.mmioRead(0, C + 0x1ffc, 32)).toBe(0);
  });

  it('does not trap: the vCPU stays in the guest across CPU interface accesses', () => {
    const m = withSpis({ 40: 0x80 });
    m.inject(40, 1);
    expect(rd(m, 'GICC_IAR')).toBe(40);
    const events: string[] = [];
    m.onTrace((e) => events.push(e.type));
    wr(m, 'GICC_PMR', 0xf0);
    wr(m, 'GICC_BPR', 3);
    wr(m, 'GICC_EOIR', 40);
    expect(events.filter((t) => t === 'fold' || t === 'flush')).toEqual([]);
    expect(m.isRunning(0)).toBe(true);
  });
});
