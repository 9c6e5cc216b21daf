/** Core's save/restore property over the X GIC. */
import { describeSaveRestore } from '@vgic/core/testing';
import { createXgic } from './xgic.js';
import { xgicGuest } from './xgic-guest.js';

describeSaveRestore({ name: 'X GIC', create: createXgic, guest: xgicGuest, runs: 100 });
describeSaveRestore({ name: 'X GIC with SGI sources', create: (o) => createXgic({ ...o, sgiSources: true }), guest: xgicGuest, runs: 100 });
