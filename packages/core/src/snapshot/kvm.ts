/**
 * The GIC as a VMM sees it through KVM's device attributes
 * (KVM_{GET,SET}_DEVICE_ATTR on a KVM_DEV_TYPE_ARM_VGIC_V2/V3 device,
 * Documentation/virt/kvm/devices/arm-vgic{,-v3}.rst): distributor and
 * redistributor registers by offset, the GICv2 CPU interface registers by
 * offset, the GICv3 CPU interface system registers by encoding, and the
 * input line levels 32 at a time.
 *
 * A thin layer over the machine: registers are served by the backend's own
 * register tables, except where KVM gives userspace other semantics than the
 * guest (vgic-mmio.c `uaccess` handlers). Which registers those are, and
 * the CPU interface groups, come from the backend's `kvm` capability
 * (`KvmSemantics`); a backend without it has only the groups that need no
 * register (interrupt count, control, line levels):
 *
 * - With redistributors, ISPENDR reads and writes the pending latch: each
 *   bit written sets or clears it, whatever the trigger; ICPENDR is RAZ/WI.
 *   Without, ISPENDR sets the latch (an SGI gets the accessing vCPU as its
 *   source), ICPENDR clears it (and an SGI's sources); both read the
 *   pending state.
 * - ISACTIVER/ICACTIVER change the active state without halting the guest,
 *   ignore hardware-mapped interrupts, and give an SGI with sources source 0.
 * - Line levels (KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO): 32 interrupts from a
 *   multiple of 32; a write sets `line_level` whatever the trigger and
 *   queues the interrupts it raises.
 *
 * KVM holds every vCPU out of the guest during an attribute access; so does
 * this: each access first makes every running vCPU exit.
 */
import { describeValue, high32, hostWord, isU64, low32 } from '../args.js';
import { sysregKey, type KvmCpuRegs, type KvmSemantics, type RegisterDef, type SysregDef, type SysregEncoding } from '../backend.js';
import { LINE_WORDS } from '../cache-line.js';
import { VgicError } from '../errors.js';
import { emulateRead, emulateWrite, registerAt, type IndexedFrame } from '../frames.js';
import { Machine } from '../machine.js';
import { readIrqBits } from '../mmio.js';
import { rethrowCallbackError } from '../notify.js';
import { queueIrqUnlock } from '../queue.js';
import { syncHwState } from '../sync.js';
import { quiesceMachine } from './save.js';
import { machineAffinities } from './affinity.js';
import { CONFIG_LEVEL, NONE, VCPU_RUNNING, type Vgic } from '../vgic.js';

/** Device attribute groups (arch/arm64/include/uapi/asm/kvm.h). */
export const KVM_DEV_ARM_VGIC_GRP_ADDR = 0;
export const KVM_DEV_ARM_VGIC_GRP_DIST_REGS = 1;
export const KVM_DEV_ARM_VGIC_GRP_CPU_REGS = 2;
export const KVM_DEV_ARM_VGIC_GRP_NR_IRQS = 3;
export const KVM_DEV_ARM_VGIC_GRP_CTRL = 4;
export const KVM_DEV_ARM_VGIC_GRP_REDIST_REGS = 5;
export const KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS = 6;
export const KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO = 7;

/** KVM_DEV_ARM_VGIC_GRP_CTRL attributes. */
export const KVM_DEV_ARM_VGIC_CTRL_INIT = 0;
/** Write the LPIs' pending state to the guest's pending tables (a GIC with LPIs). */
export const KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES = 3;
/** KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO: the info type of line levels, in attr bits 31:10. */
export const VGIC_LEVEL_INFO_LINE_LEVEL = 0;

function bad(message: string): never {
  throw new VgicError('INVALID_ARGUMENT', message);
}

function hex(n: number): string {
  return `0x${n.toString(16)}`;
}

/** An attribute (or a value) as KVM's ABI carries it: an unsigned 64-bit number. */
function u64(x: unknown, what: string): bigint {
  if (!isU64(x)) bad(`${what} is an unsigned 64-bit value (a whole number or a bigint); got ${describeValue(x)}`);
  return BigInt(x);
}

