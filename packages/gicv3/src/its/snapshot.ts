/**
 * The ITS in a saved document: its registers and what its tables hold, as
 * plain JSON (64-bit registers as 0x-prefixed hex strings, as core writes
 * IROUTER). The LPIs' own state (pending, priority, enable) is core's part
 * of the document; the translations are what map those LPIs, so a restore
 * maps them first (the references each translation holds come back with
 * it) and core then applies the LPIs' saved state.
 */
import type { BackendSnapshot, Vgic } from '@vgic/core';
import { baserSanitise, cbaserBytes, cbaserSanitise } from './baser.js';
import type { Its } from './its.js';
import { cacheReset } from './cache.js';
import { COLLECTION_UNMAPPED } from './tables.js';
import { ITS_EVENT_BITS } from './its.js';

export interface ItsSnapshot {
  readonly enabled: boolean;
  readonly cbaser: string;
  readonly cwriter: number;
  readonly creadr: number;
  /** GITS_BASER0 and GITS_BASER1. */
  readonly baser: readonly [string, string];
  readonly devices: readonly { readonly device: number; readonly itt: number; readonly size: number }[];
  readonly collections: readonly { readonly collection: number; readonly target: number | null }[];
  readonly translations: readonly { readonly device: number; readonly event: number; readonly intid: number; readonly collection: number | null }[];
}

const hex64 = (x: bigint): string => `0x${x.toString(16).padStart(16, '0')}`;

/** What the ITS's tables hold, sorted by IDs; the caller holds its_lock (or no thread runs). */
export function tableContents(its: Its): Pick<ItsSnapshot, 'devices' | 'collections' | 'translations'> {
  const t = its.t;
  const devices = [];
  for (let e = 0; e < t.caps.devices; e++) {
    if (t.deviceInUse(e)) devices.push({ device: t.deviceId(e), itt: t.deviceItt(e), size: t.deviceEventBits(e) });
  }
  const collections = [];
  for (let e = 0; e < t.caps.collections; e++) {
    if (!t.collectionInUse(e)) continue;
    const target = t.collectionTarget(e);
    collections.push({ collection: t.collectionId(e), target: target === COLLECTION_UNMAPPED ? null : target });
  }
  const translations = [];
  for (let i = 0; i < t.caps.translations; i++) {
    if (!t.translationInUse(i)) continue;
    const c = t.translationCollection(i);
    translations.push({ device: t.translationDevice(i), event: t.translationEvent(i), intid: t.translationIntid(i), collection: c < 0 ? null : t.collectionId(c) });
  }
  devices.sort((a, b) => a.device - b.device);
  collections.sort((a, b) => a.collection - b.collection);
  translations.sort((a, b) => a.device - b.device || a.event - b.event);
  return { devices, collections, translations };
}

/** What the ITS holds now; the caller holds its_lock (or no thread runs). */
export function saveIts(its: Its): ItsSnapshot {
  return {
    enabled: its.enabled,
    cbaser: hex64(its.cbaser),
    cwriter: its.cwriter,
    creadr: its.creadr,
    baser: [hex64(its.baser(0)), hex64(its.baser(1))],
    ...tableContents(its),
  };
}

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const whole = (x: unknown, max: number): x is number => typeof x === 'number' && Number.isInteger(x) && x >= 0 && x <= max;

function reg64(x: unknown): bigint | null {
  return typeof x === 'string' && /^0x[0-9a-f]{1,16}$/i.test(x) ? BigInt(x) : null;
}

/**
 * Why `doc` is no ITS snapshot this machine's ITS could hold (a sentence
 * naming the field), or null. Values the registers could never hold, IDs
 * out of range, duplicates, a translation of a device not mapped or naming
 * a collection that does not exist, more than the capacities: all refused.
 */
