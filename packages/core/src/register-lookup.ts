/**
 * Register names, and encodings, as the machine finds them: a name
 * (`GICD_ISENABLER1`, `GICR_TYPER`, `ICC_IAR1_EL1`) or a raw frame offset
 * (`GICD+0x429`) resolved to the guest physical address or the encoding an
 * emulator would use, "did you mean" for one the GIC lacks, and the table
 * of system registers by packed encoding that MRS/MSR dispatch reads.
 */
import { sysregKey, type RegisterDef, type SysregDef, type SysregEncoding } from './backend.js';
import { describeValue } from './args.js';
import { VgicError } from './errors.js';
import type { FrameMap, IndexedFrame } from './frames.js';
import { closestName } from './suggest.js';

export interface ResolvedMmio {
  kind: 'mmio';
  name: string;
  frame: string;
  addr: number;
  /** The register's natural width. */
  width: 32 | 64;
  /** For per-vCPU frames: whose frame the address is in. */
  rd: number | null;
}

export interface ResolvedSysreg {
  kind: 'sysreg';
  name: string;
  encoding: SysregEncoding;
  width: 64;
}

export type ResolvedRegister = ResolvedMmio | ResolvedSysreg;

/** No register name is longer: a longer string is refused before any pattern or distance is computed over it. */
const MAX_NAME_LENGTH = 64;

/** Throws unless `name` is a string short enough to be a register name. */
export function checkName(name: unknown): asserts name is string {
  if (typeof name !== 'string') throw new VgicError('INVALID_ARGUMENT', `a register name is a string; got ${describeValue(name)}`);
  if (name.length > MAX_NAME_LENGTH) throw new VgicError('UNKNOWN_REGISTER', `no register has a name of ${name.length} characters`);
}

function pickEncoding(r: SysregDef): SysregEncoding {
  return { op0: r.op0, op1: r.op1, crn: r.crn, crm: r.crm, op2: r.op2 };
}

/** The machine's register names, each with its frame and register, or the system register. */
export class RegisterLookup {
  private names: Map<string, { frame: IndexedFrame; reg: RegisterDef } | SysregDef> | null = null;

  /** `checkVcpu` throws INVALID_VCPU for a redistributor this machine does not have. */
  constructor(
    private readonly version: string,
    private readonly frameMap: FrameMap,
    private readonly sysregs: readonly SysregDef[],
    private readonly checkVcpu: (vcpu: number) => void,
  ) {}

  /** Made at the first name looked up: a machine driven by addresses and encodings alone never carries it. */
  private get byName(): Map<string, { frame: IndexedFrame; reg: RegisterDef } | SysregDef> {
    if (this.names === null) {
      const names = new Map<string, { frame: IndexedFrame; reg: RegisterDef } | SysregDef>();
      for (const fi of this.frameMap.frames) for (const reg of fi.frame.registers) names.set(reg.name, { frame: fi, reg });
      for (const r of this.sysregs) names.set(r.name, r);
      this.names = names;
    }
    return this.names;
  }

  /** What `name` (checked by `checkName`) means; throws UNKNOWN_REGISTER, with a suggestion, for a name the GIC lacks. */
  resolve(name: string, options: { vcpu?: number; rd?: number }): ResolvedRegister {
    const raw = /^([A-Z]+)\+(0x[0-9a-fA-F]+|\d+)$/.exec(name);
    if (raw) {
      const fi = this.frameMap.named(raw[1]!);
      if (!fi) {
        throw new VgicError('UNKNOWN_REGISTER', `GIC${this.version} has no ${raw[1]} frame; it has ${this.frameMap.frames.map((f) => f.frame.name).join(', ')}`);
      }
      const offset = Number(raw[2]);
      if (offset >= fi.frame.size) throw new VgicError('UNKNOWN_REGISTER', `${name} is beyond the ${fi.frame.name} frame (${fi.frame.size} bytes)`);
      return this.mmioResolved(fi, name, offset, 32, options);
    }
    const exact = this.byName.get(name);
    if (exact !== undefined) {
      if ('op0' in exact) return { kind: 'sysreg', name, encoding: pickEncoding(exact), width: 64 };
      if ((exact.reg.count ?? 1) === 1) return this.mmioResolved(exact.frame, name, exact.reg.offset, exact.reg.width, options);
    }
    const arr = /^(.*?)(\d+)$/.exec(name);
    if (arr) {
      const entry = this.byName.get(arr[1]!);
      if (entry !== undefined && !('op0' in entry) && (entry.reg.count ?? 1) > 1) {
        const reg = entry.reg;
        const n = Number(arr[2]) - (reg.firstIndex ?? 0);
        if (n >= 0 && n < (reg.count ?? 1)) {
          const stride = reg.stride ?? reg.width / 8;
          return this.mmioResolved(entry.frame, name, reg.offset + n * stride, reg.width, options);
        }
        const first = reg.firstIndex ?? 0;
        throw new VgicError('UNKNOWN_REGISTER', `${name}: ${arr[1]}<n> takes n = ${first}..${first + (reg.count ?? 1) - 1}`);
      }
    }
    const suggestion = this.suggest(name);
    throw new VgicError('UNKNOWN_REGISTER', `unknown register ${name} on GIC${this.version}${suggestion ? ` — did you mean ${suggestion}?` : ''}`);
  }

