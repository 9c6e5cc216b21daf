/**
 * Host misuse: bad host input is refused with a VgicError code and changes
 * nothing; an address no frame holds is reported to the caller, not thrown.
 */
import { describe, expect } from 'vitest';
import type { ConformanceContext } from './context.js';

export const HOST_INPUT_TESTS: readonly string[] = [
  'host.errors',
  'host.unmapped-address',
];

export function describeHostInput(c: ConformanceContext): void {
  const { test, boot, spi, drain, expectError, spis } = c;

  describe('host input', () => {
    test('host.errors', 'bad host input is refused with a VgicError code and changes nothing', () => {
      const m = boot({ vcpus: 2 });
      spi(m, 40, { to: 1 });
      m.inject(40, 1);
      const limit = 32 + spis;
      for (const intid of [0, 3, 15]) expectError(() => m.inject(intid, 1, 0), 'INVALID_INTID', m);
      for (const intid of [1020, 1021, 1022, 1023]) expectError(() => m.inject(intid, 1), 'INVALID_INTID', m);
      for (const intid of [limit, 1019, 1024, 5120, -1, 40.5, Number.NaN]) {
        expectError(() => m.inject(intid, 1), 'INVALID_INTID', m);
      }
      expectError(() => m.inject(27, 1), 'INVALID_VCPU', m);
      expectError(() => m.inject(27, 1, 2), 'INVALID_VCPU', m);
      expectError(() => m.inject(27, 1, -1), 'INVALID_VCPU', m);
      expectError(() => m.inject(40, 1, 7), 'INVALID_VCPU', m);
      expectError(() => m.inject(40, 2 as 1), 'INVALID_ARGUMENT', m);
      expectError(() => m.mapHw(3, 3, 0), 'INVALID_INTID', m);
      expectError(() => m.mapHw(1023, 60), 'INVALID_INTID', m);
      expectError(() => m.mapHw(27, 27), 'INVALID_VCPU', m);
      expectError(() => m.enter(2), 'INVALID_VCPU', m);
      expectError(() => m.exit(-1), 'INVALID_VCPU', m);
      expectError(() => m.hasPending(9), 'INVALID_VCPU', m);
      expectError(() => m.mmioRead(2, m.frames[0]!.base, 32), 'INVALID_VCPU', m);
      expect(drain(m, 1)).toEqual([40]);
    });

    test('host.unmapped-address', 'an address no frame holds is reported to the caller, not thrown', () => {
      const m = boot();
      let end = 0;
      for (const f of m.frames) end = Math.max(end, f.base + f.size * (f.perVcpu ? m.vcpus : 1));
      const nowhere = end + 0x10_0000;
      expect(m.mmioRead(0, nowhere, 32)).toBeUndefined();
      expect(m.mmioWrite(0, nowhere, 32, 1)).toBe(false);
      expect(m.sysregRead(0, { op0: 0, op1: 7, crn: 15, crm: 15, op2: 7 })).toBeUndefined();
    });
  });
}
