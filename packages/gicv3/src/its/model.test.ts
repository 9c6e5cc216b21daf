/**
 * Random command sequences against a model of KVM's command handling
 * (vgic-its.c): after every command the ITS's tables are the model's, an
 * MSI is translated exactly when the model says, and the engine's
 * invariants hold.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { itsState } from './api.js';
import type { ItsCommand } from './command.js';
import { itsRig, itt } from './fixtures.js';

const LPI = 8192;
const DEVICES = 3;
const EVENTS = 4;
const COLLS = 3;

interface Model {
  devices: Map<number, number>;
  colls: Map<number, number | null>;
  ites: Map<string, { intid: number; coll: number | null }>;
}

const key = (d: number, e: number): string => `${d}/${e}`;

/** What KVM does with `c` (the subset of fields this test draws). */
function apply(m: Model, c: ItsCommand, vcpus: number): void {
  const mapped = (coll: number | null): boolean => coll !== null && m.colls.get(coll) !== null && m.colls.has(coll);
  switch (c.cmd) {
    case 'MAPD':
      for (const k of [...m.ites.keys()]) if (k.startsWith(`${c.device}/`)) m.ites.delete(k);
      m.devices.delete(c.device);
      if (c.valid) m.devices.set(c.device, c.size);
      return;
    case 'MAPC':
      if (!c.valid) {
        m.colls.delete(c.collection);
        for (const ite of m.ites.values()) if (ite.coll === c.collection) ite.coll = null;
      } else if (c.target < vcpus) {
        m.colls.set(c.collection, c.target);
      }
      return;
    case 'MAPTI': {
      const bits = m.devices.get(c.device);
      if (bits === undefined || c.event >= 2 ** bits || m.ites.has(key(c.device, c.event))) return;
      if (!m.colls.has(c.collection)) m.colls.set(c.collection, null);
      m.ites.set(key(c.device, c.event), { intid: c.intid, coll: c.collection });
      return;
    }
    case 'DISCARD': {
      const ite = m.ites.get(key(c.device, c.event));
      if (ite !== undefined && mapped(ite.coll)) m.ites.delete(key(c.device, c.event));
      return;
    }
    case 'MOVI': {
      const ite = m.ites.get(key(c.device, c.event));
      if (ite !== undefined && mapped(ite.coll) && mapped(c.collection)) ite.coll = c.collection;
      return;
    }
    default:
      return;
  }
}

function translates(m: Model, d: number, e: number): boolean {
  const ite = m.ites.get(key(d, e));
  return ite !== undefined && ite.coll !== null && m.colls.get(ite.coll) !== null && m.colls.has(ite.coll);
}

const dev = fc.integer({ min: 0, max: DEVICES - 1 });
const ev = fc.integer({ min: 0, max: EVENTS - 1 });
const coll = fc.integer({ min: 0, max: COLLS - 1 });
const command: fc.Arbitrary<ItsCommand> = fc.oneof(
  fc.record({ cmd: fc.constant('MAPD' as const), device: dev, itt: dev.map(itt), size: fc.integer({ min: 1, max: 2 }), valid: fc.boolean() }),
  fc.record({ cmd: fc.constant('MAPC' as const), collection: coll, target: fc.integer({ min: 0, max: 2 }), valid: fc.boolean() }),
  fc.record({ cmd: fc.constant('MAPTI' as const), device: dev, event: ev, intid: fc.integer({ min: LPI, max: LPI + 5 }), collection: coll }),
  fc.record({ cmd: fc.constant('DISCARD' as const), device: dev, event: ev }),
  fc.record({ cmd: fc.constant('MOVI' as const), device: dev, event: ev, collection: coll }),
);

describe('the ITS against a model of KVM\'s command handling', () => {
  test('tables, MSI translation and the engine\'s invariants agree after every command', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(command, dev, ev), { minLength: 1, maxLength: 30 }), (steps) => {
        const r = itsRig({ vcpus: 2 });
        const model: Model = { devices: new Map(), colls: new Map(), ites: new Map() };
        for (const [c, d, e] of steps) {
          r.cmd(c);
          apply(model, c, 2);
          const s = itsState(r.m);
          expect(s.devices.map((x) => [x.device, x.size])).toEqual([...model.devices].sort((a, b) => a[0] - b[0]));
          expect(s.collections.map((x) => [x.collection, x.target])).toEqual([...model.colls].sort((a, b) => a[0] - b[0]));
          expect(s.translations.map((x) => [key(x.device, x.event), x.intid, x.collection])).toEqual(
            [...model.ites].map(([k, x]) => [k, x.intid, x.coll]).sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
          );
          expect(r.m.signalMsi(d, e)).toBe(translates(model, d, e));
        }
        expect(r.m.checkInvariants()).toEqual([]);
      }),
      { numRuns: 60 },
    );
  });
});
