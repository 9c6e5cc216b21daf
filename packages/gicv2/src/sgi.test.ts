import type { TraceEvent } from '@vgic/core';
import { describe, expect, it } from 'vitest';
import { bringUp, gicv2, rd, wr } from './testutil.js';

const SGIR_ALL_BUT_SELF = 1 << 24;
const SGIR_SELF = 2 << 24;

describe('GICv2 SGIs end to end', () => {
  it('an SGI pending from several sources is acknowledged once per source, lowest source first', () => {
    const m = gicv2({ vcpus: 4 });
    bringUp(m);
    // Senders in no particular order: 3, then 1, then 2.
    for (const from of [3, 1, 2]) wr(m, 'GICD_SGIR', (1 << 16) | 5, from);
    expect(m.irq(5, 0).sources).toEqual([1, 2, 3]);

    const events: TraceEvent[] = [];
    m.onTrace((e) => events.push(e));
    const seen: number[] = [];
    for (let i = 0; i < 3; i++) {
      const iar = rd(m, 'GICC_IAR');
      expect(iar & 0x3ff).toBe(5);
      seen.push((iar >> 10) & 7);
      wr(m, 'GICC_EOIR', iar);
    }
    expect(seen).toEqual([1, 2, 3]);
    expect(rd(m, 'GICC_IAR')).toBe(1023);
    expect(m.irq(5, 0).pending).toBe(false);
    expect(m.irq(5, 0).active).toBe(false);

    // Between two sources the vCPU took EOI maintenance, exited and re-entered.
    const kinds = events.map((e) => (e.type === 'maintenance' ? `maintenance:${e.reason}` : e.type));
    const firstAck = kinds.indexOf('ack');
    const secondAck = kinds.indexOf('ack', firstAck + 1);
    const between = kinds.slice(firstAck, secondAck);
    expect(between).toContain('maintenance:eoi');
    expect(between).toContain('fold');
    expect(between).toContain('flush');
    expect(m.checkInvariants()).toEqual([]);
  });

  it('IAR reports the sender in bits 12:10, and EOIR with it deactivates', () => {
    const m = gicv2({ vcpus: 8 });
    bringUp(m);
    wr(m, 'GICD_SGIR', (1 << 16) | 9, 7);
    const iar = rd(m, 'GICC_IAR');
    expect(iar).toBe(9 | (7 << 10));
    expect(m.irq(9, 0).active).toBe(true);
    wr(m, 'GICC_EOIR', iar);
    expect(m.irq(9, 0).active).toBe(false);
  });

  it('EOIR naming another source than the active one only drops the priority', () => {
    const m = gicv2({ vcpus: 8 });
    bringUp(m);
    wr(m, 'GICD_SGIR', (1 << 16) | 9, 7);
    expect(rd(m, 'GICC_IAR')).toBe(9 | (7 << 10));
    // No active LR holds SGI 9 from vCPU 6: KVM deactivates nothing (the
    // EOIcount walk skips what is in the LRs; vgic_v2_deactivate checks
    // active_source).
    wr(m, 'GICC_EOIR', 9 | (6 << 10));
    expect(rd(m, 'GICC_RPR')).toBe(0xff);
    expect(m.irq(9, 0).active).toBe(true);
    wr(m, 'GICD_ICACTIVER0', 1 << 9);
    expect(m.irq(9, 0).active).toBe(false);
  });

  it('a second SGI from the same source while the first is pending is one interrupt', () => {
    const m = gicv2({ vcpus: 2 });
    bringUp(m);
    wr(m, 'GICD_SGIR', (1 << 16) | 2, 1);
    wr(m, 'GICD_SGIR', (1 << 16) | 2, 1);
    const iar = rd(m, 'GICC_IAR');
    expect(iar).toBe(2 | (1 << 10));
    wr(m, 'GICC_EOIR', iar);
    expect(rd(m, 'GICC_IAR')).toBe(1023);
  });

  it('an SGI sent again while active is taken again after the EOI', () => {
    const m = gicv2({ vcpus: 2 });
    bringUp(m);
    wr(m, 'GICD_SGIR', (1 << 16) | 2, 1);
    const first = rd(m, 'GICC_IAR');
    wr(m, 'GICD_SGIR', (1 << 16) | 2, 1);
    expect(m.irq(2, 0).active).toBe(true);
    expect(m.irq(2, 0).pending).toBe(true);
    wr(m, 'GICC_EOIR', first);
    expect(rd(m, 'GICC_IAR')).toBe(2 | (1 << 10));
  });

  it('all-but-self reaches every other vCPU, each seeing the sender', () => {
    const m = gicv2({ vcpus: 4 });
    bringUp(m);
    wr(m, 'GICD_SGIR', SGIR_ALL_BUT_SELF | 3, 2);
    for (let k = 0; k < 4; k++) {
      expect(rd(m, 'GICC_IAR', k), `vCPU ${k}`).toBe(k === 2 ? 1023 : 3 | (2 << 10));
    }
  });

  it('self reaches the sender only', () => {
    const m = gicv2({ vcpus: 3 });
    bringUp(m);
    wr(m, 'GICD_SGIR', SGIR_SELF | 4, 1);
    expect(rd(m, 'GICC_IAR', 0)).toBe(1023);
    expect(rd(m, 'GICC_IAR', 1)).toBe(4 | (1 << 10));
    expect(rd(m, 'GICC_IAR', 2)).toBe(1023);
  });

  it('a target list reaches exactly the vCPUs it names', () => {
    const m = gicv2({ vcpus: 4 });
    bringUp(m);
    wr(m, 'GICD_SGIR', (0b1001 << 16) | 1, 1);
    expect(rd(m, 'GICC_IAR', 0)).toBe(1 | (1 << 10));
    expect(rd(m, 'GICC_IAR', 1)).toBe(1023);
    expect(rd(m, 'GICC_IAR', 2)).toBe(1023);
    expect(rd(m, 'GICC_IAR', 3)).toBe(1 | (1 << 10));
  });

  it('SPENDSGIR makes an SGI pending for the sources its byte names', () => {
    const m = gicv2({ vcpus: 3 });
    bringUp(m);
    wr(m, 'GICD+0xf2e', 0b110, 0, 8); // SGI 14 from vCPUs 1 and 2
    const a = rd(m, 'GICC_IAR');
    wr(m, 'GICC_EOIR', a);
    const b = rd(m, 'GICC_IAR');
    wr(m, 'GICC_EOIR', b);
    expect([a, b]).toEqual([14 | (1 << 10), 14 | (2 << 10)]);
  });

  it('CPENDSGIR withdraws a source before it is taken', () => {
    const m = gicv2({ vcpus: 3 });
    bringUp(m);
    wr(m, 'GICD_SGIR', (1 << 16) | 6, 1);
    wr(m, 'GICD_SGIR', (1 << 16) | 6, 2);
    wr(m, 'GICD+0xf16', 0b010, 0, 8);
    expect(rd(m, 'GICD+0xf26', 0, 8)).toBe(0b100);
    expect(rd(m, 'GICC_IAR')).toBe(6 | (2 << 10));
  });
});
