/**
 * The ITS with real threads: vCPUs on workers taking LPIs, a device thread
 * signalling MSIs, and this thread issuing MOVI, DISCARD and MAPTI through
 * the command queue at the same time — with the lock-order checker on.
 */
import { lpiSlot, NONE } from '@vgic/core';
import { startVcpus } from '@vgic/core/threads';
import { describe, expect, it } from 'vitest';
import { itsState } from '../src/its/api.js';
import { itsRig, lpi, mapDeviceAndCollections } from '../src/its/fixtures.js';
import { FIXTURE_URL } from './its-threads-fixture.js';

const LPI = 8192;
const EVENTS = 8;

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

describe('the ITS across threads', () => {
  it('a device thread\'s MSIs meet MOVI, DISCARD and MAPTI from another thread: no lock-order violation, nothing left pending', async () => {
    const r = itsRig({ vcpus: 2, shared: true });
    const m = r.m;
    mapDeviceAndCollections(r);
    for (let e = 0; e < EVENTS; e++) r.cmd({ cmd: 'MAPTI', device: 1, event: e, intid: LPI + e, collection: e % 2 });
    for (let k = 0; k < 2; k++) m.exit(k);
    const threads = await startVcpus({
      machine: m,
      backend: { module: '@vgic/gicv3', attach: 'attachGicv3' },
      backendOptions: { its: true },
      guest: { module: FIXTURE_URL, export: 'lpiGuest' },
    });
    await threads.startTask('device', { module: FIXTURE_URL, export: 'msiDevice', data: { device: 1, events: EVENTS } });
    // The vCPUs run on the workers: this thread issues the commands as the
    // host ('host'), the emulation of the trapped GITS_CWRITER store alone. As
    // vCPU 0's own store it would exit and re-enter vCPU 0 from here, under
    // the feet of the thread running it.
    for (let round = 0; round < 60; round++) {
      const e = round % EVENTS;
      r.cmd({ cmd: 'MOVI', device: 1, event: e, collection: (round + 1) % 2 }, 'host');
      if (round % 3 === 0) {
        r.cmd({ cmd: 'DISCARD', device: 1, event: e }, 'host');
        r.cmd({ cmd: 'MAPTI', device: 1, event: e, intid: LPI + e, collection: round % 2 }, 'host');
      }
      if (round % 10 === 0) r.cmd({ cmd: 'MOVALL', from: 0, target: 1 }, 'host');
      await sleep(2);
    }
    const report = await threads.shutdown();

    expect(report.problems).toEqual([]);
    expect(report.drained).toBe(true);
    expect(m.vgic.lockViolations).toBe(0);
    expect(m.checkInvariants()).toEqual([]);
    const device = report.tasks['device'] as { sent: number; delivered: number };
    expect(device.delivered).toBeGreaterThan(0);
    const taken = report.counters.reduce((n, c) => n + ((c.guest as { lpis: number }).lpis ?? 0), 0);
    // Every LPI taken was delivered by an MSI (coalescing makes fewer).
    expect(taken).toBeGreaterThan(0);
    expect(taken).toBeLessThanOrEqual(device.delivered);
    // Every event is still mapped, and no LPI is left pending after the drain.
    expect(itsState(m).translations.length).toBe(EVENTS);
    for (let e = 0; e < EVENTS; e++) {
      expect(lpiSlot(m.vgic, LPI + e)).not.toBe(NONE);
      expect(lpi(m, LPI + e)!.pending).toBe(false);
    }
  });
});
