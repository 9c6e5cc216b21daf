/**
 * Every row of the scenario format (apps/cli/README.md), one small scenario each, through the CLI. Each
 * behaviour is asserted both ways where a wrong runner could pass: the
 * scenario that states the truth exits 0, the one that states a falsehood
 * exits 1.
 */
import { VgicError, runScenario, type Machine, type Scenario } from '@vgic/core';
import { describe, expect, it } from 'vitest';
import { BACKENDS } from '../src/backends.js';
import { V2_PREAMBLE, V3_PREAMBLE, runText } from './helpers.js';

async function holds(text: string): Promise<void> {
  const r = await runText(text);
  if (r.code !== 0) throw new Error(`expected every check to hold:\n${r.out}${r.err}`);
}

async function fails(text: string): Promise<string> {
  const r = await runText(text);
  if (r.code !== 1) throw new Error(`expected a failed check (exit 1), got ${r.code}:\n${r.out}${r.err}`);
  return r.out;
}

describe('write: REG', () => {
  it('writes as vCPU 0 by default, and as the vCPU named', async () => {
    await holds(`${V3_PREAMBLE}  - write: ICC_PMR_EL1\n    value: 0x80\n    vcpu: 1\n  - check: { vcpu: 1, pmr: 0x80 }\n  - check: { vcpu: 0, pmr: 0xf8 }\n`);
    await fails(`${V3_PREAMBLE}  - write: ICC_PMR_EL1\n    value: 0x80\n    vcpu: 1\n  - check: { vcpu: 0, pmr: 0x80 }\n`);
  });

  it('makes any legal access size to a raw frame offset with width', async () => {
    // GICD+0x429 is the priority byte of INTID 41: an 8-bit write leaves 40's byte alone.
    await holds(`${V3_PREAMBLE}  - write: GICD+0x429\n    width: 8\n    value: 0x70\n  - check: { irq: 41, priority: 0x70 }\n  - check: { irq: 40, priority: 0xa0 }\n  - read: GICD_IPRIORITYR10\n    expect: 0x70a0\n`);
  });

  it('addresses the redistributor named by rd, from any vCPU', async () => {
    await holds(`${V3_PREAMBLE}  - write: GICR_ISENABLER0\n    value: 0x8000000\n    rd: 1\n  - check: { irq: 27, vcpu: 1, enabled: true }\n  - check: { irq: 27, vcpu: 0, enabled: false }\n`);
  });

  it('addresses the accessing vCPU’s own redistributor without rd', async () => {
    await holds(`${V3_PREAMBLE}  - write: GICR_ISENABLER0\n    value: 0x8000000\n    vcpu: 1\n  - check: { irq: 27, vcpu: 1, enabled: true }\n  - check: { irq: 27, vcpu: 0, enabled: false }\n`);
  });

  it('resolves register array names by the index the specification uses', async () => {
    await holds(`${V3_PREAMBLE}  - write: GICD_IROUTER40\n    value: 1\n  - check: { irq: 40, target: 1 }\n  - write: GICD_ICFGR2\n    value: 0\n  - check: { irq: 40, config: level }\n`);
  });
});

describe('read: REG', () => {
  it('compares (value & mask) with expect', async () => {
    // GICD_TYPER.ITLinesNumber (4:0) = spis/32 = 2 on this machine.
    await holds(`${V3_PREAMBLE}  - read: GICD_TYPER\n    mask: 0x1f\n    expect: 2\n`);
    await fails(`${V3_PREAMBLE}  - read: GICD_TYPER\n    mask: 0x1f\n    expect: 3\n`);
  });

  it('reads a raw offset of a redistributor at the given width', async () => {
    // GICR+0x10400 is the SGI frame's GICR_IPRIORITYR0: byte 1 is SGI 1 of that redistributor.
    await holds(`${V3_PREAMBLE}  - write: GICR_IPRIORITYR0\n    value: 0x5000\n    rd: 1\n  - read: GICR+0x10401\n    width: 8\n    rd: 1\n    expect: 0x50\n  - read: GICR+0x10401\n    width: 8\n    expect: 0\n`);
  });

  it('makes the reading vCPU enter: guest-access semantics apply', async () => {
    await holds(`${V3_PREAMBLE}  - check: { vcpu: 1, running: false }\n  - read: ICC_RPR_EL1\n    vcpu: 1\n    expect: 0xff\n  - check: { vcpu: 1, running: true }\n`);
  });

  it('acknowledges on a read of IAR (a read can change state)', async () => {
    await holds(`${V3_PREAMBLE}  - inject: 40\n  - read: ICC_IAR1_EL1\n    expect: 40\n  - check: { irq: 40, active: true, pending: false }\n`);
  });
});

