/**
 * Save and restore as properties, on the toy GIC (with and without GICv2-style
 * SGI sources): from any state random guest and host operations reach,
 * save → restore into a fresh machine → save gives the same document, and
 * the two machines then behave the same under any continuation.
 */
import { describe, it } from 'vitest';
import { createToy } from '../../test/fixtures/toy-gic.js';
import { toyGuest } from '../../test/fixtures/toy-guest.js';
import { PROPERTY_SHAPE, checkRestoreMutationProperty, checkSaveRestoreProperty, restoreMutationRuns } from './testkit.js';

const configs = [
  { name: 'toy GIC', sgiSources: false },
  { name: 'toy GIC with SGI sources', sgiSources: true },
];

describe.each(configs)('save and restore on the $name', ({ sgiSources }) => {
  it('restore → save gives the saved document, and a continuation behaves the same on both machines', () => {
    checkSaveRestoreProperty(() => createToy({ ...PROPERTY_SHAPE, sgiSources }), toyGuest, 300);
  });
});

describe.each(configs)('restore on the $name refuses what it cannot restore', ({ sgiSources }) => {
  const runs = restoreMutationRuns(30);
  it('each random mutation of a busy document is refused with the target unchanged, or restores a sound machine that behaves as a fresh one', { timeout: 30_000 + runs * 1000 }, () => {
    checkRestoreMutationProperty(() => createToy({ ...PROPERTY_SHAPE, sgiSources }), toyGuest, runs, {
      mutationsPerRun: 10,
      writeBack: ['TDIST_CTLR', 'TDIST_ROUTER32', 'TDIST_ROUTER33', 'TDIST_ROUTER63', 'TDIST_IPRIORITYR8', 'TCPU_CTLR', 'TCPU_PMR', 'TCPU_BPR0', 'TCPU_BPR1'],
    });
  });
});
