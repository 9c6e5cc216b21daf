/**
 * What a guest's interrupt handler on a vCPU thread works with: its
 * machine, its vCPU, and the three accesses every handler makes —
 * acknowledge, end of interrupt, deactivate — plus sending an SGI, each as
 * the guest's own instruction (a CPU-interface access served from the list
 * registers, or a trapped one).
 *
 * Which registers those are is found by name once, at start-up: a machine
 * with `ICC_IAR1_EL1` has the GICv3 system-register interface (Group 1,
 * `ICC_EOIR1_EL1`, `ICC_DIR_EL1`, SGIs by `ICC_SGI1R_EL1`); one with
 * `GICC_IAR` has GICv2's memory-mapped one (`GICC_EOIR`, `GICC_DIR`, SGIs by
 * `GICD_SGIR`). The hot calls then go straight to `sysregRead32` /
 * `mmioRead` with the resolved encoding or address.
 */
import { sysregKey } from '../backend.js';
import { VgicError, isVgicError } from '../errors.js';
import type { Machine } from '../machine.js';
import type { Vgic } from '../vgic.js';
import type { ThreadControl } from './control.js';
import { hostRegisterRead } from './host-access.js';

/** What a vCPU thread counts; the main thread gets it at the end. */
export interface VcpuCounters {
  vcpu: number;
  /** Entries (flush). */
  entries: number;
  /** Acknowledges that returned an interrupt. */
  acks: number;
  /** Acknowledges that found nothing (1023/1022). */
  spurious: number;
  eois: number;
  dirs: number;
  /** SGIs the guest sent. */
  sgisSent: number;
  /** Times the vCPU went to sleep in WFI (Atomics.wait). */
  wfiSleeps: number;
  /** WFI sleeps a kick ended (or a kick that came before the vCPU slept). */
  kicks: number;
  /** WFI sleeps that ended by the timeout, with no kick. */
  wfiTimeouts: number;
  /** Lock-order violations this thread broke, caught by the runner. */
  lockOrderViolations: number;
  /** The first few errors caught, as messages. */
  errors: string[];
  /** The guest's own counters (`Guest.report`). */
  guest: Record<string, number>;
}

export function emptyCounters(vcpu: number): VcpuCounters {
  return {
    vcpu,
    entries: 0,
    acks: 0,
    spurious: 0,
    eois: 0,
    dirs: 0,
    sgisSent: 0,
    wfiSleeps: 0,
    kicks: 0,
    wfiTimeouts: 0,
    lockOrderViolations: 0,
    errors: [],
    guest: {},
  };
}

/** An INTID of 1020 or more from IAR means nothing was acknowledged. */
export function isSpuriousIntid(intid: number): boolean {
  return intid >= 1020;
}

/**
 * The registers a guest's handler uses, by name, and how its SGI register
 * encodes targets: `list` as GICD_SGIR (CPUTargetList [23:16], INTID [3:0]),
 * `affinity` as ICC_SGI1R_EL1 (TargetList, Aff1..Aff3, INTID [27:24]).
 * Each name may be a system register or a memory-mapped one.
 */
export interface CpuInterfaceNames {
  iar: string;
  eoir: string;
  dir: string;
  sgi: string;
  sgiFormat: 'list' | 'affinity';
}

/** GICv3's system-register interface, Group 1. */
export const GICV3_CPU_INTERFACE: CpuInterfaceNames = {
  iar: 'ICC_IAR1_EL1',
  eoir: 'ICC_EOIR1_EL1',
  dir: 'ICC_DIR_EL1',
  sgi: 'ICC_SGI1R_EL1',
  sgiFormat: 'affinity',
};

/** GICv2's memory-mapped CPU interface (GICC) and distributor SGI register. */
export const GICV2_CPU_INTERFACE: CpuInterfaceNames = {
  iar: 'GICC_IAR',
  eoir: 'GICC_EOIR',
  dir: 'GICC_DIR',
  sgi: 'GICD_SGIR',
  sgiFormat: 'list',
};

function has(m: Machine, name: string): boolean {
  try {
    m.resolve(name);
    return true;
  } catch (e) {
    if (isVgicError(e, 'UNKNOWN_REGISTER')) return false;
    throw e;
  }
}

/** The interface of a machine whose registers carry the architecture's names. */
export function defaultCpuInterface(m: Machine): CpuInterfaceNames {
  if (has(m, GICV3_CPU_INTERFACE.iar)) return GICV3_CPU_INTERFACE;
  if (has(m, GICV2_CPU_INTERFACE.iar)) return GICV2_CPU_INTERFACE;
  throw new VgicError('UNKNOWN_REGISTER', `GIC${m.version} has neither ICC_IAR1_EL1 nor GICC_IAR: name its CPU interface registers (CpuInterfaceNames)`);
}

/**
 * The affinity of vCPU `k` (Aff0..Aff2 in bits 23:0, Aff3 in 31:24): from
 * its redistributor's GICR_TYPER[63:32] when the machine has one, else the
 * default MPIDR KVM gives vCPU k.
 */
