/** Core's worker-thread stress suite over the X GIC: each thread loads this package's backend module by URL. */
import { describeStress } from '@vgic/core/testing';

describeStress({
  name: 'X GIC',
  gic: 'x',
  backend: { module: new URL('./index.js', import.meta.url).href, create: 'createXgic', attach: 'attachXgic', guest: 'xgicGuest' },
});
