import { describe, expect, test } from 'vitest';
import { createMachine, isVgicError } from '@vgic/core';
import { attachGicv3, createGicv3, createGicv3Backend, defaultAffinity, formatAffinity, ICC_IAR1_EL1 } from './index.js';
import { alteredHandle } from '../../core/src/host-api-testkit.js';
import { bringUp } from './fixtures.js';

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return isVgicError(e) ? e.code : `not a VgicError: ${String(e)}`;
  }
  return undefined;
}

describe('the backend value', () => {
  test('says GICv3 with KVM\'s limits, 5 priority bits and no SGI sources', () => {
    const b = createGicv3Backend();
    expect(b.version).toBe('v3');
    expect(b.limits).toEqual({ maxVcpus: 512, maxLrs: 16, maxSpis: 988, maxLpis: 65536 - 8192 });
    expect(b.priorityBits).toBe(5);
    expect(b.sgiSources).toBe(false);
    expect(b.frames.map((f) => [f.name, f.base, f.size, f.perVcpu, f.traps])).toEqual([
      ['GICD', 0x0800_0000, 0x10000, false, true],
      ['GICR', 0x080a_0000, 0x20000, true, true],
    ]);
    const trapping = b.sysregs.filter((r) => r.traps).map((r) => r.name).sort();
    expect(trapping).toEqual(['ICC_ASGI1R_EL1', 'ICC_SGI0R_EL1', 'ICC_SGI1R_EL1']);
  });

  test('plugs into core\'s createMachine', () => {
    const m = createMachine(createGicv3Backend({ gicdBase: 0x2000_0000 }), { vcpus: 2 });
    expect(m.version).toBe('v3');
    expect(m.mmioRead(0, 0x2000_0000, 32)).toBe(0x50);
  });
});

describe('affinities', () => {
  test('the default is KVM\'s: 16 vCPUs per Aff0 cluster, then Aff1, then Aff2', () => {
    expect(formatAffinity(defaultAffinity(0))).toBe('0.0.0.0');
    expect(formatAffinity(defaultAffinity(15))).toBe('0.0.0.15');
    expect(formatAffinity(defaultAffinity(16))).toBe('0.0.1.0');
    expect(formatAffinity(defaultAffinity(511))).toBe('0.0.31.15');
    expect(formatAffinity(defaultAffinity(4096 + 17))).toBe('0.1.1.1');
  });

  test('mpidr takes numbers or bigints; RES1, U and MT bits are ignored', () => {
    const m = createGicv3({ vcpus: 3, mpidr: [0x8000_0000, 0x4100_0102, 0x3_0000_0000n] });
    expect(m.readRegister('GICR_TYPER', { rd: 0 }) >> 32n).toBe(0n);
    expect(m.readRegister('GICR_TYPER', { rd: 1 }) >> 32n).toBe(0x102n);
    expect(m.readRegister('GICR_TYPER', { rd: 2 }) >> 32n).toBe(0x0300_0000n);
  });

  test('machines of the default topology share one set of register tables; each keeps its own topology, and an mpidr list its own tables', () => {
    const a = createGicv3({ vcpus: 2 });
    const b = createGicv3({ vcpus: 20 });
    const c = createGicv3({ vcpus: 2, mpidr: [0x100, 0x101] });
    const gicr = (m: ReturnType<typeof createGicv3>) => m.backend.frames.find((f) => f.name === 'GICR')!.registers;
    expect(gicr(a)).toBe(gicr(b));
    expect(a.backend.sysregs).toBe(b.backend.sysregs);
    expect(gicr(c)).not.toBe(gicr(a));
    // Interleaved, each machine reads its own affinities.
    expect(b.readRegister('GICR_TYPER', { rd: 17 }) >> 32n).toBe(0x101n);
    expect(c.readRegister('GICR_TYPER', { rd: 1 }) >> 32n).toBe(0x101n);
    expect(a.readRegister('GICR_TYPER', { rd: 1 }) >> 32n).toBe(0x1n);
    expect(c.readRegister('GICR_TYPER', { rd: 0 }) >> 32n).toBe(0x100n);
    expect(b.readRegister('GICR_TYPER', { rd: 1 }) >> 32n).toBe(0x1n);
    expect(code(() => a.readRegister('GICR_TYPER', { rd: 2 }))).toBe('INVALID_VCPU');
  });

  test('mpidr must give one unique affinity per vCPU', () => {
    expect(code(() => createGicv3({ vcpus: 2, mpidr: [0x1, 0x8000_0001] }))).toBe('INVALID_CONFIG');
    expect(code(() => createGicv3({ vcpus: 3, mpidr: [0x0, 0x1] }))).toBe('INVALID_CONFIG');
    expect(code(() => createGicv3({ vcpus: 1, mpidr: [0x0, 0x1] }))).toBe('INVALID_CONFIG');
    expect(() => createGicv3({ vcpus: 2, mpidr: [7, 7] })).toThrow(/mpidr\[1\] and mpidr\[0\] are both 0\.0\.0\.7/);
  });

  test('an MPIDR with bits outside the affinity fields, negative or fractional, is refused', () => {
    expect(code(() => createGicv3Backend({ mpidr: [1n << 40n] }))).toBe('INVALID_CONFIG');
    expect(code(() => createGicv3Backend({ mpidr: [1 << 25] }))).toBe('INVALID_CONFIG');
    expect(code(() => createGicv3Backend({ mpidr: [-1] }))).toBe('INVALID_CONFIG');
    expect(code(() => createGicv3Backend({ mpidr: [1.5] }))).toBe('INVALID_CONFIG');
    expect(code(() => createGicv3Backend({ mpidr: [2 ** 60] }))).toBe('INVALID_CONFIG');
  });
});

