import { describe, expect, it } from 'vitest';
import { createToy } from '../../test/fixtures/toy-gic.js';
import { toyGuest } from '../../test/fixtures/toy-guest.js';
import { TOY_CPU_INTERFACE } from '../../test/threads-fixture.js';
import { isVgicError } from '../errors.js';
import { ThreadControl } from './control.js';
import { GuestCpu, defaultCpuInterface, isSpuriousIntid } from './guest-cpu.js';

function machine(bare: boolean) {
  const m = createToy({ vcpus: 3, spis: 32, bare });
  toyGuest.init(m);
  for (let k = 0; k < 3; k++) for (let s = 0; s < 16; s++) toyGuest.enable(m, s, k);
  return m;
}

describe("a vCPU thread's guest CPU interface comes from the backend's guestCpu capability", () => {
  it("sends each SGI with the backend's encoding, to the target it names alone", () => {
    const m = machine(false);
    expect(defaultCpuInterface(m)).toBe(m.backend.guestCpu);
    const cpu = new GuestCpu(m, 0, ThreadControl.create(3));
    cpu.sendSgi(2, 5);
    cpu.sendSgi(1, 15);
    expect(m.irq(5, 2).pending).toBe(true);
    expect(m.irq(5, 1).pending).toBe(false);
    expect(m.irq(15, 1).pending).toBe(true);
    expect(m.irq(15, 2).pending).toBe(false);
    expect(cpu.counters.sgisSent).toBe(2);
    // The target's own guest takes it through the same interface.
    const target = new GuestCpu(m, 2, ThreadControl.create(3));
    expect(target.ack() & 0x3ff).toBe(5);
  });

  it('refuses, with UNKNOWN_REGISTER, a backend that declares none, unless names are given; without an encoding no SGI is sent', () => {
    const m = machine(true);
    let error: unknown;
    try {
      defaultCpuInterface(m);
    } catch (e) {
      error = e;
    }
    expect(isVgicError(error, 'UNKNOWN_REGISTER')).toBe(true);
    expect(String(error)).toMatch(/declares no guest CPU interface/);
    const cpu = new GuestCpu(m, 0, ThreadControl.create(3), TOY_CPU_INTERFACE);
    toyGuest.enable(m, 32);
    m.inject(32, 1);
    expect(cpu.ack()).toBe(32);
    error = undefined;
    try {
      cpu.sendSgi(1, 3);
    } catch (e) {
      error = e;
    }
    expect(isVgicError(error, 'UNKNOWN_REGISTER')).toBe(true);
    expect(m.irq(3, 1).pending).toBe(false);
    expect(cpu.counters.sgisSent).toBe(0);
  });
});

describe('a spurious acknowledge', () => {
  it('is INTID 1020..1023 alone: LPIs (8192 up) and GICv2 SGIs with their source bits are interrupts taken', () => {
    expect([1019, 1020, 1021, 1022, 1023, 1024].map(isSpuriousIntid)).toEqual([false, true, true, true, true, false]);
    // LPI 9212 has 1020 in its low ten bits; a GICv2 SGI 0 from CPU 1 reads 0x400.
    expect([8192, 9212, 0x400, 0x7ff].map(isSpuriousIntid)).toEqual([false, false, false, false]);
  });

  it('is counted apart from the acknowledges that took an interrupt', () => {
    const m = machine(false);
    const cpu = new GuestCpu(m, 0, ThreadControl.create(3));
    expect(cpu.ack()).toBe(1023);
    cpu.sendSgi(0, 4);
    expect(cpu.ack() & 0x3ff).toBe(4);
    expect(cpu.counters).toMatchObject({ spurious: 1, acks: 1 });
  });
});