/** A 32-bit register value, as the 32-bit attribute groups carry it. */
function u32(x: unknown, what: string): number {
  return hostWord(x, what);
}

/** The first INTID an array register's word at `offset` covers (one bit per interrupt). */
function firstIntidOf(reg: RegisterDef, offset: number): number {
  const stride = reg.stride ?? 4;
  return (Math.floor((offset - reg.offset) / stride) + (reg.firstIndex ?? 0)) * 32;
}

export class KvmVgicDevice {
  readonly machine: Machine;
  private readonly kvm: KvmSemantics | null;
  private readonly dist: IndexedFrame | null;
  private readonly redist: IndexedFrame | null;
  private readonly sysregs: Map<number, SysregDef>;

  constructor(machine: Machine) {
    if (!Machine.isMachine(machine)) bad(`kvmDevice takes a machine; got ${describeValue(machine)}`);
    this.machine = machine;
    const kvm = machine.backend.kvm ?? null;
    this.kvm = kvm;
    // The machine's own index of its frames: the façade finds the registers a guest would.
    this.dist = kvm !== null ? (machine.frameMap.named(kvm.distributor) ?? null) : null;
    this.redist = kvm?.redistributor !== undefined ? (machine.frameMap.named(kvm.redistributor) ?? null) : null;
    const exposed = new Set(kvm?.cpuSysregs?.names ?? []);
    this.sysregs = new Map(machine.backend.sysregs.filter((r) => exposed.has(r.name)).map((r) => [sysregKey(r), r]));
  }

  private get v(): Vgic {
    return this.machine.vgic;
  }

  /** Private interrupts live in the redistributors, userspace sees pending latches, and attributes name vCPUs by affinity. */
  private get v3Model(): boolean {
    return this.redist !== null;
  }

  /** Every vCPU out of the guest, as KVM holds them during an attribute access. */
  private stopVcpus(): void {
    const v = this.v;
    for (let k = 0; k < v.nrVcpus; k++) if (v.runState[k * LINE_WORDS] === VCPU_RUNNING) syncHwState(v, k);
    // Every vCPU is out; a callback that failed meanwhile fails the access before it is made.
    rethrowCallbackError(v);
  }

  // ------------------------------------------------------------ raw attributes

  /**
   * KVM_GET_DEVICE_ATTR. `attr` is encoded as KVM encodes it: the vCPU in bits
   * 63:32 (GICv2: its index in 39:32; GICv3: its MPIDR affinity,
   * Aff3.Aff2.Aff1.Aff0), and the register offset, system register
   * encoding or INTID in the low bits.
   */
  getAttr(group: number, attr: bigint | number): bigint {
    const a = u64(attr, 'attr');
    const low = Number(a & 0xffffffffn);
    switch (group) {
      case KVM_DEV_ARM_VGIC_GRP_DIST_REGS:
        return BigInt(this.readDistReg(low, this.attrVcpu(a, true)));
      case KVM_DEV_ARM_VGIC_GRP_REDIST_REGS:
        return BigInt(this.readRedistReg(this.attrVcpu(a, false), low));
      case KVM_DEV_ARM_VGIC_GRP_CPU_REGS:
        return BigInt(this.readCpuReg(this.attrVcpu(a, false), low));
      case KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS:
        return this.readCpuSysreg(this.attrVcpu(a, false), low & 0xffff);
      case KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO:
        this.checkLevelInfoType(low);
        return BigInt(this.readLineLevel(low & 0x3ff, this.attrVcpu(a, false)));
      case KVM_DEV_ARM_VGIC_GRP_NR_IRQS:
        return BigInt(this.v.spiLimit);
      default:
        return bad(`attribute group ${describeValue(group)} cannot be read on this device`);
    }
  }

