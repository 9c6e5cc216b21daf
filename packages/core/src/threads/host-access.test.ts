import { describe, expect, it } from 'vitest';
import { createToy } from '../../test/fixtures/toy-gic.js';
import { toyGuest } from '../../test/fixtures/toy-guest.js';
import { isVgicError } from '../errors.js';
import { hostRegisterRead, hostRegisterWrite, resolveHostRegister } from './host-access.js';

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
});
