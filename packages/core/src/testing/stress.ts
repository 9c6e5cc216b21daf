/**
 * The stress suite every backend runs (the threads half of the conformance
 * suite): one worker thread per vCPU, injector threads on edge and level
 * SPIs, SGIs between the vCPUs, a thread retargeting and toggling enables,
 * a thread turning the distributor off and on, two threads writing the
 * halves of 64-bit routing words, DIRs handed between vCPUs, the lock-order
 * checker on — and runs of deliberately broken engines (queueIrqUnlock
 * without its re-check; a distributor enable, a routing-word half write or
 * a DIR from another vCPU that reads without the lock it needs), each of
 * which it must catch. Set VGIC_STRESS_SECONDS for a longer run.
 *
 * The retargeting, toggling and halves threads need the backend's
 * `distributor` capability (and its `routeHalves`); on a backend that
 * declares less, the run leaves them out and the tests that are about them
 * are skipped, saying why.
 *
 * `describeLpiStress` is the same for LPIs, on a backend whose guest has an
 * LPI driver (`GuestOps.lpi`).
 *
 * Not a *.test.ts file: a backend's own test calls `describeStress`.
 */
import { describe, expect, it } from 'vitest';
import type { BackendRef } from '../threads/protocol.js';
import type { GicBackend } from '../backend.js';
import type { Machine } from '../machine.js';
import { loadBackend, runStress, type StressReport } from '../threads/stress.js';
import { runLpiStress, type LpiStressOptions, type LpiStressReport } from '../threads/stress-lpi.js';

export interface StressTarget {
  /** For the test names: `GICv2`. */
  name: string;
  /** The version name the backend registers under: `v2`. */
  gic: string;
  /** How a worker thread loads the backend. */
  backend: BackendRef;
}

/**
 * A sound run: nothing lost, no lock-order or invariant violation, drained,
 * and every kind of traffic happened (of the roles that need a backend
 * capability, those that ran: `r.roles`).
 */
export function expectSoundStress(r: StressReport): void {
  expect(r.problems).toEqual([]);
  expect(r.lost).toBe(0);
  expect(r.lockOrderViolations).toBe(0);
  expect(r.invariantViolations).toBe(0);
  expect(r.level.lost).toBe(0);
  expect(r.level.lowered).toBe(r.level.delivered);
  expect(r.sgi.delivered).toBe(r.sgi.sent);
  expect(r.drained).toBe(true);
  expect(r.ok).toBe(true);
  expect(r.edge.delivered).toBeGreaterThan(0);
  expect(r.level.delivered).toBeGreaterThan(0);
  expect(r.sgi.delivered).toBeGreaterThan(0);
  if (r.roles.retarget) {
    expect(r.retarget.retargets).toBeGreaterThan(0);
    expect(r.retarget.disables).toBeGreaterThan(0);
  }
  if (r.roles.distToggle) {
    expect(r.distToggle.toggles).toBeGreaterThan(0);
    expect(r.distToggle.delivered).toBeGreaterThan(0);
  }
  if (r.roles.irouterHalves) expect(r.irouterHalves.writes).toBeGreaterThan(0);
  expect(r.distToggle.lost).toBe(0);
  expect(r.irouterHalves.lostWrites).toBe(0);
  expect(r.crossDir.done).toBe(r.crossDir.handed);
}

type Broken = 'breakQueueRecheck' | 'breakDistEnable' | 'breakRouteUpdate' | 'breakLiveActive';

