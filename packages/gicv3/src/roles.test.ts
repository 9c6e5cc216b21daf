import { GuestCpu, ThreadControl, hostRegisterRead, hostRegisterWrite } from '@vgic/core';
import { describe, expect, test } from 'vitest';
import { createGicv3, gicv3Guest } from './index.js';

/** vCPU 1 in Aff0 17 (RS 1), vCPU 2 in Aff3 1: where ICC_SGI1R_EL1's RS and Aff3 fields and IROUTER's high word count. */
function machine() {
  const m = createGicv3({ vcpus: 3, spis: 32, mpidr: [0x0, 0x11, 0x1_0000_0002n] });
  gicv3Guest.init(m);
  for (let k = 0; k < 3; k++) for (let s = 0; s < 16; s++) gicv3Guest.enable(m, s, k);
  return m;
}

describe("the GICv3's capabilities, as core's threads use them", () => {
  test('vcpuAffinity is each vCPU\'s affinity, as GICR_TYPER[63:32] reports it', () => {
    const m = machine();
    for (let k = 0; k < 3; k++) {
      expect(m.backend.vcpuAffinity!(m.vgic, k)).toBe(Number(hostRegisterRead(m, 'GICR_TYPER', { rd: k }) >> 32n));
    }
  });

  test("a vCPU thread's guest sends each SGI by ICC_SGI1R_EL1 to the target's affinity alone, RS and Aff3 included", () => {
    const m = machine();
    const cpu = new GuestCpu(m, 0, ThreadControl.create(3));
    expect(cpu.names.sgi).toBe('ICC_SGI1R_EL1');
    cpu.sendSgi(1, 4);
    cpu.sendSgi(2, 9);
    cpu.sendSgi(0, 1);
    expect([0, 1, 2].map((k) => m.irq(4, k).pending)).toEqual([false, true, false]);
    expect([0, 1, 2].map((k) => m.irq(9, k).pending)).toEqual([false, false, true]);
    expect([0, 1, 2].map((k) => m.irq(1, k).pending)).toEqual([true, false, false]);
  });

  test("the distributor's routing value names each vCPU, Aff3 in IROUTER's high word; its halves name a vCPU, any vCPU, or none", () => {
    const m = machine();
    const d = m.backend.distributor!;
    for (const k of [2, 1, 0]) {
      hostRegisterWrite(m, d.route(40).name, d.routeValue(m.vgic, k));
      expect(m.irq(40).target).toBe(k);
    }
    const halves = d.routeHalves!;
    hostRegisterWrite(m, d.route(41).name, halves.low(m.vgic, 1, false), { width: 32 });
    hostRegisterWrite(m, d.route(41).name, halves.highToVcpu, { width: 32, byteOffset: 4 });
    expect(m.irq(41).target).toBe(1);
    hostRegisterWrite(m, d.route(41).name, halves.highNowhere, { width: 32, byteOffset: 4 });
    expect(m.irq(41).target).toBe(null);
  });
});
