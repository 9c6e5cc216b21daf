/**
 * Random guest register traffic — named registers, raw MMIO of any width
 * and address, injections, entry and exit, system registers — never throws
 * and never breaks the engine's invariants.
 */
import { describe, expect } from 'vitest';
import { LR_COUNTS, type ConformanceContext } from './context.js';

export const FUZZ_TESTS: readonly string[] = [
  'fuzz.registers',
];

/** A small deterministic PRNG (mulberry32): the fuzz run is the same on every machine. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function describeFuzz(c: ConformanceContext): void {
  const { guest, test, boot, spi, spis } = c;

  describe('guest register traffic', () => {
    for (const lrs of LR_COUNTS) {
      test('fuzz.registers', `random guest register traffic never throws nor breaks the invariants (${lrs} LRs)`, () => {
        const seed = 0x5eed + lrs;
        const rnd = prng(seed);
        const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
        const m = boot({ vcpus: Math.min(3, guest.maxVcpus), lrs });
        for (let i = 32; i < 48; i++) spi(m, i, { prio: (i & 15) << 4, edge: (i & 1) === 0, to: i % m.vcpus });
        const widths = [8, 16, 32, 64] as const;
        const value = (): bigint => {
          const r = rnd();
          if (r < 0.1) return 0n;
          if (r < 0.2) return 0xffff_ffff_ffff_ffffn;
          if (r < 0.4) return BigInt(1 << Math.floor(rnd() * 32)) & 0xffff_ffffn;
          return (BigInt(Math.floor(rnd() * 2 ** 32)) << 32n) | BigInt(Math.floor(rnd() * 2 ** 32));
        };
        for (let step = 0; step < 1500; step++) {
          const vcpu = Math.floor(rnd() * m.vcpus);
          const r = rnd();
          let what = '';
          try {
            if (r < 0.55) {
              const name = pick(guest.fuzzRegisters);
              const width = pick(widths);
              const rd = Math.floor(rnd() * m.vcpus);
              if (rnd() < 0.5) {
                what = `read ${name} width ${width} on vCPU ${vcpu}`;
                m.readRegister(name, { vcpu, width, rd });
              } else {
                const val = value();
                what = `write ${name} = 0x${val.toString(16)} width ${width} on vCPU ${vcpu}`;
                m.writeRegister(name, val, { vcpu, width, rd });
              }
            } else if (r < 0.8) {
              const f = pick(m.frames);
              const span = f.size * (f.perVcpu ? m.vcpus : 1);
              const addr = f.base + Math.floor(rnd() * span);
              const width = pick(widths);
              if (rnd() < 0.5) {
                what = `mmioRead ${f.name}+0x${(addr - f.base).toString(16)} width ${width} on vCPU ${vcpu}`;
                m.mmioRead(vcpu, addr, width);
              } else {
                const val = value();
                what = `mmioWrite ${f.name}+0x${(addr - f.base).toString(16)} = 0x${val.toString(16)} width ${width} on vCPU ${vcpu}`;
                m.mmioWrite(vcpu, addr, width, width === 64 ? val : Number(BigInt.asUintN(width, val)));
              }
            } else if (r < 0.9) {
              const intid = rnd() < 0.2 ? 16 + Math.floor(rnd() * 16) : 32 + Math.floor(rnd() * spis);
              const level = rnd() < 0.6;
              what = `inject ${intid} level ${level}`;
              m.inject(intid, level, intid < 32 ? vcpu : undefined);
            } else if (r < 0.95) {
              what = `enter/exit vCPU ${vcpu}`;
              if (rnd() < 0.5) m.enter(vcpu);
              else m.exit(vcpu);
            } else {
              const enc = { op0: 3, op1: Math.floor(rnd() * 8), crn: Math.floor(rnd() * 16), crm: Math.floor(rnd() * 16), op2: Math.floor(rnd() * 8) };
              what = `sysreg ${JSON.stringify(enc)} on vCPU ${vcpu}`;
              if (rnd() < 0.5) m.sysregRead(vcpu, enc);
              else m.sysregWrite(vcpu, enc, value());
            }
          } catch (e) {
            throw new Error(`step ${step} (seed ${seed}): ${what} threw ${String(e)}`);
          }
          const problems = m.checkInvariants();
          if (problems.length > 0 || !m.noLockHeld() || m.vgic.lockViolations !== 0) {
            throw new Error(`step ${step} (seed ${seed}): after ${what}: ${problems.join('; ') || 'a lock is held'}`);
          }
        }
      });
    }
  });
}