describe('inject: INTID', () => {
  it('raises and lowers a level line (level 1 by default)', async () => {
    await holds(`${V3_PREAMBLE}  - write: GICD_ICFGR2\n    value: 0\n  - inject: 40\n  - check: { irq: 40, pending: true, lineLevel: true }\n  - inject: 40\n    level: 0\n  - check: { irq: 40, pending: false, lineLevel: false }\n`);
  });

  it('raises a PPI on the vCPU named, and on vCPU 0 by default', async () => {
    await holds(`${V3_PREAMBLE}  - inject: 27\n    vcpu: 1\n  - check: { irq: 27, vcpu: 1, lineLevel: true }\n  - check: { irq: 27, vcpu: 0, lineLevel: false }\n  - inject: 26\n  - check: { irq: 26, vcpu: 0, lineLevel: true }\n`);
  });

  it('fails with INVALID_INTID for an SGI, a reserved INTID and one beyond the SPIs', async () => {
    await holds(`${V3_PREAMBLE}  - inject: 3\n    expectError: INVALID_INTID\n  - inject: 1021\n    expectError: INVALID_INTID\n  - inject: 96\n    expectError: INVALID_INTID\n`);
    await fails(`${V3_PREAMBLE}  - inject: 95\n    expectError: INVALID_INTID\n`);
  });

  it('fails with INVALID_VCPU for a vCPU that does not exist', async () => {
    await holds(`${V3_PREAMBLE}  - inject: 27\n    vcpu: 2\n    expectError: INVALID_VCPU\n  - inject: 40\n    vcpu: 9\n    expectError: INVALID_VCPU\n`);
  });
});

describe('map: INTID', () => {
  it('hardware-maps an SPI to the host INTID given', async () => {
    await holds(`${V3_PREAMBLE}  - map: 40\n    host: 100\n  - check: { irq: 40, hw: true, hostIntid: 100 }\n`);
  });

  it('maps a PPI of the vCPU named, to the same host INTID by default', async () => {
    await holds(`${V3_PREAMBLE}  - map: 27\n    vcpu: 1\n  - check: { irq: 27, vcpu: 1, hw: true, hostIntid: 27 }\n  - check: { irq: 27, vcpu: 0, hw: false, hostIntid: null }\n`);
  });

  it('refuses an SGI', async () => {
    await holds(`${V3_PREAMBLE}  - map: 5\n    expectError: INVALID_INTID\n`);
  });

  it('lets the guest’s deactivation reach the host (trace)', async () => {
    const r = await runText(`${V3_PREAMBLE}  - map: 40\n    host: 77\n  - inject: 40\n  - read: ICC_IAR1_EL1\n    expect: 40\n  - write: ICC_EOIR1_EL1\n    value: 40\n`, '--trace');
    expect(r.code).toBe(0);
    expect(r.out).toContain('host deactivate: host 77 (guest 40 on vCPU0)');
  });
});

describe('run: VCPU and exit: VCPU', () => {
  it('enters (flush: LRs filled) and leaves (sync: LRs folded back)', async () => {
    await holds(
      `${V3_PREAMBLE}  - exit: 0\n  - inject: 40\n  - check: { irq: 40, lr: null, queued: 0 }\n  - run: 0\n  - check: { vcpu: 0, running: true }\n  - check: { irq: 40, lr: 0 }\n  - exit: 0\n  - check: { vcpu: 0, running: false }\n  - check: { irq: 40, lr: null, pending: true }\n`,
    );
  });

  it('refuses a vCPU that does not exist', async () => {
    await holds(`${V3_PREAMBLE}  - run: 2\n    expectError: INVALID_VCPU\n  - exit: 2\n    expectError: INVALID_VCPU\n`);
  });
});

