/**
 * Active state set and cleared by the guest (ISACTIVER, ICACTIVER), as a
 * restore does, and ended by DIR or in a running vCPU's list register.
 */
import { describe, expect } from 'vitest';
import { SPURIOUS, type ConformanceContext } from './context.js';

export const ACTIVE_STATE_TESTS: readonly string[] = [
  'active.isactiver',
  'active.restore-dir',
  'active.icactiver-live',
];

export function describeActiveState(c: ConformanceContext): void {
  const { guest, test, boot, spi, take, takeIntid, eoi, drain } = c;

  describe('active state', () => {
    test('active.isactiver', 'ISACTIVER makes an interrupt active without delivering it; ICACTIVER ends it', () => {
      const m = boot({ vcpus: 2 });
      spi(m, 40, { to: 1 });
      guest.setActive(m, 40, 0);
      expect(m.irq(40)).toMatchObject({ active: true, pending: false, queued: 1 });
      m.inject(40, 1);
      expect(takeIntid(m, 1)).toBe(SPURIOUS);
      guest.clearActive(m, 40, 0);
      expect(m.irq(40).active).toBe(false);
      expect(drain(m, 1)).toEqual([40]);
    });

    test('active.restore-dir', 'an active state restored by ISACTIVER is deactivated by DIR (SGI, PPI, SPI)', () => {
      const m = boot({ vcpus: 2, eoiMode: 1 });
      spi(m, 40, { to: 1 });
      guest.enable(m, 27, 1);
      guest.enable(m, 2, 1);
      guest.setActive(m, 40, 1);
      guest.setActive(m, 27, 1);
      guest.setActive(m, 2, 1);
      for (const [intid, vcpu] of [[40, undefined], [27, 1], [2, 1]] as const) {
        expect(m.irq(intid, vcpu).active).toBe(true);
      }
      guest.dir(m, 1, 40);
      guest.dir(m, 1, 27);
      // A GICv2 SGI names the source of its active instance: the vCPU that wrote ISACTIVER (as KVM records it).
      guest.dir(m, 1, 2, m.backend.sgiSources ? 2 | (1 << 10) : 2);
      m.exit(1);
      for (const [intid, vcpu] of [[40, undefined], [27, 1], [2, 1]] as const) {
        expect(m.irq(intid, vcpu).active).toBe(false);
      }
      expect(takeIntid(m, 1)).toBe(SPURIOUS);
    });

    test('active.icactiver-live', "ICACTIVER ends an interrupt active in a running vCPU's list register", () => {
      const m = boot({ vcpus: 2 });
      spi(m, 40, { to: 1 });
      m.inject(40, 1);
      const t = take(m, 1);
      guest.clearActive(m, 40, 0);
      expect(m.irq(40).active).toBe(false);
      m.inject(40, 1);
      eoi(m, 1, t);
      expect(drain(m, 1)).toEqual([40]);
      expect(m.irq(40).active).toBe(false);
    });
  });
}
