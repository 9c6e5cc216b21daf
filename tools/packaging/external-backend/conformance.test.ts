/** Core's conformance suite over the X GIC, with and without SGI source bitmaps. */
import { describeConformance } from '@vgic/core/testing';
import { createXgic } from './xgic.js';
import { xgicGuest } from './xgic-guest.js';

describeConformance({ name: 'X GIC', create: createXgic, guest: xgicGuest });
describeConformance({ name: 'X GIC with SGI sources', create: (o) => createXgic({ ...o, sgiSources: true }), guest: xgicGuest });