describe('check: forms', () => {
  it('compares interrupt fields: pending, active, enabled, queued, priority, group, target, config', async () => {
    await holds(`${V3_PREAMBLE}  - inject: 40\n  - check: { irq: 40, pending: true, active: false, enabled: true, queued: 0, priority: 0xa0, group: 1, target: 0, config: edge }\n`);
    await fails(`${V3_PREAMBLE}  - check: { irq: 40, enabled: false }\n`);
    await fails(`${V3_PREAMBLE}  - check: { irq: 40, queued: 0 }\n`);
  });

  it('takes null for queued when no ap_list holds the interrupt', async () => {
    await holds(`${V3_PREAMBLE}  - check: { irq: 40, queued: null }\n`);
    await fails(`${V3_PREAMBLE}  - inject: 40\n  - check: { irq: 40, queued: null }\n`);
  });

  it('names a private interrupt’s vCPU', async () => {
    await holds(`${V3_PREAMBLE}  - inject: 27\n    vcpu: 1\n  - check: { irq: 27, vcpu: 1, pending: true }\n  - check: { irq: 27, pending: false }\n`);
  });

  it('checks hasPending (kvm_vgic_vcpu_pending_irq)', async () => {
    await holds(`${V3_PREAMBLE}  - check: { vcpu: 0, hasPending: false }\n  - inject: 40\n  - check: { vcpu: 0, hasPending: true }\n  - check: { vcpu: 1, hasPending: false }\n`);
  });

  it('compares apList as a set, or in order with ordered', async () => {
    const two = `${V3_PREAMBLE}  - write: GICD_ISENABLER1\n    value: 0x200\n  - write: GICD_IPRIORITYR10\n    value: 0x80a0\n  - exit: 0\n  - inject: 40\n  - inject: 41\n  - run: 0\n`;
    await holds(`${two}  - check: { vcpu: 0, apList: [40, 41] }\n  - check: { vcpu: 0, apList: [41, 40] }\n  - check: { vcpu: 0, apList: [41, 40], ordered: true }\n`);
    const out = await fails(`${two}  - check: { vcpu: 0, apList: [40, 41], ordered: true }\n`);
    expect(out).toContain('apList is [41, 40], expected [40, 41]');
    await fails(`${two}  - check: { vcpu: 0, apList: [40] }\n`);
  });

  it('reads the architectural state of a running vCPU from its LRs', async () => {
    // Acknowledged, not yet exited: active already.
    await holds(`${V3_PREAMBLE}  - inject: 40\n  - read: ICC_IAR1_EL1\n    expect: 40\n  - check: { vcpu: 0, running: true }\n  - check: { irq: 40, active: true, pending: false }\n`);
  });

  it('fails with INVALID_INTID for an interrupt the machine lacks', async () => {
    await holds(`${V3_PREAMBLE}  - check: { irq: 2000, pending: false }\n    expectError: INVALID_INTID\n`);
  });

  it('shows GICv2 SGI sources', async () => {
    await holds(`${V2_PREAMBLE}  - write: GICD_SGIR\n    value: 0x00010002\n    vcpu: 1\n  - check: { irq: 2, vcpu: 0, pending: true, sources: [1] }\n`);
  });
});

describe('snapshot: NAME and restore: NAME', () => {
  it('saves the whole GIC and puts it back; every vCPU exits first and is outside after', async () => {
    await holds(
      `${V3_PREAMBLE}  - inject: 40\n  - read: ICC_IAR1_EL1\n    expect: 40\n  - snapshot: taken\n  - check: { vcpu: 0, running: false }\n  - write: ICC_EOIR1_EL1\n    value: 40\n  - check: { irq: 40, active: false }\n  - restore: taken\n  - check: { irq: 40, active: true, pending: false }\n  - check: { vcpu: 0, running: false }\n  - read: ICC_RPR_EL1\n    expect: 0xa0\n  - write: ICC_EOIR1_EL1\n    value: 40\n  - check: { irq: 40, active: false }\n`,
    );
  });
});

