import { describe, expect, it } from 'vitest';
import { TSYS_IAR1, TSYS_SGI, TOY_DIST_BASE, createToy, sgiValue } from '../test/fixtures/toy-gic.js';
import { toyGuest } from '../test/fixtures/toy-guest.js';
import { sysregKey } from './backend.js';
import { isVgicError, type VgicErrorCode } from './errors.js';
import type { Machine } from './machine.js';
import type { TraceEvent } from './trace.js';

function toy(o: { vcpus?: number; lrs?: number } = {}): Machine {
  const m = createToy({ vcpus: o.vcpus ?? 2, spis: 64, lrs: o.lrs ?? 4 });
  toyGuest.init(m);
  return m;
}

function spi(m: Machine, intid: number, to: number, prio = 0x80): void {
  toyGuest.setPriority(m, intid, prio);
  toyGuest.route(m, intid, to);
  toyGuest.enable(m, intid);
}

/** `fn` must throw a VgicError with `code` and leave every byte of the machine as it was. */
function refused(m: Machine, code: VgicErrorCode, fn: () => unknown): void {
  const before = new Uint8Array(m.vgic.buffer).slice();
  let error: unknown = null;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  expect(isVgicError(error, code), `expected ${code}, got ${String(error)}`).toBe(true);
  expect(Buffer.from(new Uint8Array(m.vgic.buffer)).equals(Buffer.from(before))).toBe(true);
}

describe('Machine: host input', () => {
  it('refuses an SGI to host injection with INVALID_INTID, changing nothing', () => {
    const m = toy();
    spi(m, 40, 1);
    m.inject(40, 1);
    for (const intid of [0, 7, 15]) refused(m, 'INVALID_INTID', () => m.inject(intid, 1, 0));
    expect((() => {
      try {
        m.inject(3, 1, 0);
      } catch (e) {
        return (e as Error).message;
      }
      return '';
    })()).toMatch(/SGI/);
  });

  it('refuses the reserved INTIDs 1020-1023 and INTIDs beyond the SPIs with INVALID_INTID', () => {
    const m = toy();
    for (const intid of [1020, 1021, 1022, 1023]) refused(m, 'INVALID_INTID', () => m.inject(intid, 1));
    for (const intid of [96, 1019, 1024, 8192, -1, 2.5]) refused(m, 'INVALID_INTID', () => m.inject(intid, 1));
    refused(m, 'INVALID_INTID', () => m.mapHw(1020, 5));
    refused(m, 'INVALID_INTID', () => m.setLineLevel(96, true));
  });

  it('refuses a PPI without a vCPU, and any missing vCPU, with INVALID_VCPU', () => {
    const m = toy();
    refused(m, 'INVALID_VCPU', () => m.inject(27, 1));
    refused(m, 'INVALID_VCPU', () => m.inject(27, 1, 2));
    refused(m, 'INVALID_VCPU', () => m.inject(40, 1, 5));
    refused(m, 'INVALID_VCPU', () => m.mapHw(27, 27));
    refused(m, 'INVALID_VCPU', () => m.enter(2));
    refused(m, 'INVALID_VCPU', () => m.exit(-1));
    refused(m, 'INVALID_VCPU', () => m.hasPending(1.5));
    refused(m, 'INVALID_VCPU', () => m.mmioRead(2, TOY_DIST_BASE, 32));
    refused(m, 'INVALID_VCPU', () => m.sysregRead(3, TSYS_IAR1));
  });

  it('refuses a level that is not 0/1 or a boolean, and a bad host INTID for mapping, with INVALID_ARGUMENT', () => {
    const m = toy();
    refused(m, 'INVALID_ARGUMENT', () => m.inject(40, 2 as 1));
    refused(m, 'INVALID_ARGUMENT', () => m.mapHw(40, -1));
    refused(m, 'INVALID_ARGUMENT', () => m.mapHw(40, 0x1000000));
  });

  it('refuses options that do not describe a machine with INVALID_CONFIG', () => {
    for (const o of [{ vcpus: 0 }, { vcpus: 9 }, { vcpus: 1, spis: 33 }, { vcpus: 1, spis: 1024 }, { vcpus: 1, lrs: 0 }, { vcpus: 1, lrs: 17 }]) {
      let error: unknown = null;
      try {
        createToy(o);
      } catch (e) {
        error = e;
      }
      expect(isVgicError(error, 'INVALID_CONFIG'), JSON.stringify(o)).toBe(true);
    }
  });
});

