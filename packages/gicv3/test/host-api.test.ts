/**
 * Host misuse as properties on the GICv3 backend: every entry point of a
 * machine, its factory and its attach function, called with arbitrary
 * JavaScript values (and handles whose buffer is cut short or whose header
 * is altered), returns or throws a VgicError and changes nothing.
 */
import { describe, it } from 'vitest';
import { checkFactoryMisuseProperty, checkHostMisuseProperty, misuseRuns } from '../../core/src/host-api-testkit.js';
import { PROPERTY_SHAPE } from '../../core/src/snapshot/testkit.js';
import { attachGicv3, createGicv3, gicv3Guest as guest, type Gicv3Options } from '../src/index.js';

describe('GICv3 host misuse, as properties', () => {
  const runs = misuseRuns(100);
  it('every entry point refuses wrong types and values with a VgicError and leaves the state byte-identical', { timeout: 30_000 + runs * 200 }, () => {
    checkHostMisuseProperty(() => {
      const m = createGicv3({ ...PROPERTY_SHAPE, lockCheck: true });
      guest.init(m);
      return m;
    }, runs);
  });

  it('createGicv3 and attachGicv3 refuse what is not their options or a handle, a short buffer and an altered header with a VgicError', { timeout: 30_000 + runs * 200 }, () => {
    checkFactoryMisuseProperty(
      (o) => createGicv3(o as Gicv3Options),
      (h, o) => attachGicv3(h as Parameters<typeof attachGicv3>[0], o as Parameters<typeof attachGicv3>[1]),
      () => {
        const m = createGicv3({ vcpus: 2, spis: 32, shared: true });
        guest.init(m);
        return { m, handle: m.handle({}) };
      },
      runs,
    );
  });
});