export function describeStress(target: StressTarget): void {
  const { gic } = target;
  const backends = { [gic]: target.backend };
  const long = Number(process.env['VGIC_STRESS_SECONDS'] ?? 0);

  /** The backend's declared capabilities, from a machine made in this thread. */
  let backend: Promise<GicBackend> | null = null;
  const capabilities = (): Promise<GicBackend> => {
    backend ??= loadBackend(target.backend).then(({ create }) => create({ vcpus: 2, spis: 32 }).backend);
    return backend;
  };

  describe(`${target.name} under real concurrency`, () => {
    it('loses no interrupt, breaks no lock order and drains to a sound state (2 vCPUs, 2 s)', async () => {
      expectSoundStress(await runStress({ gic, backends, vcpus: 2, seconds: 2 }));
    }, 60_000);

    it('holds with more vCPUs than cores (4 vCPUs, 2 s)', async () => {
      expectSoundStress(await runStress({ gic, backends, vcpus: 4, seconds: 2, injectors: 1 }));
    }, 60_000);

    it.runIf(long > 0)(`holds for VGIC_STRESS_SECONDS (${long} s)`, async () => {
      expectSoundStress(await runStress({ gic, backends, vcpus: 4, seconds: long }));
    }, long * 1000 + 120_000);

    /**
     * Run a deliberately broken engine until the run catches it, a bounded
     * number of times (a race shows only when two threads meet in it).
     */
    async function catchBroken(broken: Broken, o: { vcpus: number; caught: (r: StressReport) => boolean; few?: boolean }): Promise<StressReport | undefined> {
      for (let attempt = 0; attempt < 6; attempt++) {
        const r = await runStress({
          gic,
          backends,
          vcpus: o.vcpus,
          seconds: 2,
          ...(o.few === true && { edgeSpis: 2, levelSpis: 2 }),
          seed: attempt + 1,
          [broken]: true,
          timeoutMs: 2000,
        });
        if (o.caught(r)) return r;
      }
      return undefined;
    }

    it('catches the lost or misplaced interrupt when queueIrqUnlock skips its re-check after relocking', async () => {
      // The race needs two queuers of one interrupt inside the same few
      // instructions: few SPIs, so injectors and the retargeting thread meet
      // on them.
      const caught = await catchBroken('breakQueueRecheck', { vcpus: 2, few: true, caught: (r) => r.lost !== 0 || r.invariantViolations > 0 });
      expect(caught).toBeDefined();
      expect(caught!.ok).toBe(false);
    }, 180_000);

    it('catches an interrupt left on no ap_list when a distributor enable reads owner without the irq lock', async (ctx) => {
      if ((await capabilities()).distributor === undefined) ctx.skip(`${target.name} declares no distributor registers (GicBackend.distributor): no thread toggles its enable`);
      const caught = await catchBroken('breakDistEnable', { vcpus: 4, caught: (r) => r.distToggle.lost > 0 });
      expect(caught).toBeDefined();
      expect(caught!.ok).toBe(false);
    }, 180_000);

    it('catches a lost routing-word write when a half write keeps the other half read without the irq lock', async (ctx) => {
      if ((await capabilities()).distributor?.routeHalves === undefined) {
        ctx.skip(`${target.name} has no 64-bit routing register written in halves (DistributorRegisters.routeHalves)`);
      }
      const caught = await catchBroken('breakRouteUpdate', { vcpus: 2, caught: (r) => r.irouterHalves.lostWrites > 0 });
      expect(caught).toBeDefined();
      expect(caught!.irouterHalves.writes).toBeGreaterThan(0);
      expect(caught!.ok).toBe(false);
    }, 180_000);

    it("catches interrupts left active when a DIR from another vCPU ignores the owner's live list register", async () => {
      // Two vCPUs with EOImode 1 (1 and 3) hand each other DIRs.
      const caught = await catchBroken('breakLiveActive', { vcpus: 4, caught: (r) => r.invariantViolations > 0 });
      expect(caught).toBeDefined();
      expect(caught!.crossDir.handed).toBeGreaterThan(0);
      expect(caught!.problems.join('\n')).toMatch(/still active after the drain/);
      expect(caught!.ok).toBe(false);
    }, 180_000);
  });
}

/**
 * A sound LPI run: the books balance, nothing dropped while mapped, nothing
 * misdelivered, no lock-order or invariant violation, drained — and every
 * kind of traffic the run was asked for happened.
 */
