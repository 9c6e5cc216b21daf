/**
 * Any sequence of LPI operations — map, unmap, retarget, MSI, CLEAR, a new
 * property byte — mixed with vCPUs entering, acknowledging, ending and
 * exiting keeps the engine's invariants (invariants.ts, LPI slots included),
 * and the INTID → slot map says what a model of the mappings says.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LINE_WORDS } from './cache-line.js';
import { bareVgic } from '../test/fixtures/bare.js';
import { cpuifAck, cpuifEoi } from './cpuif.js';
import { flushLrState } from './flush.js';
import { checkInvariants, noLockHeld } from './invariants.js';
import { lpiAllocate, lpiClearPending, lpiRelease, lpiSetConfig, lpiSetPending, lpiSetTarget, lpiSlot } from './lpi.js';
import { syncHwState } from './sync.js';
import { NONE, SPURIOUS, VCPU_RUNNING } from './index.js';

const VCPUS = 3;
const LPIS = 6;
/** More INTIDs than slots, so the capacity runs out and slots are reused. */
const INTIDS = [8192, 8193, 8200, 9000, 12345, 40000, 65535, 8194];

type Op =
  | { op: 'map'; i: number }
  | { op: 'unmap'; i: number }
  | { op: 'target'; i: number; vcpu: number }
  | { op: 'msi'; i: number }
  | { op: 'clear'; i: number }
  | { op: 'config'; i: number; prop: number }
  | { op: 'enter'; vcpu: number }
  | { op: 'exit'; vcpu: number }
  | { op: 'ackEoi'; vcpu: number };

const intidIndex = fc.integer({ min: 0, max: INTIDS.length - 1 });
const vcpuIndex = fc.integer({ min: 0, max: VCPUS - 1 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant('map' as const), i: intidIndex }),
  fc.record({ op: fc.constant('unmap' as const), i: intidIndex }),
  fc.record({ op: fc.constant('target' as const), i: intidIndex, vcpu: fc.integer({ min: -1, max: VCPUS - 1 }) }),
  fc.record({ op: fc.constant('msi' as const), i: intidIndex }),
  fc.record({ op: fc.constant('clear' as const), i: intidIndex }),
  fc.record({ op: fc.constant('config' as const), i: intidIndex, prop: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ op: fc.constant('enter' as const), vcpu: vcpuIndex }),
  fc.record({ op: fc.constant('exit' as const), vcpu: vcpuIndex }),
  fc.record({ op: fc.constant('ackEoi' as const), vcpu: vcpuIndex }),
);

describe('LPI operations, in any order', () => {
  it('keep the invariants, take no lock they do not give back, and map what the model maps', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 60 }), (ops) => {
        const v = bareVgic({ nrVcpus: VCPUS, nrLpis: LPIS, nrLrs: 2 });
        /** References per INTID, as the ITS would hold them. */
        const refs = new Map<number, number>();
        for (const o of ops) {
          const intid = 'i' in o ? INTIDS[o.i]! : 0;
          const slot = 'i' in o ? lpiSlot(v, intid) : NONE;
          switch (o.op) {
            case 'map': {
              const got = lpiAllocate(v, intid);
              if (got !== NONE) refs.set(intid, (refs.get(intid) ?? 0) + 1);
              else expect(refs.has(intid)).toBe(false);
              break;
            }
            case 'unmap':
              if (slot !== NONE) {
                lpiRelease(v, slot);
                const n = refs.get(intid)! - 1;
                if (n === 0) refs.delete(intid);
                else refs.set(intid, n);
              }
              break;
            case 'target':
              if (slot !== NONE) lpiSetTarget(v, slot, o.vcpu);
              break;
            case 'msi':
              expect(slot === NONE ? false : lpiSetPending(v, slot)).toBe(slot !== NONE);
              break;
            case 'clear':
              if (slot !== NONE) lpiClearPending(v, slot);
              break;
            case 'config':
              if (slot !== NONE) lpiSetConfig(v, slot, o.prop);
              break;
            case 'enter':
              if (v.runState[o.vcpu * LINE_WORDS] === VCPU_RUNNING) syncHwState(v, o.vcpu);
              flushLrState(v, o.vcpu);
              break;
            case 'exit':
              if (v.runState[o.vcpu * LINE_WORDS] === VCPU_RUNNING) syncHwState(v, o.vcpu);
              break;
            case 'ackEoi':
              if (v.runState[o.vcpu * LINE_WORDS] === VCPU_RUNNING) {
                const got = cpuifAck(v, o.vcpu, 2, 0);
                if (got !== SPURIOUS) cpuifEoi(v, o.vcpu, got, 0, 1);
              }
              break;
          }
          expect(noLockHeld(v)).toBe(true);
          expect(checkInvariants(v)).toEqual([]);
          for (const id of INTIDS) expect(lpiSlot(v, id) !== NONE, `LPI ${id} mapped`).toBe(refs.has(id));
        }
        // Once every vCPU has exited twice (a fold, then a prune of what
        // was folded), nothing unmapped is left on a list: every slot is free.
        for (const [id, n] of refs) for (let k = 0; k < n; k++) lpiRelease(v, lpiSlot(v, id));
        for (let k = 0; k < VCPUS; k++) syncHwState(v, k);
        for (let k = 0; k < VCPUS; k++) syncHwState(v, k);
        expect(checkInvariants(v)).toEqual([]);
        const fresh = [8300, 8301, 8302, 8303, 8304, 8305].map((id) => lpiAllocate(v, id));
        expect(fresh.every((s) => s !== NONE)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
