/**
 * Test support (not exported from the package): host misuse as a property,
 * for core's tests and the backends'. Every entry point of a machine is
 * called with arbitrary JavaScript values — fast-check's `anything()`, and
 * the values that slip past naive checks: NaN, -0, 2^53, bigints, null,
 * strings of digits, objects whose getters throw, Proxies whose every trap
 * throws, revoked Proxies, objects with no prototype — mixed with
 * well-formed ones, so that some calls succeed and the machine keeps moving.
 *
 * - A host entry point either returns or throws a `VgicError`; when it
 *   throws, every byte of the machine's state is as it was.
 * - A guest entry point (MMIO, system registers) never throws, but for
 *   INVALID_VCPU (the vCPU is the host's to name) and, for MMIO,
 *   INVALID_ARGUMENT for a width that is not 8, 16, 32 or 64 (no guest
 *   instruction makes one: it is the host decoder's); an access it refuses
 *   (`undefined`, `false`, -1) changes nothing either: no vCPU is entered.
 * - After every call the machine is sound and no lock is held.
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import { isVgicError } from './errors.js';
import type { Machine, MachineHandle } from './machine.js';
import { hostRead, hostRegisterRead, hostRegisterWrite, hostWrite, resolveHostRegister } from './threads/host-access.js';
import { checkSnapshotDocument, createFromSnapshot, restoreMachine } from './snapshot/restore.js';
import { kvmDevice } from './snapshot/kvm.js';
import { quiesceMachine, saveMachine } from './snapshot/save.js';
import { sameBytes, stateBytes } from './snapshot/testkit.js';

/** An object every one of whose properties throws when read. */
function throwingGetters(): object {
  const o: Record<string, unknown> = {};
  for (const key of ['vcpu', 'width', 'rd', 'byteOffset', 'vcpus', 'spis', 'lrs', 'shared', 'locks', 'memory', 'lockCheck', 'op0', 'op1', 'crn', 'crm', 'op2', 'version', 'buffer', 'backendOptions', 'gic', 'shape']) {
    Object.defineProperty(o, key, {
      enumerable: true,
      get() {
        throw new Error(`the getter of ${key}`);
      },
    });
  }
  return o;
}

/** A Proxy whose every trap throws. */
function throwingProxy(): object {
  const trap = (): never => {
    throw new Error('a Proxy trap');
  };
  return new Proxy({}, { get: trap, has: trap, ownKeys: trap, getPrototypeOf: trap, getOwnPropertyDescriptor: trap, defineProperty: trap, set: trap });
}

function revokedProxy(): object {
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  return proxy;
}

/**
 * Stands for a value fast-check cannot handle itself (it clones and prints
 * what it generates, which such values refuse): made only at the call.
 */
class Hostile {
  constructor(readonly kind: 'getters' | 'proxy' | 'revoked' | 'boxed name') {}
}

/** A name of one of the machine's registers (its first trapping frame's first), or of none. */
function someRegisterName(m: Machine | null): string {
  const frame = m?.backend.frames.find((f) => f.traps);
  return frame?.registers[0]?.name ?? 'CTLR';
}

function materialize(x: unknown, m: Machine | null = null): unknown {
  if (!(x instanceof Hostile)) return x;
  switch (x.kind) {
    case 'getters':
      return throwingGetters();
    case 'proxy':
      return throwingProxy();
    case 'revoked':
      return revokedProxy();
    case 'boxed name':
      // A register name, boxed: a name only as a primitive string.
      return new String(someRegisterName(m));
  }
}

