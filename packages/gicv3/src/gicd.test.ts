import { describe, expect, test } from 'vitest';
import { createGicv3, ICC_IAR0_EL1, ICC_IAR1_EL1 } from './index.js';
import { bringUp, read32 } from './fixtures.js';

const GICD = 0x0800_0000;

describe('GICD_CTLR', () => {
  test('resets with the distributor disabled, ARE and DS set', () => {
    const m = createGicv3({ vcpus: 1 });
    expect(read32(m, 'GICD_CTLR')).toBe(0x50);
  });

  test('EnableGrp0 and EnableGrp1 are writable; ARE and DS are RAO/WI; RWP reads 0', () => {
    const m = createGicv3({ vcpus: 1 });
    m.writeRegister('GICD_CTLR', 0x8000_0003);
    expect(read32(m, 'GICD_CTLR')).toBe(0x53);
    m.writeRegister('GICD_CTLR', 0x2);
    expect(read32(m, 'GICD_CTLR')).toBe(0x52);
    m.writeRegister('GICD_CTLR', 0);
    expect(read32(m, 'GICD_CTLR')).toBe(0x50);
  });

  test('a pending Group-1 SPI is forwarded when EnableGrp1 is set, not by EnableGrp0', () => {
    const m = createGicv3({ vcpus: 1 });
    bringUp(m, 3);
    m.writeRegister('GICD_CTLR', 0x1);
    m.writeRegister('GICD_ISENABLER1', 1);
    m.inject(32, 1);
    expect(m.irq(32).queued).toBeNull();
    expect(m.sysregRead(0, ICC_IAR1_EL1)).toBe(1023n);
    m.writeRegister('GICD_CTLR', 0x2);
    expect(m.irq(32).queued).toBe(0);
    expect(m.sysregRead(0, ICC_IAR1_EL1)).toBe(32n);
  });

  test('a Group-0 SPI needs EnableGrp0 (beyond KVM, which has only EnableGrp1)', () => {
    const m = createGicv3({ vcpus: 1 });
    bringUp(m, 3);
    m.writeRegister('GICD_CTLR', 0x2);
    m.writeRegister('GICD_IGROUPR1', 0xffff_fffe);
    m.writeRegister('GICD_ISENABLER1', 1);
    m.inject(32, 1);
    expect(m.sysregRead(0, ICC_IAR0_EL1)).toBe(1023n);
    m.writeRegister('GICD_CTLR', 0x1);
    expect(m.sysregRead(0, ICC_IAR0_EL1)).toBe(32n);
  });
});

describe('GICD identification', () => {
  test('GICD_TYPER reports ITLinesNumber, 10 INTID bits, A3V and RSS, CPUNumber 0, and is read-only', () => {
    for (const [spis, lines] of [
      [0, 0],
      [64, 2],
      [960, 30],
    ] as const) {
      const m = createGicv3({ vcpus: 4, spis });
      const typer = read32(m, 'GICD_TYPER');
      expect(typer & 0x1f).toBe(lines);
      expect((typer >>> 5) & 7).toBe(0);
      expect((typer >>> 19) & 0x1f).toBe(9);
      expect((typer >>> 24) & 1).toBe(1);
      expect((typer >>> 25) & 1).toBe(0);
      expect((typer >>> 26) & 1).toBe(1);
      expect(typer & (1 << 17)).toBe(0);
      m.writeRegister('GICD_TYPER', 0);
      expect(read32(m, 'GICD_TYPER')).toBe(typer);
    }
  });

  test('GICD_IIDR is KVM\'s (product K, revision 3, ARM); TYPER2 and STATUSR read 0; PIDR2 says ArchRev 3', () => {
    const m = createGicv3({ vcpus: 1 });
    expect(read32(m, 'GICD_IIDR')).toBe(0x4b00_343b);
    expect(read32(m, 'GICD_TYPER2')).toBe(0);
    m.writeRegister('GICD_STATUSR', 0xffff_ffff);
    expect(read32(m, 'GICD_STATUSR')).toBe(0);
    const pidr2 = read32(m, 'GICD_PIDR2');
    expect(pidr2).toBe(0x3b);
    expect((pidr2 >> 4) & 0xf).toBe(3);
    expect(m.resolve('GICD_PIDR2')).toMatchObject({ addr: GICD + 0xffe8 });
  });
});

