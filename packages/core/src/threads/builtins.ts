/**
 * Modules built into core that a worker can run by name (`vgic:<name>`):
 * the guests and tasks of the stress run and the scaling measurement. They
 * are bundled with the worker entry, so they need no module resolution.
 */
import { VgicError } from '../errors.js';
import { lpiStressCommands, lpiStressDevice, lpiStressGuest } from './stress-lpi-roles.js';
import { stressDistToggle, stressIrouterHalf } from './stress-races.js';
import { scalingGuest } from './scaling-guest.js';
import { stressGuest, stressInjector, stressRetarget } from './stress-roles.js';

const BUILTINS: Record<string, Record<string, unknown>> = {
  'stress-guest': { default: stressGuest },
  'stress-injector': { default: stressInjector },
  'stress-retarget': { default: stressRetarget },
  'stress-dist-toggle': { default: stressDistToggle },
  'stress-irouter-half': { default: stressIrouterHalf },
  'scaling-guest': { default: scalingGuest },
  'stress-lpi-guest': { default: lpiStressGuest },
  'stress-lpi-device': { default: lpiStressDevice },
  'stress-lpi-commands': { default: lpiStressCommands },
};

export function builtinModule(name: string): Record<string, unknown> {
  const mod = BUILTINS[name];
  if (mod === undefined) {
    throw new VgicError('INVALID_ARGUMENT', `no built-in module vgic:${name}; there are ${Object.keys(BUILTINS).map((n) => `vgic:${n}`).join(', ')}`);
  }
  return mod;
}
