/**
 * A group enable at the vCPU's CPU interface (GICv2's GICC_CTLR.EnableGrp0/1,
 * GICv3's ICC_IGRPEN0/1_EL1) makes the vCPU look at its ap_list again, as
 * KVM arms the VGrp0/1 enable and disable maintenance interrupts for it: an
 * interrupt the list registers left behind because its group was off is
 * delivered as soon as the group is on.
 */
import { describe, expect } from 'vitest';
import type { ConformanceContext } from './context.js';

export const GROUP_ENABLE_TESTS: readonly string[] = ['groups.enable-resyncs'];

export function describeGroupEnable(c: ConformanceContext): void {
  const { guest, other } = c;
  const SPURIOUS = 1023;

  describe('group enables make the vCPU look again', () => {
    c.test('groups.enable-resyncs', 'enabling a group at the CPU interface brings in what waited for it behind a full list register (1 LR)', () => {
      const m = c.boot({ vcpus: 1, lrs: 1 });
      c.setDist(m, (1 << guest.group) | (1 << other));
      c.spi(m, 40, { prio: 0x80 });
      c.spi(m, 41, { prio: 0xa0 });
      guest.setGroup(m, 40, other);
      guest.setGroupEnable(m, 0, other, false);
      // The mask lets 40 through, not 41.
      guest.setPmr(m, 0, 0x90);
      m.exit(0);
      m.inject(40, 1);
      m.inject(41, 1);
      m.enter(0);
      // The one list register holds 41, of the enabled group; 40 waits.
      expect(m.irq(41).lr).toBe(0);
      expect(m.irq(40)).toMatchObject({ lr: null, pending: true });
      expect(guest.ack(m, 0, other)).toBeGreaterThanOrEqual(1020);

      guest.setGroupEnable(m, 0, other, true);
      expect(guest.ack(m, 0, other)).toBe(40);
      guest.eoi(m, 0, 40, 40, other);
      expect(m.irq(40)).toMatchObject({ pending: false, active: false });
      // 41 is still held back by the mask, and delivered once it is raised.
      expect(c.takeIntid(m, 0)).toBe(SPURIOUS);
      guest.setPmr(m, 0, 0xff);
      expect(c.drain(m, 0)).toEqual([41]);
    });
  });
}
