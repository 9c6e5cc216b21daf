/**
 * The fuzzers of tools/fuzz on GICv3 (see tools/fuzz/suite.ts);
 * `npm run fuzz -- --gic v3 --runs N` runs millions.
 */
import { KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO, isVgicError, kvmDevice } from '@vgic/core';
import { describe, expect, it } from 'vitest';
import { createGicv3 } from '../src/index.js';

// The fuzz tool lives outside the packages (tools/fuzz) and is not part of this
// package's build or type-check: load it at run time.
const { describeFuzz } = (await import(new URL('../../../tools/fuzz/suite.ts', import.meta.url).href)) as {
  describeFuzz(name: string, gic: 'v2' | 'v3', defaultSeed: number): void;
};

describeFuzz('GICv3', 'v3', 0x2a3);

/**
 * vgic_irq.c's test_injection_failure() with KVM_SET_LEVEL_INFO_HIGH: the one
 * part of its matrix a scenario file cannot say (scenarios have no
 * level-info step; conformance/README.md). The selftest's helper reads the
 * 32 levels of the word holding the INTID and writes them back with its bit
 * set; KVM must refuse INTIDs past 1023 (EINVAL: the attribute's info type
 * is no longer VGIC_LEVEL_INFO_LINE_LEVEL) and silently ignore the others.
 */
describe('vgic_irq level-info injection failure (KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO)', () => {
  const setLevelInfoHigh = (m: ReturnType<typeof createGicv3>, intid: number): void => {
    const dev = kvmDevice(m);
    const attr = 32 * Math.floor(intid / 32);
    const levels = dev.getAttr(KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO, attr);
    dev.setAttr(KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO, attr, levels | (1n << BigInt(intid % 32)));
  };

  it.each([64, 1020])('ignores INTID %i (up to 1023) without an error or a change', (intid) => {
    const m = createGicv3({ vcpus: 1, spis: 32 });
    const before = new Uint8Array(m.vgic.buffer).slice();
    setLevelInfoHigh(m, intid);
    expect(new Uint8Array(m.vgic.buffer)).toEqual(before);
    expect(m.hasPending(0)).toBe(false);
  });

  it.each([1024, 1120, 5120, 0xffffffff])('refuses INTID %i (past 1023) and changes nothing', (intid) => {
    const m = createGicv3({ vcpus: 1, spis: 32 });
    const before = new Uint8Array(m.vgic.buffer).slice();
    let code: string | null = null;
    try {
      setLevelInfoHigh(m, intid);
    } catch (e) {
      code = isVgicError(e) ? e.code : 'not a VgicError';
    }
    expect(code).toBe('INVALID_ARGUMENT');
    expect(new Uint8Array(m.vgic.buffer)).toEqual(before);
  });

  it('raises a level line as KVM_IRQ_LINE does, which is how the scenarios write it', () => {
    const viaLevelInfo = createGicv3({ vcpus: 1, spis: 32 });
    const viaLine = createGicv3({ vcpus: 1, spis: 32 });
    for (const m of [viaLevelInfo, viaLine]) {
      m.writeRegister('GICD_CTLR', 0x12);
      m.writeRegister('GICD_ICFGR2', 0); // SPIs 32-47 level-triggered
      m.writeRegister('GICD_ISENABLER1', 1 << 8);
    }
    setLevelInfoHigh(viaLevelInfo, 40);
    viaLine.inject(40, 1);
    expect(viaLevelInfo.irq(40)).toMatchObject({ pending: true, lineLevel: true, queued: 0 });
    expect(viaLevelInfo.irq(40)).toEqual(viaLine.irq(40));
    expect(viaLevelInfo.apList(0)).toEqual(viaLine.apList(0));
  });
});
