import { CONFIG_EDGE, isVgicError, type AccessWidth, type Machine, type RegisterDef } from '@vgic/core';
import { describe, expect, it } from 'vitest';
import { DEFAULT_GICC_BASE, DEFAULT_GICD_BASE, createGicv2Backend } from './backend.js';
import { attachGicv2, createGicv2 } from './machine.js';
import { giccRegisters } from './regs/gicc.js';
import { gicdRegisters } from './regs/gicd.js';
import { alteredHandle } from '../../core/src/host-api-testkit.js';
import { bringUp, gicv2, rd, wr, xorshift } from './testutil.js';

const D = DEFAULT_GICD_BASE;
const C = DEFAULT_GICC_BASE;

/** A guest's bring-up by stores at guest physical addresses, as an emulator sees them. */
function bringUpByMmio(m: Machine, intid: number): void {
  m.mmioWrite(0, D + 0x000, 32, 1); // GICD_CTLR.Enable
  m.mmioWrite(0, D + 0x100 + 4 * (intid >> 5), 32, 1 << (intid & 31)); // GICD_ISENABLERn
  m.mmioWrite(0, D + 0x400 + intid, 8, 0xa0); // GICD_IPRIORITYRn, byte
  m.mmioWrite(0, D + 0x800 + intid, 8, 0x01); // GICD_ITARGETSRn, byte: vCPU 0
  m.mmioWrite(0, C + 0x04, 32, 0xf0); // GICC_PMR
  m.mmioWrite(0, C + 0x00, 32, 1); // GICC_CTLR.EnableGrp0
}

const iar = (m: Machine): number => m.mmioRead(0, C + 0x0c, 32) as number;
const eoir = (m: Machine, value: number): boolean => m.mmioWrite(0, C + 0x10, 32, value);

describe('an SPI round trip through guest physical addresses', () => {
  it('edge-triggered: inject, the IRQ line rises, IAR, EOIR', () => {
    const m = gicv2();
    bringUpByMmio(m, 40);
    expect(m.irq(40).config).toBe('edge');

    m.inject(40, 1);
    m.enter(0); // the kicked vCPU re-enters
    expect(m.irqLine(0)).toBe(true);
    expect(m.hasPending(0)).toBe(true);

    expect(iar(m)).toBe(40);
    expect(m.irqLine(0)).toBe(false);
    expect(m.irq(40)).toMatchObject({ active: true, pending: false });
    expect(m.mmioRead(0, C + 0x14, 32)).toBe(0xa0); // GICC_RPR

    // A new edge while active: pending and active.
    m.inject(40, 0);
    m.inject(40, 1);
    expect(m.irq(40)).toMatchObject({ active: true, pending: true });

    eoir(m, 40);
    expect(m.irq(40).active).toBe(false);
    expect(iar(m)).toBe(40);
    eoir(m, 40);
    expect(iar(m)).toBe(1023);
    expect(m.irq(40)).toMatchObject({ active: false, pending: false });
    expect(m.checkInvariants()).toEqual([]);
  });

  it('level-triggered: taken again while the line stays high, and the device hears each EOI', () => {
    const m = gicv2();
    bringUpByMmio(m, 40);
    const cfg = m.mmioRead(0, D + 0xc08, 32) as number; // GICD_ICFGR2
    m.mmioWrite(0, D + 0xc08, 32, cfg & ~(2 << (2 * 8))); // INTID 40 level
    expect(m.irq(40).config).toBe('level');
    const notified: number[] = [];
    m.onEoiNotify((intid) => notified.push(intid));

    m.inject(40, 1);
    expect(iar(m)).toBe(40);
    eoir(m, 40);
    // The line is still high: after the EOI maintenance exit it is pending again.
    expect(iar(m)).toBe(40);
    expect(notified).toEqual([40]);

    m.inject(40, 0);
    eoir(m, 40);
    expect(iar(m)).toBe(1023);
    expect(notified).toEqual([40, 40]);
    expect(m.irq(40)).toMatchObject({ active: false, pending: false, lineLevel: false });
    expect(m.checkInvariants()).toEqual([]);
  });

  it('an SPI routed to vCPU 1 is taken there and not on vCPU 0', () => {
    const m = gicv2({ vcpus: 2 });
    bringUpByMmio(m, 50);
    m.mmioWrite(1, C + 0x04, 32, 0xf0);
    m.mmioWrite(1, C + 0x00, 32, 1);
    m.mmioWrite(0, D + 0x800 + 50, 8, 0x02);
    m.inject(50, 1);
    expect(iar(m)).toBe(1023);
    expect(m.mmioRead(1, C + 0x0c, 32)).toBe(50);
    m.mmioWrite(1, C + 0x10, 32, 50);
    expect(m.irq(50).active).toBe(false);
  });
});

