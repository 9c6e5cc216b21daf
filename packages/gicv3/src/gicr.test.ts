import { describe, expect, test } from 'vitest';
import { createGicv3 } from './index.js';
import { read32 } from './fixtures.js';

const GICR = 0x080a_0000;

describe('redistributor frames', () => {
  test('one 128 KiB frame per vCPU, contiguous from the base, SGI frame at +0x10000', () => {
    const m = createGicv3({ vcpus: 3 });
    expect(m.resolve('GICR_CTLR', { rd: 0 })).toMatchObject({ addr: GICR, rd: 0 });
    expect(m.resolve('GICR_ISENABLER0', { rd: 0 })).toMatchObject({ addr: GICR + 0x10100 });
    expect(m.resolve('GICR_ISENABLER0', { rd: 2 })).toMatchObject({ addr: GICR + 2 * 0x20000 + 0x10100 });
    expect(m.resolve('GICR_IPRIORITYR7', { rd: 1 })).toMatchObject({ addr: GICR + 0x20000 + 0x1041c });
    expect(m.resolve('GICR_ICFGR1', { rd: 1 })).toMatchObject({ addr: GICR + 0x20000 + 0x10c04 });
    // The region ends after the last vCPU's frame.
    expect(m.mmioRead(0, GICR + 3 * 0x20000, 32)).toBeUndefined();
  });

  test('a frame base follows the gicrBase option', () => {
    const m = createGicv3({ vcpus: 2, gicrBase: 0x1000_0000, gicdBase: 0x2000_0000 });
    expect(m.resolve('GICR_TYPER', { rd: 1 })).toMatchObject({ addr: 0x1002_0008 });
    expect(m.resolve('GICD_CTLR')).toMatchObject({ addr: 0x2000_0000 });
    expect(m.mmioRead(0, 0x1002_0008, 64)).toBe((1n << 32n) | 0x110n);
  });

  test('any vCPU reaches any redistributor, and acts on that redistributor\'s vCPU', () => {
    const m = createGicv3({ vcpus: 2 });
    m.mmioWrite(0, GICR + 0x20000 + 0x10200, 32, 1 << 20);
    expect(m.irq(20, 1).pending).toBe(true);
    expect(m.irq(20, 0).pending).toBe(false);
    expect(m.mmioRead(0, GICR + 0x20000 + 0x10200, 32)).toBe(1 << 20);
    expect(m.mmioRead(1, GICR + 0x10200, 32)).toBe(0);
  });
});

describe('RD_base registers', () => {
  test('GICR_TYPER: affinity in 63:32, Processor_Number in 23:8, Last only on the last redistributor', () => {
    const m = createGicv3({ vcpus: 20 });
    for (const k of [0, 1, 16, 19]) {
      const typer = m.readRegister('GICR_TYPER', { rd: k });
      const aff = (0n << 24n) | (BigInt(k >> 4) << 8n) | BigInt(k & 0xf);
      expect(typer >> 32n).toBe(aff);
      expect(Number((typer >> 8n) & 0xffffn)).toBe(k);
      expect(Number((typer >> 4n) & 1n)).toBe(k === 19 ? 1 : 0);
    }
  });

  test('GICR_TYPER reads the same as two 32-bit halves, and ignores writes', () => {
    const m = createGicv3({ vcpus: 2, mpidr: [0x0, 0x7f_0003_0201n] });
    const at = GICR + 0x20000 + 0x8;
    const whole = m.mmioRead(0, at, 64);
    expect(whole).toBe(0x7f03_0201_0000_0110n);
    expect(m.mmioRead(0, at, 32)).toBe(0x110);
    expect(m.mmioRead(0, at + 4, 32)).toBe(0x7f03_0201);
    m.mmioWrite(0, at, 64, 0n);
    m.mmioWrite(0, at + 4, 32, 0);
    expect(m.mmioRead(0, at, 64)).toBe(whole);
  });

  test('GICR_IIDR is KVM\'s; STATUSR and WAKER are RAZ/WI; PIDR2 says ArchRev 3', () => {
    const m = createGicv3({ vcpus: 1 });
    expect(read32(m, 'GICR_IIDR')).toBe(0x4b00_043b);
    for (const name of ['GICR_STATUSR', 'GICR_WAKER'] as const) {
      expect(read32(m, name)).toBe(0);
      m.writeRegister(name, 0xffff_ffff);
      expect(read32(m, name)).toBe(0);
    }
    expect(read32(m, 'GICR_PIDR2')).toBe(0x3b);
    expect(m.resolve('GICR_PIDR2')).toMatchObject({ addr: GICR + 0xffe8 });
  });

  test('GICR_CTLR reads IR | CES on every redistributor, as KVM at the revision GICD_IIDR announces, and ignores writes', () => {
    const m = createGicv3({ vcpus: 2 });
    // GICD_IIDR.Revision 3 is KVM_VGIC_IMP_REV_3: GICR_CTLR.IR (bit 2) and CES (bit 1) read as one.
    expect((read32(m, 'GICD_IIDR') >>> 12) & 0xf).toBe(3);
    for (const rd of [0, 1]) {
      expect(Number(m.readRegister('GICR_CTLR', { rd }))).toBe(0x6);
      // Without LPIs there is nothing to enable: EnableLPIs (bit 0) stays clear, as KVM without an ITS.
      m.writeRegister('GICR_CTLR', 0xffff_ffff, { rd });
      expect(Number(m.readRegister('GICR_CTLR', { rd }))).toBe(0x6);
      m.writeRegister('GICR_CTLR', 0, { rd });
      expect(Number(m.readRegister('GICR_CTLR', { rd }))).toBe(0x6);
    }
  });

  test('a guest waking its redistributor sees ChildrenAsleep clear at once', () => {
    const m = createGicv3({ vcpus: 1 });
    m.writeRegister('GICR_WAKER', 0);
    expect(read32(m, 'GICR_WAKER') & 0x4).toBe(0);
  });
});