  private mmioResolved(fi: IndexedFrame, name: string, offset: number, width: 32 | 64, options: { vcpu?: number; rd?: number }): ResolvedMmio {
    let rd: number | null = null;
    let addr = fi.frame.base + offset;
    if (fi.frame.perVcpu) {
      rd = options.rd ?? options.vcpu ?? 0;
      this.checkVcpu(rd);
      addr += rd * fi.frame.size;
    }
    return { kind: 'mmio', name, frame: fi.frame.name, addr, width, rd };
  }

  /** Every register name this machine knows (array registers with `<n>`). */
  registerNames(): string[] {
    const out: string[] = [];
    for (const [name, e] of this.byName) out.push('op0' in e || (e.reg.count ?? 1) === 1 ? name : `${name}<n>`);
    return out;
  }

  /** The closest known register name, for "did you mean". */
  suggest(name: string): string | undefined {
    const arr = /^(.*?)(\d+)$/.exec(name);
    const candidates: string[] = [];
    for (const [n, e] of this.byName) {
      if ('op0' in e || (e.reg.count ?? 1) === 1) candidates.push(n);
      else candidates.push(arr ? `${n}${arr[2]}` : n);
    }
    return closestName(name, candidates, Math.max(2, Math.floor(name.length / 4)));
  }
}

const TABLES = new WeakMap<readonly SysregDef[], SysregTable>();
let emptyTable: SysregTable | null = null;

/** A sysreg page holds the 128 keys of one (op0, op1, CRn): CRm and op2 are the low 7 bits of `sysregKey`. */
const SYSREG_PAGE_BITS = 7;
const SYSREG_PAGE_MASK = (1 << SYSREG_PAGE_BITS) - 1;
const SYSREG_PAGES = 1 << (16 - SYSREG_PAGE_BITS);

/**
 * System registers by packed encoding (`sysregKey`, 16 bits), as MRS/MSR
 * are hot: pages of 128 keys (CRm and op2) by the upper 9 bits (op0, op1,
 * CRn), only the pages a backend uses allocated — a GIC's registers sit in
 * two or three, so a machine carries a few KB, not a 64 Ki-entry table.
 */
export class SysregTable {
  private readonly pages: ((SysregDef | undefined)[] | undefined)[];

  /**
   * The table of `sysregs`, made once per list: machines whose backend
   * shares its register list (GICv3's default topologies do) share it. A
   * list is read-only (`GicBackend.sysregs`), so its table stays right.
   */
  static of(sysregs: readonly SysregDef[]): SysregTable {
    // GICv2's list is empty, and a new one with each backend.
    if (sysregs.length === 0) return (emptyTable ??= new SysregTable([]));
    let t = TABLES.get(sysregs);
    if (t === undefined) {
      t = new SysregTable(sysregs);
      TABLES.set(sysregs, t);
    }
    return t;
  }

  /** Throws INVALID_CONFIG for a register with no valid encoding (the backend's mistake). */
  constructor(sysregs: readonly SysregDef[]) {
    this.pages = new Array<(SysregDef | undefined)[] | undefined>(SYSREG_PAGES).fill(undefined);
    for (const r of sysregs) {
      const key = sysregKey(r);
      if (key < 0) throw new VgicError('INVALID_CONFIG', `the backend's system register ${r.name} has no valid encoding`);
      const page = (this.pages[key >>> SYSREG_PAGE_BITS] ??= new Array<SysregDef | undefined>(1 << SYSREG_PAGE_BITS).fill(undefined));
      page[key & SYSREG_PAGE_MASK] = r;
    }
  }

  /** The register with packed encoding `key`, or undefined: a key that is not a whole number 0..0xffff names none. */
  at(key: number): SysregDef | undefined {
    if (typeof key !== 'number' || key >>> 0 !== key || key >= 0x10000) return undefined;
    const page = this.pages[key >>> SYSREG_PAGE_BITS];
    return page === undefined ? undefined : page[key & SYSREG_PAGE_MASK];
  }
}
