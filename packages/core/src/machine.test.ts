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
    expect(m.readRegister('TDIST_IPRIORITYR10', { width: 16 })).toBe(0);
    m.writeRegister('TDIST_IPRIORITYR10', 0xffff, { width: 16 });
    expect(m.irq(40).priority).toBe(0x80);
    expect(m.readRegister('TDIST_IPRIORITYR10')).toBe(0x80);
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

/** The state buffer, to compare before and after a call that must change nothing. */
function bytes(m: Machine): Uint8Array {
  return new Uint8Array(m.vgic.buffer).slice();
}

describe('Machine: system-register encodings are the architecture\'s, never masked into one', () => {
  it('refuses an encoding with a field outside its range, instead of aliasing it onto a real register', () => {
    const m = toy();
    spi(m, 40, 0);
    m.inject(40, 1);
    // TSYS_IAR1 is op0 3, op1 0, CRn 12, CRm 12, op2 0: each of these masks onto it.
    const aliases = [
      { ...TSYS_IAR1, op0: 7 },
      { ...TSYS_IAR1, op1: 8 },
      { ...TSYS_IAR1, crn: 28 },
      { ...TSYS_IAR1, crm: 28 },
      { ...TSYS_IAR1, op2: 8 },
      { ...TSYS_IAR1, op0: -1 },
      { ...TSYS_IAR1, crn: 12.5 },
      { ...TSYS_IAR1, op2: 2 ** 32 },
      { ...TSYS_IAR1, op0: '3' },
      { ...TSYS_IAR1, crm: 12n },
      { op0: 3, op1: 0, crn: 12, crm: 12 },
      Object.defineProperty({ ...TSYS_IAR1 }, 'op2', {
        get() {
          throw new Error('no');
        },
      }),
      null,
      'TSYS_IAR1',
    ];
    aliases.forEach((enc, i) => {
      const before = bytes(m);
      expect(sysregKey(enc as never), `encoding ${i}`).toBe(-1);
      expect(m.sysregRead(0, enc as never), `encoding ${i}`).toBeUndefined();
      expect(m.sysregWrite(0, enc as never, 40n)).toBe(false);
      expect(bytes(m)).toEqual(before);
    });
    expect(m.irq(40)).toMatchObject({ pending: true, active: false });
    // The real encoding still acknowledges it.
    expect(m.sysregRead(0, TSYS_IAR1)).toBe(40n);
  });

  it('finds each of its registers by packed key, and nothing at any of the other 65,536 keys', () => {
    const m = toy();
    const keys = new Set(m.backend.sysregs.map((r) => sysregKey(r)));
    expect(keys.size).toBe(m.backend.sysregs.length);
    const found: number[] = [];
    for (let key = 0; key < 0x10000; key++) if (m.sysregRead32(0, key) !== -1) found.push(key);
    expect(found).toEqual([...keys].sort((a, b) => a - b));
  });

  it('sysregRead32 says -1 for a key that names no register, and sysregWriteWords false, so that 0 means a register read 0', () => {
    const m = toy();
    for (const key of [0x1_0000, -1, 1.5, Number.NaN, 0x40n, '0xc660', sysregKey({ op0: 3, op1: 7, crn: 0, crm: 0, op2: 0 })]) {
      const before = bytes(m);
      expect(m.sysregRead32(0, key as number), String(key)).toBe(-1);
      expect(m.sysregWriteWords(0, key as number, 0, 0)).toBe(false);
      expect(bytes(m)).toEqual(before);
    }
    // A register that reads 0 reads 0; spurious is 1023.
    expect(m.sysregRead32(0, sysregKey(TSYS_IAR1))).toBe(1023);
    expect(m.sysregRead32(0, sysregKey(TSYS_SGI))).toBe(0);
    // Halves that are not 32-bit values are no value.
    for (const [lo, hi] of [[Number.NaN, 0], [0, 1.5], [2 ** 32, 0], [0, -(2 ** 31) - 1], [1n, 0]] as const) {
      expect(m.sysregWriteWords(0, sysregKey(TSYS_SGI), lo as number, hi as number)).toBe(false);
    }
  });
});

