/**
 * Injection and delivery: an edge or level SPI reaches its target once, a
 * level one again while its line is high, the device hears of the guest's EOI,
 * PPIs and SGIs reach the vCPUs they name, and the vCPU's interrupt line
 * follows whether an interrupt can be taken.
 */
import { describe, expect } from 'vitest';
import { SPURIOUS, type ConformanceContext } from './context.js';

export const INJECTION_TESTS: readonly string[] = [
  'injection.edge-spi',
  'injection.level-spi',
  'injection.eoi-notify',
  'injection.ppi',
  'injection.sgi-self',
  'injection.sgi-other',
  'injection.sgi-broadcast',
  'injection.lines',
];

export function describeInjection(c: ConformanceContext): void {
  const { guest, other, target, test, boot, spi, take, takeIntid, eoi, drain } = c;

  describe('injection', () => {
    test('injection.edge-spi', 'an edge SPI is delivered once to its target and deactivated by EOI', () => {
      const m = boot({ vcpus: 2 });
      spi(m, 40, { to: 1 });
      expect(m.inject(40, 1)).toBe(true);
      expect(m.inject(40, 0)).toBe(false);
      expect(takeIntid(m, 0)).toBe(SPURIOUS);
      const t = take(m, 1);
      expect(t.intid).toBe(40);
      expect(m.irq(40)).toMatchObject({ active: true, pending: false });
      eoi(m, 1, t);
      expect(m.irq(40)).toMatchObject({ active: false, pending: false });
      expect(takeIntid(m, 1)).toBe(SPURIOUS);
    });

    test('injection.level-spi', 'a level SPI is delivered again after EOI while its line is high, and not once it is low', () => {
      const m = boot({ vcpus: 2 });
      spi(m, 41, { to: 1, edge: false });
      expect(m.inject(41, 1)).toBe(true);
      expect(m.inject(41, 1)).toBe(false);
      let t = take(m, 1);
      expect(t.intid).toBe(41);
      expect(m.irq(41).active).toBe(true);
      eoi(m, 1, t);
      t = take(m, 1);
      expect(t.intid).toBe(41);
      expect(m.inject(41, 0)).toBe(true);
      eoi(m, 1, t);
      expect(takeIntid(m, 1)).toBe(SPURIOUS);
      expect(m.irq(41)).toMatchObject({ active: false, pending: false });
    });

    test('injection.eoi-notify', 'the device is told when the guest is done with a level interrupt', () => {
      const m = boot({ vcpus: 2 });
      const calls: [number, number][] = [];
      m.onEoiNotify((intid, vcpu) => calls.push([intid, vcpu]));
      spi(m, 41, { to: 1, edge: false });
      m.inject(41, 1);
      const t = take(m, 1);
      m.inject(41, 0);
      expect(calls).toEqual([]);
      eoi(m, 1, t);
      m.exit(1);
      expect(calls).toEqual([[41, 1]]);
    });

    test('injection.ppi', 'a PPI is delivered to the vCPU it names, and to no other', () => {
      const m = boot({ vcpus: 2 });
      guest.setPriority(m, 27, 0x80, 1);
      guest.enable(m, 27, 1);
      guest.enable(m, 27, 0);
      expect(m.inject(27, 1, 1)).toBe(true);
      expect(takeIntid(m, 0)).toBe(SPURIOUS);
      const t = take(m, 1);
      expect(t.intid).toBe(27);
      m.inject(27, 0, 1);
      eoi(m, 1, t);
      expect(takeIntid(m, 1)).toBe(SPURIOUS);
      expect(m.irq(27, 0)).toMatchObject({ pending: false, active: false });
      expect(m.irq(27, 1)).toMatchObject({ pending: false, active: false });
    });

    test('injection.sgi-self', 'an SGI a vCPU sends itself is delivered to it', () => {
      const m = boot({ vcpus: 2 });
      guest.enable(m, 3, 0);
      guest.setPriority(m, 3, 0x40, 0);
      guest.sendSgi(m, 0, [0], 3);
      const t = take(m, 0);
      expect(t.intid).toBe(3);
      expect(takeIntid(m, 1)).toBe(SPURIOUS);
      eoi(m, 0, t);
      expect(m.irq(3, 0)).toMatchObject({ pending: false, active: false });
      expect(takeIntid(m, 0)).toBe(SPURIOUS);
    });

    test('injection.sgi-other', 'an SGI sent to a list of vCPUs is delivered once to each of them', () => {
      const m = boot({ vcpus: 3 });
      for (let k = 0; k < 3; k++) guest.enable(m, 5, k);
      guest.sendSgi(m, 1, [0, 2], 5);
      expect(takeIntid(m, 1)).toBe(SPURIOUS);
      for (const k of [0, 2]) {
        const t = take(m, k);
        expect(t.intid).toBe(5);
        // GICv2 reports the source vCPU in bits 12:10.
        expect(t.raw === t.intid || ((t.raw >> 10) & 7) === 1).toBe(true);
        eoi(m, k, t);
        expect(takeIntid(m, k)).toBe(SPURIOUS);
      }
    });

    test('injection.sgi-broadcast', 'a broadcast SGI reaches every vCPU but the sender', () => {
      const m = boot({ vcpus: 3 });
      for (let k = 0; k < 3; k++) guest.enable(m, 7, k);
      guest.broadcastSgi(m, 2, 7);
      expect(takeIntid(m, 2)).toBe(SPURIOUS);
      expect(drain(m, 0)).toEqual([7]);
      expect(drain(m, 1)).toEqual([7]);
    });

    test('injection.lines', "the vCPU's interrupt line rises when an interrupt can be taken and falls when it is", () => {
      const m = boot({ vcpus: 2 });
      const seen: [number, boolean][] = [];
      const stop = m.onLine((vcpu, irq, fiq) => seen.push([vcpu, irq || fiq]));
      spi(m, 40, { to: 1 });
      m.inject(40, 1);
      expect(m.hasPending(1)).toBe(true);
      expect(m.hasPending(0)).toBe(false);
      m.enter(1);
      expect(m.irqLine(1) || m.fiqLine(1)).toBe(true);
      const t = take(m, 1);
      expect(m.irqLine(1) || m.fiqLine(1)).toBe(false);
      expect(m.hasPending(1)).toBe(false);
      eoi(m, 1, t);
      stop();
      expect(seen).toEqual([
        [1, true],
        [1, false],
      ]);
    });
  });
}
