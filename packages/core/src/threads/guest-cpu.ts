/**
 * What a guest's interrupt handler on a vCPU thread works with: its
 * machine, its vCPU, and the three accesses every handler makes —
 * acknowledge, end of interrupt, deactivate — plus sending an SGI, each as
 * the guest's own instruction (a CPU-interface access served from the list
 * registers, or a trapped one).
 *
 * Which registers those are, and how the SGI register names a target, is
 * the backend's `guestCpu` capability (`GuestCpuInterface`), asked once at
 * start-up: the names are resolved and every (target, INTID) value of the
 * SGI register computed. The hot calls then go straight to `sysregRead32` /
 * `mmioRead` with the resolved encoding or address.
 */
import { sysregKey, type CpuInterfaceNames, type GuestCpuInterface } from '../backend.js';
import { VgicError } from '../errors.js';
import type { Machine } from '../machine.js';
import type { Vgic } from '../vgic.js';
import type { ThreadControl } from './control.js';

export type { CpuInterfaceNames, GuestCpuInterface } from '../backend.js';

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

/**
 * INTIDs 1020..1023 from IAR mean nothing was acknowledged. (Those above are
 * real: LPIs from 8192; a GICv2 SGI's raw value carries its source above bit 9.)
 */
export function isSpuriousIntid(intid: number): boolean {
  return intid >= 1020 && intid < 1024;
}

/**
 * The backend's guest CPU interface (its `guestCpu` capability). Throws
 * UNKNOWN_REGISTER for a backend that declares none.
 */
export function defaultCpuInterface(m: Machine): GuestCpuInterface {
  const g = m.backend.guestCpu;
  if (g === undefined) {
    throw new VgicError('UNKNOWN_REGISTER', `GIC${m.version} declares no guest CPU interface (GicBackend.guestCpu): name its CPU interface registers (CpuInterfaceNames)`);
  }
  return g;
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
  /** The SGI register's value (low and high words) per target vCPU and INTID: `[target * 16 + intid]`. */
  private readonly sgiLo: Uint32Array;
  private readonly sgiHi: Uint32Array;
  private readonly canSendSgis: boolean;

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
    this.sgiLo = new Uint32Array(n * 16);
    this.sgiHi = new Uint32Array(n * 16);
    // The encoding is the backend's; names given without it can acknowledge
    // and end interrupts but send no SGI.
    const encode = machine.backend.guestCpu?.sgiValue;
    this.canSendSgis = encode !== undefined;
    if (encode !== undefined) {
      for (let k = 0; k < n; k++) {
        for (let intid = 0; intid < 16; intid++) {
          const value = encode(machine.vgic, k, intid);
          this.sgiLo[k * 16 + intid] = Number(value & 0xffffffffn);
          this.sgiHi[k * 16 + intid] = Number((value >> 32n) & 0xffffffffn);
        }
      }
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
    if (isSpuriousIntid(raw & 0xffffff)) this.counters.spurious++;
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

  /**
   * Send SGI `intid` (0..15) to vCPU `target`, as this vCPU's instruction
   * (the access traps). Throws UNKNOWN_REGISTER on a backend that declares
   * no SGI encoding (`GuestCpuInterface.sgiValue`).
   */
  sendSgi(target: number, intid: number): void {
    if (!this.canSendSgis) throw new VgicError('UNKNOWN_REGISTER', `GIC${this.machine.version} declares no SGI encoding (GicBackend.guestCpu.sgiValue)`);
    const i = target * 16 + (intid & 0xf);
    this.sgi.write(this.machine, this.vcpu, this.sgiLo[i]!, this.sgiHi[i]!);
    this.counters.sgisSent++;
  }
}
