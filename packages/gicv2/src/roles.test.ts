import { GuestCpu, ThreadControl, hostRegisterWrite } from '@vgic/core';
import { describe, expect, test } from 'vitest';
import { createGicv2, gicv2Guest } from './index.js';

function machine() {
  const m = createGicv2({ vcpus: 3, spis: 32 });
  gicv2Guest.init(m);
  for (let k = 0; k < 3; k++) for (let s = 0; s < 16; s++) gicv2Guest.enable(m, s, k);
  return m;
}

describe("the GICv2's capabilities, as core's threads use them", () => {
  test("a vCPU thread's guest sends each SGI by GICD_SGIR to its target alone, with itself as the source", () => {
    const m = machine();
    const cpu = new GuestCpu(m, 1, ThreadControl.create(3));
    expect(cpu.names.sgi).toBe('GICD_SGIR');
    cpu.sendSgi(2, 6);
    cpu.sendSgi(0, 3);
    expect([0, 1, 2].map((k) => m.irq(6, k).pending)).toEqual([false, false, true]);
    expect([0, 1, 2].map((k) => m.irq(3, k).pending)).toEqual([true, false, false]);
    // IAR reports the source vCPU in bits 12:10.
    expect(new GuestCpu(m, 2, ThreadControl.create(3)).ack()).toBe((1 << 10) | 6);
  });

  test("the distributor's routing register is the SPI's ITARGETSR byte: one vCPU, or a set whose lowest is the target", () => {
    const m = machine();
    const d = m.backend.distributor!;
    const ref = d.route(42);
    for (const k of [2, 0, 1]) {
      hostRegisterWrite(m, ref.name, d.routeValue(m.vgic, k), { width: ref.width!, byteOffset: ref.byteOffset! });
      expect(m.irq(42).target).toBe(k);
    }
    hostRegisterWrite(m, ref.name, d.routeMask!(m.vgic, 0b110), { width: ref.width!, byteOffset: ref.byteOffset! });
    expect(m.irq(42).target).toBe(1);
    // Only its own byte changed: SPI 43 still routes to vCPU 0.
    expect(m.irq(43).target).toBe(0);
    expect(d.routeHalves).toBeUndefined();
    expect(m.backend.vcpuAffinity).toBeUndefined();
  });
});
