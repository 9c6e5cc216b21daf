/**
 * What only the machine can say about a step: the machine is built from the
 * header (nothing runs) and every register name, vCPU and access width is
 * resolved against it; a `restore` must name a snapshot taken before it,
 * and the snapshots the scenario keeps must fit in the snapshot budget.
 */
import {
  CHECK_FIELDS,
  VgicError,
  createScenarioMachine,
  isVgicError,
  saveMachine,
  type Machine,
  type Scenario,
  type ScenarioBackend,
  type Step,
} from '@vgic/core';
import type { Path } from './document.js';
import type { Reporter } from './reporter.js';
import { U64_MAX } from './steps.js';
import { bytesText, fieldName, shown } from './words.js';

/** Why a whole family of names is missing on this version. */
function familyHint(name: string, version: string, hasIts: boolean): string {
  if (version === 'v2' && name.startsWith('ICC_')) return ' (GICv2 has no GIC system registers: its CPU interface is the GICC_* registers)';
  if (version === 'v2' && name.startsWith('GICR')) return ' (GICv2 has no redistributors: private interrupts are in the GICD_* registers, banked per vCPU)';
  if (version === 'v3' && name.startsWith('GICC')) return ' (on GICv3 the CPU interface is the ICC_*_EL1 system registers)';
  if (version === 'v2' && name.startsWith('GITS')) return ' (GICv2 has no ITS)';
  if (version === 'v3' && name.startsWith('GITS') && !hasIts) return ' (this machine has no ITS: add its: true to the header)';
  return '';
}

function fits(value: bigint, width: number): boolean {
  return width >= 64 || value < 1n << BigInt(width);
}

/** The header's own consistency: mpidr is GICv3's, one per vCPU, unique, affinity bits only. Returns whether it holds. */
export function checkMpidr(r: Reporter, s: Pick<Scenario, 'gic' | 'vcpus' | 'mpidr'>): boolean {
  if (s.mpidr === undefined) return true;
  const before = r.count;
  if (s.gic !== 'v3') {
    r.fail(['mpidr'], `mpidr is for GICv3, which routes by affinity; GIC${s.gic} has none`, true);
    return false;
  }
  if (s.mpidr.length !== s.vcpus) {
    r.fail(['mpidr'], `mpidr lists ${s.mpidr.length} affinities for ${s.vcpus} vCPUs: give one per vCPU`);
  }
  const seen = new Map<bigint, number>();
  s.mpidr.forEach((a, k) => {
    if ((a & ~0xff_00ff_ffffn) !== 0n) {
      r.fail(['mpidr', k], `mpidr of vCPU ${k}, 0x${a.toString(16)}, has bits outside Aff3 (39:32) and Aff2..Aff0 (23:0)`);
    } else if (seen.has(a)) {
      r.fail(['mpidr', k], `vCPUs ${seen.get(a)} and ${k} have the same affinity 0x${a.toString(16)}`);
    }
    seen.set(a, k);
  });
  return r.count === before;
}

/** The checks of each step against the machine the header describes. */
export class MachineChecks {
  private readonly snapshots = new Set<string>();
  private snapshotSize = -1;
  private overBudget = false;

  private constructor(
    private readonly r: Reporter,
    private readonly m: Machine,
    private readonly snapshotBudget: number,
    private readonly hasIts: boolean,
  ) {}

  /** Build the header's machine (nothing runs), or report why it cannot be built and return null. */
  static create(r: Reporter, s: Scenario, backends: Readonly<Record<string, ScenarioBackend>>, snapshotBudget: number): MachineChecks | null {
    try {
      return new MachineChecks(r, createScenarioMachine(s, backends), snapshotBudget, s.its !== undefined);
    } catch (e) {
      if (!(e instanceof VgicError)) throw e;
      // The header key the message is about: named first, or as the option the backend does not take.
      const named = /^(vcpus|spis|lrs|mpidr|its|lpis|memory|guestMemory)\b/i.exec(e.message) ?? /\bno option "(its|lpis|guestMemory)"/.exec(e.message);
      const key = named?.[1] === 'guestMemory' ? 'memory' : (named?.[1]?.toLowerCase() ?? 'gic');
      r.fail([key], e.message);
      return null;
    }
  }