describe('options and frames', () => {
  it('the backend is a GICv2 with KVM\'s limits', () => {
    const b = createGicv2Backend();
    expect(b.version).toBe('v2');
    expect(b.limits).toEqual({ maxVcpus: 8, maxLrs: 16, maxSpis: 988 });
    expect(b.priorityBits).toBe(5);
    expect(b.sgiSources).toBe(true);
    expect(b.frames.map((f) => [f.name, f.base, f.size, f.traps])).toEqual([
      ['GICD', 0x08000000, 0x1000, true],
      ['GICC', 0x08010000, 0x2000, false],
    ]);
    expect(b.sysregs).toEqual([]);
  });

  it('register names resolve to the frames\' guest physical addresses', () => {
    const m = gicv2();
    expect(m.resolve('GICD_ISENABLER1')).toMatchObject({ kind: 'mmio', addr: D + 0x104, frame: 'GICD' });
    expect(m.resolve('GICD_IPRIORITYR10')).toMatchObject({ addr: D + 0x428 });
    expect(m.resolve('GICD_ITARGETSR10')).toMatchObject({ addr: D + 0x828 });
    expect(m.resolve('GICD_ICFGR2')).toMatchObject({ addr: D + 0xc08 });
    expect(m.resolve('GICD_SPENDSGIR3')).toMatchObject({ addr: D + 0xf2c });
    expect(m.resolve('GICC_DIR')).toMatchObject({ addr: C + 0x1000, frame: 'GICC' });
    expect(m.resolve('GICC_NSAPR0')).toMatchObject({ addr: C + 0xe0 });
  });

  it('frames move to the bases given', () => {
    const m = createGicv2({ vcpus: 1, gicdBase: 0x2c001000, giccBase: 0x2c002000 });
    expect(m.mmioRead(0, D + 0x8, 32)).toBeUndefined();
    expect(m.mmioRead(0, 0x2c001008, 32)).toBe(0x4b00343b);
    expect(m.mmioRead(0, 0x2c0020fc, 32)).toBe(0x04b2043b);
    expect(m.resolve('GICC_IAR')).toMatchObject({ addr: 0x2c00200c });
  });

  it('refuses bases that are unaligned, out of range or overlapping', () => {
    const bad = [
      { gicdBase: 0x08000004 },
      { giccBase: -0x1000 },
      { gicdBase: 2 ** 52 },
      { gicdBase: 0x08011000 }, // inside GICC's 8 KiB
      { giccBase: 0x07fff000 }, // GICC's second page over GICD
      { giccBase: 2 ** 48 - 0x1000 }, // GICC's 8 KiB would end past 2^48
    ];
    for (const o of bad) {
      let err: unknown;
      try {
        createGicv2({ vcpus: 1, ...o });
      } catch (e) {
        err = e;
      }
      expect(isVgicError(err, 'INVALID_CONFIG'), JSON.stringify(o)).toBe(true);
    }
    // A frame may end exactly at 2^48.
    expect(createGicv2({ vcpus: 1, gicdBase: 2 ** 48 - 0x1000 }).frames[0]!.base).toBe(2 ** 48 - 0x1000);
  });

  it('refuses more than 8 vCPUs', () => {
    expect(() => createGicv2({ vcpus: 9 })).toThrowError(/vcpus must be 1\.\.8/);
  });

  it('an address outside both frames is reported as unmapped', () => {
    const m = gicv2();
    expect(m.mmioRead(0, D + 0x1000, 32)).toBeUndefined();
    expect(m.mmioRead(0, C - 4, 32)).toBeUndefined();
    expect(m.mmioWrite(0, 0, 32, 1)).toBe(false);
  });
});

