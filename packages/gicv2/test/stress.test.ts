/** The shared stress suite on GICv2 (see @vgic/core/testing). */
import { describeStress } from '@vgic/core/testing';

describeStress({
  name: 'GICv2',
  gic: 'v2',
  backend: { module: '@vgic/gicv2', create: 'createGicv2', attach: 'attachGicv2', guest: 'gicv2Guest' },
});
