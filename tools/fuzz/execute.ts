/**
 * Runs one fuzz case: builds the machine, maps each abstract operation onto
 * it, and lets the recorder check the machine after every call. Returns the
 * first failure (or null) and, when asked, every call made.
 */
import {
  KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO,
  isVgicError,
  kvmDevice,
  restoreMachine,
  saveMachine,
  type AccessWidth,
  type FrameDef,
  type KvmVgicDevice,
  type Machine,
  type SysregDef,
} from '@vgic/core';
import type { GuestOps } from '@vgic/core/testing';
import { buildMachine, guestOps, newRam, type GicVersion, type MachineConfig } from './config.js';
import { ItsExecutor, ItsSpace, checkMsis, itsProblem } from './its-exec.js';
import type { BringUp, FuzzCase, Op } from './ops.js';
import { FuzzFailure, Recorder, describeError, type ExtraCheck, type Recorded } from './recorder.js';

export interface CaseResult {
  failure: { message: string; call: number } | null;
  /** Every call made, when recording (else empty). */
  records: Recorded[];
}

export interface RunOptions {
  record?: boolean;
  /** An extra property checked after every call (tests plant failures with it). */
  extraCheck?: ExtraCheck;
}

/** A register by name: array registers at any of their indices. */
interface NamedRegister {
  name: string;
  /** Array elements (1 for a single register). */
  count: number;
  first: number;
  perVcpu: boolean;
}

/** One acknowledged interrupt: the raw IAR value and the group it was taken in. */
interface Taken {
  raw: number;
  group: number | undefined;
}

/** Tables a case's indices point into, for one machine. */
class Space {
  readonly n: number;
  /** The first INTID past the SPIs. */
  readonly limit: number;
  /** INTIDs the guest may name: SGIs, PPIs, SPIs of this machine. */
  readonly guestIntids: number[];
  readonly spis: number[];
  /** INTIDs the host may name: valid ones first, then SGIs, reserved, out of range (and LPIs, which it may not inject). */
  readonly hostIntids: number[];
  /** What the guest may EOI or deactivate by INTID: guestIntids, and with LPIs some of them. */
  readonly eoiIntids: number[];
  /** The INTID bits of an IAR value: 24 on GICv3 (LPIs), 10 on GICv2 (above them the source CPU of an SGI). */
  readonly intidMask: number;
  readonly frames: readonly FrameDef[];
  readonly sysregs: readonly SysregDef[];
  readonly named: NamedRegister[];

  constructor(m: Machine) {
    this.n = m.vcpus;
    const limit = 32 + m.spis;
    this.limit = limit;
    this.spis = m.spis > 0 ? unique([32, 33, 34, 35, 40, limit - 1].filter((i) => i < limit)) : [];
    this.guestIntids = [1, 27, ...this.spis.slice(0, 2), 0, 2, 15, 16, 20, 31, ...this.spis.slice(2)];
    this.hostIntids = unique([27, ...this.spis.slice(0, 2), 16, 20, 31, ...this.spis.slice(2), 0, 15, limit, 1020, 1023, 8192, 4294967295]);
    const lpis = m.vgic.nrLpis > 0 ? [8192, 8193, 8192 + m.vgic.nrLpis - 1, 8192 + m.vgic.nrLpis] : [];
    this.eoiIntids = [...this.guestIntids, ...lpis];
    this.intidMask = m.version === 'v2' ? 0x3ff : 0xff_ffff;
    this.frames = m.frames;
    this.sysregs = m.backend.sysregs;
    this.named = [];
    for (const f of m.frames) {
      for (const r of f.registers) {
        this.named.push({ name: r.name, count: r.count ?? 1, first: r.firstIndex ?? 0, perVcpu: f.perVcpu });
      }
    }
    for (const s of this.sysregs) this.named.push({ name: s.name, count: 1, first: 0, perVcpu: false });
  }

  vcpu(i: number): number {
    return i % this.n;
  }

  /**
   * Mostly a vCPU of the machine; index 7 names one that does not exist —
   * only for a call that would otherwise be valid, so that it fails for that
   * one reason (a scenario step may expect one error).
   */
  hostVcpu(i: number, intid: number | null = null): number {
    const valid = intid === null || (intid >= 16 && intid < this.limit);
    return i === 7 && valid ? this.n : i % this.n;
  }