describe('reset', () => {
  it('returns every interrupt and CPU interface to KVM\'s reset state', () => {
    const m = gicv2({ vcpus: 2 });
    wr(m, 'GICD_CTLR', 1);
    wr(m, 'GICD_IPRIORITYR8', 0xffffffff);
    wr(m, 'GICD_ITARGETSR8', 0x02020202);
    wr(m, 'GICD_ICFGR2', 0);
    wr(m, 'GICD_ISENABLER1', 0xffffffff);
    wr(m, 'GICD_IGROUPR1', 0xffffffff);
    wr(m, 'GICC_CTLR', 0x21f, 1);
    wr(m, 'GICC_PMR', 0xff, 1);
    wr(m, 'GICC_BPR', 6, 1);
    m.reset();
    expect(rd(m, 'GICD_CTLR')).toBe(0);
    expect(rd(m, 'GICD_IPRIORITYR8')).toBe(0);
    expect(rd(m, 'GICD_ITARGETSR8')).toBe(0);
    expect(rd(m, 'GICD_ICFGR2')).toBe(0xaaaaaaaa);
    expect(rd(m, 'GICD_ISENABLER1')).toBe(0);
    expect(rd(m, 'GICD_IGROUPR1')).toBe(0);
    expect(rd(m, 'GICD_ITARGETSR0', 1)).toBe(0x02020202);
    expect(rd(m, 'GICC_CTLR', 1)).toBe(0);
    expect(rd(m, 'GICC_PMR', 1)).toBe(0);
    expect(rd(m, 'GICC_BPR', 1)).toBe(2);
    expect(rd(m, 'GICC_ABPR', 1)).toBe(3);
    expect(m.irq(40).target).toBe(0);
    expect(m.vgic.config[m.vgic.slotOf(40, 0)]).toBe(CONFIG_EDGE);
  });
});

