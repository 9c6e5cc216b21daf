import { describe, expect, it } from 'vitest';
import { isVgicError } from '../errors.js';
import { measureScaling } from './scaling.js';

async function failure(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

describe('measureScaling', () => {
  it('refuses blocks of SPIs that would overlap the next vCPU, before it starts anything', async () => {
    const e = await failure(measureScaling({ gic: 'v3', workers: 1, seconds: 1, backends: {}, spisPerVcpu: 8, spiSpacing: 4 }));
    expect(isVgicError(e, 'INVALID_ARGUMENT')).toBe(true);
    expect((e as Error).message).toMatch(/spiSpacing must be an integer of at least spisPerVcpu \(8\); got 4/);
  });

  it('refuses a warm-up that is not a number of seconds, zero or more', async () => {
    for (const warmupSeconds of [-1, Number.NaN]) {
      const e = await failure(measureScaling({ gic: 'v3', workers: 1, seconds: 1, backends: {}, warmupSeconds }));
      expect(isVgicError(e, 'INVALID_ARGUMENT')).toBe(true);
      expect((e as Error).message).toMatch(/warmupSeconds must be zero or more/);
    }
  });

  it('refuses a count of SPIs per vCPU that is not a positive integer', async () => {
    const e = await failure(measureScaling({ gic: 'v3', workers: 1, seconds: 1, backends: {}, spisPerVcpu: 0 }));
    expect(isVgicError(e, 'INVALID_ARGUMENT')).toBe(true);
    expect((e as Error).message).toMatch(/spisPerVcpu must be a positive integer/);
  });
});
