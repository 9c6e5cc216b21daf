/**
 * The conformance suite over the toy GIC: the suite itself is exercised here
 * (and shows what a backend's own `conformance.test.ts` looks like).
 */
import { describeConformance } from '../src/testing/index.js';
import { createToy } from './fixtures/toy-gic.js';
import { toyGuest } from './fixtures/toy-guest.js';

describeConformance({ name: 'toy GIC', create: createToy, guest: toyGuest });
describeConformance({ name: 'toy GIC with SGI sources', create: (o) => createToy({ ...o, sgiSources: true }), guest: toyGuest });

// A backend that declares none of the optional capabilities, driven by a guest
// without setDistributorEnable: the distributor-enable tests have no way to
// set the enables, and are skipped, saying why; everything else still runs.
const { setDistributorEnable: _unused, ...guestWithoutDistEnable } = toyGuest;
describeConformance({ name: 'bare toy GIC', create: (o) => createToy({ ...o, bare: true }), guest: guestWithoutDistEnable });
