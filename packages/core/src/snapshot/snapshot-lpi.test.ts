import { describe, expect, it } from 'vitest';
import { createToy } from '../../test/fixtures/toy-gic.js';
import { isVgicError } from '../errors.js';
import { lpiAllocate, lpiSetConfig, lpiSetTarget, lpiSlot } from '../lpi.js';
import type { Machine, MachineOptions } from '../machine.js';
import { createFromSnapshot, restoreMachine } from './restore.js';
import { saveMachine } from './save.js';
import type { GicSnapshot } from './document.js';

/** A toy machine with LPIs, the distributor on, three LPIs mapped: 8192 pending on vCPU 1, 8200 disabled, 9000 with no target. */
function busyLpiMachine(): Machine {
  const m = createToy({ vcpus: 2, lpis: 16, msi: true });
  m.writeRegister('TDIST_CTLR', 3);
  const v = m.vgic;
  const a = lpiAllocate(v, 8192);
  lpiAllocate(v, 8192);
  lpiSetConfig(v, a, 0x45);
  lpiSetTarget(v, a, 1);
  m.signalMsi(0, 0);
  const b = lpiAllocate(v, 8200);
  lpiSetConfig(v, b, 0x80);
  lpiSetTarget(v, b, 0);
  lpiAllocate(v, 9000);
  return m;
}

function refusal(fn: () => void): string {
  try {
    fn();
  } catch (e) {
    expect(isVgicError(e, 'INVALID_SNAPSHOT'), String(e)).toBe(true);
    return (e as Error).message;
  }
  throw new Error('accepted');
}

describe('snapshots of a machine with LPIs (document version 2)', () => {
  it('hold the capacity, each mapped LPI in INTID order and the backend\'s part', () => {
    const doc = saveMachine(busyLpiMachine());
    expect(doc.version).toBe(2);
    expect(doc.shape.lpis).toBe(16);
    expect(doc.lpis).toEqual([
      { intid: 8192, enabled: true, pendingLatch: true, active: false, activeOn: null, priority: 0x44, target: 1, refs: 2 },
      { intid: 8200, enabled: false, pendingLatch: false, active: false, activeOn: null, priority: 0x80, target: 0, refs: 1 },
      { intid: 9000, enabled: false, pendingLatch: false, active: false, activeOn: null, priority: 0xa0, target: null, refs: 1 },
    ]);
    expect(doc.backend).toEqual({ msis: 1, intids: [8192, 8200, 9000] });
    expect(JSON.parse(JSON.stringify(doc))).toEqual(doc);
  });

  it('restore into another machine: the same LPIs mapped, queued where they were, the same document saved again', () => {
    const m = busyLpiMachine();
    const doc = saveMachine(m);
    const other = createToy({ vcpus: 2, lpis: 16, msi: true });
    restoreMachine(other, doc);
    expect(other.checkInvariants()).toEqual([]);
    expect(other.apList(1)).toEqual([8192]);
    expect(lpiSlot(other.vgic, 9000)).not.toBe(-1);
    expect(other.vgic.backendState[0]).toBe(1);
    const again = saveMachine(other);
    // The backend took one reference on each LPI again: what it holds, not what was saved.
    expect(again.lpis!.map((l) => l.refs)).toEqual([1, 1, 1]);
    expect({ ...again, lpis: again.lpis!.map((l) => ({ ...l, refs: 0 })) }).toEqual({ ...doc, lpis: doc.lpis!.map((l) => ({ ...l, refs: 0 })) });
    other.enter(1);
    expect(other.listRegisters(1).map((lr) => lr.intid)).toEqual([8192]);
  });

  it('unmaps an LPI the backend takes no reference on when it restores its part', () => {
    const doc = saveMachine(busyLpiMachine());
    (doc.backend as { intids: number[] }).intids = [8192, 9000];
    const other = createToy({ vcpus: 2, lpis: 16, msi: true });
    restoreMachine(other, doc);
    expect(lpiSlot(other.vgic, 8200)).toBe(-1);
    expect(lpiSlot(other.vgic, 9000)).not.toBe(-1);
    expect(other.checkInvariants()).toEqual([]);
  });

  it('createFromSnapshot makes a machine with the saved capacity', () => {
    const doc = saveMachine(busyLpiMachine());
    const m = createFromSnapshot(doc, { toy: (o: MachineOptions) => createToy({ ...o, msi: true }) });
    expect(m.lpis).toBe(16);
    expect(m.apList(1)).toEqual([8192]);
  });

  it('refuses LPIs the machine cannot hold, out of order, with priorities no property byte gives, or in a version-1 document', () => {
    const doc = saveMachine(busyLpiMachine());
    const edit = (f: (d: GicSnapshot) => void): GicSnapshot => {
      const d = structuredClone(doc);
      f(d);
      return d;
    };
    const target = createToy({ vcpus: 2, lpis: 2, msi: true });
    expect(refusal(() => restoreMachine(target, doc))).toMatch(/maps 3 LPIs; this machine has room for 2/);
    const roomy = createToy({ vcpus: 2, lpis: 16, msi: true });
    expect(refusal(() => restoreMachine(roomy, edit((d) => (d.lpis![1]!.intid = 8192))))).toMatch(/lpis\[1\]\.intid 8192 is out of order/);
    expect(refusal(() => restoreMachine(roomy, edit((d) => (d.lpis![0]!.priority = 0x45))))).toMatch(/lpis\[0\]\.priority 0x45/);
    expect(refusal(() => restoreMachine(roomy, edit((d) => (d.lpis![0]!.target = 2))))).toMatch(/lpis\[0\]\.target must be a vCPU 0\.\.1/);
    expect(refusal(() => restoreMachine(roomy, edit((d) => (d.version = 1))))).toMatch(/version-1 snapshot holds no LPIs/);
    expect(refusal(() => restoreMachine(roomy, edit((d) => (d.backend = 7))))).toMatch(/backend: the toy saves/);
    expect(refusal(() => restoreMachine(createToy({ vcpus: 2 }), edit((d) => (d.lpis = []))))).toMatch(/backend part; this GICtoy backend keeps none/);
    // Nothing was written by a refused restore.
    expect(roomy.apList(1)).toEqual([]);
    expect(lpiSlot(roomy.vgic, 8192)).toBe(-1);
  });

  it('a machine without LPIs still saves the version-1 document, and a version-1 document restores', () => {
    const m = createToy({ vcpus: 2 });
    const doc = saveMachine(m);
    expect(doc.version).toBe(1);
    expect('lpis' in doc || 'backend' in doc || 'lpis' in doc.shape).toBe(false);
    restoreMachine(createToy({ vcpus: 2 }), doc);
    const withLpis = createToy({ vcpus: 2, lpis: 4, msi: true });
    lpiAllocate(withLpis.vgic, 8192);
    restoreMachine(withLpis, { ...doc, distributor: { ...doc.distributor } });
    expect(lpiSlot(withLpis.vgic, 8192)).toBe(-1);
  });
});