/** Values that look like numbers, options or names to a careless check. */
const tricky: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>(
    Number.NaN,
    -0,
    2 ** 53,
    2 ** 32,
    2 ** 64,
    -1,
    1.5,
    -(2 ** 31),
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
    40n,
    -1n,
    2n ** 64n,
    0n,
    null,
    undefined,
    '',
    '0',
    '40',
    '0x28',
    true,
    false,
    [],
    [0],
    {},
    Symbol('x'),
    () => 1,
    Object.create(null),
    new Number(3),
    new Date(0),
    new Uint8Array(4),
    { vcpu: 'x' },
    { width: 12 },
    { vcpus: 2, extra: 1 },
    { toString: () => 'x', valueOf: () => 1 },
    'x'.repeat(100_000),
  ),
  fc.constantFrom(new Hostile('getters'), new Hostile('proxy'), new Hostile('revoked'), new Hostile('boxed name')),
  fc.anything({ withBigInt: true, withNullPrototype: true, withBoxedValues: true, withMap: true, withSet: true, withTypedArray: true, withSparseArray: true, maxDepth: 2 }),
);

/** Arguments that are often valid for some parameter, so that calls get past their first check. */
function plausible(names: readonly string[]): fc.Arbitrary<unknown> {
  return fc.oneof(
    fc.integer({ min: -1, max: 70 }),
    fc.constantFrom<unknown>(0, 1, 2, 27, 32, 40, 63, 1020, 8, 16, 32, 64, true, false, 0xffffffff, 0x1_0000_0000n, 0x28n),
    fc.constantFrom<unknown>(...names),
    fc.constantFrom<unknown>({}, { vcpu: 1 }, { vcpu: 0, width: 8 }, { rd: 1 }, { width: 64 }, { op0: 3, op1: 0, crn: 12, crm: 12, op2: 0 }, { op0: 7, op1: 0, crn: 12, crm: 12, op2: 0 }),
  );
}

/** An entry point's call; `saved` is the machine's document, saved before the state is recorded (a save makes vCPUs exit). */
type Call = (m: Machine, a: readonly unknown[], saved: () => Record<string, unknown>) => unknown;