  /** KVM_SET_DEVICE_ATTR; `attr` as for `getAttr`. */
  setAttr(group: number, attr: bigint | number, value: bigint | number): void {
    const a = u64(attr, 'attr');
    const low = Number(a & 0xffffffffn);
    const val = u64(value, 'the attribute value');
    switch (group) {
      case KVM_DEV_ARM_VGIC_GRP_DIST_REGS:
        this.writeDistReg(low, u32(value, 'KVM_DEV_ARM_VGIC_GRP_DIST_REGS'), this.attrVcpu(a, true));
        return;
      case KVM_DEV_ARM_VGIC_GRP_REDIST_REGS:
        this.writeRedistReg(this.attrVcpu(a, false), low, u32(value, 'KVM_DEV_ARM_VGIC_GRP_REDIST_REGS'));
        return;
      case KVM_DEV_ARM_VGIC_GRP_CPU_REGS:
        this.writeCpuReg(this.attrVcpu(a, false), low, u32(value, 'KVM_DEV_ARM_VGIC_GRP_CPU_REGS'));
        return;
      case KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS:
        this.writeCpuSysreg(this.attrVcpu(a, false), low & 0xffff, val);
        return;
      case KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO:
        this.checkLevelInfoType(low);
        this.writeLineLevel(low & 0x3ff, u32(value, 'KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO'), this.attrVcpu(a, false));
        return;
      case KVM_DEV_ARM_VGIC_GRP_NR_IRQS:
        if (Number(val) !== this.v.spiLimit) {
          throw new VgicError('INVALID_STATE', `the machine has ${this.v.spiLimit} interrupts, fixed when it was made; got ${val}`);
        }
        return;
      case KVM_DEV_ARM_VGIC_GRP_CTRL: {
        const save = this.machine.backend.kvm?.savePendingTables;
        if (low === KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES && save !== undefined) {
          // As KVM, with every vCPU stopped: a pending state a list register holds is folded back first.
          quiesceMachine(this.machine);
          save(this.v);
          return;
        }
        if (low !== KVM_DEV_ARM_VGIC_CTRL_INIT) {
          const also = save !== undefined ? ' and KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES' : '';
          bad(`KVM_DEV_ARM_VGIC_GRP_CTRL attribute ${low} is not supported (only KVM_DEV_ARM_VGIC_CTRL_INIT${also})`);
        }
        return; // A machine is initialised when it is made.
      }
      default:
        bad(`attribute group ${describeValue(group)} cannot be written on this device`);
    }
  }

  private checkLevelInfoType(low: number): void {
    const type = low >>> 10;
    if (type !== VGIC_LEVEL_INFO_LINE_LEVEL) bad(`level info type ${type} is not supported (only VGIC_LEVEL_INFO_LINE_LEVEL, 0)`);
  }

  /** The vCPU an attribute names: by index (bits 39:32), or with redistributors by affinity (bits 63:32). */
  private attrVcpu(attr: bigint, distributor: boolean): number {
    const field = Number(attr >> 32n);
    if (this.v3Model) {
      if (distributor) return 0;
      const k = (machineAffinities(this.machine) ?? []).indexOf(field >>> 0);
      if (k < 0) bad(`no vCPU has affinity ${hex(field)} (Aff3.Aff2.Aff1.Aff0 in attr bits 63:32)`);
      return k;
    }
    const cpuid = field & 0xff;
    if (cpuid >= this.v.nrVcpus) bad(`vCPU ${cpuid} does not exist; this machine has vCPUs 0..${this.v.nrVcpus - 1}`);
    return cpuid;
  }


  // ------------------------------------------------------------ distributor and redistributors

  /** KVM_DEV_ARM_VGIC_GRP_DIST_REGS read: a 32-bit distributor register; `vcpu` banks GICv2's private interrupts. */
  readDistReg(offset: number, vcpu = 0): number {
    this.machine.checkVcpu(vcpu);
    const reg = this.register(this.dist, 'KVM_DEV_ARM_VGIC_GRP_DIST_REGS', offset);
    this.stopVcpus();
    return this.readReg(reg, vcpu, offset, this.v3Model);
  }

