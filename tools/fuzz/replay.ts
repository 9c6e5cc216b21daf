/**
 * Replaying a scenario file with the fuzzer's checks: the file is loaded
 * exactly as `vgic run` loads it and run by the same runner, on a machine
 * whose every call is checked (invariants, no lock held, lock order, guest
 * accesses never throwing, misuse changing nothing); the host-only comments
 * (`# host-only: { setLineLevel: ... }`) are performed where they stand.
 */
import { KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO, KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES, kvmDevice, runScenario, type Machine, type ScenarioBackend, type ScenarioMachineOptions } from '@vgic/core';
import { BACKENDS, loadScenario, type LoadError } from '@vgic/cli';
import { createGicv2 } from '@vgic/gicv2';
import {
  KVM_DEV_ARM_ITS_CTRL_RESET,
  KVM_DEV_ARM_ITS_RESTORE_TABLES,
  KVM_DEV_ARM_ITS_SAVE_TABLES,
  KVM_DEV_ARM_VGIC_GRP_ITS_REGS,
  createGicv3,
  itsTranslaterWrite,
  kvmItsDevice,
} from '@vgic/gicv3';
import { levelInfoVcpuField } from './execute.js';
import { checkMsis, itsProblem } from './its-exec.js';
import { FuzzFailure, Recorder, describeError, type ExtraCheck } from './recorder.js';
import { hostOnlyCalls, type HostOnly } from './scenario.js';

export type ReplayResult =
  | { loaded: false; errors: LoadError[] }
  | {
      loaded: true;
      /** The first problem: a step that failed (its check, or the fuzzer's), with its 1-based number. */
      failure: { step: number; line: number; message: string } | null;
      /** Every failed check of the run, as the runner reports them. */
      failedChecks: { step: number; line: number; message: string }[];
      steps: number;
    };

function instrumentedBackends(onMachine: (m: Machine) => void): Record<string, ScenarioBackend> {
  return {
    v2: (o: ScenarioMachineOptions) => {
      const m = createGicv2({ vcpus: o.vcpus, spis: o.spis, lrs: o.lrs, lockCheck: true });
      onMachine(m);
      return m;
    },
    // The CLI's GICv3, with the ITS, LPIs and guest RAM the header gives, and its `its:` commands.
    v3: Object.assign(
      (o: ScenarioMachineOptions) => {
        const m = createGicv3({
          vcpus: o.vcpus,
          spis: o.spis,
          lrs: o.lrs,
          lockCheck: true,
          ...(o.mpidr && { mpidr: o.mpidr }),
          ...(o.its && { its: o.its.base === undefined ? true : { base: Number(o.its.base) } }),
          ...(o.lpis !== undefined && { lpis: o.lpis }),
          ...(o.ram && { guestMemory: o.ram.map((r) => ({ base: r.base, buffer: r.buffer })) }),
        });
        onMachine(m);
        return m;
      },
      { commands: BACKENDS['v3']!.commands, issueCommand: BACKENDS['v3']!.issueCommand },
    ),
  };
}

