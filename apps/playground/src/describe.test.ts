import type { StepRecord } from '@vgic/core';
import { describe, expect, it } from 'vitest';
import { aprText, eventText, lrStateText, outcomeText, priorityText } from './describe.js';

const step = { action: 'read', register: 'ICC_IAR1_EL1' } as const;

describe('the words the page shows', () => {
  it('names every list-register state, the empty one included', () => {
    expect([0, 1, 2, 3].map(lrStateText)).toEqual(['—', 'P', 'A', 'P+A']);
  });

  it('writes priorities and active-priority registers as the CLI does', () => {
    expect(priorityText(0xa0)).toBe('0xa0');
    expect(priorityText(0xff)).toBe('0xff (idle)');
    expect(aprText([0, 0, 0, 0, 0x100000, 0, 0, 0x80000000 | 0])).toBe('AP1R0 0x100000, AP1R3 0x80000000');
    expect(aprText([0, 0, 0, 0, 0, 0, 0, 0])).toBe('clear');
  });

  it("puts a step's value, its check and its failure beside its line", () => {
    const base: StepRecord = { index: 10, step, action: 'vCPU0 read ICC_IAR1_EL1', changes: [] };
    expect(outcomeText({ ...base, read: 40n, check: { ok: true, what: 'expect 0x28' } })).toBe('→ 0x28 (40)  ✓ expect 0x28');
    expect(outcomeText({ ...base, read: 1023n, check: { ok: false, what: 'expect 0x28', message: 'read 0x3ff, expected 0x28' } })).toBe(
      '→ 0x3ff (1023)  ✗ read 0x3ff, expected 0x28',
    );
    expect(outcomeText({ ...base, error: { code: 'INVALID_VCPU', message: 'no vCPU 3' } })).toBe('✗ INVALID_VCPU: no vCPU 3');
    expect(outcomeText(base)).toBe('done');
  });

  it('tells a spurious acknowledge, an SGI source and a dropped injection apart', () => {
    expect(eventText({ type: 'ack', vcpu: 0, intid: 1023, source: 0 })).toBe('ack on vCPU0: nothing to take (1023)');
    expect(eventText({ type: 'ack', vcpu: 1, intid: 3, source: 2 })).toBe('ack INTID 3 on vCPU1 from vCPU2');
    expect(eventText({ type: 'inject', intid: 40, vcpu: 0, level: true, accepted: false })).toBe('inject INTID 40 line high (dropped: nothing to do)');
    expect(eventText({ type: 'flush', vcpu: 0, lrs: [{ lr: 0, intid: 40, state: 1, priority: 0xa0, group: 1, hw: false, hostIntid: 0, eoi: false, source: 0 }], queued: 3, underflow: true })).toBe(
      'flush vCPU0: LRs [40 P 0xa0], 2 left on the ap_list, underflow interrupt asked for',
    );
  });
});
