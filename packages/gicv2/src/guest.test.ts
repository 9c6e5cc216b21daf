import { describe, expect, it } from 'vitest';
import { gicv2Guest as g } from './guest.js';
import { gicv2, rd } from './testutil.js';

describe('gicv2Guest', () => {
  it('brings the machine up as a GICv2 guest does', () => {
    const m = gicv2({ vcpus: 2 });
    g.init(m, { eoiMode: 1 });
    expect(rd(m, 'GICD_CTLR')).toBe(1);
    for (const k of [0, 1]) {
      expect(rd(m, 'GICC_PMR', k)).toBe(0xf8);
      expect(rd(m, 'GICC_BPR', k)).toBe(2);
      expect(rd(m, 'GICC_CTLR', k)).toBe(0x201);
    }
  });

  it('configures an SPI through the distributor registers', () => {
    const m = gicv2({ vcpus: 3 });
    g.init(m);
    g.setPriority(m, 45, 0x90);
    g.setEdge(m, 45, false);
    g.route(m, 45, 2);
    g.setGroup(m, 45, 1);
    g.enable(m, 45);
    expect(m.irq(45)).toMatchObject({ priority: 0x90, config: 'level', target: 2, group: 1, enabled: true });
    expect(m.irq(44)).toMatchObject({ priority: 0, config: 'edge', target: 0, group: 0, enabled: false });
    g.setEdge(m, 45, true);
    g.setGroup(m, 45, 0);
    g.disable(m, 45);
    expect(m.irq(45)).toMatchObject({ config: 'edge', group: 0, enabled: false });
    expect(g.routeNowhere(m, 45)).toBe(false);
  });

  it('drives a private interrupt of the vCPU it names', () => {
    const m = gicv2({ vcpus: 2 });
    g.init(m);
    g.setPriority(m, 20, 0x40, 1);
    g.enable(m, 20, 1);
    g.setPending(m, 20, 1);
    expect(m.irq(20, 1)).toMatchObject({ priority: 0x40, enabled: true, pending: true });
    expect(m.irq(20, 0)).toMatchObject({ priority: 0, enabled: false, pending: false });
    expect(g.highestPending(m, 1)).toBe(20);
    expect(g.ack(m, 1)).toBe(20);
    expect(g.runningPriority(m, 1)).toBe(0x40);
    g.eoi(m, 1, 20);
    expect(g.runningPriority(m, 1)).toBe(0xff);
    g.setActive(m, 20, 1);
    expect(m.irq(20, 1).active).toBe(true);
    g.clearActive(m, 20, 1);
    expect(m.irq(20, 1).active).toBe(false);
  });

  it('pends an SGI from the vCPU itself, and clears every source', () => {
    const m = gicv2({ vcpus: 2 });
    g.init(m);
    g.setPending(m, 3, 1);
    expect(m.irq(3, 1).sources).toEqual([1]);
    g.clearPending(m, 3, 1);
    expect(m.irq(3, 1).pending).toBe(false);
    expect(g.ack(m, 1)).toBe(1023);
  });

  it('sends SGIs by list and to all but the sender, with the source in the raw IAR', () => {
    const m = gicv2({ vcpus: 3 });
    g.init(m);
    g.sendSgi(m, 0, [1, 2], 7);
    expect(g.ackRaw(m, 1)).toBe(7);
    expect(g.ackRaw(m, 2)).toBe(7);
    g.broadcastSgi(m, 2, 8);
    const raw = g.ackRaw(m, 0);
    expect(raw).toBe(8 | (2 << 10));
    expect(g.ack(m, 2)).toBe(1023);
    g.eoi(m, 0, 8, raw);
    expect(m.irq(8, 0).active).toBe(false);
  });

  it('splits priority drop and deactivation with EOImode 1, and serves group 1 through the aliases', () => {
    const m = gicv2();
    g.init(m);
    g.setEoiMode(m, 0, 1);
    g.setGroupEnable(m, 0, 1, true);
    g.setGroup(m, 40, 1);
    g.enable(m, 40);
    g.setPending(m, 40);
    expect(g.ack(m, 0, 0)).toBe(1022);
    expect(g.ack(m, 0, 1)).toBe(40);
    g.eoi(m, 0, 40, undefined, 1);
    expect(m.irq(40).active).toBe(true);
    g.dir(m, 0, 40);
    expect(m.irq(40).active).toBe(false);
    g.setGroupEnable(m, 0, 1, false);
    expect(rd(m, 'GICC_CTLR')).toBe(0x201);
  });

  it('sets the mask and the binary point', () => {
    const m = gicv2();
    g.setPmr(m, 0, 0x80);
    g.setBpr(m, 0, 5);
    expect(rd(m, 'GICC_PMR')).toBe(0x80);
    expect(rd(m, 'GICC_BPR')).toBe(5);
  });

  it('names only registers the machine resolves', () => {
    const m = gicv2({ vcpus: 2 });
    expect(g.fuzzRegisters.length).toBeGreaterThan(40);
    for (const name of g.fuzzRegisters) expect(() => m.resolve(name), name).not.toThrow();
    expect(g.fuzzRegisters).toContain('GICD_SGIR');
    expect(g.fuzzRegisters).toContain('GICC_DIR');
    expect(g.group).toBe(0);
    expect(g.maxVcpus).toBe(8);
  });
});
