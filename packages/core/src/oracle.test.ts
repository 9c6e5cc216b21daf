import { describe, expect, it } from 'vitest';
import { bareVgic, enqueue, spiSlot, underApListLock, underIrqLock } from '../test/fixtures/bare.js';
import { apListCmp, isPending, targetOracle, validateInjection } from './oracle.js';
import { CONFIG_LEVEL, CTL_DIST_ENABLE, NONE, type Vgic } from './vgic.js';

/** The decisions, asked as the engine asks them: holding the lock each one requires. */
const oracle = (v: Vgic, s: number): number => underIrqLock(v, s, () => targetOracle(v, s));
const validate = (v: Vgic, s: number, level: boolean): boolean => underIrqLock(v, s, () => validateInjection(v, s, level));
/** Compare two interrupts of one ap_list (vCPU 0's unless they are on another). */
function cmp(v: Vgic, a: number, b: number): number {
  for (const s of [a, b]) if (v.apListVcpu[s] === NONE) enqueue(v, 0, s);
  return underApListLock(v, v.apListVcpu[a]!, () => apListCmp(v, a, b));
}

describe('targetOracle', () => {
  it('keeps an active interrupt on the vCPU whose ap_list holds it, wherever it is routed', () => {
    const v = bareVgic();
    const s = spiSlot(v, 40);
    v.active[s] = 1;
    v.apListVcpu[s] = 2;
    v.target[s] = 1;
    expect(oracle(v, s)).toBe(2);
    // ...even when it is disabled and its group is no longer forwarded.
    v.enabled[s] = 0;
    v.header[CTL_DIST_ENABLE] = 0;
    expect(oracle(v, s)).toBe(2);
  });

  it('sends an active interrupt that is on no ap_list (ISACTIVER) to its target', () => {
    const v = bareVgic();
    const s = spiSlot(v, 40);
    v.active[s] = 1;
    v.target[s] = 3;
    expect(oracle(v, s)).toBe(3);
  });

  it('sends an enabled, pending interrupt to its target', () => {
    const v = bareVgic();
    const s = spiSlot(v, 40);
    v.enabled[s] = 1;
    v.pendingLatch[s] = 1;
    v.target[s] = 2;
    expect(oracle(v, s)).toBe(2);
  });

  it('sends a pending interrupt nowhere while the distributor does not forward its group', () => {
    const v = bareVgic();
    const s = spiSlot(v, 40);
    v.enabled[s] = 1;
    v.pendingLatch[s] = 1;
    v.target[s] = 2;
    v.group[s] = 1;
    v.header[CTL_DIST_ENABLE] = 0b01;
    expect(oracle(v, s)).toBe(NONE);
    v.group[s] = 0;
    expect(oracle(v, s)).toBe(2);
    v.header[CTL_DIST_ENABLE] = 0;
    expect(oracle(v, s)).toBe(NONE);
  });

  it('sends an idle, a disabled or an unrouted interrupt nowhere', () => {
    const v = bareVgic();
    const s = spiSlot(v, 40);
    v.target[s] = 1;
    expect(oracle(v, s)).toBe(NONE);
    v.enabled[s] = 1;
    expect(oracle(v, s)).toBe(NONE);
    v.enabled[s] = 0;
    v.pendingLatch[s] = 1;
    expect(oracle(v, s)).toBe(NONE);
    v.enabled[s] = 1;
    v.target[s] = NONE;
    expect(oracle(v, s)).toBe(NONE);
  });

  it('treats a level interrupt as pending while its line is high', () => {
    const v = bareVgic();
    const s = spiSlot(v, 41);
    v.enabled[s] = 1;
    v.config[s] = CONFIG_LEVEL;
    v.target[s] = 1;
    v.lineLevel[s] = 1;
    expect(oracle(v, s)).toBe(1);
    v.lineLevel[s] = 0;
    expect(oracle(v, s)).toBe(NONE);
  });
});