describe('Machine: a guest access that is not one is refused as an unmapped one', () => {
  it('an address or value that is not a valid number reads undefined, writes false, and enters no vCPU', () => {
    const m = toy();
    for (let k = 0; k < 2; k++) m.exit(k);
    const a = TOY_DIST_BASE + 0x104;
    const before = bytes(m);
    for (const addr of [Number.NaN, a + 0.5, -4, BigInt(a), Number.POSITIVE_INFINITY, String(a), null, 2 ** 64]) {
      expect(m.mmioRead(1, addr as number, 32), String(addr)).toBeUndefined();
      expect(m.mmioWrite(1, addr as number, 32, 0xffffffff), String(addr)).toBe(false);
    }
    for (const value of [Number.NaN, 1.5, -(2 ** 31) - 1, -(2 ** 40), 2 ** 53, Number.POSITIVE_INFINITY, -1n, 1n << 64n, '5', null, undefined, {}]) {
      expect(m.mmioWrite(1, a, 32, value as number), String(value)).toBe(false);
      expect(m.mmioWrite(1, a, 64, value as number), String(value)).toBe(false);
    }
    // A 64-bit access of a negative number: no bit pattern to take.
    expect(m.mmioWrite(1, TOY_DIST_BASE + 0x1000, 64, -1)).toBe(false);
    expect(bytes(m)).toEqual(before);
    expect(m.isRunning(1)).toBe(false);
  });

  it('takes a negative 32-bit integer as its bit pattern, as bitwise operators make one, and writes the low bits of a wider value', () => {
    const m = toy();
    const isenabler1 = TOY_DIST_BASE + 0x104;
    expect(m.mmioWrite(0, isenabler1, 32, 1 << 31)).toBe(true);
    expect(m.irq(63).enabled).toBe(true);
    expect(m.mmioWrite(0, TOY_DIST_BASE + 0x400 + 40, 8, 0x1a0)).toBe(true);
    expect(m.irq(40).priority).toBe(0xa0);
    expect(m.mmioWrite(0, isenabler1, 32, 2n ** 63n | 1n)).toBe(true);
    expect(m.irq(32).enabled).toBe(true);
    // An access the register does not allow is still RAZ/WI, and still an access.
    expect(m.mmioRead(0, isenabler1, 16)).toBe(0);
  });
});

describe('Machine: an access width is in bits, and only 8, 16, 32 or 64', () => {
  it('a width in bytes (1, 2, 4), or any other that is not 8, 16, 32 or 64, is host misuse: INVALID_ARGUMENT, nothing changed, no vCPU entered', () => {
    const m = toy();
    for (let k = 0; k < 2; k++) m.exit(k);
    spi(m, 40, 1);
    m.exit(1);
    const isenabler1 = TOY_DIST_BASE + 0x104;
    for (const width of [1, 2, 4, 0, 12, 24, 31.5, 128, -32, Number.NaN, '32', 32n, undefined, null]) {
      refused(m, 'INVALID_ARGUMENT', () => m.mmioRead(1, isenabler1, width as 32));
      refused(m, 'INVALID_ARGUMENT', () => m.mmioWrite(1, isenabler1, width as 32, 0xffffffff));
      if (width === undefined) continue; // by name, no width is the register's own
      refused(m, 'INVALID_ARGUMENT', () => m.readRegister('TDIST_ISENABLER1', { width: width as 32 }));
      refused(m, 'INVALID_ARGUMENT', () => m.writeRegister('TDIST_ISENABLER1', 0xffffffff, { width: width as 32 }));
    }
    expect(m.isRunning(1)).toBe(false);
    // The message says what the caller probably meant.
    expect(() => m.mmioRead(0, isenabler1, 4 as 32)).toThrow(/in bits: 8, 16, 32 or 64; got 4 \(4 bytes is 32 bits\)/);
    // The same register, read 32 bits wide, is there and holds SPI 40's enable.
    expect(m.mmioRead(1, isenabler1, 32)).toBe(1 << 8);
  });

  it('a width the register does not allow is the guest\'s to choose: it reads zero and writes nothing, without throwing', () => {
    const m = toy();
    spi(m, 40, 1);
    const isenabler1 = TOY_DIST_BASE + 0x104;
    expect(m.mmioRead(0, isenabler1, 8)).toBe(0);
    expect(m.mmioWrite(0, isenabler1, 16, 0xffff)).toBe(true);
    expect(m.irq(41).enabled).toBe(false);
  });
});