/* eslint-disable @typescript-eslint/no-explicit-any */
const HOST_CALLS: Readonly<Record<string, Call>> = {
  inject: (m, a) => m.inject(a[0] as any, a[1] as any, a[2] as any),
  setLineLevel: (m, a) => m.setLineLevel(a[0] as any, a[1] as any, a[2] as any),
  mapHw: (m, a) => m.mapHw(a[0] as any, a[1] as any, a[2] as any),
  unmapHw: (m, a) => m.unmapHw(a[0] as any, a[1] as any),
  enter: (m, a) => m.enter(a[0] as any),
  exit: (m, a) => m.exit(a[0] as any),
  isRunning: (m, a) => m.isRunning(a[0] as any),
  needsResync: (m, a) => m.needsResync(a[0] as any),
  irqLine: (m, a) => m.irqLine(a[0] as any),
  fiqLine: (m, a) => m.fiqLine(a[0] as any),
  hasPending: (m, a) => m.hasPending(a[0] as any),
  irq: (m, a) => m.irq(a[0] as any, a[1] as any),
  vcpu: (m, a) => m.vcpu(a[0] as any),
  apList: (m, a) => m.apList(a[0] as any),
  listRegisters: (m, a) => m.listRegisters(a[0] as any),
  resolve: (m, a) => m.resolve(a[0] as any, a[1] as any),
  readRegister: (m, a) => m.readRegister(a[0] as any, a[1] as any),
  writeRegister: (m, a) => m.writeRegister(a[0] as any, a[1] as any, a[2] as any),
  suggest: (m, a) => m.suggest(a[0] as any),
  checkVcpu: (m, a) => m.checkVcpu(a[0] as any),
  hostSlot: (m, a) => m.hostSlot(a[0] as any, a[1] as any, 'a test', a[2] as any),
  onLine: (m, a) => m.onLine(a[0] as any),
  onTrace: (m, a) => m.onTrace(a[0] as any),
  onKick: (m, a) => {
    m.onKick(a[0] as any);
  },
  onHostDeactivate: (m, a) => {
    m.onHostDeactivate(a[0] as any);
  },
  onEoiNotify: (m, a) => {
    m.onEoiNotify(a[0] as any);
  },
  onHostActivate: (m, a) => {
    m.onHostActivate(a[0] as any);
  },
  onHostClearPending: (m, a) => {
    m.onHostClearPending(a[0] as any);
  },
  handle: (m, a) => m.handle(a[0]),
  resolveHostRegister: (m, a) => resolveHostRegister(a[2] === 0 ? m : (a[2] as any), a[0] as any, a[1] as any),
  hostRegisterRead: (m, a) => hostRegisterRead(m, a[0] as any, a[1] as any),
  hostRegisterWrite: (m, a) => hostRegisterWrite(m, a[0] as any, a[1] as any, a[2] as any),
  hostRead: (m, a) => hostRead(m, a[0] as any),
  hostWrite: (m, a) => hostWrite(m, a[0] as any, a[1] as any),
  'hostWrite of a resolved register': (m, a) => {
    // INTID 40's routing register, where the backend names it by role.
    const r = resolveHostRegister(m, m.backend.distributor?.route(40).name ?? someRegisterName(m));
    hostWrite(m, r, a[0] as any);
  },
  kvmDevice: (_m, a) => kvmDevice(a[0] as any),
  getAttr: (m, a) => kvmDevice(m).getAttr(a[0] as any, a[1] as any),
  setAttr: (m, a) => kvmDevice(m).setAttr(a[0] as any, a[1] as any, a[2] as any),
  readDistReg: (m, a) => kvmDevice(m).readDistReg(a[0] as any, a[1] as any),
  writeDistReg: (m, a) => kvmDevice(m).writeDistReg(a[0] as any, a[1] as any, a[2] as any),
  readRedistReg: (m, a) => kvmDevice(m).readRedistReg(a[0] as any, a[1] as any),
  writeRedistReg: (m, a) => kvmDevice(m).writeRedistReg(a[0] as any, a[1] as any, a[2] as any),
  readCpuReg: (m, a) => kvmDevice(m).readCpuReg(a[0] as any, a[1] as any),
  writeCpuReg: (m, a) => kvmDevice(m).writeCpuReg(a[0] as any, a[1] as any, a[2] as any),
  readCpuSysreg: (m, a) => kvmDevice(m).readCpuSysreg(a[0] as any, a[1] as any),
  writeCpuSysreg: (m, a) => kvmDevice(m).writeCpuSysreg(a[0] as any, a[1] as any, a[2] as any),
  readLineLevel: (m, a) => kvmDevice(m).readLineLevel(a[0] as any, a[1] as any),
  writeLineLevel: (m, a) => kvmDevice(m).writeLineLevel(a[0] as any, a[1] as any, a[2] as any),
  saveMachine: (m, a) => saveMachine(a[0] === 0 ? m : (a[0] as any)),
  quiesceMachine: (m, a) => quiesceMachine(a[0] === 0 ? m : (a[0] as any)),
  restoreMachine: (m, a) => restoreMachine(a[1] === 0 ? m : (a[1] as any), a[0]),
  'restoreMachine of a document with one field replaced': (m, a, saved) => {
    const doc = saved();
    const vcpu = (doc['vcpus'] as Record<string, unknown>[])[0]!;
    const fields = [doc, doc['shape'], doc['distributor'], vcpu, vcpu['cpuInterface'], (vcpu['private'] as unknown[])[3], (doc['spis'] as unknown[])[0]] as Record<string, unknown>[];
    const index = (x: unknown, n: number): number => (typeof x === 'number' && Number.isSafeInteger(x) ? Math.abs(x) % n : 0);
    const target = fields[index(a[1], fields.length)]!;
    const keys = Object.keys(target);
    target[keys[index(a[2], keys.length)]!] = a[0];
    restoreMachine(m, doc);
  },
  checkSnapshotDocument: (_m, a) => checkSnapshotDocument(a[0]),
  createFromSnapshot: (_m, a) => createFromSnapshot(a[0], a[1] as any, a[2] as any),
};

