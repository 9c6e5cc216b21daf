/**
 * Host misuse as properties on the GICv2 backend: every entry point of a
 * machine, its factory and its attach function, called with arbitrary
 * JavaScript values (and handles whose buffer is cut short or whose header
 * is altered), returns or throws a VgicError and changes nothing.
 */
import { describe, it } from 'vitest';
import { checkFactoryMisuseProperty, checkHostMisuseProperty, misuseRuns } from '../../core/src/host-api-testkit.js';
import { PROPERTY_SHAPE } from '../../core/src/snapshot/testkit.js';
import { attachGicv2, createGicv2, gicv2Guest as guest, type Gicv2Options } from '../src/index.js';

describe('GICv2 host misuse, as properties', () => {
  const runs = misuseRuns(100);
  it('every entry point refuses wrong types and values with a VgicError and leaves the state byte-identical', { timeout: 30_000 + runs * 200 }, () => {
    checkHostMisuseProperty(() => {
      const m = createGicv2({ ...PROPERTY_SHAPE, lockCheck: true });
      guest.init(m);
      return m;
    }, runs);
  });

  it('createGicv2 and attachGicv2 refuse what is not their options or a handle, a short buffer and an altered header with a VgicError', { timeout: 30_000 + runs * 200 }, () => {
    checkFactoryMisuseProperty(
      (o) => createGicv2(o as Gicv2Options),
      (h, o) => attachGicv2(h as Parameters<typeof attachGicv2>[0], o as Parameters<typeof attachGicv2>[1]),
      () => {
        const m = createGicv2({ vcpus: 2, spis: 32, shared: true });
        guest.init(m);
        return { m, handle: m.handle({}) };
      },
      runs,
    );
  });
});
