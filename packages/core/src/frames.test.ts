import { describe, expect, it } from 'vitest';
import { createToyBackend } from '../test/fixtures/toy-gic.js';
import { ACCESS_32, ACCESS_64, type FrameDef, type GicBackend } from './backend.js';
import { FrameMap, registerAt } from './frames.js';
import { Machine } from './machine.js';
import { kvmDevice, KVM_DEV_ARM_VGIC_GRP_DIST_REGS } from './snapshot/kvm.js';
import { hostRegisterRead, hostRegisterWrite } from './threads/host-access.js';

const WIDE_BASE = 0x2800_0000;

/**
 * The toy GIC, its distributor given a 64-bit register whose halves must
 * change together (as GICv3's IROUTER): every call its handlers get is
 * recorded.
 */
function wideMachine(): { m: Machine; calls: string[] } {
  const calls: string[] = [];
  const words = [0, 0];
  const toy = createToyBackend();
  const wide: FrameDef = {
    name: 'GICD',
    base: WIDE_BASE,
    size: 0x1000,
    perVcpu: false,
    traps: true,
    registers: [
      {
        name: 'GICD_PAIR',
        offset: 0x100,
        width: 64,
        access: ACCESS_32 | ACCESS_64,
        read: (_v, _k, offset) => words[(offset >> 2) & 1]!,
        write: (_v, _k, offset, _w, value) => {
          calls.push(`write +${offset - 0x100} ${value.toString(16)}`);
          words[(offset >> 2) & 1] = value;
        },
        write64: (_v, _k, _offset, lo, hi) => {
          calls.push(`write64 ${hi.toString(16)}:${lo.toString(16)}`);
          words[0] = lo;
          words[1] = hi;
        },
      },
    ],
  };
  // KVM's distributor-register group reaches the wide frame.
  const backend: GicBackend = { ...toy, frames: [...toy.frames, wide], kvm: { distributor: 'GICD' } };
  return { m: Machine.create(backend, { vcpus: 2 }), calls };
}

describe('one register index and one access path', () => {
  it('a 64-bit write of a register with write64 is one call, from the guest and from a host thread alike', () => {
    const { m, calls } = wideMachine();
    expect(m.mmioWrite(0, WIDE_BASE + 0x100, 64, 0x1_0000_0002n)).toBe(true);
    expect(calls).toEqual(['write64 1:2']);
    calls.length = 0;
    hostRegisterWrite(m, 'GICD_PAIR', 0x3_0000_0004n);
    expect(calls).toEqual(['write64 3:4']);
    expect(hostRegisterRead(m, 'GICD_PAIR')).toBe(0x3_0000_0004n);
    expect(m.readRegister('GICD_PAIR')).toBe(0x3_0000_0004n);
  });

  it('a 32-bit access writes one half, whichever way it comes in: guest, host thread, or KVM device attribute', () => {
    const { m, calls } = wideMachine();
    m.mmioWrite(0, WIDE_BASE + 0x104, 32, 5);
    hostRegisterWrite(m, 'GICD_PAIR', 6, { width: 32 });
    kvmDevice(m).setAttr(KVM_DEV_ARM_VGIC_GRP_DIST_REGS, 0x104, 7);
    expect(calls).toEqual(['write +4 5', 'write +0 6', 'write +4 7']);
    expect(kvmDevice(m).getAttr(KVM_DEV_ARM_VGIC_GRP_DIST_REGS, 0x100)).toBe(6n);
  });

  it('finds no frame for an address that is not a whole number, and no register where an access is RAZ/WI', () => {
    const { m } = wideMachine();
    const map = new FrameMap(m.frames);
    for (const addr of [Number.NaN, WIDE_BASE + 0.5, WIDE_BASE - 1, WIDE_BASE + 0x1000, Number.POSITIVE_INFINITY]) {
      expect(map.find(addr, 2), String(addr)).toBeNull();
    }
    const fi = map.find(WIDE_BASE + 0x104, 2)!;
    expect(map.hitOffset).toBe(0x104);
    expect(registerAt(fi, 0x104, 32)?.name).toBe('GICD_PAIR');
    expect(registerAt(fi, 0x104, 64)).toBeNull(); // misaligned
    expect(registerAt(fi, 0x100, 16)).toBeNull(); // a width it does not allow
    expect(registerAt(fi, 0x200, 32)).toBeNull(); // no register there
  });
});

describe('what machines of one backend share', () => {
  const regs: FrameDef['registers'] = [
    { name: 'R0', offset: 0, width: 32, access: ACCESS_32, read: () => 0, write: () => {} },
    { name: 'R1', offset: 8, width: 32, access: ACCESS_32, read: () => 1, write: () => {} },
  ];
  const frame = (base: number, size: number): FrameDef => ({ name: 'F', base, size, perVcpu: false, traps: true, registers: regs });

  it('frames with one register table share its word index, per frame size, and each still finds its registers', () => {
    const a = new FrameMap([frame(0x1000, 0x100)]).frames[0]!;
    const b = new FrameMap([frame(0x9000, 0x100)]).frames[0]!;
    const wider = new FrameMap([frame(0x1000, 0x200)]).frames[0]!;
    expect(b.words).toBe(a.words);
    expect(wider.words).not.toBe(a.words);
    expect(wider.words.length).toBe(0x80);
    expect(registerAt(b, 8, 32)?.name).toBe('R1');
    expect(registerAt(wider, 8, 32)?.name).toBe('R1');
    expect(registerAt(wider, 4, 32)).toBeNull();
  });

  it('frames with another table, however alike, get their own index', () => {
    const a = new FrameMap([frame(0x1000, 0x100)]).frames[0]!;
    const other = new FrameMap([{ ...frame(0x1000, 0x100), registers: [regs[1]!] }]).frames[0]!;
    expect(other.words).not.toBe(a.words);
    expect(registerAt(other, 8, 32)?.name).toBe('R1');
    expect(registerAt(other, 0, 32)).toBeNull();
  });
});
