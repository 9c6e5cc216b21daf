/** The shared conformance suite every backend passes (@vgic/core/testing). */
import { describeConformance } from '@vgic/core/testing';
import { createGicv3 } from './machine.js';
import { gicv3Guest } from './guest.js';

describeConformance({ name: 'GICv3', create: createGicv3, guest: gicv3Guest });