  guestIntid(i: number): number {
    return this.guestIntids[i % this.guestIntids.length]!;
  }

  eoiIntid(i: number): number {
    return this.eoiIntids[i % this.eoiIntids.length]!;
  }

  /** Not a spurious INTID (1020..1023): something the guest acknowledged. */
  acknowledged(raw: number): boolean {
    const intid = raw & this.intidMask;
    return intid < 1020 || intid > 1023;
  }

  hostIntid(i: number): number {
    return this.hostIntids[i % this.hostIntids.length]!;
  }

  spi(i: number): number | null {
    return this.spis.length === 0 ? null : this.spis[i % this.spis.length]!;
  }
}

function unique(xs: number[]): number[] {
  return [...new Set(xs)];
}

class Runner {
  readonly m: Machine;
  readonly guest: GuestOps;
  readonly rec: Recorder;
  readonly space: Space;
  /** Per vCPU: acknowledged and not yet EOI'd; EOI'd and not yet deactivated. */
  private taken: Taken[][];
  private dropped: Taken[][];
  private saved: { doc: unknown; taken: Taken[][]; dropped: Taken[][] } | null = null;
  private kvmDev: KvmVgicDevice | null = null;
  /** LPIs and the ITS, on a machine that has them. */
  private readonly its: ItsExecutor | null;

  private get kvm(): KvmVgicDevice {
    this.kvmDev ??= kvmDevice(this.m);
    return this.kvmDev;
  }

  /** The LEVEL_INFO attribute for vCPU `k` (a vCPU that does not exist stays out of range). */
  private levelInfoAttr(k: number, first: number): bigint {
    return (BigInt(levelInfoVcpuField(this.m, k)) << 32n) | BigInt(first);
  }

  constructor(gic: GicVersion, c: FuzzCase<MachineConfig>, options: RunOptions) {
    const ram = newRam(c.config);
    this.m = buildMachine(gic, c.config, ram);
    this.guest = guestOps(gic);
    const extra = options.extraCheck ?? null;
    // With an ITS, its tables and the LPIs they hold must agree too.
    const check: ExtraCheck | null = ram === null ? extra : (m) => itsProblem(m) ?? extra?.(m) ?? null;
    this.rec = new Recorder(this.m, options.record ?? false, check);
    this.space = new Space(this.m);
    this.its = ram !== null && c.config.its !== null ? new ItsExecutor(this.m, this.guest, this.rec, new ItsSpace(this.m, c.config.its, ram)) : null;
    if (this.its !== null) checkMsis(this.m, this.rec);
    this.taken = Array.from({ length: this.m.vcpus }, () => []);
    this.dropped = Array.from({ length: this.m.vcpus }, () => []);
  }

  bringUp(b: BringUp): void {
    const { m, guest, space } = this;
    guest.init(m, { eoiMode: b.eoiMode });
    if (b.lpis === true) this.its?.lpiUp(0xa0);
    if (!b.enableAll) return;
    space.guestIntids.forEach((intid, i) => {
      const count = intid < 32 ? Math.min(m.vcpus, 4) : 1;
      for (let k = 0; k < count; k++) {
        guest.setPriority(m, intid, 0x10 + 0x08 * i, k);
        guest.enable(m, intid, k);
      }
      if (intid >= 32) guest.route(m, intid, i % m.vcpus);
    });
  }

  /** One operation. Host misuse (a VgicError the recorder accepted) is swallowed; anything else propagates. */
  op(op: Op): void {
    try {
      this.perform(op);
    } catch (e) {
      if (e instanceof FuzzFailure) throw e;
      if (isVgicError(e) && isHostOp(op)) return;
      throw new FuzzFailure(`the ${op.kind} operation threw: ${describeError(e)}`, this.rec.calls);
    }
  }