  step(step: Step, path: Path): void {
    if (step.action === 'run' || step.action === 'exit') this.vcpuField(step, path, step.action, step.vcpu);
    else this.vcpuField(step, path, 'vcpu', step.vcpu);
    if (step.action === 'write' || step.action === 'read') {
      this.vcpuField(step, path, 'rd', step.rd);
      if (step.action === 'read' && step.expectError !== undefined && (step.expect !== undefined || step.mask !== undefined)) {
        this.r.fail([...path, 'expectError'], `${fieldName(path).prefix}a read that must fail reads nothing: drop expect/mask or expectError`, true);
      }
      this.access(step, path);
    }
    if (step.action === 'check') {
      this.vcpuField(step, [...path, 'check'], 'vcpu', step.check.vcpu);
      this.check(step, path);
    }
    if (step.action === 'snapshot') this.snapshot(step.name, path);
    if (step.action === 'restore' && !this.snapshots.has(step.name)) {
      this.r.fail([...path, 'restore'], `${fieldName(path).prefix}no snapshot named ${shown(step.name)} is taken before this step`);
    }
  }

  private vcpuField(step: Step, path: Path, key: string, vcpu: number | undefined): void {
    const m = this.m;
    if (vcpu === undefined || vcpu < m.vcpus || step.expectError === 'INVALID_VCPU') return;
    const { prefix } = fieldName(path);
    this.r.fail([...path, key], `${prefix}vCPU ${vcpu} does not exist: this machine has vCPUs 0..${m.vcpus - 1} (vcpus: ${m.vcpus})`);
  }

  private access(step: Step & { action: 'write' | 'read' }, path: Path): void {
    const m = this.m;
    let resolved;
    try {
      resolved = m.resolve(step.register, { vcpu: step.vcpu ?? 0, ...(step.rd !== undefined && { rd: step.rd }) });
    } catch (e) {
      if (isVgicError(e) && e.code === step.expectError) return;
      if (isVgicError(e, 'UNKNOWN_REGISTER')) this.r.fail([...path, step.action], `${fieldName(path).prefix}${e.message}${familyHint(step.register, m.version, this.hasIts)}`);
      else if (!isVgicError(e, 'INVALID_VCPU')) throw e;
      return;
    }
    if (resolved.kind === 'sysreg') {
      for (const key of ['width', 'rd'] as const) {
        if (step[key] !== undefined) this.r.fail([...path, key], `${fieldName(path).prefix}${key} applies to memory-mapped registers; ${step.register} is a 64-bit system register`, true);
      }
    } else if (step.rd !== undefined && resolved.rd === null) {
      this.r.fail([...path, 'rd'], `${fieldName(path).prefix}rd names whose redistributor to access; ${step.register} is in the ${resolved.frame} frame, not a redistributor`, true);
    }
    const width = resolved.kind === 'sysreg' ? 64 : (step.width ?? resolved.width);
    if (step.action === 'write') this.fits(path, 'value', step.value, width, step.register);
    else {
      this.fits(path, 'expect', step.expect, width, step.register);
      this.fits(path, 'mask', step.mask, width, step.register);
    }
  }

  private fits(path: Path, key: string, v: bigint | undefined, width: number, register: string): void {
    if (v !== undefined && v <= U64_MAX && !fits(v, width)) {
      this.r.fail([...path, key], `${fieldName(path).prefix}${key} 0x${v.toString(16)} does not fit in a ${width}-bit access of ${register}`);
    }
  }

  private check(step: Step & { action: 'check' }, path: Path): void {
    const prefix = fieldName(path).prefix;
    const c = step.check;
    const cpath = [...path, 'check'];
    const named = CHECK_FIELDS.filter((f) => c[f.name] !== undefined);
    if (c.irq === undefined) {
      for (const f of named.filter((f) => f.scope === 'irq')) {
        this.r.fail([...cpath, f.name], `${prefix}${f.name} is a field of an interrupt: say which one with irq:`, true);
      }
    }
    if (c.ordered !== undefined && c.apList === undefined) this.r.fail([...cpath, 'ordered'], `${prefix}ordered applies to apList, which this check does not name`, true);
    if (named.length === 0 && step.expectError === undefined) {
      const fields = CHECK_FIELDS.map((f) => f.name).join(', ');
      this.r.fail(cpath, `${prefix}check compares nothing: name at least one of ${fields}`);
    }
  }

  /** A snapshot kept under a new name must still fit in the budget (one of this machine's is as big as its save document). */
  private snapshot(name: string, path: Path): void {
    if (this.snapshots.has(name)) return;
    this.snapshots.add(name);
    if (this.overBudget) return;
    if (this.snapshotSize < 0) this.snapshotSize = JSON.stringify(saveMachine(this.m)).length;
    const total = this.snapshots.size * this.snapshotSize;
    if (total <= this.snapshotBudget) return;
    this.overBudget = true;
    const { prefix } = fieldName(path);
    this.r.fail(
      [...path, 'snapshot'],
      `${prefix}with this one the scenario keeps ${this.snapshots.size} snapshots of ${bytesText(this.snapshotSize)} each (${bytesText(total)}), past the snapshot budget of ${bytesText(this.snapshotBudget)}`,
      false,
      'snapshotBudget',
    );
  }
}