describe('attachGicv2', () => {
  it('opens the same machine over its shared buffer', () => {
    const m = createGicv2({ vcpus: 2, spis: 64, shared: true, gicdBase: 0x10000000, giccBase: 0x10010000 });
    const other = attachGicv2(m.handle({ gicdBase: 0x10000000, giccBase: 0x10010000 }));
    wr(m, 'GICD_ISENABLER1', 1 << 8);
    expect(rd(other, 'GICD_ISENABLER1')).toBe(1 << 8);
    expect(other.mmioRead(0, 0x10000104, 32)).toBe(1 << 8);
    expect(other.vcpus).toBe(2);
    expect(other.spis).toBe(64);
    expect(m.checkInvariants()).toEqual([]);
  });

  it('takes a handle with no backend options as the default bases', () => {
    const m = createGicv2({ vcpus: 1, shared: true });
    const other = attachGicv2(m.handle(undefined));
    expect(other.mmioRead(0, D + 0x8, 32)).toBe(0x4b00343b);
  });

  it('refuses a handle of another GIC version', () => {
    const m = createGicv2({ vcpus: 1, shared: true });
    const handle = { ...m.handle({}), version: 'v3' };
    expect(() => attachGicv2(handle)).toThrowError(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => attachGicv2({ ...m.handle({}), backendOptions: 7 })).toThrowError(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });

  it('refuses what is not a handle, a buffer too short for its machine, and a header altered into one no GICv2 has', () => {
    const m = createGicv2({ vcpus: 2, spis: 32, shared: true });
    const handle = m.handle({});
    const altered = (word: number, value: number): ArrayBufferLike => alteredHandle(handle, word, value).buffer;
    for (const [h, message] of [
      [null, /the machine handle must be an object; got null/],
      [{ ...handle, buffer: new SharedArrayBuffer(8) }, /the buffer holds 8 bytes: too few for a machine's header/],
      [{ ...handle, buffer: handle.buffer.slice(0, 200) }, /the machine its header describes needs \d+/],
      [{ ...handle, buffer: 'buffer' }, /a machine's buffer is a SharedArrayBuffer/],
      [{ ...handle, buffer: altered(0, 0) }, /does not hold a vgic machine/],
      [{ ...handle, buffer: altered(2, 9) }, /vcpus must be 1\.\.8 for GICv2; got 9/],
      [{ ...handle, buffer: altered(2, 0) }, /vcpus must be 1\.\.8 for GICv2; got 0/],
      [{ ...handle, buffer: altered(3, 33) }, /spis must be a multiple of 32/],
      [{ ...handle, buffer: altered(4, 0) }, /lrs must be 1\.\.16; got 0/],
      [{ ...handle, buffer: altered(5, 9) }, /does not describe a GICv2 machine/],
      [{ ...handle, buffer: altered(9, 0) }, /does not describe a GICv2 machine/],
      // A smaller shape fits the buffer, but is not the one laid out in it.
      [{ ...handle, buffer: altered(2, 1) }, /its shape lays out \d+ bytes, it was made for \d+/],
      [{ ...handle, buffer: altered(4, 1) }, /its shape lays out \d+ bytes, it was made for \d+/],
      [{ ...handle, buffer: altered(14, 0) }, /its shape lays out \d+ bytes, it was made for 0/],
      [{ ...handle, extra: 1 }, /has no option "extra"/],
    ] as const) {
      let error: unknown;
      try {
        attachGicv2(h as never);
      } catch (e) {
        error = e;
      }
      expect(isVgicError(error, 'INVALID_ARGUMENT'), String(error)).toBe(true);
      expect((error as Error).message).toMatch(message);
    }
    expect(() => attachGicv2(handle, { locks: {} as never })).toThrowError(expect.objectContaining({ code: 'INVALID_CONFIG' }));
  });
});

describe('createGicv2 options', () => {
  it('refuses options of the wrong type or unknown by name with INVALID_CONFIG', () => {
    for (const [i, o] of [
      null,
      undefined,
      7,
      { vcpus: '2' },
      { vcpus: 2, gicdBase: '0x08000000' },
      { vcpus: 2, gicdBase: 0x0800_0000n },
      { vcpus: 2, shared: 'yes' },
      { vcpus: 2, lockCheck: 1 },
      { vcpus: 2, memory: 'foo' },
      { vcpus: 2, locks: 5 },
      { vcpus: 2, locks: { acquire() {} } },
      { vcpus: 2, spi: 64 },
      { vcpus: 2, gicrBase: 0x080a_0000 },
    ].entries()) {
      let error: unknown;
      try {
        createGicv2(o as never);
      } catch (e) {
        error = e;
      }
      expect(isVgicError(error, 'INVALID_CONFIG'), `options ${i}: ${String(error)}`).toBe(true);
    }
  });
});

/** Every word offset a register of the frame holds. */
function registerOffsets(regs: readonly RegisterDef[]): number[] {
  const out: number[] = [];
  for (const r of regs) for (let n = 0; n < (r.count ?? 1); n++) out.push(r.offset + n * (r.stride ?? 4));
  return out;
}
const gicdOffsets = registerOffsets(gicdRegisters);
const giccOffsets = registerOffsets(giccRegisters);

describe('guest input', () => {
  it('never throws, whatever the address, width and value, and leaves the state sound', () => {
    const m = gicv2({ vcpus: 3, spis: 64, lrs: 2 });
    const next = xorshift(0x5eed);
    const widths: AccessWidth[] = [8, 16, 32, 64];
    let taken = 0;
    m.onTrace((e) => {
      if (e.type === 'ack' && e.intid < 1020) taken++;
    });
    for (let i = 0; i < 20000; i++) {
      const r = next();
      const vcpu = r % 3;
      const width = widths[(r >>> 2) % 4]!;
      const gicd = (r >>> 4) & 1;
      // Half the accesses land on a register, half anywhere in the frame.
      const known = gicd ? gicdOffsets : giccOffsets;
      const offset = (r >>> 6) & 1 ? known[next() % known.length]! + (next() % 4) * ((r >>> 7) & 1) : next() % (gicd ? 0x1000 : 0x2000);
      const addr = (gicd ? D : C) + offset;
      const value = next();
      if ((r >>> 5) & 1) {
        m.mmioWrite(vcpu, addr, width, width === 64 ? (BigInt(value) << 32n) | BigInt(next()) : value);
      } else {
        m.mmioRead(vcpu, addr, width);
      }
      if (i % 97 === 0) m.inject(32 + (value % 64), ((value >>> 7) & 1) === 1);
      // Now and then the guest brings the GIC up again, so interrupts keep flowing.
      if (i % 500 === 0) {
        bringUp(m, 0b11);
        wr(m, 'GICD_ISENABLER1', 0xffffffff);
        wr(m, 'GICD_ISENABLER2', 0xffffffff);
        wr(m, 'GICD_ICACTIVER1', 0xffffffff);
        wr(m, 'GICD_ICACTIVER2', 0xffffffff);
        for (let k = 0; k < 3; k++) {
          wr(m, 'GICC_APR0', 0, k);
          wr(m, 'GICC_NSAPR0', 0, k);
        }
      }
      if (i % 1000 === 0) expect(m.checkInvariants()).toEqual([]);
    }
    for (let k = 0; k < 3; k++) m.exit(k);
    // The traffic was not inert: interrupts were delivered and acknowledged.
    expect(taken).toBeGreaterThan(10);
    expect(m.checkInvariants()).toEqual([]);
    expect(m.noLockHeld()).toBe(true);
  });
});
