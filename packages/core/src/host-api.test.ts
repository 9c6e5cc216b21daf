/**
 * Host misuse as a property, on the toy GIC: every entry point, called with
 * arbitrary JavaScript values, returns or throws a VgicError and changes
 * nothing; a guest access never throws, and one it refuses enters no vCPU.
 */
import { describe, it } from 'vitest';
import { createToy } from '../test/fixtures/toy-gic.js';
import { toyGuest } from '../test/fixtures/toy-guest.js';
import { checkHostMisuseProperty, misuseRuns } from './host-api-testkit.js';

describe('host misuse, as a property', () => {
  const runs = misuseRuns(150);
  it('every entry point refuses wrong types and values with a VgicError and leaves the state byte-identical', { timeout: 30_000 + runs * 100 }, () => {
    checkHostMisuseProperty(() => {
      const m = createToy({ vcpus: 3, spis: 32, lrs: 2, lockCheck: true });
      toyGuest.init(m);
      return m;
    }, runs);
  });
});