const GUEST_CALLS: Readonly<Record<string, Call>> = {
  mmioRead: (m, a) => m.mmioRead(a[0] as any, a[1] as any, a[2] as any),
  mmioWrite: (m, a) => m.mmioWrite(a[0] as any, a[1] as any, a[2] as any, a[3] as any),
  'mmioRead in a frame': (m, a) => m.mmioRead(0, m.frames[0]!.base + (typeof a[0] === 'number' ? a[0] : 0), a[1] as any),
  'mmioWrite in a frame': (m, a) => m.mmioWrite(0, m.frames[0]!.base + (typeof a[0] === 'number' ? a[0] : 0), a[1] as any, a[2] as any),
  sysregRead: (m, a) => m.sysregRead(a[0] as any, a[1] as any),
  sysregWrite: (m, a) => m.sysregWrite(a[0] as any, a[1] as any, a[2] as any),
  sysregRead32: (m, a) => m.sysregRead32(a[0] as any, a[1] as any),
  sysregWriteWords: (m, a) => m.sysregWriteWords(a[0] as any, a[1] as any, a[2] as any, a[3] as any),
};
/* eslint-enable @typescript-eslint/no-explicit-any */

/** An MMIO access refused for its width, which is not one of 8, 16, 32, 64 (the width is the last argument but the value). */
function badWidthOf(name: string, args: readonly unknown[], error: unknown): boolean {
  if (!name.startsWith('mmio') || !isVgicError(error, 'INVALID_ARGUMENT')) return false;
  const width = args[name.endsWith('in a frame') ? 1 : 2];
  return width !== 8 && width !== 16 && width !== 32 && width !== 64;
}

/** A guest access that was refused, rather than performed. */
function refusedAccess(name: string, out: unknown): boolean {
  return out === undefined || out === false || (name === 'sysregRead32' && out === -1);
}

/** A copy of `handle`'s buffer, the first `length` bytes of it, with header word `word` (if given) set to `value`. */
export function alteredHandle(handle: MachineHandle, word: number | null, value: number, length: number = handle.buffer.byteLength): MachineHandle {
  const buffer = new SharedArrayBuffer(length);
  new Uint8Array(buffer).set(new Uint8Array(handle.buffer).subarray(0, length));
  if (word !== null && length >= 64) new Int32Array(buffer, 0, 16)[word] = value;
  return { ...handle, buffer };
}

function describeCall(name: string, args: readonly unknown[]): string {
  const show = (x: unknown): string => {
    try {
      return typeof x === 'bigint' ? `${x}n` : typeof x === 'string' && x.length > 20 ? `"${x.slice(0, 20)}..."` : (JSON.stringify(x) ?? String(x));
    } catch {
      return typeof x;
    }
  };
  return `${name}(${args.map(show).join(', ')})`;
}

/** How many runs the misuse properties make: `VGIC_MISUSE_RUNS` in the environment, or `runs`. */
export function misuseRuns(runs: number): number {
  const env = Number(process.env['VGIC_MISUSE_RUNS']);
  return Number.isSafeInteger(env) && env > 0 ? env : runs;
}

/**
 * Drive every entry point of machines `create` makes with arbitrary values
 * (see the file comment); `numRuns` sequences of up to 40 calls.
 */
