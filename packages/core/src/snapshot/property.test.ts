/**
 * Save and restore as properties, on the toy GIC (with and without GICv2-style
 * SGI sources): from any state random guest and host operations reach,
 * save → restore into a fresh machine → save gives the same document, and
 * the two machines then behave the same under any continuation.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createToy } from '../../test/fixtures/toy-gic.js';
import { toyGuest } from '../../test/fixtures/toy-guest.js';
import { restoreMachine, saveMachine } from './index.js';
import { Driver, bringUp, observableState, opArbitrary, opSpace } from './testkit.js';

const configs = [
  { name: 'toy GIC', sgiSources: false },
  { name: 'toy GIC with SGI sources', sgiSources: true },
];

describe.each(configs)('save and restore on the $name', ({ sgiSources }) => {
  const shape = { vcpus: 3, spis: 32, lrs: 2 };
  const space = opSpace(shape.vcpus, shape.spis, toyGuest);
  const ops = fc.array(opArbitrary(space), { maxLength: 80, size: 'max' });
  // Mostly a guest that brought its interrupts up; sometimes one at reset.
  const start = fc.constantFrom('up' as const, 'up' as const, 'up-eoimode1' as const, 'reset' as const);

  it('restore → save gives the saved document, and a continuation behaves the same on both machines', () => {
    fc.assert(
      fc.property(start, ops, ops, (init, before, after) => {
        const m1 = createToy({ ...shape, sgiSources });
        if (init !== 'reset') bringUp(m1, toyGuest, space, init === 'up' ? 0 : 1);
        const d1 = new Driver(m1, toyGuest);
        for (const op of before) d1.run(op);

        const doc = saveMachine(m1);
        const m2 = createToy({ ...shape, sgiSources });
        restoreMachine(m2, JSON.parse(JSON.stringify(doc)));
        expect(saveMachine(m2)).toEqual(doc);
        expect(m2.checkInvariants()).toEqual([]);
        expect(observableState(m2)).toEqual(observableState(m1));

        const mark = d1.events.length;
        const d2 = d1.fork(m2);
        for (const op of after) {
          const seen = d1.run(op);
          expect(d2.run(op), JSON.stringify(op)).toEqual(seen);
        }
        expect(d2.events).toEqual(d1.events.slice(mark));
        expect(observableState(m2)).toEqual(observableState(m1));
        expect(m1.checkInvariants()).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });
});
