/**
 * The conformance suite over the toy GIC: the suite itself is exercised here
 * (and shows what a backend's own `conformance.test.ts` looks like).
 */
import { describeConformance } from '../src/testing/index.js';
import { createToy } from './fixtures/toy-gic.js';
import { toyGuest } from './fixtures/toy-guest.js';

describeConformance({ name: 'toy GIC', create: createToy, guest: toyGuest });
describeConformance({ name: 'toy GIC with SGI sources', create: (o) => createToy({ ...o, sgiSources: true }), guest: toyGuest });