describe('Machine: host calls with values of the wrong type', () => {
  it('refuse them with a VgicError whose code says which, changing nothing', () => {
    const m = toy();
    spi(m, 40, 1);
    const cases: [VgicErrorCode, () => unknown][] = [
      ['INVALID_ARGUMENT', () => m.setLineLevel(40, 'yes' as never)],
      ['INVALID_ARGUMENT', () => m.setLineLevel(40, 2 as never)],
      ['INVALID_ARGUMENT', () => m.inject(40, null as never)],
      ['INVALID_INTID', () => m.inject(40n as never, 1)],
      ['INVALID_INTID', () => m.inject(Symbol('40') as never, 1)],
      ['INVALID_INTID', () => m.irq({ valueOf: () => 40 } as never)],
      ['INVALID_VCPU', () => m.enter(0n as never)],
      ['INVALID_VCPU', () => m.exit('0' as never)],
      ['INVALID_VCPU', () => m.inject(27, 1, Object.create(null) as never)],
      ['INVALID_VCPU', () => m.mmioRead(Number.NaN, TOY_DIST_BASE, 32)],
      ['INVALID_ARGUMENT', () => m.mapHw(40, '27' as never)],
      ['INVALID_ARGUMENT', () => m.writeRegister('TDIST_ISENABLER1', 1.5)],
      ['INVALID_ARGUMENT', () => m.writeRegister('TDIST_ISENABLER1', Number.NaN)],
      ['INVALID_ARGUMENT', () => m.writeRegister('TDIST_ISENABLER1', -1n)],
      ['INVALID_ARGUMENT', () => m.writeRegister('TDIST_ISENABLER1', '1' as never)],
      ['INVALID_ARGUMENT', () => m.writeRegister('TDIST_ISENABLER1', 1, { width: 12 as never })],
      ['INVALID_ARGUMENT', () => m.readRegister('TDIST_ISENABLER1', { width: 0 as never })],
      ['INVALID_ARGUMENT', () => m.writeRegister('TDIST_ISENABLER1', 1, { widht: 8 } as never)],
      ['INVALID_ARGUMENT', () => m.readRegister('TDIST_ISENABLER1', 'vcpu 1' as never)],
      ['INVALID_VCPU', () => m.readRegister('TDIST_ISENABLER1', { vcpu: 1.5 })],
      ['INVALID_ARGUMENT', () => m.resolve(5 as never)],
      ['UNKNOWN_REGISTER', () => m.resolve('9'.repeat(1_000_000))],
      ['INVALID_ARGUMENT', () => m.suggest(null as never)],
      ['INVALID_ARGUMENT', () => m.onLine('listener' as never)],
      ['INVALID_ARGUMENT', () => m.onTrace(undefined as never)],
      ['INVALID_ARGUMENT', () => m.onKick(5 as never)],
      ['INVALID_ARGUMENT', () => m.onKick(null as never)],
      ['INVALID_ARGUMENT', () => m.onHostClearPending(undefined as never)],
      [
        'INVALID_ARGUMENT',
        () =>
          m.readRegister('TDIST_ISENABLER1', {
            get vcpu(): number {
              throw new Error('a getter');
            },
          }),
      ],
    ];
    for (const [code, fn] of cases) refused(m, code, fn);
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