function performHostOnly(m: Machine, rec: Recorder, h: HostOnly): string | null {
  const what =
    h.call === 'levelInfo'
      ? `levelInfo(${h.first})`
      : h.call === 'translater'
        ? `translater(0x${h.address.toString(16)})`
        : h.call === 'msi'
          ? `msi(${h.device}, ${h.event})`
          : h.call === 'kvmIts'
            ? `kvmIts(${h.ctrl ?? `0x${h.offset.toString(16)}`})`
            : `${h.call}(${h.intid})`;
  try {
    if (h.call === 'setLineLevel') m.setLineLevel(h.intid, h.level, h.vcpu);
    else if (h.call === 'msi') m.signalMsi(h.device, h.event);
    else if (h.call === 'kvmIts') {
      const dev = kvmItsDevice(m);
      const record = () => ({ t: 'kvmIts' as const, ctrl: h.ctrl, offset: h.offset, write: h.write, value: h.value });
      if (h.ctrl === 'savePending') {
        rec.hostCallFailing(record, () => kvmDevice(m).setAttr(KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES, 0), 'INVALID_STATE');
      } else if (h.ctrl !== null) {
        const attr = h.ctrl === 'save' ? KVM_DEV_ARM_ITS_SAVE_TABLES : h.ctrl === 'restore' ? KVM_DEV_ARM_ITS_RESTORE_TABLES : KVM_DEV_ARM_ITS_CTRL_RESET;
        rec.hostCallFailing(record, () => dev.setAttr(KVM_DEV_ARM_VGIC_GRP_CTRL, attr), 'INVALID_STATE');
      } else if (h.write) rec.hostCallFailing(record, () => dev.setAttr(KVM_DEV_ARM_VGIC_GRP_ITS_REGS, h.offset, h.value), 'INVALID_STATE');
      else rec.hostCall(record, () => dev.getAttr(KVM_DEV_ARM_VGIC_GRP_ITS_REGS, h.offset));
    }
    else if (h.call === 'translater') {
      rec.hostCall(
        () => ({ t: 'translater', device: h.device, address: h.address, value: h.value }),
        () => itsTranslaterWrite(m, h.device, h.address, h.value),
      );
    }
    else if (h.call === 'unmapHw') m.unmapHw(h.intid, h.vcpu);
    else {
      const attr = (BigInt(levelInfoVcpuField(m, h.vcpu ?? 0)) << 32n) | BigInt(h.first);
      rec.hostCall(
        () => ({ t: 'levelInfo', first: h.first, bits: h.bits, vcpu: h.vcpu ?? 0 }),
        () => kvmDevice(m).setAttr(KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO, attr, h.bits),
      );
    }
  } catch (e) {
    if (e instanceof FuzzFailure) return e.message;
    const code = (e as { code?: unknown }).code;
    if (h.expectError !== undefined && code === h.expectError) return null;
    return `host-only ${what} failed: ${describeError(e)}`;
  }
  return h.expectError !== undefined ? `host-only ${what} was expected to fail with ${h.expectError}, but succeeded` : null;
}

/** Replay scenario `text` (named `file` in messages) with every call checked. */
export function replayScenario(text: string, file: string, extraCheck: ExtraCheck | null = null): ReplayResult {
  const loaded = loadScenario(text, file, { backends: BACKENDS });
  if (!loaded.ok) return { loaded: false, errors: loaded.errors };
  const s = loaded.scenario;
  const hostOnly = hostOnlyCalls(text);
  const stepLines = s.steps.map((st) => st.pos?.line ?? 0);
  let machine: Machine | null = null;
  let recorder: Recorder | null = null;
  let failure: { step: number; line: number; message: string } | null = null;
  const note = (step: number, line: number, message: string): void => {
    failure ??= { step, line, message };
  };
  /** The host-only calls that stand between lines `from` (exclusive) and `to` (exclusive). */
  const between = (from: number, to: number): HostOnly[] => hostOnly.filter((h) => h.line > from && h.line < to);

  const backends = instrumentedBackends((m) => {
    machine = m;
    // With an ITS, the fuzzer's check of its tables against the LPIs too.
    const its = m.frameMap.named('GITS') !== undefined;
    recorder = new Recorder(m, false, its ? (x) => itsProblem(x) ?? extraCheck?.(x) ?? null : extraCheck);
    if (its) checkMsis(m, recorder);
    for (const h of between(0, stepLines[0] ?? Infinity)) {
      const p = performHostOnly(m, recorder, h);
      if (p !== null) note(0, h.line, p);
    }
  });
  const failedChecks: { step: number; line: number; message: string }[] = [];
  runScenario(s, {
    backends,
    changes: false,
    onStep: (record, m) => {
      const line = record.step.pos?.line ?? 0;
      if (record.check && !record.check.ok) {
        const message = `${record.check.what}: ${record.check.message ?? 'failed'}`;
        failedChecks.push({ step: record.index, line, message });
        note(record.index, line, message);
      }
      for (const h of between(line, stepLines[record.index] ?? Infinity)) {
        const p = performHostOnly(m, recorder!, h);
        if (p !== null) note(record.index, h.line, p);
      }
    },
  });
  if (machine === null) return { loaded: true, failure: { step: 0, line: 1, message: 'no machine was built' }, failedChecks, steps: 0 };
  return { loaded: true, failure, failedChecks, steps: s.steps.length };
}