function affinityOf(m: Machine, k: number): number {
  if (has(m, 'GICR_TYPER')) return Number(hostRegisterRead(m, 'GICR_TYPER', { vcpu: k, rd: k }) >> 32n) >>> 0;
  return (k & 0xf) | (((k >> 4) & 0xff) << 8) | (((k >> 12) & 0xff) << 16);
}

/** A register resolved for the hot path: a system-register key, or an address. */
class Access {
  readonly sysreg: boolean;
  readonly at: number;
  constructor(m: Machine, name: string) {
    const r = m.resolve(name);
    this.sysreg = r.kind === 'sysreg';
    this.at = r.kind === 'sysreg' ? sysregKey(r.encoding) : r.addr;
  }
  read(m: Machine, vcpu: number): number {
    return this.sysreg ? m.sysregRead32(vcpu, this.at) : (m.mmioRead(vcpu, this.at, 32) as number);
  }
  write(m: Machine, vcpu: number, lo: number, hi: number): void {
    if (this.sysreg) m.sysregWriteWords(vcpu, this.at, lo, hi);
    else m.mmioWrite(vcpu, this.at, 32, lo >>> 0);
  }
}

export class GuestCpu {
  readonly machine: Machine;
  readonly vgic: Vgic;
  readonly vcpu: number;
  readonly control: ThreadControl;
  readonly counters: VcpuCounters;
  readonly names: CpuInterfaceNames;
  private readonly iar: Access;
  private readonly eoir: Access;
  private readonly dirReg: Access;
  private readonly sgi: Access;
  /** The SGI register's value per target vCPU (low and high words), INTID left 0. */
  private readonly sgiLo: Uint32Array;
  private readonly sgiHi: Uint32Array;
  private readonly sgiShift: number;

  constructor(machine: Machine, vcpu: number, control: ThreadControl, names: CpuInterfaceNames = defaultCpuInterface(machine)) {
    machine.checkVcpu(vcpu);
    this.machine = machine;
    this.vgic = machine.vgic;
    this.vcpu = vcpu;
    this.control = control;
    this.counters = emptyCounters(vcpu);
    this.names = names;
    this.iar = new Access(machine, names.iar);
    this.eoir = new Access(machine, names.eoir);
    this.dirReg = new Access(machine, names.dir);
    this.sgi = new Access(machine, names.sgi);
    const n = machine.vcpus;
    this.sgiLo = new Uint32Array(n);
    this.sgiHi = new Uint32Array(n);
    if (names.sgiFormat === 'affinity') {
      this.sgiShift = 24;
      for (let k = 0; k < n; k++) {
        const aff = affinityOf(machine, k);
        const aff0 = aff & 0xff;
        this.sgiLo[k] = ((1 << (aff0 & 15)) | (((aff >>> 8) & 0xff) << 16)) >>> 0;
        // Aff2 in [39:32], RS (Aff0 / 16) in [47:44], Aff3 in [55:48].
        this.sgiHi[k] = (((aff >>> 16) & 0xff) | ((aff0 >> 4) << 12) | (((aff >>> 24) & 0xff) << 16)) >>> 0;
      }
    } else {
      // TargetListFilter 0 (the list as given), CPUTargetList [23:16].
      this.sgiShift = 0;
      for (let k = 0; k < n; k++) this.sgiLo[k] = k < 8 ? (1 << (16 + k)) >>> 0 : 0;
    }
  }

  /** The run's phase (see control.ts): a guest stops making new work once it is past RUN. */
  get phase(): number {
    return this.control.phase;
  }

  /** The vCPU's EOImode: 1 when EOI only drops the priority and DIR deactivates. */
  get eoiMode(): number {
    return this.vgic.eoiMode[this.vcpu]!;
  }

  /** Acknowledge: the raw IAR value (a GICv2 SGI carries its source in bits 12:10), or 1023/1022. */
  ack(): number {
    const raw = this.iar.read(this.machine, this.vcpu);
    if (isSpuriousIntid(raw & 0x3ff)) this.counters.spurious++;
    else this.counters.acks++;
    return raw;
  }

  /** End of interrupt with the value `ack` returned. */
  eoi(raw: number): void {
    this.eoir.write(this.machine, this.vcpu, raw, 0);
    this.counters.eois++;
  }

  /** Deactivate (with EOImode 1) the interrupt `ack` returned. */
  dir(raw: number): void {
    this.dirReg.write(this.machine, this.vcpu, raw, 0);
    this.counters.dirs++;
  }

  /** Send SGI `intid` (0..15) to vCPU `target`, as this vCPU's instruction (the access traps). */
  sendSgi(target: number, intid: number): void {
    this.sgi.write(this.machine, this.vcpu, (this.sgiLo[target]! | ((intid & 0xf) << this.sgiShift)) >>> 0, this.sgiHi[target]!);
    this.counters.sgisSent++;
  }
}