describe('frames and machine options', () => {
  test('bases must be 64 KiB-aligned addresses', () => {
    expect(code(() => createGicv3({ vcpus: 1, gicdBase: 0x0800_1000 }))).toBe('INVALID_CONFIG');
    expect(code(() => createGicv3({ vcpus: 1, gicrBase: -0x10000 }))).toBe('INVALID_CONFIG');
    expect(code(() => createGicv3({ vcpus: 1, gicrBase: 2 ** 64 }))).toBe('INVALID_CONFIG');
    // Armv8's physical addresses have at most 52 bits; a frame must end within them.
    expect(code(() => createGicv3({ vcpus: 1, gicdBase: 2 ** 52 }))).toBe('INVALID_CONFIG');
    expect(code(() => createGicv3({ vcpus: 1, gicdBase: 2 ** 52 - 0x10000 }))).toBeUndefined();
  });

  test('the distributor may not overlap the redistributor region, whose size grows with the vCPUs', () => {
    expect(code(() => createGicv3({ vcpus: 4, gicrBase: 0x0800_0000, gicdBase: 0x0806_0000 }))).toBe('INVALID_CONFIG');
    expect(code(() => createGicv3({ vcpus: 3, gicrBase: 0x0800_0000, gicdBase: 0x0806_0000 }))).toBeUndefined();
  });

  test('vCPUs 1..512, SPIs up to 960, LRs up to 16', () => {
    expect(code(() => createGicv3({ vcpus: 513 }))).toBe('INVALID_CONFIG');
    expect(code(() => createGicv3({ vcpus: 0 }))).toBe('INVALID_CONFIG');
    expect(code(() => createGicv3({ vcpus: 1, lrs: 17 }))).toBe('INVALID_CONFIG');
    expect(code(() => createGicv3({ vcpus: 1, spis: 992 }))).toBe('INVALID_CONFIG');
    expect(createGicv3({ vcpus: 1, spis: 960, lrs: 16 }).spis).toBe(960);
  });
});

