/**
 * The distributor enable: off, nothing is delivered; on, what waited is.
 */
import { describe, expect } from 'vitest';
import { SPURIOUS, type ConformanceContext } from './context.js';

export const DISTRIBUTOR_TESTS: readonly string[] = [
  'distributor.disable',
];

export function describeDistributor(c: ConformanceContext): void {
  const { guest, test, boot, spi, takeIntid, drain, setDist } = c;

  describe('distributor', () => {
    test('distributor.disable', 'a disabled distributor delivers nothing; enabling it delivers what waits', () => {
      const m = boot({ vcpus: 2 });
      spi(m, 40, { to: 1 });
      setDist(m, 0);
      m.inject(40, 1);
      expect(m.hasPending(1)).toBe(false);
      expect(takeIntid(m, 1)).toBe(SPURIOUS);
      expect(m.irq(40)).toMatchObject({ pending: true, queued: null });
      setDist(m, 1 << guest.group);
      expect(drain(m, 1)).toEqual([40]);
    });
  });
}
