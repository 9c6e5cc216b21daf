/**
 * A guest access no register handles takes one fallback (unhandled.ts):
 * inside a frame it reads as zero and its write is ignored, outside every
 * frame and for a system-register encoding the GIC lacks it is refused to
 * the emulator — never thrown — and a tracer hears of each as an
 * `unhandled` event saying where and why, as QEMU logs LOG_GUEST_ERROR.
 */
import { describe, expect } from 'vitest';
import { ACCESS_8, sysregKey, type FrameDef } from '../../backend.js';
import type { TraceEvent } from '../../trace.js';
import type { ConformanceContext } from './context.js';

export const UNHANDLED_TESTS: readonly string[] = ['unhandled.reported'];

/** Does a register of `f` cover byte `o`? */
function covered(f: FrameDef, o: number): boolean {
  return f.registers.some((r) => {
    const bytes = r.width / 8;
    const stride = r.stride ?? bytes;
    const n = Math.floor((o - r.offset) / stride);
    return o >= r.offset && n < (r.count ?? 1) && o - r.offset - n * stride < bytes;
  });
}

export function describeUnhandled(c: ConformanceContext): void {
  describe('unhandled guest accesses', () => {
    c.test('unhandled.reported', 'a guest access no register handles reads as zero or is ignored, never throws, and a tracer hears where and why', () => {
      const m = c.boot({ vcpus: 2 });
      const events: TraceEvent[] = [];
      const stop = m.onTrace((e) => {
        if (e.type === 'unhandled') events.push(e);
      });
      let end = 0;
      for (const f of m.frames) end = Math.max(end, f.base + f.size * (f.perVcpu ? m.vcpus : 1));
      const nowhere = end + 0x10_0000;
      const f = m.frames.find((x) => x.traps && !x.perVcpu) ?? m.frames[0]!;
      let hole = 0;
      while (hole < f.size && covered(f, hole)) hole += 4;
      const narrow = f.registers.find((r) => (r.access & ACCESS_8) === 0 && r.mode !== 'wo')!;
      const enc = { op0: 0, op1: 7, crn: 15, crm: 15, op2: 7 };

      expect(m.mmioRead(1, nowhere, 32)).toBeUndefined();
      expect(m.mmioWrite(0, nowhere, 16, 5)).toBe(false);
      expect(hole, `${f.name} has a word no register covers`).toBeLessThan(f.size);
      expect(m.mmioRead(0, f.base + hole, 32)).toBe(0);
      expect(m.mmioWrite(0, f.base + hole, 32, 0xffff_ffff)).toBe(true);
      expect(m.mmioRead(0, f.base + hole, 32)).toBe(0);
      expect(m.mmioRead(1, f.base + narrow.offset, 8)).toBe(0);
      expect(m.sysregRead(1, enc)).toBeUndefined();
      expect(m.sysregWrite(0, enc, 1n)).toBe(false);
      stop();

      const at = (vcpu: number, write: boolean, addr: number, width: number, frame: string | null, offset: number, reason: string) =>
        ({ type: 'unhandled', vcpu, write, at: addr, width, frame, offset, reason });
      expect(events).toEqual([
        at(1, false, nowhere, 32, null, 0, 'no-frame'),
        at(0, true, nowhere, 16, null, 0, 'no-frame'),
        at(0, false, f.base + hole, 32, f.name, hole, 'no-register'),
        at(0, true, f.base + hole, 32, f.name, hole, 'no-register'),
        at(0, false, f.base + hole, 32, f.name, hole, 'no-register'),
        at(1, false, f.base + narrow.offset, 8, f.name, narrow.offset, 'width'),
        at(1, false, sysregKey(enc), 64, null, 0, 'no-sysreg'),
        at(0, true, sysregKey(enc), 64, null, 0, 'no-sysreg'),
      ]);
      // Nobody listening: the same accesses, no listener called, no error.
      expect(m.mmioRead(0, nowhere, 32)).toBeUndefined();
      expect(events).toHaveLength(8);
    });
  });
}