describe('attachGicv3', () => {
  test('opens the same machine over the shared buffer, with the same affinities', () => {
    const backendOptions = { mpidr: [0x0, 0x1_0000_0000n], gicdBase: 0x2000_0000 };
    const m = createGicv3({ vcpus: 2, shared: true, ...backendOptions });
    bringUp(m);
    m.writeRegister('GICD_ISENABLER1', 1 << 8);
    m.writeRegister('GICD_IROUTER40', 1n << 32n);
    const handle = structuredClone(m.handle(backendOptions));
    const other = attachGicv3(handle);
    expect(other.readRegister('GICD_IROUTER40')).toBe(1n << 32n);
    expect(other.readRegister('GICR_TYPER', { rd: 1 }) >> 32n).toBe(0x0100_0000n);
    other.inject(40, 1);
    expect(m.irq(40).queued).toBe(1);
    expect(m.sysregRead(1, ICC_IAR1_EL1)).toBe(40n);
  });

  test('refuses a handle of another GIC version', () => {
    const m = createGicv3({ vcpus: 1, shared: true });
    const handle = { ...m.handle({}), version: 'v2' };
    expect(code(() => attachGicv3(handle))).toBe('INVALID_ARGUMENT');
  });

  test('refuses what is not a handle, a buffer too short for its machine, a header altered into one no GICv3 has, and backend options of the wrong kind', () => {
    const m = createGicv3({ vcpus: 2, spis: 32, shared: true });
    const handle = m.handle({});
    const altered = (word: number, value: number): ArrayBufferLike => alteredHandle(handle, word, value).buffer;
    expect(code(() => attachGicv3(null as never))).toBe('INVALID_ARGUMENT');
    expect(code(() => attachGicv3({ ...handle, buffer: new SharedArrayBuffer(8) }))).toBe('INVALID_ARGUMENT');
    expect(code(() => attachGicv3({ ...handle, buffer: new ArrayBuffer(0) }))).toBe('INVALID_ARGUMENT');
    expect(code(() => attachGicv3({ ...handle, buffer: handle.buffer.slice(0, 1024) }))).toBe('INVALID_ARGUMENT');
    for (const [word, value] of [[2, 1000], [2, 0], [2, -1], [3, 64000], [3, 33], [4, 0], [4, 1000], [5, 9], [5, 0], [9, 1], [2, 1], [4, 1], [14, 0]]) {
      expect(code(() => attachGicv3({ ...handle, buffer: altered(word!, value!) })), `header word ${word} := ${value}`).toBe('INVALID_ARGUMENT');
    }
    expect(code(() => attachGicv3({ ...handle, backendOptions: 5 }))).toBe('INVALID_ARGUMENT');
    expect(code(() => attachGicv3({ ...handle, backendOptions: { mpidr: 'x' } }))).toBe('INVALID_CONFIG');
    expect(code(() => attachGicv3(handle, { lockCheck: 'on' } as never))).toBe('INVALID_CONFIG');
    // The untouched handle still opens it.
    expect(attachGicv3(handle).vcpus).toBe(2);
  });
});

describe('options of the wrong type', () => {
  test('are refused with INVALID_CONFIG, whatever they are, before anything is made', () => {
    const throwing = Object.defineProperty({}, 'vcpus', {
      enumerable: true,
      get() {
        throw new Error('a getter');
      },
    });
    for (const [i, o] of [
      undefined,
      null,
      'vcpus: 2',
      [2],
      throwing,
      { vcpus: 2, memory: 'foo' },
      { vcpus: 2, locks: 5 },
      { vcpus: 2, locks: null },
      { vcpus: 2, shared: 1 },
      { vcpus: 2, mpidr: 'x' },
      { vcpus: 2, mpidr: [0, 1n << 64n] },
      { vcpus: 2, gicdBase: Number.NaN },
      { vcpus: 2, giccBase: 0x0801_0000 },
      { vcpu: 2 },
    ].entries()) {
      expect(code(() => createGicv3(o as never)), `options ${i}`).toBe('INVALID_CONFIG');
    }
    expect(code(() => createGicv3Backend({ gicrbase: 0 } as never))).toBe('INVALID_CONFIG');
    expect(code(() => createGicv3Backend(null as never))).toBe('INVALID_CONFIG');
  });
});