describe('GICD per-interrupt registers', () => {
  test('every SPI resets to Group 1; words past the machine\'s SPIs read 0', () => {
    const m = createGicv3({ vcpus: 1, spis: 64 });
    expect(read32(m, 'GICD_IGROUPR1')).toBe(0xffff_ffff);
    expect(read32(m, 'GICD_IGROUPR2')).toBe(0xffff_ffff);
    expect(read32(m, 'GICD_IGROUPR3')).toBe(0);
    m.writeRegister('GICD_IGROUPR1', 0x0000_ff00);
    expect(read32(m, 'GICD_IGROUPR1')).toBe(0x0000_ff00);
    expect(m.irq(40).group).toBe(1);
    expect(m.irq(32).group).toBe(0);
  });

  test('the private-interrupt words are RAZ/WI at the distributor', () => {
    const m = createGicv3({ vcpus: 2 });
    // SGIs are enabled and in Group 1 at reset, but not visible here.
    expect(read32(m, 'GICD_IGROUPR0')).toBe(0);
    expect(read32(m, 'GICD_ISENABLER0')).toBe(0);
    m.writeRegister('GICD_IGROUPR0', 0);
    m.writeRegister('GICD_ICENABLER0', 0xffff_ffff);
    m.writeRegister('GICD_ISPENDR0', 0xffff_ffff);
    m.writeRegister('GICD_ISACTIVER0', 0xffff_ffff);
    m.writeRegister('GICD_IPRIORITYR0', 0x8080_8080);
    m.writeRegister('GICD_IPRIORITYR7', 0x8080_8080);
    for (const k of [0, 1]) {
      expect(read32(m, 'GICR_IGROUPR0', { rd: k })).toBe(0xffff_ffff);
      expect(read32(m, 'GICR_ISENABLER0', { rd: k })).toBe(0xffff);
      expect(read32(m, 'GICR_ISPENDR0', { rd: k })).toBe(0);
      expect(read32(m, 'GICR_ISACTIVER0', { rd: k })).toBe(0);
      expect(read32(m, 'GICR_IPRIORITYR0', { rd: k })).toBe(0);
      expect(read32(m, 'GICR_IPRIORITYR7', { rd: k })).toBe(0);
    }
    expect(read32(m, 'GICD_ISPENDR0')).toBe(0);
    expect(read32(m, 'GICD_IPRIORITYR0')).toBe(0);
    expect(read32(m, 'GICD_ICFGR0')).toBe(0);
    expect(read32(m, 'GICD_ICFGR1')).toBe(0);
  });

  test('ISENABLER/ICENABLER set and clear enables, and read the same', () => {
    const m = createGicv3({ vcpus: 1, spis: 64 });
    expect(read32(m, 'GICD_ISENABLER1')).toBe(0);
    m.writeRegister('GICD_ISENABLER1', 0x8000_0101);
    m.writeRegister('GICD_ISENABLER2', 0x4);
    expect(read32(m, 'GICD_ISENABLER1')).toBe(0x8000_0101);
    expect(read32(m, 'GICD_ICENABLER1')).toBe(0x8000_0101);
    m.writeRegister('GICD_ICENABLER1', 0x1);
    expect(read32(m, 'GICD_ISENABLER1')).toBe(0x8000_0100);
    expect(m.irq(66).enabled).toBe(true);
    expect(m.irq(63).enabled).toBe(true);
    expect(m.irq(32).enabled).toBe(false);
  });

  test('ISPENDR/ICPENDR and ISACTIVER/ICACTIVER set and clear the state', () => {
    const m = createGicv3({ vcpus: 1 });
    m.writeRegister('GICD_ISPENDR1', 0x30);
    expect(read32(m, 'GICD_ISPENDR1')).toBe(0x30);
    expect(read32(m, 'GICD_ICPENDR1')).toBe(0x30);
    m.writeRegister('GICD_ICPENDR1', 0x10);
    expect(read32(m, 'GICD_ISPENDR1')).toBe(0x20);
    m.writeRegister('GICD_ISACTIVER1', 0x6);
    expect(read32(m, 'GICD_ICACTIVER1')).toBe(0x6);
    m.writeRegister('GICD_ICACTIVER1', 0x2);
    expect(read32(m, 'GICD_ISACTIVER1')).toBe(0x4);
    expect(m.irq(34)).toMatchObject({ active: true, pending: false });
    expect(m.irq(37)).toMatchObject({ active: false, pending: true });
  });

  test('IPRIORITYR is byte and word accessible and keeps 5 bits; other widths are ignored', () => {
    const m = createGicv3({ vcpus: 1, spis: 64 });
    m.writeRegister('GICD_IPRIORITYR10', 0xffa8_5301);
    expect(read32(m, 'GICD_IPRIORITYR10')).toBe(0xf8a8_5000);
    m.writeRegister('GICD+0x429', 0x7f, { width: 8 });
    expect(read32(m, 'GICD_IPRIORITYR10')).toBe(0xf8a8_7800);
    expect(read32(m, 'GICD+0x42b', { width: 8 })).toBe(0xf8);
    expect(m.irq(41).priority).toBe(0x78);
    // 16-bit and 64-bit accesses are RAZ/WI.
    expect(m.mmioRead(0, GICD + 0x428, 16)).toBe(0);
    m.mmioWrite(0, GICD + 0x428, 16, 0x1010);
    m.mmioWrite(0, GICD + 0x428, 64, 0x1010_1010_1010_1010n);
    expect(m.mmioRead(0, GICD + 0x428, 64)).toBe(0n);
    expect(read32(m, 'GICD_IPRIORITYR10')).toBe(0xf8a8_7800);
    expect(m.resolve('GICD_IPRIORITYR254')).toMatchObject({ addr: GICD + 0x7f8 });
  });

  test('ICFGR: SPIs reset edge-triggered and can be made level', () => {
    const m = createGicv3({ vcpus: 1, spis: 64 });
    expect(read32(m, 'GICD_ICFGR2')).toBe(0xaaaa_aaaa);
    m.writeRegister('GICD_ICFGR2', 0xaaaa_aaa2);
    expect(read32(m, 'GICD_ICFGR2')).toBe(0xaaaa_aaa2);
    expect(m.irq(33).config).toBe('level');
    expect(m.irq(32).config).toBe('edge');
    expect(read32(m, 'GICD_ICFGR6')).toBe(0);
  });

  test('IGRPMODR is RAZ/WI with one security state', () => {
    const m = createGicv3({ vcpus: 1 });
    m.writeRegister('GICD_IGRPMODR1', 0xffff_ffff);
    expect(read32(m, 'GICD_IGRPMODR1')).toBe(0);
    expect(m.irq(32).group).toBe(1);
  });

  test('word registers ignore 8-bit and 64-bit accesses; unaligned accesses are RAZ/WI', () => {
    const m = createGicv3({ vcpus: 1 });
    m.mmioWrite(0, GICD + 0x104, 8, 0xff);
    m.mmioWrite(0, GICD + 0x104, 64, 0xffn);
    m.mmioWrite(0, GICD + 0x106, 32, 0xffff_ffff);
    expect(read32(m, 'GICD_ISENABLER1')).toBe(0);
    m.writeRegister('GICD_ISENABLER1', 1);
    expect(m.mmioRead(0, GICD + 0x104, 8)).toBe(0);
    expect(m.mmioRead(0, GICD + 0x105, 32)).toBe(0);
    expect(m.mmioRead(0, GICD + 0x0, 64)).toBe(0n);
  });

  test('an offset no register holds is RAZ/WI; an address outside every frame is reported as unmapped', () => {
    const m = createGicv3({ vcpus: 1 });
    expect(m.mmioRead(0, GICD + 0x0f00, 32)).toBe(0);
    expect(m.mmioWrite(0, GICD + 0x0f00, 32, 0x0100_0001)).toBe(true);
    expect(m.irq(1, 0).pending).toBe(false);
    expect(m.mmioRead(0, GICD + 0x10000, 32)).toBeUndefined();
    expect(m.mmioWrite(0, GICD - 4, 32, 0)).toBe(false);
  });
});