export function expectSoundLpiStress(r: LpiStressReport, o: { commands?: boolean } = {}): void {
  expect(r.problems).toEqual([]);
  expect(r.lost).toBe(0);
  expect(r.msi.wronglyDropped).toBe(0);
  expect(r.unexpected).toBe(0);
  expect(r.lockOrderViolations).toBe(0);
  expect(r.invariantViolations).toBe(0);
  expect(r.drained).toBe(true);
  expect(r.ok).toBe(true);
  expect(r.delivered).toBeGreaterThan(0);
  expect(r.msi.translated).toBeGreaterThan(0);
  expect(r.injected).toBe(r.delivered + r.coalesced + r.droppedPending);
  if (o.commands ?? true) {
    expect(r.commands.movi).toBeGreaterThan(0);
    expect(r.commands.remaps).toBeGreaterThan(0);
    expect(r.commands.raised).toBeGreaterThan(0);
    if (r.vcpus > 1) expect(r.commands.movall).toBeGreaterThan(0);
  }
}

export interface LpiStressTarget extends StressTarget {
  /**
   * How to break the backend's translation service on purpose, for the
   * tests that show the run catches it: `staleCache` makes the commands
   * that remove or change a translation leave it in the translation cache
   * (called on the main thread, before any worker starts).
   */
  brokenIts?: { staleCache?: (m: Machine) => void };
}

/**
 * The LPI stress suite, for a backend whose guest has an LPI driver
 * (`GuestOps.lpi`): device threads signalling MSIs, vCPUs taking LPIs on
 * worker threads, a thread churning the translations through the command
 * queue — and a run of a deliberately broken translation cache it must catch.
 */
export function describeLpiStress(target: LpiStressTarget): void {
  const { gic } = target;
  const backends = { [gic]: target.backend };
  const long = Number(process.env['VGIC_STRESS_SECONDS'] ?? 0);

  describe(`${target.name} LPIs under real concurrency`, () => {
    it('loses no MSI, breaks no lock order and drains to a sound state (2 vCPUs, 2 devices, 2 s)', async () => {
      expectSoundLpiStress(await runLpiStress({ gic, backends, vcpus: 2, seconds: 2 }));
    }, 60_000);

    it('holds with more threads than cores, two of them signalling one device (4 vCPUs, 3 devices, 4 device threads, 2 s)', async () => {
      expectSoundLpiStress(await runLpiStress({ gic, backends, vcpus: 4, devices: 3, deviceThreads: 4, eventsPerDevice: 8, seconds: 2 }));
    }, 60_000);

    it('holds with one list register, so LPIs wait on the ap_lists while they are moved', async () => {
      expectSoundLpiStress(await runLpiStress({ gic, backends, vcpus: 2, lrs: 1, seconds: 1 }));
    }, 60_000);

    it.runIf(long > 0)(`holds for VGIC_STRESS_SECONDS (${long} s)`, async () => {
      expectSoundLpiStress(await runLpiStress({ gic, backends, vcpus: 4, seconds: long }));
    }, long * 1000 + 120_000);

    async function catchBroken(o: Partial<LpiStressOptions>, caught: (r: LpiStressReport) => boolean): Promise<LpiStressReport | undefined> {
      for (let attempt = 0; attempt < 6; attempt++) {
        const r = await runLpiStress({ gic, backends, vcpus: 2, seconds: 2, seed: attempt + 1, timeoutMs: 2000, ...o });
        if (caught(r)) return r;
      }
      return undefined;
    }

    it('catches MSIs translated by a cache entry a DISCARD should have removed', async (ctx) => {
      const stale = target.brokenIts?.staleCache;
      if (stale === undefined) ctx.skip(`${target.name} has no debug switch that leaves the translation cache stale`);
      const caught = await catchBroken({ breakMachine: stale!, commands: { movi: false, movall: false, int: false, remap: true } }, (r) => !r.ok);
      expect(caught).toBeDefined();
      expect(caught!.msi.wronglyDropped + caught!.unexpected + Math.abs(caught!.lost) + caught!.invariantViolations).toBeGreaterThan(0);
    }, 180_000);
  });
}
