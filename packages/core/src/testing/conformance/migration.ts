/**
 * Retargeting an SPI: a pending one follows its new route, an active one
 * stays with its vCPU until deactivated, one routed to no vCPU waits.
 */
import { describe, expect } from 'vitest';
import { SPURIOUS, type ConformanceContext } from './context.js';

export const MIGRATION_TESTS: readonly string[] = [
  'migration.pending',
  'migration.active',
  'migration.nowhere',
];

export function describeMigration(c: ConformanceContext): void {
  const { guest, test, boot, spi, take, takeIntid, eoi, drain } = c;

  describe('migration', () => {
    test('migration.pending', 'a pending SPI retargeted before it is taken is delivered to its new vCPU', () => {
      const m = boot({ vcpus: 2 });
      spi(m, 40, { to: 0 });
      m.inject(40, 1);
      expect(guest.highestPending(m, 0)).toBe(40);
      guest.route(m, 40, 1);
      // The kicked vCPU 0 exits and re-enters: the interrupt moves.
      expect(takeIntid(m, 0)).toBe(SPURIOUS);
      expect(drain(m, 1)).toEqual([40]);
    });

    test('migration.active', 'an active SPI stays with its vCPU when retargeted; its next edge follows the new route', () => {
      const m = boot({ vcpus: 2 });
      spi(m, 40, { to: 0 });
      m.inject(40, 1);
      const t = take(m, 0);
      guest.route(m, 40, 1);
      m.inject(40, 0);
      m.inject(40, 1);
      expect(takeIntid(m, 1)).toBe(SPURIOUS);
      expect(m.irq(40)).toMatchObject({ active: true, pending: true, queued: 0 });
      eoi(m, 0, t);
      m.exit(0);
      expect(m.irq(40)).toMatchObject({ active: false, pending: true, queued: 1 });
      expect(takeIntid(m, 0)).toBe(SPURIOUS);
      expect(drain(m, 1)).toEqual([40]);
    });

    test('migration.nowhere', 'an SPI routed to no vCPU waits, and is delivered once routed', () => {
      const m = boot({ vcpus: 2 });
      spi(m, 40, { to: 0 });
      if (!guest.routeNowhere(m, 40)) return;
      m.inject(40, 1);
      expect(takeIntid(m, 0)).toBe(SPURIOUS);
      expect(takeIntid(m, 1)).toBe(SPURIOUS);
      expect(m.irq(40)).toMatchObject({ pending: true, queued: null });
      guest.route(m, 40, 1);
      expect(drain(m, 1)).toEqual([40]);
    });
  });
}
