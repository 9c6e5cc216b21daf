import { describe, expect, it } from 'vitest';
import { formatEvent } from '../src/report.js';

describe('formatEvent, unhandled guest accesses', () => {
  const base = { type: 'unhandled', vcpu: 1, write: false, width: 32, frame: null, offset: 0 } as const;

  it('names the frame and offset of an access inside a frame, and why it found no register', () => {
    expect(formatEvent({ ...base, write: true, at: 0x0800_0ffc, frame: 'GICD', offset: 0xffc, reason: 'no-register' })).toBe(
      'unhandled write vCPU1: GICD+0xffc, 32-bit (no register there, RAZ/WI)',
    );
    expect(formatEvent({ ...base, width: 8, at: 0x0800_0004, frame: 'GICD', offset: 4, reason: 'width' })).toBe(
      'unhandled read vCPU1: GICD+0x4, 8-bit (a width or alignment the register does not allow, RAZ/WI)',
    );
  });

  it('gives the address outside every frame, and the encoding of a missing system register', () => {
    expect(formatEvent({ ...base, at: 0x1234_0000, reason: 'no-frame' })).toBe('unhandled read vCPU1: 0x12340000, 32-bit (no frame there)');
    expect(formatEvent({ ...base, width: 64, at: 0xbfff, reason: 'no-sysreg' })).toBe('unhandled read vCPU1: system register 0xbfff (no such system register)');
  });
});
