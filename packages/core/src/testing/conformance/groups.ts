/**
 * Interrupt groups: a group disabled at the CPU interface or not forwarded
 * by the distributor holds its interrupts back, and only its own.
 */
import { describe, expect } from 'vitest';
import { SPURIOUS, type ConformanceContext } from './context.js';

export const GROUPS_TESTS: readonly string[] = [
  'groups.cpu-interface',
  'groups.distributor',
  'groups.disabled-does-not-block',
];

export function describeGroups(c: ConformanceContext): void {
  const { guest, other, test, boot, spi, takeIntid, drain, setDist } = c;

  describe('group enables', () => {
    test('groups.cpu-interface', "an interrupt whose group is disabled at the vCPU's interface waits until it is enabled", () => {
      const m = boot({ vcpus: 2 });
      spi(m, 40, { to: 1 });
      guest.setGroupEnable(m, 1, guest.group, false);
      m.inject(40, 1);
      expect(takeIntid(m, 1)).toBe(SPURIOUS);
      expect(m.irqLine(1) || m.fiqLine(1)).toBe(false);
      guest.setGroupEnable(m, 1, guest.group, true);
      expect(drain(m, 1)).toEqual([40]);
    });

    test('groups.distributor', 'an interrupt of a group the distributor does not forward is not delivered', () => {
      const m = boot({ vcpus: 2 });
      setDist(m, 1 << guest.group);
      spi(m, 40, { to: 1 });
      guest.setGroup(m, 40, other);
      guest.setGroupEnable(m, 1, other, true);
      m.inject(40, 1);
      expect(m.irq(40)).toMatchObject({ pending: true, queued: null });
      expect(guest.ack(m, 1, other)).toBeGreaterThanOrEqual(1020);
      setDist(m, (1 << guest.group) | (1 << other));
      expect(guest.ack(m, 1, other)).toBe(40);
    });

    test('groups.disabled-does-not-block', 'pending interrupts of a disabled group do not hold back those of an enabled one (1 LR)', () => {
      const m = boot({ vcpus: 1, lrs: 1 });
      setDist(m, (1 << guest.group) | (1 << other));
      spi(m, 40, { prio: 0x10 });
      spi(m, 41, { prio: 0x80 });
      guest.setGroup(m, 40, other);
      guest.setGroupEnable(m, 0, other, false);
      m.inject(40, 1);
      m.inject(41, 1);
      expect(drain(m, 0)).toEqual([41]);
      expect(m.irq(40).pending).toBe(true);
    });
  });
}