export function checkItsSnapshot(v: Vgic, its: Its, doc: unknown): string | null {
  if (!isObject(doc)) return 'its must be an object';
  const caps = its.t.caps;
  if (typeof doc['enabled'] !== 'boolean') return 'its.enabled must be a boolean';
  const cbaser = reg64(doc['cbaser']);
  // 0 is KVM's value at creation and after KVM_DEV_ARM_ITS_CTRL_RESET (vgic_its_reset), though no guest write leaves it.
  if (cbaser === null || (cbaser !== 0n && cbaserSanitise(cbaser) !== cbaser)) return 'its.cbaser is no value GITS_CBASER can hold';
  const baser = doc['baser'];
  if (!Array.isArray(baser) || baser.length !== 2) return 'its.baser must list GITS_BASER0 and GITS_BASER1';
  for (const n of [0, 1] as const) {
    const b = reg64(baser[n]);
    if (b === null || baserSanitise(n, b) !== b) return `its.baser[${n}] is no value GITS_BASER${n} can hold`;
  }
  const queue = cbaserBytes(cbaser);
  for (const k of ['cwriter', 'creadr'] as const) {
    const x = doc[k];
    if (!whole(x, queue - 32) || x % 32 !== 0) return `its.${k} must be a multiple of 32 inside the command queue (0..${queue - 32})`;
  }
  const lists = ['devices', 'collections', 'translations'] as const;
  for (const k of lists) if (!Array.isArray(doc[k])) return `its.${k} must be an array`;
  const devices = doc['devices'] as unknown[];
  const collections = doc['collections'] as unknown[];
  const translations = doc['translations'] as unknown[];
  if (devices.length > caps.devices) return `its.devices has ${devices.length} devices; this ITS holds ${caps.devices}`;
  if (collections.length > caps.collections) return `its.collections has ${collections.length}; this ITS holds ${caps.collections}`;
  if (translations.length > caps.translations) return `its.translations has ${translations.length}; this ITS holds ${caps.translations}`;
  const bits = new Map<number, number>();
  for (const [i, d] of devices.entries()) {
    if (!isObject(d) || !whole(d['device'], 0xffff) || !whole(d['size'], ITS_EVENT_BITS) || d['size'] < 1) {
      return `its.devices[${i}] must be { device: 0..65535, itt, size: 1..${ITS_EVENT_BITS} }`;
    }
    if (!whole(d['itt'], 2 ** 52 - 1) || d['itt'] % 256 !== 0) return `its.devices[${i}].itt must be a 256-byte aligned guest address`;
    if (bits.has(d['device'])) return `its.devices[${i}]: device ${d['device']} appears twice`;
    bits.set(d['device'], d['size']);
  }
  const ids = new Set<number>();
  for (const [i, c] of collections.entries()) {
    if (!isObject(c) || !whole(c['collection'], 0xffff)) return `its.collections[${i}].collection must be 0..65535`;
    const target = c['target'];
    if (target !== null && !whole(target, v.nrVcpus - 1)) return `its.collections[${i}].target must be a vCPU of this machine (0..${v.nrVcpus - 1}) or null`;
    if (ids.has(c['collection'])) return `its.collections[${i}]: collection ${c['collection']} appears twice`;
    ids.add(c['collection']);
  }
  const seen = new Set<number>();
  const lpis = new Set<number>();
  for (const [i, t] of translations.entries()) {
    if (!isObject(t)) return `its.translations[${i}] must be an object`;
    const size = bits.get(t['device'] as number);
    if (size === undefined) return `its.translations[${i}].device is no device in its.devices`;
    if (!whole(t['event'], 2 ** size - 1)) return `its.translations[${i}].event must be below 2^${size}, the device's EventIDs`;
    if (!whole(t['intid'], 0xffff) || t['intid'] < 8192) return `its.translations[${i}].intid must be an LPI INTID (8192..65535)`;
    const c = t['collection'];
    if (c !== null && !ids.has(c as number)) return `its.translations[${i}].collection is no collection in its.collections (or null)`;
    const key = (t['device'] as number) * 0x1_0000 + t['event'];
    if (seen.has(key)) return `its.translations[${i}]: device ${t['device']} event ${t['event']} appears twice`;
    seen.add(key);
    lpis.add(t['intid']);
  }
  if (lpis.size > v.nrLpis) return `its.translations map ${lpis.size} LPIs; this machine has room for ${v.nrLpis}`;
  return null;
}

/**
 * Put a checked snapshot back: the ITS afresh, then its registers,
 * collections, devices and translations, each taking a reference on its
 * LPI (core has mapped the document's LPIs with none and applies their
 * state; an LPI no translation takes is unmapped after). No thread may be
 * inside the machine.
 */
export function restoreIts(its: Its, doc: ItsSnapshot): void {
  const t = its.t;
  const v = its.v;
  v.lockIts();
  try {
    // Core's restore owns every LPI now: forget the old mappings without releasing them.
    t.clearMappings();
    cacheReset(t);
    its.cbaser = BigInt(doc.cbaser);
    its.setBaser(0, BigInt(doc.baser[0]));
    its.setBaser(1, BigInt(doc.baser[1]));
    its.setCwriter(doc.cwriter);
    its.setCreadr(doc.creadr);
    its.setEnabled(doc.enabled);
    const coll = new Map<number, number>();
    for (const c of doc.collections) coll.set(c.collection, t.addCollection(c.collection, c.target ?? COLLECTION_UNMAPPED));
    for (const d of doc.devices) t.addDevice(d.device, d.itt, d.size);
    for (const x of doc.translations) {
      its.addTranslation(x.device, x.event, x.intid, x.collection === null ? -1 : coll.get(x.collection)!, false);
    }
  } finally {
    v.unlockIts();
  }
}

/**
 * The backend's part of a saved document (core's `snapshotState`): the ITS.
 * A document without one (version 1, or saved without an ITS) restores
 * the ITS in its reset state.
 */
export function itsSnapshotState(itsOf: (v: Vgic) => Its): BackendSnapshot {
  return {
    save: (v) => {
      const its = itsOf(v);
      v.lockIts();
      try {
        return { its: saveIts(its) };
      } finally {
        v.unlockIts();
      }
    },
    check: (v, value) => {
      if (value === undefined) return null;
      if (!isObject(value) || Object.keys(value).some((k) => k !== 'its')) return 'the GICv3 backend part holds `its` alone';
      return checkItsSnapshot(v, itsOf(v), value['its']);
    },
    restore: (v, value) => {
      const its = itsOf(v);
      if (value === undefined) {
        its.reset();
        return;
      }
      restoreIts(its, (value as { its: ItsSnapshot }).its);
    },
  };
}