  writeDistReg(offset: number, value: number, vcpu = 0): void {
    this.machine.checkVcpu(vcpu);
    const reg = this.register(this.dist, 'KVM_DEV_ARM_VGIC_GRP_DIST_REGS', offset);
    const val = u32(value, 'KVM_DEV_ARM_VGIC_GRP_DIST_REGS');
    this.stopVcpus();
    this.writeReg(reg, vcpu, offset, val, this.v3Model);
    rethrowCallbackError(this.v);
  }

  /** KVM_DEV_ARM_VGIC_GRP_REDIST_REGS read (GICv3): a 32-bit register of `vcpu`'s redistributor (RD_base, then SGI_base at +0x10000). */
  readRedistReg(vcpu: number, offset: number): number {
    this.machine.checkVcpu(vcpu);
    const reg = this.register(this.redist, 'KVM_DEV_ARM_VGIC_GRP_REDIST_REGS', offset);
    this.stopVcpus();
    return this.readReg(reg, vcpu, offset, false);
  }

  writeRedistReg(vcpu: number, offset: number, value: number): void {
    this.machine.checkVcpu(vcpu);
    const reg = this.register(this.redist, 'KVM_DEV_ARM_VGIC_GRP_REDIST_REGS', offset);
    const val = u32(value, 'KVM_DEV_ARM_VGIC_GRP_REDIST_REGS');
    this.stopVcpus();
    this.writeReg(reg, vcpu, offset, val, false);
    rethrowCallbackError(this.v);
  }

  /** The register a 32-bit access at `offset` reaches, found as a guest's access finds it. */
  private register(frame: IndexedFrame | null, group: string, offset: number): RegisterDef {
    if (frame === null) return bad(`${group} is not available on GIC${this.machine.version}`);
    if (typeof offset !== 'number' || offset >>> 0 !== offset || offset % 4 !== 0) {
      return bad(`${group} takes 32-bit accesses at offsets that are a multiple of 4; got ${describeValue(offset)}`);
    }
    const reg = registerAt(frame, offset, 32);
    if (reg === null) return bad(`${frame.frame.name}+${hex(offset)} is no register of GIC${this.machine.version}`);
    return reg;
  }

  /** `privateInRedist`: a GICv3 distributor's words for INTIDs 0-31 are RAZ/WI. */
  private readReg(reg: RegisterDef, vcpu: number, offset: number, privateInRedist: boolean): number {
    const v = this.v;
    const bits = reg.stateBits;
    if (bits !== undefined) {
      const intid0 = firstIntidOf(reg, offset);
      if (privateInRedist && intid0 < 32) return 0;
      if (bits.state === 'active') return readIrqBits(v, vcpu, intid0, 32, 'active');
      if (this.v3Model) return bits.set ? this.readLatches(vcpu, intid0) : 0;
      return readIrqBits(v, vcpu, intid0, 32, 'pending');
    }
    return emulateRead(v, reg, vcpu, offset, 32, false);
  }

  private writeReg(reg: RegisterDef, vcpu: number, offset: number, value: number, privateInRedist: boolean): void {
    const bits = reg.stateBits;
    if (bits !== undefined) {
      const intid0 = firstIntidOf(reg, offset);
      if (privateInRedist && intid0 < 32) return;
      const set = bits.set;
      if (bits.state === 'active') this.writeActive(vcpu, intid0, value, set);
      else if (this.v3Model) {
        if (set) this.writeLatches(vcpu, intid0, value);
      } else this.writePendingV2(vcpu, intid0, value, set);
      return;
    }
    emulateWrite(this.v, reg, vcpu, offset, 32, value, 0);
  }

  private slot(vcpu: number, intid: number): number {
    const v = this.v;
    if (intid < 32) return vcpu * 32 + intid;
    return intid < v.spiLimit ? v.nrVcpus * 32 + intid - 32 : NONE;
  }

  private readLatches(vcpu: number, intid0: number): number {
    let value = 0;
    for (let i = 0; i < 32; i++) {
      const s = this.slot(vcpu, intid0 + i);
      if (s !== NONE && this.v.pendingLatch[s] !== 0) value |= 1 << i;
    }
    return value >>> 0;
  }