export function checkHostMisuseProperty(create: () => Machine, numRuns: number): void {
  const probe = create();
  const names = [...probe.registerNames().map((n) => n.replace('<n>', '10')), 'GICD+0x100', 'NOPE'];
  const arg = fc.oneof({ weight: 3, arbitrary: plausible(names) }, { weight: 2, arbitrary: tricky });
  const calls = { ...HOST_CALLS, ...GUEST_CALLS };
  const call = fc.record({ name: fc.constantFrom(...Object.keys(calls)), args: fc.array(arg, { minLength: 4, maxLength: 4 }) });
  fc.assert(
    fc.property(fc.array(call, { minLength: 1, maxLength: 40 }), (steps) => {
      const m = create();
      for (const { name, args } of steps) {
        const what = describeCall(name, args);
        const doc = name.startsWith('restoreMachine of') ? (JSON.parse(JSON.stringify(saveMachine(m))) as Record<string, unknown>) : null;
        const before = stateBytes(m);
        let out: unknown;
        let error: unknown = null;
        try {
          out = calls[name]!(m, args.map((a) => materialize(a, m)), () => doc!);
        } catch (e) {
          error = e;
        }
        if (name in GUEST_CALLS) {
          if (error !== null) expect(isVgicError(error, 'INVALID_VCPU') || badWidthOf(name, args, error), `${what} threw ${String(error)}`).toBe(true);
          if (error !== null || refusedAccess(name, out)) expect(sameBytes(before, stateBytes(m)), `${what} was refused but changed the machine`).toBe(true);
        } else if (error !== null) {
          expect(isVgicError(error), `${what} threw ${String(error)}`).toBe(true);
          expect(sameBytes(before, stateBytes(m)), `${what} threw ${String(error)} but changed the machine`).toBe(true);
        }
        expect(m.checkInvariants(), what).toEqual([]);
        expect(m.noLockHeld(), what).toBe(true);
      }
    }),
    { numRuns },
  );
}

/**
 * A backend's factory and attach function refuse whatever is not their
 * options or a handle with a `VgicError`: arbitrary option objects, and
 * handles of a real shared machine whose buffer is cut short or whose
 * header words are altered. A handle that is accepted opens a machine that
 * works (an injection, the invariants).
 */
export function checkFactoryMisuseProperty(
  create: (options: unknown) => Machine,
  attach: (handle: unknown, options?: unknown) => Machine,
  shared: () => { m: Machine; handle: MachineHandle },
  numRuns: number,
): void {
  const optionKeys = ['vcpus', 'spis', 'lrs', 'shared', 'lockCheck', 'locks', 'memory', 'gicdBase', 'giccBase', 'gicrBase', 'mpidr', 'typo'];
  const value = fc.oneof(tricky, fc.constantFrom<unknown>(1, 2, 4, 32, 64, 0, 17, true, false, 'sab', 'wasm', 0x0800_0000, 0x2000_0000, [0, 1], [0n, 1n << 32n], [1, 1]));
  const options = fc.oneof(tricky, fc.dictionary(fc.constantFrom(...optionKeys), value, { maxKeys: 4 }));
  const expectRefusedOrWorking = (what: string, f: () => Machine): void => {
    let made: Machine | null = null;
    try {
      made = f();
    } catch (e) {
      expect(isVgicError(e), `${what} threw ${String(e)}`).toBe(true);
      return;
    }
    try {
      made.inject(32, 1);
    } catch (e) {
      expect(isVgicError(e), `${what} made a machine whose inject threw ${String(e)}`).toBe(true);
    }
    // A header edit may mark the machine broken (the broken record's words):
    // that is a machine a host may open, to reset it, and it says so.
    const broken = made.vgic.broken;
    expect(made.checkInvariants(), what).toEqual(broken === null ? [] : [`the machine is broken: ${broken}`]);
  };
  const edit = fc.record({ kind: fc.constantFrom('word' as const, 'word' as const, 'cut' as const), word: fc.nat(15), value: fc.integer(), cut: fc.nat() });
  fc.assert(
    fc.property(options, tricky, options, edit, (o, h, ao, e) => {
      expectRefusedOrWorking(`create(${describeCall('', [o])})`, () => create(materialize(o)));
      expectRefusedOrWorking('attach(junk)', () => attach(materialize(h), materialize(ao)));
      const { handle } = shared();
      const size = handle.buffer.byteLength;
      const altered = e.kind === 'cut' ? alteredHandle(handle, null, 0, e.cut % size) : alteredHandle(handle, e.word, e.value);
      expectRefusedOrWorking(`attach of a handle with ${JSON.stringify(e)}`, () => attach(altered, materialize(ao)));
    }),
    { numRuns },
  );
}
