/**
 * Raw guest accesses through the emulator-facing API, beyond what a
 * scenario can say: any offset of any frame (aligned or not), any width
 * (legal or not: 0, 3, 24, 128...), any value (numbers that are negative,
 * fractional, huge or not finite; bigints past 64 bits), any of the
 * machine's vCPUs, addresses next to the frames, system-register encodings
 * that exist and ones that do not. None may throw but an access of a width
 * that is not 8, 16, 32 or 64 bits — no guest makes one; it is the host's
 * mistake, and a VgicError that changes nothing — and the machine must stay
 * sound after each (the recorder checks it).
 */
import { isVgicError, sysregKey, type AccessWidth, type Machine, type SysregEncoding } from '@vgic/core';
import fc from 'fast-check';
import { configArbitrary, buildMachine, guestOps, type GicVersion, type MachineConfig } from './config.js';
import { FuzzFailure, Recorder, describeError, isAccessWidth } from './recorder.js';

/**
 * A value a guest access of `width` bits takes: a bigint 0..2^64-1, a whole
 * number 0..2^53-1, or for 32 bits or fewer a negative 32-bit integer
 * (anything else is refused).
 */
function isValue(x: number | bigint, width: number): boolean {
  if (typeof x === 'bigint') return x >= 0n && x < 1n << 64n;
  return (Number.isSafeInteger(x) && x >= 0) || (width <= 32 && (x | 0) === x);
}

export type RawAccess =
  | { kind: 'mmio'; write: boolean; frame: number; offset: number; width: number; value: number | bigint; vcpu: number; rd: number }
  | { kind: 'near'; write: boolean; frame: number; delta: number; width: number; vcpu: number }
  | { kind: 'sysreg'; write: boolean; known: boolean; reg: number; enc: SysregEncoding; value: number | bigint; vcpu: number }
  | { kind: 'sysregWords'; write: boolean; key: number; lo: number; hi: number; vcpu: number };

const anyNumber: fc.Arbitrary<number> = fc.oneof(
  fc.nat(0xffffffff),
  fc.integer(),
  fc.double(),
  fc.constantFrom(-1, 2 ** 32, 2 ** 53, Number.NaN, Number.POSITIVE_INFINITY, -0, 0.5),
);
const anyBigint: fc.Arbitrary<bigint> = fc.oneof(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), fc.bigInt({ min: -(1n << 70n), max: 1n << 70n }));
const anyValue: fc.Arbitrary<number | bigint> = fc.oneof(anyNumber, anyBigint);
const anyWidth: fc.Arbitrary<number> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(8, 16, 32, 64) },
  { weight: 1, arbitrary: fc.constantFrom(0, 1, 3, 4, 24, 48, 128, -8, 31.5) },
  { weight: 1, arbitrary: fc.integer({ min: -4, max: 256 }) },
);
const vcpu = fc.nat(7);
const enc: fc.Arbitrary<SysregEncoding> = fc.record({ op0: fc.nat(3), op1: fc.nat(7), crn: fc.nat(15), crm: fc.nat(15), op2: fc.nat(7) });

export const rawAccessArbitrary: fc.Arbitrary<RawAccess> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('mmio' as const),
      write: fc.boolean(),
      frame: fc.nat(7),
      offset: fc.nat(0x1ffff),
      width: anyWidth,
      value: anyValue,
      vcpu,
      rd: vcpu,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('near' as const), write: fc.boolean(), frame: fc.nat(7), delta: fc.integer({ min: -16, max: 16 }), width: anyWidth, vcpu }),
  },
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant('sysreg' as const), write: fc.boolean(), known: fc.boolean(), reg: fc.nat(63), enc, value: anyValue, vcpu }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('sysregWords' as const),
      write: fc.boolean(),
      key: fc.nat(0xffff),
      lo: fc.integer(),
      hi: fc.integer(),
      vcpu,
    }),
  },
);

export interface RawCase {
  config: MachineConfig;
  bringUp: boolean;
  accesses: RawAccess[];
}

export function rawCaseArbitrary(gic: GicVersion): fc.Arbitrary<RawCase> {
  return fc.record({ config: configArbitrary(gic), bringUp: fc.boolean(), accesses: fc.array(rawAccessArbitrary, { maxLength: 60, size: 'max' }) });
}

/** An access of a width that is no access width: null when it threw INVALID_ARGUMENT (the recorder checked it changed nothing). */
function refusesWidth(access: () => unknown, width: number): string | null {
  try {
    access();
  } catch (e) {
    if (isVgicError(e, 'INVALID_ARGUMENT')) return null;
    throw e;
  }
  return `an access of width ${width} was not refused with INVALID_ARGUMENT`;
}