  private perform(op: Op): void {
    const { m, guest, space } = this;
    switch (op.kind) {
      case 'inject': {
        const intid = space.hostIntid(op.intid);
        const k = space.hostVcpu(op.vcpu, intid);
        m.inject(intid, op.level, intid < 32 || k >= space.n ? k : undefined);
        return;
      }
      case 'lineLevel': {
        const intid = space.hostIntid(op.intid);
        const k = space.hostVcpu(op.vcpu, intid);
        m.setLineLevel(intid, op.level, intid < 32 || k >= space.n ? k : undefined);
        return;
      }
      case 'map': {
        const intid = space.hostIntid(op.intid);
        const k = space.hostVcpu(op.vcpu, intid);
        m.mapHw(intid, op.host, intid < 32 || k >= space.n ? k : undefined);
        return;
      }
      case 'levelInfo': {
        // INTID words 0..31 (the machine's and beyond), or past 1023, where the attribute is not a line level.
        const first = (op.first < 32 ? op.first : op.first * 7) * 32;
        const k = space.hostVcpu(op.vcpu);
        const attr = this.levelInfoAttr(k, first);
        this.rec.hostCall(
          () => ({ t: 'levelInfo', first, bits: op.bits, vcpu: k }),
          () => this.kvm.setAttr(KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO, attr, op.bits),
        );
        return;
      }
      case 'unmap': {
        const intid = space.hostIntid(op.intid);
        const k = space.hostVcpu(op.vcpu, intid);
        m.unmapHw(intid, intid < 32 || k >= space.n ? k : undefined);
        return;
      }
      case 'run':
        m.enter(space.hostVcpu(op.vcpu));
        return;
      case 'exit':
        m.exit(space.hostVcpu(op.vcpu));
        return;
      case 'snapshot':
        this.rec.checkpoint({ t: 'snapshot' }, () => {
          this.saved = { doc: structuredClone(saveMachine(m)), taken: copy(this.taken), dropped: copy(this.dropped) };
        });
        return;
      case 'restore': {
        const saved = this.saved;
        if (saved === null) return;
        this.rec.checkpoint({ t: 'restore' }, () => restoreMachine(m, saved.doc));
        this.taken = copy(saved.taken);
        this.dropped = copy(saved.dropped);
        return;
      }
      case 'guest':
        this.guestCall(op);
        return;
      case 'ack': {
        const k = space.vcpu(op.vcpu);
        const group = op.group < 0 ? undefined : op.group;
        const raw = guest.ackRaw(m, k, group);
        if (space.acknowledged(raw)) this.taken[k]!.push({ raw, group });
        return;
      }
      case 'eoi': {
        const k = space.vcpu(op.vcpu);
        const t = op.fromStack ? this.taken[k]!.pop() : undefined;
        const raw = t?.raw ?? space.eoiIntid(op.intid);
        const group = op.group >= 0 ? op.group : t?.group;
        guest.eoi(m, k, raw & space.intidMask, raw, group);
        this.dropped[k]!.push({ raw, group });
        return;
      }
      case 'dir': {
        const k = space.vcpu(op.vcpu);
        const list = this.dropped[k]!;
        const t = op.fromStack && list.length > 0 ? list.splice(op.intid % list.length, 1)[0] : undefined;
        const raw = t?.raw ?? space.eoiIntid(op.intid);
        guest.dir(m, k, raw & space.intidMask, raw);
        return;
      }
      case 'reg': {
        const r = space.named[op.reg % space.named.length]!;
        const name = r.count > 1 ? `${r.name}${r.first + (op.index % r.count)}` : r.name;
        const k = space.vcpu(op.vcpu);
        const o = { vcpu: k, ...(op.width !== 0 && { width: op.width as AccessWidth }), ...(r.perVcpu && { rd: space.vcpu(op.rd) }) };
        if (op.write) m.writeRegister(name, op.value, o);
        else m.readRegister(name, o);
        return;
      }
      case 'mmio': {
        const f = space.frames[op.frame % space.frames.length]!;
        const offset = op.offset % f.size;
        const addr = f.base + (f.perVcpu ? space.vcpu(op.rd) * f.size : 0) + offset;
        const k = space.vcpu(op.vcpu);
        const width = op.width as AccessWidth;
        if (op.write) m.mmioWrite(k, addr, width, width === 64 ? op.value : Number(BigInt.asUintN(width, op.value)));
        else m.mmioRead(k, addr, width);
        return;
      }
      case 'lpiUp':
      case 'itsCmd':
      case 'msi':
      case 'prop':
      case 'poke':
      case 'enableLpis':
      case 'kvmIts':
      case 'deviceTable':
      case 'propIdBits':
        this.its?.perform(op);
        return;
      case 'sysreg': {
        if (space.sysregs.length === 0) return;
        const s = space.sysregs[op.reg % space.sysregs.length]!;
        const k = space.vcpu(op.vcpu);
        if (op.write) m.sysregWrite(k, s, op.value);
        else m.sysregRead(k, s);
        return;
      }
    }
  }