  /** Userspace ISPENDR with redistributors: each bit is the new latch, whatever the trigger (vgic_v3_uaccess_write_pending). */
  private writeLatches(vcpu: number, intid0: number, value: number): void {
    const v = this.v;
    for (let i = 0; i < 32; i++) {
      const s = this.slot(vcpu, intid0 + i);
      if (s === NONE) continue;
      v.lockIrq(s);
      v.pendingLatch[s] = (value >>> i) & 1;
      if (v.pendingLatch[s] !== 0) queueIrqUnlock(v, s);
      else v.unlockIrq(s);
    }
  }

  /** Userspace ISPENDR/ICPENDR without redistributors: an SGI's real source cannot be restored, so the vCPU itself stands in. */
  private writePendingV2(vcpu: number, intid0: number, value: number, set: boolean): void {
    const v = this.v;
    for (let i = 0; i < 32; i++) {
      if (((value >>> i) & 1) === 0) continue;
      const s = this.slot(vcpu, intid0 + i);
      if (s === NONE) continue;
      const sgi = v.sgiSources && intid0 + i < 16;
      v.lockIrq(s);
      if (set) {
        if (sgi) v.sgiSrc[s] = v.sgiSrc[s]! | (1 << vcpu);
        v.pendingLatch[s] = 1;
        queueIrqUnlock(v, s);
      } else {
        if (sgi) v.sgiSrc[s] = 0;
        v.pendingLatch[s] = 0;
        v.unlockIrq(s);
      }
    }
  }

  /** Userspace ISACTIVER/ICACTIVER (vgic_mmio_change_active with no requesting vCPU). */
  private writeActive(vcpu: number, intid0: number, value: number, active: boolean): void {
    const v = this.v;
    for (let i = 0; i < 32; i++) {
      if (((value >>> i) & 1) === 0) continue;
      const s = this.slot(vcpu, intid0 + i);
      if (s === NONE) continue;
      v.lockIrq(s);
      // KVM ignores userspace for a hardware-mapped interrupt: its active state is the host's.
      if (v.hw[s] !== 0) {
        v.unlockIrq(s);
        continue;
      }
      v.active[s] = active ? 1 : 0;
      if (active && v.sgiSources && intid0 + i < 16) v.activeSrc[s] = 0;
      if (active) queueIrqUnlock(v, s);
      else v.unlockIrq(s);
    }
  }

  // ------------------------------------------------------------ CPU interface

  /** KVM_DEV_ARM_VGIC_GRP_CPU_REGS read: a CPU interface register of `vcpu` by offset, as the backend's `kvm.cpuRegs` serves it. */
  readCpuReg(vcpu: number, offset: number): number {
    this.machine.checkVcpu(vcpu);
    const regs = this.cpuRegs(offset);
    this.stopVcpus();
    return regs.read(this.v, vcpu, offset) >>> 0;
  }

  writeCpuReg(vcpu: number, offset: number, value: number): void {
    this.machine.checkVcpu(vcpu);
    const regs = this.cpuRegs(offset);
    const val = u32(value, 'KVM_DEV_ARM_VGIC_GRP_CPU_REGS');
    this.stopVcpus();
    regs.write(this.v, vcpu, offset, val);
  }

  private cpuRegs(offset: number): KvmCpuRegs {
    const regs = this.kvm?.cpuRegs;
    if (regs === undefined) {
      const other = this.kvm?.cpuSysregs !== undefined ? `; its CPU interface is KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS` : '';
      return bad(`KVM_DEV_ARM_VGIC_GRP_CPU_REGS is not available on GIC${this.machine.version}${other}`);
    }
    if (typeof offset !== 'number' || offset >>> 0 !== offset) return bad(`KVM_DEV_ARM_VGIC_GRP_CPU_REGS takes a register offset; got ${describeValue(offset)}`);
    const problem = regs.check(offset);
    if (problem !== null) bad(problem);
    return regs;
  }

