import { describe, expect, it } from 'vitest';
import { createToy } from '../../test/fixtures/toy-gic.js';
import { toyGuest } from '../../test/fixtures/toy-guest.js';
import { isVgicError } from '../index.js';
import {
  KVM_DEV_ARM_VGIC_CTRL_INIT,
  KVM_DEV_ARM_VGIC_GRP_CTRL,
  KVM_DEV_ARM_VGIC_GRP_DIST_REGS,
  KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO,
  KVM_DEV_ARM_VGIC_GRP_NR_IRQS,
  kvmDevice,
} from './index.js';

function toy() {
  const m = createToy({ vcpus: 2, spis: 64 });
  toyGuest.init(m);
  return m;
}

describe('kvmDevice on any backend', () => {
  it('reports the interrupt count and accepts only the one the machine has', () => {
    const dev = kvmDevice(toy());
    expect(dev.getAttr(KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0)).toBe(96n);
    dev.setAttr(KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0, 96);
    expect(() => dev.setAttr(KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0, 128)).toThrow(/has 96 interrupts, fixed when it was made/);
    dev.setAttr(KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_VGIC_CTRL_INIT, 0);
  });

  it('sets line levels by the KVM attribute encoding: the vCPU in bits 39:32, the INTID in 9:0', () => {
    const m = toy();
    toyGuest.enable(m, 20, 1);
    const dev = kvmDevice(m);
    dev.setAttr(KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO, (1n << 32n) | 0n, 1 << 20);
    expect(m.irq(20, 1)).toMatchObject({ lineLevel: true, pending: true, queued: 1 });
    expect(m.irq(20, 0).lineLevel).toBe(false);
    expect(dev.getAttr(KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO, 1n << 32n)).toBe(1n << 20n);
    // SGIs have no line: their bits are ignored.
    dev.writeLineLevel(0, 0xffff, 0);
    expect(m.irq(3, 0).lineLevel).toBe(false);
    expect(() => dev.getAttr(KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO, 1 << 10)).toThrow(/level info type 1 is not supported/);
  });

  it('refuses what the machine does not have, with a VgicError and no change', () => {
    const m = toy();
    m.enter(0);
    const before = new Uint8Array(m.vgic.buffer.slice(0));
    const dev = kvmDevice(m);
    for (const f of [
      () => dev.getAttr(KVM_DEV_ARM_VGIC_GRP_DIST_REGS, 0),
      () => dev.getAttr(42, 0),
      () => dev.setAttr(KVM_DEV_ARM_VGIC_GRP_CTRL, 3, 0),
      () => dev.readLineLevel(33),
      () => dev.readLineLevel(0, 2),
    ]) {
      let error: unknown;
      try {
        f();
      } catch (e) {
        error = e;
      }
      expect(isVgicError(error)).toBe(true);
    }
    expect(new Uint8Array(m.vgic.buffer)).toEqual(before);
    expect(m.isRunning(0)).toBe(true);
  });

  it('refuses attributes and values that are not 64-bit numbers, and what is not a machine, with a VgicError', () => {
    const m = toy();
    const dev = kvmDevice(m);
    const before = new Uint8Array(m.vgic.buffer).slice();
    for (const f of [
      () => dev.getAttr(KVM_DEV_ARM_VGIC_GRP_DIST_REGS, 1.5),
      () => dev.getAttr(KVM_DEV_ARM_VGIC_GRP_DIST_REGS, -1),
      () => dev.getAttr(KVM_DEV_ARM_VGIC_GRP_DIST_REGS, '0x100' as never),
      () => dev.getAttr(Symbol('group') as never, 0),
      () => dev.setAttr(KVM_DEV_ARM_VGIC_GRP_DIST_REGS, 0x100, 'x' as never),
      () => dev.setAttr(KVM_DEV_ARM_VGIC_GRP_DIST_REGS, 0x100, 2 ** 32),
      () => dev.setAttr(KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO, 0, Number.NaN),
      () => dev.writeLineLevel(32, 'all' as never),
      () => dev.readDistReg(0x100n as never),
      () => kvmDevice(null as never),
      () => kvmDevice({ vgic: m.vgic } as never),
    ]) {
      let error: unknown;
      try {
        f();
      } catch (e) {
        error = e;
      }
      expect(isVgicError(error, 'INVALID_ARGUMENT'), String(error)).toBe(true);
    }
    expect(new Uint8Array(m.vgic.buffer)).toEqual(before);
  });
});