describe('GICD_IROUTER<n>', () => {
  test('IROUTER<n> sits at 0x6000 + 8n and resets to 0', () => {
    const m = createGicv3({ vcpus: 2, spis: 64 });
    expect(m.resolve('GICD_IROUTER32')).toMatchObject({ addr: GICD + 0x6100, width: 64 });
    expect(m.resolve('GICD_IROUTER1019')).toMatchObject({ addr: GICD + 0x6000 + 8 * 1019 });
    expect(() => m.resolve('GICD_IROUTER31')).toThrow(/32\.\.1019/);
    expect(m.readRegister('GICD_IROUTER95')).toBe(0n);
  });

  test('a 64-bit value round trips exactly, Aff3 0xff in bits 39:32 included; RES0 bits read 0', () => {
    const m = createGicv3({ vcpus: 1 });
    m.writeRegister('GICD_IROUTER40', 0xffff_ffff_ffff_ffffn);
    expect(m.readRegister('GICD_IROUTER40')).toBe(0xff_80ff_ffffn);
    m.writeRegister('GICD_IROUTER40', 0xff_0001_0203n);
    expect(m.readRegister('GICD_IROUTER40')).toBe(0xff_0001_0203n);
    expect(m.mmioRead(0, GICD + 0x6140, 64)).toBe(0xff_0001_0203n);
  });

  test('32-bit halves read and write each word alone', () => {
    const m = createGicv3({ vcpus: 1 });
    m.mmioWrite(0, GICD + 0x6100, 32, 0x0001_0203);
    m.mmioWrite(0, GICD + 0x6104, 32, 0x0000_0042);
    expect(m.mmioRead(0, GICD + 0x6100, 32)).toBe(0x0001_0203);
    expect(m.mmioRead(0, GICD + 0x6104, 32)).toBe(0x42);
    expect(m.readRegister('GICD_IROUTER32')).toBe(0x42_0001_0203n);
    m.mmioWrite(0, GICD + 0x6100, 32, 0);
    expect(m.readRegister('GICD_IROUTER32')).toBe(0x42_0000_0000n);
    // 8- and 16-bit accesses are ignored.
    m.mmioWrite(0, GICD + 0x6100, 8, 0xff);
    m.mmioWrite(0, GICD + 0x6100, 16, 0xffff);
    expect(m.readRegister('GICD_IROUTER32')).toBe(0x42_0000_0000n);
  });

  test('IROUTER of an INTID past the machine\'s SPIs is RAZ/WI', () => {
    const m = createGicv3({ vcpus: 1, spis: 32 });
    m.writeRegister('GICD_IROUTER64', 0x1_0000_0001n);
    expect(m.readRegister('GICD_IROUTER64')).toBe(0n);
  });
});
