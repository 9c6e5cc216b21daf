import type { Machine } from '@vgic/core';
import { describe, expect, test } from 'vitest';
import { createGicv3, gicv3Guest as g, ICC_BPR1_EL1, ICC_CTLR_EL1, ICC_IGRPEN1_EL1, ICC_PMR_EL1 } from './index.js';
import { pendingOn, read32 } from './fixtures.js';

describe('gicv3Guest', () => {
  test('init enables the distributor and every CPU interface for Group 1, with the EOImode asked for', () => {
    const m = createGicv3({ vcpus: 3 });
    g.init(m, { eoiMode: 1 });
    expect(read32(m, 'GICD_CTLR')).toBe(0x53);
    for (let k = 0; k < 3; k++) {
      expect(m.sysregRead(k, ICC_PMR_EL1)).toBe(0xf8n);
      expect(m.sysregRead(k, ICC_BPR1_EL1)).toBe(3n);
      expect(m.sysregRead(k, ICC_IGRPEN1_EL1)).toBe(1n);
      expect(m.sysregRead(k, ICC_CTLR_EL1)! & 2n).toBe(2n);
    }
  });

  test('private interrupts are configured in their vCPU\'s redistributor, SPIs in the distributor', () => {
    const m = createGicv3({ vcpus: 2, spis: 64 });
    g.enable(m, 27, 1);
    g.setPriority(m, 27, 0x48, 1);
    g.setGroup(m, 27, 0, 1);
    g.enable(m, 70);
    g.setPriority(m, 70, 0x90);
    g.setEdge(m, 70, false);
    expect(m.irq(27, 1)).toMatchObject({ enabled: true, priority: 0x48, group: 0 });
    expect(m.irq(27, 0)).toMatchObject({ enabled: false, priority: 0, group: 1 });
    expect(m.irq(70)).toMatchObject({ enabled: true, priority: 0x90, config: 'level' });
    g.setEdge(m, 70, true);
    g.disable(m, 70);
    expect(m.irq(70)).toMatchObject({ enabled: false, config: 'edge' });
    expect(read32(m, 'GICD_IPRIORITYR17')).toBe(0x0090_0000);
  });

  test('route writes IROUTER with the vCPU\'s affinity; routeNowhere names one no vCPU has', () => {
    const m = createGicv3({ vcpus: 20 });
    g.route(m, 40, 17);
    expect(m.readRegister('GICD_IROUTER40')).toBe(0x0101n);
    expect(m.irq(40).target).toBe(17);
    expect(g.routeNowhere(m, 40)).toBe(true);
    expect(m.irq(40).target).toBeNull();
  });

  test('a full round trip: inject, take, complete', () => {
    const m = createGicv3({ vcpus: 2 });
    g.init(m);
    g.enable(m, 40);
    g.route(m, 40, 1);
    m.inject(40, 1);
    expect(g.highestPending(m, 1)).toBe(40);
    expect(g.ack(m, 1)).toBe(40);
    expect(g.runningPriority(m, 1)).toBe(0);
    g.eoi(m, 1, 40);
    expect(m.irq(40)).toMatchObject({ active: false, pending: false });
  });

  test('highestPending reports a Group-0 interrupt too', () => {
    const m = createGicv3({ vcpus: 1 });
    g.init(m);
    g.setGroupEnable(m, 0, 0, true);
    g.setGroup(m, 40, 0);
    g.enable(m, 40);
    m.inject(40, 1);
    expect(g.highestPending(m, 0)).toBe(40);
    expect(g.ack(m, 0)).toBe(1023);
    expect(g.ack(m, 0, 0)).toBe(40);
  });

  test('sendSgi reaches targets across clusters and in either group', () => {
    const m = createGicv3({ vcpus: 40 });
    g.setGroup(m, 3, 0, 17);
    g.sendSgi(m, 0, [1, 17, 33, 39], 3);
    expect(pendingOn(m, 3)).toEqual([1, 17, 33, 39]);
  });

  test('broadcastSgi reaches every other vCPU, whatever the SGI\'s group there', () => {
    const m = createGicv3({ vcpus: 4 });
    g.setGroup(m, 9, 0, 3);
    g.broadcastSgi(m, 1, 9);
    expect(pendingOn(m, 9)).toEqual([0, 2, 3]);
  });

  test('every fuzz register resolves, and any value written to it leaves the engine sound', () => {
    // The names are strings made at run time: a machine of any backend takes them.
    const m: Machine = createGicv3({ vcpus: 2, spis: 64 });
    g.init(m);
    for (const name of g.fuzzRegisters) {
      expect(() => m.resolve(name)).not.toThrow();
      m.writeRegister(name, 0xffff_ffff_ffff_ffffn, { vcpu: 1 });
      m.readRegister(name, { vcpu: 0 });
    }
    expect(m.checkInvariants()).toEqual([]);
    expect(m.noLockHeld()).toBe(true);
  });
});
