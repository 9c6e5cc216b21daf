import { isVgicError } from '@vgic/core';
import { describe, expect, it } from 'vitest';
import { itsState, queueItsCommand } from './api.js';
import { itsRig, mapDeviceAndCollections } from './fixtures.js';

describe('queueItsCommand', () => {
  it("issued by 'host' is the emulation of the GITS_CWRITER store alone: the running vCPU stays in; issued by a vCPU, that vCPU traps out", () => {
    const r = itsRig({ vcpus: 2 });
    mapDeviceAndCollections(r);
    const m = r.m;
    m.enter(0);
    const events: string[] = [];
    m.onTrace((e) => {
      if (e.type === 'flush' || e.type === 'fold') events.push(`${e.type} ${e.vcpu}`);
    });
    expect(queueItsCommand(m, { cmd: 'MAPTI', device: 1, event: 2, intid: 8194, collection: 1 }, 'host')).toBe(true);
    expect(itsState(m).translations).toContainEqual({ device: 1, event: 2, intid: 8194, collection: 1 });
    expect(m.isRunning(0)).toBe(true);
    expect(events).toEqual([]);

    expect(queueItsCommand(m, { cmd: 'DISCARD', device: 1, event: 2 }, 0)).toBe(true);
    expect(itsState(m).translations).not.toContainEqual(expect.objectContaining({ device: 1, event: 2 }));
    expect(events).toEqual(['flush 0']);
  });

  it('refuses a vCPU that does not exist with INVALID_VCPU before it writes the command into guest memory', () => {
    const r = itsRig({ vcpus: 2 });
    const before = new Uint8Array(r.ram.buffer.slice(0));
    const cwriter = r.m.readRegister('GITS_CWRITER');
    for (const by of [2, -1, 0.5, Number.NaN, '0' as unknown as number]) {
      let error: unknown;
      try {
        queueItsCommand(r.m, { cmd: 'SYNC', target: 0 }, by);
      } catch (e) {
        error = e;
      }
      expect(isVgicError(error, 'INVALID_VCPU')).toBe(true);
    }
    const after = new Uint8Array(r.ram.buffer);
    let changed = 0;
    for (let i = 0; i < before.length; i++) if (after[i] !== before[i]) changed++;
    expect(changed, 'bytes of guest memory changed').toBe(0);
    expect(r.m.readRegister('GITS_CWRITER')).toBe(cwriter);
  });
});