describe('SGI_base registers', () => {
  test('private interrupts reset as KVM: Group 1, SGIs enabled and edge, PPIs disabled and level, priority 0', () => {
    const m = createGicv3({ vcpus: 2 });
    for (const rd of [0, 1]) {
      expect(read32(m, 'GICR_IGROUPR0', { rd })).toBe(0xffff_ffff);
      expect(read32(m, 'GICR_ISENABLER0', { rd })).toBe(0x0000_ffff);
      expect(read32(m, 'GICR_ISPENDR0', { rd })).toBe(0);
      expect(read32(m, 'GICR_ISACTIVER0', { rd })).toBe(0);
      expect(read32(m, 'GICR_ICFGR0', { rd })).toBe(0xaaaa_aaaa);
      expect(read32(m, 'GICR_ICFGR1', { rd })).toBe(0);
      for (let n = 0; n < 8; n++) expect(read32(m, `GICR_IPRIORITYR${n}`, { rd })).toBe(0);
    }
  });

  test('GICR_IGROUPR0 is writable per redistributor', () => {
    const m = createGicv3({ vcpus: 2 });
    m.writeRegister('GICR_IGROUPR0', 0xffff_fffe, { rd: 1 });
    expect(read32(m, 'GICR_IGROUPR0', { rd: 1 })).toBe(0xffff_fffe);
    expect(read32(m, 'GICR_IGROUPR0', { rd: 0 })).toBe(0xffff_ffff);
    expect(m.irq(0, 1).group).toBe(0);
  });

  test('GICR_ISENABLER0/ICENABLER0 enable and disable SGIs and PPIs', () => {
    const m = createGicv3({ vcpus: 1 });
    m.writeRegister('GICR_ISENABLER0', 0x0800_0000);
    expect(read32(m, 'GICR_ICENABLER0')).toBe(0x0800_ffff);
    m.writeRegister('GICR_ICENABLER0', 0x0800_0001);
    expect(read32(m, 'GICR_ISENABLER0')).toBe(0x0000_fffe);
    expect(m.irq(27, 0).enabled).toBe(false);
  });

  test('GICR_ISPENDR0/ICPENDR0 and ISACTIVER0/ICACTIVER0 set and clear private state', () => {
    const m = createGicv3({ vcpus: 1 });
    m.writeRegister('GICR_ISPENDR0', 0x0001_0002);
    expect(read32(m, 'GICR_ICPENDR0')).toBe(0x0001_0002);
    m.writeRegister('GICR_ICPENDR0', 0x2);
    expect(read32(m, 'GICR_ISPENDR0')).toBe(0x0001_0000);
    m.writeRegister('GICR_ISACTIVER0', 0x0000_0030);
    m.writeRegister('GICR_ICACTIVER0', 0x0000_0010);
    expect(read32(m, 'GICR_ISACTIVER0')).toBe(0x20);
    expect(m.irq(5, 0).active).toBe(true);
  });

  test('GICR_IPRIORITYR<n> is byte accessible and keeps 5 bits', () => {
    const m = createGicv3({ vcpus: 1 });
    m.writeRegister('GICR_IPRIORITYR7', 0x1234_56ff);
    expect(read32(m, 'GICR_IPRIORITYR7')).toBe(0x1030_50f8);
    m.writeRegister('GICR+0x1041e', 0xa7, { width: 8 });
    expect(read32(m, 'GICR_IPRIORITYR7')).toBe(0x10a0_50f8);
    expect(m.irq(30, 0).priority).toBe(0xa0);
  });

  test('GICR_ICFGR0/1 are read-only (SGIs edge, PPIs level, as KVM)', () => {
    const m = createGicv3({ vcpus: 1 });
    m.writeRegister('GICR_ICFGR0', 0);
    m.writeRegister('GICR_ICFGR1', 0xaaaa_aaaa);
    expect(read32(m, 'GICR_ICFGR0')).toBe(0xaaaa_aaaa);
    expect(read32(m, 'GICR_ICFGR1')).toBe(0);
  });

  test('GICR_IGRPMODR0 is RAZ/WI', () => {
    const m = createGicv3({ vcpus: 1 });
    m.writeRegister('GICR_IGRPMODR0', 0xffff_ffff);
    expect(read32(m, 'GICR_IGRPMODR0')).toBe(0);
  });

  test('SGI-frame word registers ignore 8- and 64-bit accesses', () => {
    const m = createGicv3({ vcpus: 1 });
    m.mmioWrite(0, GICR + 0x10100, 8, 0xff);
    m.mmioWrite(0, GICR + 0x10180, 64, 0xffff_ffffn);
    expect(read32(m, 'GICR_ISENABLER0')).toBe(0xffff);
  });
});
