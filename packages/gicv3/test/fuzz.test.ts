/**
 * The fuzzers of tools/fuzz on GICv3 (see tools/fuzz/suite.ts);
 * `npm run fuzz -- --gic v3 --runs N` runs millions.
 */
import { KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO, isVgicError, kvmDevice, type Machine } from '@vgic/core';
import { describe, expect, it } from 'vitest';
import { ITS_DEBUG_NO_CACHE_INVALIDATION, createGicv3, setItsDebug } from '../src/index.js';

// The fuzz tool lives outside the packages (tools/fuzz) and is not part of this
// package's build or type-check: load it at run time.
const { describeFuzz } = (await import(new URL('../../../tools/fuzz/suite.ts', import.meta.url).href)) as {
  describeFuzz(name: string, gic: 'v2' | 'v3', defaultSeed: number): void;
};

describeFuzz('GICv3', 'v3', 0x2a3);

interface ItsCaseTools {
  explainCase(
    gic: 'v3',
    c: unknown,
    seed: number,
    extraCheck?: (m: Machine) => string | null,
  ): { scenario: string; message: string; reproduced: boolean; replayMessage: string | null };
  replayScenario(text: string, file: string): { loaded: boolean; failure?: { message: string } | null; steps?: number };
}
const fuzz = (await import(new URL('../../../tools/fuzz/index.ts', import.meta.url).href)) as ItsCaseTools;

/**
 * The ITS target's recorder: a case on a machine with an ITS prints as a
 * scenario with the `its`, `lpis` and `memory` keys, `its:`, `msi` and
 * `poke` steps, and host-only comments for the calls no step has; the file
 * loads, and replays to the same failure. Fields are indices into the
 * executor's pools (tools/fuzz/its-exec.ts): 0 names device 0, event 0,
 * LPI 8192, collection 0, vCPU 0.
 */
describe('an ITS case as a scenario', () => {
  const cmd = (cmd: number, o: Record<string, unknown> = {}) => ({
    kind: 'itsCmd',
    cmd,
    device: 0,
    event: 0,
    intid: 0,
    collection: 0,
    target: 0,
    size: 0,
    itt: 0,
    valid: true,
    vcpu: 0,
    opcode: 3,
    words: [0x1234_0000_0000_0007n, 0n, 0n, 0n],
    ...o,
  });
  const itsCase = {
    config: { vcpus: 1, spis: 32, lrs: 2, mpidr: null, its: { lpis: 16, devices: 1, events: 1 } },
    bringUp: { eoiMode: 0, enableAll: false, lpis: true },
    ops: [
      cmd(13), // 32 raw bytes: stores to the queue, then GITS_CWRITER
      cmd(12), // an opcode no command has
      cmd(2, { intid: 4 }), // MAPTI (0, 0) again: the first mapping stays
      { kind: 'prop', intid: 0, priority: 0x80, enabled: true, then: 0, vcpu: 0, rd: 0 }, // property byte, then INV
      { kind: 'poke', area: 6, offset: 0xf0000, width: 32, value: 0xdead_beefn },
      { kind: 'msi', path: 2, device: 0, event: 0, vcpu: 0 }, // by address, not the doorbell: host-only
      { kind: 'msi', path: 0, device: 0xfff, event: 0, vcpu: 0 }, // DeviceID -1: misuse, host-only
      { kind: 'snapshot' },
      { kind: 'restore' },
      { kind: 'msi', path: 1, device: 0, event: 0, vcpu: 0 }, // to the doorbell: an `msi` step
      { kind: 'ack', vcpu: 0, group: -1 },
      { kind: 'eoi', vcpu: 0, fromStack: true, intid: 0, group: -1 },
    ],
  };

  it('prints the ITS steps, loads, and runs with every fuzzer check holding', () => {
    const x = fuzz.explainCase('v3', itsCase, 1);
    expect(x.message).toMatch(/passed when run again/);
    expect(x.scenario).toMatch(/^its: true\nlpis: 16\nmemory:\n {2}- \{ base: 0x40000000, size: 0x100000 \}$/m);
    expect(x.scenario).toMatch(/^ {2}# MAPTI \{ device: 0, event: 0, intid: 0x2000, collection: 0 \}$/m);
    expect(x.scenario).toMatch(/^ {2}# 32 bytes no command: opcode 0x7$/m);
    expect(x.scenario).toMatch(/^ {2}- \{ its: MAPTI, device: 0, event: 0, intid: 0x2001, collection: 0 \}$/m);
    expect(x.scenario).toMatch(/^ {2}- \{ poke: 0x40030000, value: 0x83, width: 8 \}$/m);
    expect(x.scenario).toMatch(/^ {2}- \{ its: INV, device: 0, event: 0 \}$/m);
    expect(x.scenario).toMatch(/^ {2}# host-only: \{ translater: 0x8090044, device: 0, value: 0 \}$/m);
    expect(x.scenario).toMatch(/^ {2}# host-only: \{ msi: -1, event: 0, expectError: INVALID_ARGUMENT \}$/m);
    expect(x.scenario).toMatch(/^ {2}- \{ msi: 0, event: 0 \}\n {2}- \{ read: ICC_IAR1_EL1 \}\n {2}- \{ write: ICC_EOIR1_EL1, value: 0x2000 \}$/m);
    const replay = fuzz.replayScenario(x.scenario, 'its-case.yaml');
    expect(replay.loaded).toBe(true);
    expect(replay.failure).toBeNull();
  });

  it('catches a translation cache that is never invalidated: an MSI translated after its target turned LPIs off', () => {
    const broken = (m: Machine): null => {
      setItsDebug(m, ITS_DEBUG_NO_CACHE_INVALIDATION);
      return null;
    };
    const stale = {
      ...itsCase,
      ops: [
        cmd(4), // INT (0, 0): the translation is cached
        { kind: 'enableLpis', rd: 0, on: false, vcpu: 0 }, // which should forget it
        { kind: 'msi', path: 0, device: 0, event: 0, vcpu: 0 },
      ],
    };
    expect(fuzz.explainCase('v3', stale, 1).message).toMatch(/passed when run again/);
    const x = fuzz.explainCase('v3', stale, 1, broken);
    expect(x.message).toBe('the MSI of device 0 event 0 was translated (the ITS enabled, LPI 8192, collection 0 on vCPU 0, LPIs off)');
    expect(x.reproduced, x.replayMessage ?? '').toBe(true);
  });

  it('reproduces a failure at the LPI acknowledge it follows', () => {
    const activeLpi = (m: Machine): string | null => (m.vgic.lpiSlotOf(8192) >= 0 && m.irq(8192).active ? 'planted: LPI 8192 is active' : null);
    const x = fuzz.explainCase('v3', itsCase, 1, activeLpi);
    expect(x.message).toBe('planted: LPI 8192 is active');
    expect(x.reproduced, x.replayMessage ?? '').toBe(true);
    expect(x.scenario).toMatch(/- \{ read: ICC_IAR1_EL1 \}\n {2}# \^ FAILED here: planted/);
  });
});

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
