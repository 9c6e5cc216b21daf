import { describe, expect, it } from 'vitest';
import { createToy } from '../../test/fixtures/toy-gic.js';
import { toyGuest } from '../../test/fixtures/toy-guest.js';
import { isVgicError } from '../errors.js';
import { hostRead, hostRegisterRead, hostRegisterWrite, hostWrite, resolveHostRegister } from './host-access.js';

function machine() {
  const m = createToy({ vcpus: 2, spis: 32 });
  toyGuest.init(m);
  toyGuest.enable(m, 40);
  for (let k = 0; k < 2; k++) m.exit(k);
  return m;
}

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return isVgicError(e) ? e.code : 'not a VgicError';
  }
  return undefined;
}

describe('host register access', () => {
  it('retargets a pending SPI through the distributor without entering or exiting any vCPU', () => {
    const m = machine();
    m.inject(40, 1);
    m.enter(0);
    const before = m.listRegisters(0);
    expect(before.map((lr) => lr.intid)).toEqual([40]);

    hostRegisterWrite(m, 'TDIST_ROUTER40', 1);

    // vCPU 0 was not synced: its list register is as the flush left it.
    expect(m.isRunning(0)).toBe(true);
    expect(m.listRegisters(0)).toEqual(before);
    expect(m.isRunning(1)).toBe(false);
    expect(hostRegisterRead(m, 'TDIST_ROUTER40')).toBe(1n);
    // The owner was kicked: at its exit the interrupt moves to vCPU 1.
    expect(m.needsResync(0)).toBe(true);
    m.exit(0);
    expect(m.apList(1)).toEqual([40]);
  });

  it('refuses a CPU-interface register, which only the running vCPU may touch', () => {
    const m = machine();
    expect(code(() => resolveHostRegister(m, 'TCPU_PMR'))).toBe('INVALID_ARGUMENT');
    expect(code(() => resolveHostRegister(m, 'TSYS_IAR1'))).toBe('INVALID_ARGUMENT');
  });

  it('refuses a width the register does not allow, and names it', () => {
    const m = machine();
    expect(code(() => resolveHostRegister(m, 'TDIST_ISENABLER1', { width: 8 }))).toBe('INVALID_ARGUMENT');
    expect(code(() => resolveHostRegister(m, 'TDIST_NOPE'))).toBe('UNKNOWN_REGISTER');
  });

  it('reaches one byte of a byte-accessible register', () => {
    const m = machine();
    const r = resolveHostRegister(m, 'TDIST_IPRIORITYR10', { width: 8, byteOffset: 1 });
    hostRegisterWrite(m, 'TDIST_IPRIORITYR10', 0xa0, { width: 8, byteOffset: 1 });
    expect(r.offset).toBe(0x400 + 41);
    expect(m.irq(41).priority).toBe(0xa0);
    expect(m.irq(40).priority).toBe(0);
  });

  it('refuses a register it did not resolve, one of another machine, a value that is not one, and options of the wrong type', () => {
    const m = machine();
    const other = machine();
    const r = resolveHostRegister(m, 'TDIST_ROUTER40');
    const before = new Uint8Array(m.vgic.buffer).slice();
    expect(code(() => hostWrite(m, { ...r } as typeof r, 1))).toBe('INVALID_ARGUMENT');
    expect(code(() => hostWrite(other, r, 1))).toBe('INVALID_ARGUMENT');
    expect(code(() => hostRead(m, null as never))).toBe('INVALID_ARGUMENT');
    for (const value of [Number.NaN, 1.5, -(2 ** 40), '1', 1n << 64n, undefined]) {
      expect(code(() => hostWrite(m, r, value as number)), String(value)).toBe('INVALID_ARGUMENT');
    }
    expect(code(() => resolveHostRegister(m, 'TDIST_ROUTER40', { vcpu: 1n } as never))).toBe('INVALID_VCPU');
    expect(code(() => resolveHostRegister(m, 'TDIST_ROUTER40', { byteOffset: 1.5 }))).toBe('INVALID_ARGUMENT');
    expect(code(() => resolveHostRegister(m, 'TDIST_ROUTER40', { wdth: 8 } as never))).toBe('INVALID_ARGUMENT');
    expect(code(() => hostRegisterWrite(null as never, 'TDIST_ROUTER40', 1))).toBe('INVALID_ARGUMENT');
    expect(new Uint8Array(m.vgic.buffer)).toEqual(before);
    // A resolved register cannot be altered into another.
    expect(() => ((r as { offset: number }).offset = 0)).toThrow(TypeError);
  });
});
