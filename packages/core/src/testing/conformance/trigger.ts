/**
 * Edge and level triggering: edges coalesce while pending and are kept
 * while active; a level interrupt follows its line; the guest's ISPENDR and
 * ICPENDR set and clear pending state, also in a running vCPU's list register.
 */
import { describe, expect } from 'vitest';
import { SPURIOUS, type ConformanceContext } from './context.js';

export const TRIGGER_TESTS: readonly string[] = [
  'trigger.edge-coalesce',
  'trigger.edge-while-active',
  'trigger.level-lowered',
  'trigger.level-ispendr',
  'trigger.icpendr',
  'trigger.icpendr-live',
];

export function describeTrigger(c: ConformanceContext): void {
  const { guest, test, boot, spi, take, takeIntid, eoi, drain } = c;

  describe('level and edge', () => {
    test('trigger.edge-coalesce', 'edges that arrive while an interrupt is pending are one interrupt', () => {
      const m = boot();
      spi(m, 40);
      expect(m.inject(40, 1)).toBe(true);
      m.inject(40, 0);
      expect(m.inject(40, 1)).toBe(false);
      expect(drain(m, 0)).toEqual([40]);
    });

    test('trigger.edge-while-active', 'an edge that arrives while its interrupt is active is delivered after deactivation', () => {
      const m = boot();
      spi(m, 40);
      m.inject(40, 1);
      const t = take(m, 0);
      m.inject(40, 0);
      expect(m.inject(40, 1)).toBe(true);
      expect(m.irq(40)).toMatchObject({ active: true, pending: true });
      expect(takeIntid(m, 0)).toBe(SPURIOUS);
      eoi(m, 0, t);
      expect(drain(m, 0)).toEqual([40]);
    });

    test('trigger.level-lowered', 'a level interrupt lowered before it is acknowledged is not delivered', () => {
      const m = boot();
      spi(m, 41, { edge: false });
      m.inject(41, 1);
      expect(m.inject(41, 0)).toBe(true);
      expect(takeIntid(m, 0)).toBe(SPURIOUS);
      expect(m.irq(41).pending).toBe(false);
    });

    test('trigger.level-ispendr', 'a level interrupt made pending by the guest is delivered once with its line low', () => {
      const m = boot();
      spi(m, 41, { edge: false });
      guest.setPending(m, 41);
      expect(drain(m, 0)).toEqual([41]);
      expect(m.irq(41)).toMatchObject({ pending: false, active: false });
    });

    test('trigger.icpendr', 'clearing a pending edge interrupt drops it', () => {
      const m = boot({ vcpus: 2 });
      spi(m, 40, { to: 1 });
      m.inject(40, 1);
      guest.clearPending(m, 40, 0);
      expect(m.irq(40).pending).toBe(false);
      expect(takeIntid(m, 1)).toBe(SPURIOUS);
    });

    test('trigger.icpendr-live', "clearing a pending interrupt held in a running vCPU's list register drops it there too", () => {
      const m = boot({ vcpus: 2 });
      spi(m, 40, { to: 1 });
      m.inject(40, 1);
      expect(guest.highestPending(m, 1)).toBe(40);
      guest.clearPending(m, 40, 0);
      expect(m.irq(40).pending).toBe(false);
      expect(takeIntid(m, 1)).toBe(SPURIOUS);
    });
  });
}