/** Perform one access; what it got wrong, if anything the recorder does not see. */
function perform(m: Machine, a: RawAccess): string | null {
  const k = a.vcpu % m.vcpus;
  switch (a.kind) {
    case 'mmio': {
      const f = m.frames[a.frame % m.frames.length]!;
      const addr = f.base + (f.perVcpu ? (a.rd % m.vcpus) * f.size : 0) + (a.offset % f.size);
      // Any width, the invalid ones included: the API refuses those with INVALID_ARGUMENT.
      const width = a.width as AccessWidth;
      if (!isAccessWidth(a.width)) return refusesWidth(() => (a.write ? m.mmioWrite(k, addr, width, a.value) : m.mmioRead(k, addr, width)), a.width);
      const answered = a.write ? m.mmioWrite(k, addr, width, a.value) : m.mmioRead(k, addr, width) !== undefined;
      const expected = !a.write || isValue(a.value, a.width);
      return answered === expected
        ? null
        : `an access of width ${a.width}${a.write ? ` writing ${String(a.value)}` : ''} was ${answered ? 'taken' : 'refused'}`;
    }
    case 'near': {
      // Just outside a frame: below its base, or past its end. Such an address is no frame's (or another's).
      const f = m.frames[a.frame % m.frames.length]!;
      const end = f.base + (f.perVcpu ? f.size * m.vcpus : f.size);
      const addr = a.delta < 0 ? f.base + a.delta : end + a.delta;
      const inFrame = m.frames.some((g) => addr >= g.base && addr < g.base + (g.perVcpu ? g.size * m.vcpus : g.size));
      const width = a.width as AccessWidth;
      if (!isAccessWidth(a.width)) return refusesWidth(() => (a.write ? m.mmioWrite(k, addr, width, 0xffffffff) : m.mmioRead(k, addr, width)), a.width);
      const answered = a.write ? m.mmioWrite(k, addr, width, 0xffffffff) : m.mmioRead(k, addr, width) !== undefined;
      return answered === inFrame ? null : `an access at 0x${addr.toString(16)} was ${answered ? 'taken' : 'refused'}, but that address is ${inFrame ? 'in' : 'outside'} the GIC's frames`;
    }
    case 'sysreg': {
      const regs = m.backend.sysregs;
      const e = a.known && regs.length > 0 ? regs[a.reg % regs.length]! : a.enc;
      const known = regs.some((r) => sysregKey(r) === sysregKey(e));
      const answered = a.write ? m.sysregWrite(k, e, a.value) : m.sysregRead(k, e) !== undefined;
      if (known && a.write && !isValue(a.value, 64)) return answered ? `system register write of ${String(a.value)}, not a 64-bit value, was taken` : null;
      return answered === known ? null : `system register encoding 0x${sysregKey(e).toString(16)} ${answered ? 'answered, but this GIC has no such register' : 'did not answer, but it is one of this GIC\'s'}`;
    }
    case 'sysregWords':
      if (a.write) m.sysregWriteWords(k, a.key, a.lo, a.hi);
      else m.sysregRead32(k, a.key);
      return null;
  }
}

/** Run one case: null, or what went wrong (and at which access). */
export function runRawCase(gic: GicVersion, c: RawCase): string | null {
  const m = buildMachine(gic, c.config);
  // From here on every call is checked as it returns.
  new Recorder(m, false);
  let i = -1;
  try {
    if (c.bringUp) guestOps(gic).init(m, { eoiMode: 0 });
    for (i = 0; i < c.accesses.length; i++) {
      const wrong = perform(m, c.accesses[i]!);
      if (wrong !== null) return `access ${i + 1} (${JSON.stringify(c.accesses[i], jsonBigint)}): ${wrong}`;
    }
  } catch (e) {
    const what = i < 0 ? 'bringing the GIC up' : `access ${i + 1} (${JSON.stringify(c.accesses[i], jsonBigint)})`;
    return e instanceof FuzzFailure ? `${what}: ${e.message}` : `${what} threw: ${describeError(e)}`;
  }
  return null;
}

export function jsonBigint(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  return value;
}

export interface RawFuzzReport {
  gic: GicVersion;
  seed: number;
  runs: number;
  failure: { message: string; counterexample: RawCase } | null;
}

export function fuzzRawAccess(o: { gic: GicVersion; runs: number; seed: number; onProgress?: (done: number) => void; progressEvery?: number }): RawFuzzReport {
  let done = 0;
  let last = Date.now();
  const every = o.progressEvery ?? 3000;
  const property = fc.property(rawCaseArbitrary(o.gic), (c) => {
    done++;
    if (o.onProgress && (done & 63) === 0 && Date.now() - last >= every) {
      last = Date.now();
      o.onProgress(done);
    }
    return runRawCase(o.gic, c) === null;
  });
  const details = fc.check(property, { numRuns: o.runs, seed: o.seed });
  if (!details.failed || details.counterexample === null) return { gic: o.gic, seed: o.seed, runs: details.numRuns, failure: null };
  const [c] = details.counterexample;
  return { gic: o.gic, seed: o.seed, runs: details.numRuns, failure: { message: runRawCase(o.gic, c) ?? 'passed when run again', counterexample: c } };
}
