/**
 * Save and restore as properties, on the toy GIC (with and without GICv2-style
 * SGI sources): from any state random guest and host operations reach,
 * save → restore into a fresh machine → save gives the same document, and
 * the two machines then behave the same under any continuation.
 */
import { describe, it } from 'vitest';
import { createToy } from '../../test/fixtures/toy-gic.js';
import { toyGuest } from '../../test/fixtures/toy-guest.js';
import { PROPERTY_SHAPE, checkSaveRestoreProperty } from './testkit.js';

const configs = [
  { name: 'toy GIC', sgiSources: false },
  { name: 'toy GIC with SGI sources', sgiSources: true },
];

describe.each(configs)('save and restore on the $name', ({ sgiSources }) => {
  it('restore → save gives the saved document, and a continuation behaves the same on both machines', () => {
    checkSaveRestoreProperty(() => createToy({ ...PROPERTY_SHAPE, sgiSources }), toyGuest, 300);
  });
});