  /**
   * KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS read: a CPU interface system register of
   * `vcpu` the backend's `kvm.cpuSysregs` exposes, by encoding (an object, or
   * the packed op0:op1:CRn:CRm:op2 of the attribute's low 16 bits).
   */
  readCpuSysreg(vcpu: number, enc: SysregEncoding | number): bigint {
    this.machine.checkVcpu(vcpu);
    const r = this.cpuSysreg(enc);
    this.stopVcpus();
    if (r.read === undefined) return 0n;
    return BigInt(r.read(this.v, vcpu) >>> 0);
  }

  writeCpuSysreg(vcpu: number, enc: SysregEncoding | number, value: bigint | number): void {
    this.machine.checkVcpu(vcpu);
    const r = this.cpuSysreg(enc);
    const val = u64(value, r.name);
    const v = this.v;
    const problem = this.kvm!.cpuSysregs!.checkWrite(v, vcpu, r, val);
    if (problem !== null) bad(problem);
    this.stopVcpus();
    r.write?.(v, vcpu, low32(val), high32(val));
    // The vCPU is outside: a maintenance request its CPU interface raised
    // has no guest to interrupt.
    v.maintenancePending[vcpu] = 0;
    rethrowCallbackError(v);
  }

  private cpuSysreg(enc: SysregEncoding | number): SysregDef {
    const sys = this.kvm?.cpuSysregs;
    if (sys === undefined) {
      const other = this.kvm?.cpuRegs !== undefined ? `; its CPU interface is KVM_DEV_ARM_VGIC_GRP_CPU_REGS` : '';
      return bad(`KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS is not available on GIC${this.machine.version}${other}`);
    }
    const key = typeof enc === 'number' ? enc : sysregKey(enc);
    const r = this.sysregs.get(key);
    if (r === undefined) return bad(`system register ${typeof key === 'number' && key >= 0 ? hex(key) : describeValue(enc)} is not one KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS exposes (${sys.names.join(', ')})`);
    const problem = sys.available(this.v, r);
    if (problem !== null) bad(problem);
    return r;
  }

  // ------------------------------------------------------------ line levels

  /**
   * KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO read: bit i set when INTID intid0+i is
   * level-triggered and its line is high. `intid0` is a multiple of 32; SGIs
   * and INTIDs this machine does not have read as 0. `vcpu` banks the PPIs.
   */
  readLineLevel(intid0: number, vcpu = 0): number {
    this.checkLevelRange(intid0, vcpu);
    this.stopVcpus();
    const v = this.v;
    let value = 0;
    for (let i = 0; i < 32; i++) {
      const intid = intid0 + i;
      if (intid < 16) continue;
      const s = this.slot(vcpu, intid);
      if (s !== NONE && v.config[s] === CONFIG_LEVEL && v.lineLevel[s] !== 0) value |= 1 << i;
    }
    return value >>> 0;
  }

  /** KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO write: `line_level` = bit i, whatever the trigger; a raised line is queued. */
  writeLineLevel(intid0: number, bits: number, vcpu = 0): void {
    this.checkLevelRange(intid0, vcpu);
    u32(bits, 'the line levels');
    this.stopVcpus();
    const v = this.v;
    for (let i = 0; i < 32; i++) {
      const intid = intid0 + i;
      if (intid < 16) continue;
      const s = this.slot(vcpu, intid);
      if (s === NONE) continue;
      v.lockIrq(s);
      v.lineLevel[s] = (bits >>> i) & 1;
      if (v.lineLevel[s] !== 0) queueIrqUnlock(v, s);
      else v.unlockIrq(s);
    }
    rethrowCallbackError(v);
  }

  private checkLevelRange(intid0: number, vcpu: number): void {
    this.machine.checkVcpu(vcpu);
    if (!Number.isInteger(intid0) || intid0 < 0 || intid0 > 1023 || intid0 % 32 !== 0) {
      bad(`line levels are read and written 32 at a time from an INTID that is a multiple of 32 (0..992); got ${describeValue(intid0)}`);
    }
  }
}

/** The KVM device-attribute view of a machine (see `KvmVgicDevice`). */
export function kvmDevice(m: Machine): KvmVgicDevice {
  return new KvmVgicDevice(m);
}