describe('expectError', () => {
  it('fails when the step succeeds', async () => {
    const out = await fails(`${V3_PREAMBLE}  - inject: 40\n    expectError: INVALID_INTID\n`);
    expect(out).toContain('expected INVALID_INTID, but the step succeeded');
  });

  it('fails when the step fails with another code', async () => {
    const out = await fails(`${V3_PREAMBLE}  - inject: 1020\n    expectError: INVALID_VCPU\n`);
    expect(out).toContain('expected INVALID_VCPU, but it failed with INVALID_INTID');
  });

  it('holds when the step fails with that code and the state is unchanged', async () => {
    const r = await runText(`${V3_PREAMBLE}  - inject: 40\n  - inject: 1020\n    expectError: INVALID_INTID\n  - check: { irq: 40, pending: true, queued: 0 }\n`, '--json');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out) as { files: { steps: { changes: string[] }[] }[] };
    expect(doc.files[0]!.steps[7]!.changes).toEqual([]);
  });

  it('fails when the step fails with the code but changed the state', () => {
    // A backend whose inject changes the state and then throws: the runner must notice.
    const leaky = (o: Parameters<NonNullable<(typeof BACKENDS)['v3']>>[0]): Machine => {
      const m = BACKENDS['v3']!(o);
      m.inject = (intid: number) => {
        m.vgic.pendingLatch[m.vgic.slotOf(40, 0)] = 1;
        throw new VgicError('INVALID_INTID', `INTID ${intid} refused`);
      };
      return m;
    };
    const s: Scenario = { gic: 'v3', vcpus: 1, spis: 64, steps: [{ action: 'inject', intid: 1020, expectError: 'INVALID_INTID' }] };
    const r = runScenario(s, { backends: { v3: leaky } });
    expect(r.failed).toBe(1);
    expect(r.steps[0]!.check).toMatchObject({ ok: false, message: "failed with INVALID_INTID as expected, but changed the machine's state" });
    const honest = runScenario(s, { backends: BACKENDS });
    expect(honest.passed).toBe(1);
  });
});

describe('numbers are exact to 64 bits', () => {
  it('writes 0xffffffff00ffff10 to GICD_IROUTER32 and reads back every implemented bit', async () => {
    // IROUTER keeps Aff3 (39:32), IRM (31) and Aff2..Aff0 (23:0); rounding the value through a
    // double would give 0xffffffff01000000 and read back 0xff01000000.
    await holds(`${V3_PREAMBLE}  - write: GICD_IROUTER32\n    value: 0xffffffff00ffff10\n  - read: GICD_IROUTER32\n    expect: 0xff00ffff10\n  - read: GICD_IROUTER32\n    mask: 0xffffffff00ffff10\n    expect: 0xff00ffff10\n`);
    await fails(`${V3_PREAMBLE}  - write: GICD_IROUTER32\n    value: 0xffffffff00ffff10\n  - read: GICD_IROUTER32\n    expect: 0xff01000000\n`);
  });

  it('takes the same value in decimal, and 64-bit halves through 32-bit accesses', async () => {
    await holds(`${V3_PREAMBLE}  - write: GICD_IROUTER32\n    value: 18446744069431361296\n  - read: GICD_IROUTER32\n    width: 32\n    expect: 0x00ffff10\n  - read: GICD+0x6104\n    width: 32\n    expect: 0xff\n`);
  });

  it('keeps a 64-bit expect exact in the report', async () => {
    const out = await fails(`${V3_PREAMBLE}  - read: GICD_IROUTER32\n    expect: 0xfffffffffffffff1\n`);
    expect(out).toContain('expected 0xfffffffffffffff1');
  });
});