describe('isPending', () => {
  it('an edge interrupt is pending by its latch alone; a level one by its line or its latch', () => {
    const v = bareVgic();
    const s = spiSlot(v, 40);
    v.lineLevel[s] = 1;
    expect(isPending(v, s)).toBe(false);
    v.pendingLatch[s] = 1;
    expect(isPending(v, s)).toBe(true);
    v.config[s] = CONFIG_LEVEL;
    v.pendingLatch[s] = 0;
    expect(isPending(v, s)).toBe(true);
    v.lineLevel[s] = 0;
    expect(isPending(v, s)).toBe(false);
    v.pendingLatch[s] = 1;
    expect(isPending(v, s)).toBe(true);
  });
});

describe('validateInjection', () => {
  it('accepts a level change only when the line level changes', () => {
    const v = bareVgic();
    const s = spiSlot(v, 41);
    v.config[s] = CONFIG_LEVEL;
    expect(validate(v, s, true)).toBe(true);
    expect(validate(v, s, false)).toBe(false);
    v.lineLevel[s] = 1;
    expect(validate(v, s, true)).toBe(false);
    expect(validate(v, s, false)).toBe(true);
  });

  it('accepts only a rising edge on an edge interrupt, pending or not', () => {
    const v = bareVgic();
    const s = spiSlot(v, 40);
    expect(validate(v, s, true)).toBe(true);
    expect(validate(v, s, false)).toBe(false);
    v.pendingLatch[s] = 1;
    expect(validate(v, s, true)).toBe(true);
    expect(validate(v, s, false)).toBe(false);
  });
});

describe('apListCmp', () => {
  function pending(v: ReturnType<typeof bareVgic>, intid: number, prio: number): number {
    const s = spiSlot(v, intid);
    v.enabled[s] = 1;
    v.pendingLatch[s] = 1;
    v.priority[s] = prio;
    return s;
  }

  it('puts an active interrupt before a pending one of higher priority', () => {
    const v = bareVgic();
    const a = spiSlot(v, 40);
    v.active[a] = 1;
    v.priority[a] = 0xf0;
    const p = pending(v, 41, 0x00);
    expect(cmp(v, a, p)).toBeLessThan(0);
    expect(cmp(v, p, a)).toBeGreaterThan(0);
  });

  it('puts a pending, enabled interrupt before one that is not deliverable', () => {
    const v = bareVgic();
    const p = pending(v, 41, 0xf0);
    const idle = spiSlot(v, 42);
    v.priority[idle] = 0x00;
    const disabled = pending(v, 43, 0x00);
    v.enabled[disabled] = 0;
    expect(cmp(v, p, idle)).toBeLessThan(0);
    expect(cmp(v, p, disabled)).toBeLessThan(0);
  });

  it('orders by priority, then by INTID', () => {
    const v = bareVgic();
    const a = pending(v, 45, 0x20);
    const b = pending(v, 44, 0x40);
    const c = pending(v, 46, 0x20);
    expect(cmp(v, a, b)).toBeLessThan(0);
    expect(cmp(v, a, c)).toBeLessThan(0);
    expect(cmp(v, c, a)).toBeGreaterThan(0);
    expect(cmp(v, a, a)).toBe(0);
    // Two active interrupts: by priority too.
    v.active[b] = 1;
    v.active[c] = 1;
    expect(cmp(v, c, b)).toBeLessThan(0);
  });

  it("puts a pending interrupt of a group its vCPU has disabled after one of an enabled group", () => {
    const v = bareVgic();
    const hi = pending(v, 40, 0x10);
    const lo = pending(v, 41, 0x80);
    v.apListVcpu[hi] = 0;
    v.apListVcpu[lo] = 0;
    v.group[hi] = 0;
    v.group[lo] = 1;
    expect(cmp(v, hi, lo)).toBeLessThan(0);
    v.grpEn0[0] = 0;
    expect(cmp(v, hi, lo)).toBeGreaterThan(0);
    expect(cmp(v, lo, hi)).toBeLessThan(0);
  });
});