  private guestCall(op: Extract<Op, { kind: 'guest' }>): void {
    const { m, guest, space } = this;
    const k = space.vcpu(op.vcpu);
    const intid = space.guestIntid(op.intid);
    switch (op.call) {
      case 'init':
        guest.init(m, { eoiMode: (op.value & 1) as 0 | 1 });
        return;
      case 'enable':
      case 'disable':
      case 'setPending':
      case 'clearPending':
      case 'setActive':
      case 'clearActive':
        guest[op.call](m, intid, k);
        return;
      case 'setPriority':
        guest.setPriority(m, intid, op.value, k);
        return;
      case 'setGroup':
        guest.setGroup(m, intid, op.value & 1, k);
        return;
      case 'setEdge':
      case 'route':
      case 'routeNowhere': {
        const spi = space.spi(op.intid);
        if (spi === null) return;
        if (op.call === 'setEdge') guest.setEdge(m, spi, (op.value & 1) === 1);
        else if (op.call === 'route') guest.route(m, spi, space.vcpu(op.targets));
        else guest.routeNowhere(m, spi);
        return;
      }
      case 'setPmr':
        guest.setPmr(m, k, op.value);
        return;
      case 'setBpr':
        guest.setBpr(m, k, op.value & 7);
        return;
      case 'setEoiMode':
        guest.setEoiMode(m, k, (op.value & 1) as 0 | 1);
        return;
      case 'setGroupEnable':
        guest.setGroupEnable(m, k, op.value & 1, (op.value & 2) !== 0);
        return;
      case 'setDistributorEnable':
        if (guest.setDistributorEnable) guest.setDistributorEnable(m, op.value & 3);
        else m.writeRegister('GICD_CTLR', op.value & 3, { vcpu: k });
        return;
      case 'sendSgi': {
        const to: number[] = [];
        for (let j = 0; j < space.n; j++) if ((op.targets >> j) & 1) to.push(j);
        guest.sendSgi(m, k, to.length > 0 ? to : [k], op.value & 15);
        return;
      }
      case 'broadcastSgi':
        guest.broadcastSgi(m, k, op.value & 15);
        return;
      case 'runningPriority':
        guest.runningPriority(m, k);
        return;
      case 'highestPending':
        guest.highestPending(m, k);
        return;
    }
  }
}

function isHostOp(op: Op): boolean {
  return (
    op.kind === 'inject' ||
    op.kind === 'lineLevel' ||
    op.kind === 'levelInfo' ||
    op.kind === 'map' ||
    op.kind === 'unmap' ||
    op.kind === 'run' ||
    op.kind === 'exit' ||
    op.kind === 'msi' ||
    op.kind === 'kvmIts'
  );
}

/**
 * How a KVM device attribute names vCPU `k`: GICv2 by index, GICv3 by its
 * affinity (GICR_TYPER's upper word; a vCPU that does not exist gets an
 * affinity no vCPU has).
 */
export function levelInfoVcpuField(m: Machine, k: number): number {
  if (m.version === 'v2') return k;
  if (k >= m.vcpus) return 0xffff_ffff;
  return Number(affinityOf(m, k));
}

function affinityOf(m: Machine, k: number): bigint {
  const v = m.vgic;
  // GICR_TYPER[63:32] of vCPU k, read without a guest access.
  const f = m.frames.find((x) => x.perVcpu)!;
  const typer = f.registers.find((r) => r.name === 'GICR_TYPER')!;
  return BigInt(typer.read(v, k, typer.offset + 4, 32) >>> 0);
}

function copy(lists: Taken[][]): Taken[][] {
  return lists.map((l) => l.map((t) => ({ ...t })));
}

/** Run one case; the first failure stops it. */
export function runCase(gic: GicVersion, c: FuzzCase<MachineConfig>, options: RunOptions = {}): CaseResult {
  let r: Runner | null = null;
  try {
    r = new Runner(gic, c, options);
    if (c.bringUp !== null) r.bringUp(c.bringUp);
    for (const op of c.ops) r.op(op);
    return { failure: null, records: r.rec.records };
  } catch (e) {
    const records = r?.rec.records ?? [];
    if (e instanceof FuzzFailure) return { failure: { message: e.message, call: e.call }, records };
    return { failure: { message: `the case could not run: ${describeError(e)}`, call: r?.rec.calls ?? 0 }, records };
  }
}