describe('Machine: the guest surface', () => {
  it('reports an address no frame holds and an encoding it does not implement, without throwing', () => {
    const m = toy();
    expect(m.mmioRead(0, 0x1234_0000, 32)).toBeUndefined();
    expect(m.mmioWrite(0, 0x1234_0000, 32, 5)).toBe(false);
    expect(m.sysregRead(0, { op0: 3, op1: 7, crn: 0, crm: 0, op2: 0 })).toBeUndefined();
    expect(m.sysregWrite(0, { op0: 3, op1: 7, crn: 0, crm: 0, op2: 0 }, 1n)).toBe(false);
  });

  it('reads an access of a width the register does not allow as zero, and ignores such a write', () => {
    const m = toy();
    toyGuest.setPriority(m, 40, 0x80);
    expect(m.readRegister('TDIST_IPRIORITYR10', { width: 16 })).toBe(0n);
    m.writeRegister('TDIST_IPRIORITYR10', 0xffff, { width: 16 });
    expect(m.irq(40).priority).toBe(0x80);
    expect(m.readRegister('TDIST_IPRIORITYR10')).toBe(0x80n);
  });

  it('sends an SGI through a trapping system register, and acknowledges through a non-trapping one', () => {
    const m = toy();
    toyGuest.enable(m, 4, 1);
    expect(m.sysregWrite(0, TSYS_SGI, BigInt(sgiValue(4, [1])))).toBe(true);
    expect(m.sysregRead(1, TSYS_IAR1)).toBe(4n);
    expect(m.sysregWriteWords(0, sysregKey(TSYS_SGI), sgiValue(4, [1]), 0)).toBe(true);
    toyGuest.eoi(m, 1, 4);
    expect(m.sysregRead32(1, sysregKey(TSYS_IAR1))).toBe(4);
  });

  it('makes a kicked vCPU exit and re-enter before its next guest access', () => {
    const m = toy();
    spi(m, 40, 1);
    m.enter(1);
    expect(m.needsResync(1)).toBe(false);
    m.inject(40, 1);
    expect(m.needsResync(1)).toBe(true);
    expect(m.irqLine(1)).toBe(false);
    expect(toyGuest.ack(m, 1)).toBe(40);
    expect(m.needsResync(1)).toBe(false);
  });

  it('resolves register names to the addresses an emulator uses, and suggests a near name', () => {
    const m = toy();
    expect(m.resolve('TDIST_ISENABLER1')).toMatchObject({ kind: 'mmio', addr: TOY_DIST_BASE + 0x104, width: 32 });
    expect(m.resolve('TDIST+0x429')).toMatchObject({ kind: 'mmio', addr: TOY_DIST_BASE + 0x429 });
    expect(m.resolve('TSYS_SGI')).toMatchObject({ kind: 'sysreg', encoding: TSYS_SGI });
    let message = '';
    try {
      m.resolve('TDIST_ISENABLR1');
    } catch (e) {
      expect(isVgicError(e, 'UNKNOWN_REGISTER')).toBe(true);
      message = (e as Error).message;
    }
    expect(message).toContain('TDIST_ISENABLER1');
  });
});

describe('Machine: outputs', () => {
  it('calls every onLine listener on each change of a vCPU line, until it stops listening', () => {
    const m = toy();
    const a: string[] = [];
    const b: string[] = [];
    const stopA = m.onLine((k, irq) => a.push(`${k}:${irq}`));
    m.onLine((k, irq) => b.push(`${k}:${irq}`));
    spi(m, 40, 1);
    m.inject(40, 1);
    m.enter(1);
    stopA();
    toyGuest.ack(m, 1);
    expect(a).toEqual(['1:true']);
    expect(b).toEqual(['1:true', '1:false']);
  });

  it('hasPending sees what the vCPU could take, for WFI', () => {
    const m = toy();
    spi(m, 40, 1);
    expect(m.hasPending(1)).toBe(false);
    m.inject(40, 1);
    expect(m.hasPending(1)).toBe(true);
    expect(m.hasPending(0)).toBe(false);
    toyGuest.setPmr(m, 1, 0x80);
    expect(m.hasPending(1)).toBe(false);
    toyGuest.setPmr(m, 1, 0xff);
    toyGuest.ack(m, 1);
    expect(m.hasPending(1)).toBe(false);
  });

  it('emits trace events only to listeners, and stops when they unsubscribe', () => {
    const m = toy();
    const events: TraceEvent[] = [];
    spi(m, 40, 1);
    const stop = m.onTrace((e) => events.push(e));
    m.inject(40, 1);
    expect(events.map((e) => e.type)).toEqual(['inject', 'queue', 'kick']);
    stop();
    expect(m.vgic.tracer).toBeNull();
    m.inject(40, 1);
    expect(events).toHaveLength(3);
  });

  it('shows an interrupt the guest acknowledged as active before the vCPU exits', () => {
    const m = toy();
    spi(m, 40, 1);
    m.inject(40, 1);
    toyGuest.ack(m, 1);
    expect(m.irq(40)).toMatchObject({ active: true, pending: false, queued: 1, lr: 0 });
    expect(m.listRegisters(1)[0]).toMatchObject({ intid: 40, state: 2 });
    expect(m.listRegisters(1)[0]!.encoded >> 62n).toBe(2n);
    m.exit(1);
    expect(m.irq(40)).toMatchObject({ active: true, lr: null });
  });
});
