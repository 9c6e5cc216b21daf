/**
 * The `its` option of a GICv3 machine: `true`, or `{ base, devices,
 * collections, translations, cache }`, each optional.
 */
import { VgicError, describeValue, frameBase, readOptions } from '@vgic/core';
import { GITS_SIZE } from './frame.js';
import type { ItsCapacities } from './tables.js';

/** QEMU virt's GITS base. */
export const DEFAULT_GITS_BASE = 0x0808_0000;

export interface ItsOptions {
  /** Guest physical base of the 128 KiB GITS frame, 64 KiB aligned. Default 0x08080000, as QEMU's `virt`. */
  base?: number;
  /** Devices mapped at once. Default 1024. */
  devices?: number;
  /** Collections at once. Default 512. */
  collections?: number;
  /** Translations (MAPTI/MAPI) at once. Default: the machine's LPI capacity. */
  translations?: number;
  /** Entries of the translation cache, a power of two. Default 1024. */
  cache?: number;
}

const KEYS: readonly string[] = Object.freeze(['base', 'devices', 'collections', 'translations', 'cache']);
export const DEFAULT_ITS_DEVICES = 1024;
export const DEFAULT_ITS_COLLECTIONS = 512;
export const DEFAULT_ITS_CACHE = 1024;
/** Every table's upper bound: 16-bit IDs name no more. */
const MAX_ENTRIES = 1 << 16;

export interface ItsConfig {
  readonly base: number;
  /** The capacities, for a machine of `nrLpis` LPIs. */
  caps(nrLpis: number): ItsCapacities;
}

function count(name: string, value: unknown, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max) {
    throw new VgicError('INVALID_CONFIG', `its.${name} must be a whole number 1..${max}; got ${describeValue(value)}`);
  }
  return value;
}

/** The ITS `its` describes, or null for none. Throws INVALID_CONFIG for a value that is not one. */
export function readItsOption(its: unknown): ItsConfig | null {
  if (its === undefined || its === false) return null;
  const o = its === true ? {} : readOptions(its, KEYS, 'INVALID_CONFIG', 'its options (true, or { base, devices, collections, translations, cache })');
  const base = frameBase('its.base', o['base'], { fallback: DEFAULT_GITS_BASE, align: 0x10000, size: GITS_SIZE, addressBits: 52 });
  const devices = count('devices', o['devices'], DEFAULT_ITS_DEVICES, MAX_ENTRIES);
  const collections = count('collections', o['collections'], DEFAULT_ITS_COLLECTIONS, MAX_ENTRIES);
  const translations = o['translations'] === undefined ? null : count('translations', o['translations'], 0, 1 << 20);
  const cache = count('cache', o['cache'], DEFAULT_ITS_CACHE, MAX_ENTRIES);
  if ((cache & (cache - 1)) !== 0) throw new VgicError('INVALID_CONFIG', `its.cache must be a power of two; got ${cache}`);
  return {
    base,
    caps: (nrLpis) => ({ devices, collections, translations: translations ?? Math.max(nrLpis, 1), cache }),
  };
}
