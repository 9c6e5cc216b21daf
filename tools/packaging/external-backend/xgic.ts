/**
 * The X GIC: a GIC backend written outside the monorepo, against the
 * published `@vgic/core` alone (installed from its packed tarball by
 * tools/packaging/check-tarballs.ts), to show that the contract
 * (`GicBackend`) carries everything a backend needs: it passes core's
 * conformance suite, its worker-thread stress suite and the save/restore
 * property (the *.test.ts beside it).
 *
 * - XDIST, a trapping distributor frame: CTLR (group enables), the one-bit
 *   registers (IGROUPR, ISENABLER, ...), byte-wide IPRIORITYR, ICFGR, an SGI
 *   register and one ROUTER word per INTID naming a vCPU directly (anything
 *   not a vCPU number routes nowhere).
 * - XCPU, a CPU interface served from the list registers (not trapping):
 *   CTLR (group enables, EOImode, FIQEn), PMR, BPR0/1, IAR0/1, EOIR0/1, DIR,
 *   RPR, HPPIR and the active-priority registers.
 * - Two system registers: a trapping SGI register and a non-trapping IAR1.
 * - Of the contract's optional capabilities, `guestCpu` (the registers a
 *   vCPU thread's guest uses), `distributor` (registers by role, for the
 *   stress suite's threads that run no vCPU) and `checkSnapshot`; no vCPU
 *   affinities, no KVM semantics.
 *
 * Reset as KVM's: SGIs enabled and edge, PPIs level, SPIs edge and routed to
 * vCPU 0, everything in group 1 at priority 0. `sgiSources` gives SGI
 * source bitmaps (IAR reports the source in bits 12:10).
 */
import {
  ACCESS_32,
  ACCESS_8,
  CONFIG_EDGE,
  CONFIG_LEVEL,
  CTL_DIST_ENABLE,
  LR_ACTIVE,
  LR_PENDING,
  Machine,
  NONE,
  SPURIOUS,
  APR_WORDS,
  cpuifAck,
  cpuifDir,
  cpuifEoi,
  cpuifHppi,
  cpuifRpr,
  cpuifSetGroupEnable,
  cpuifUpdateLines,
  distEnable,
  readConfig,
  readIrqBits,
  readPriority,
  sendSgi,
  setDistEnable,
  setRoute,
  writeActive,
  writeClearEnable,
  writeClearPending,
  writeConfig,
  writeGroup,
  writePriority,
  writeSetEnable,
  writeSetPending,
  parseRoute,
  type DistributorRegisters,
  type FrameDef,
  type GicBackend,
  type GuestCpuInterface,
  type GicSnapshot,
  type IrqBitField,
  type MachineHandle,
  type MachineOptions,
  type RegisterDef,
  type SysregDef,
  type Vgic,
} from '@vgic/core';

export const XGIC_DIST_BASE = 0x2000_0000;
export const XGIC_CPU_BASE = 0x2001_0000;

/** XCPU_CTLR bits. */
export const XCPU_CTLR_GRP0 = 1;
export const XCPU_CTLR_GRP1 = 2;
export const XCPU_CTLR_EOIMODE = 4;
export const XCPU_CTLR_FIQEN = 8;

/** The SGI register's layout (XDIST_SGIR and XSYS_SGI): INTID in 3:0, target list in 23:16. */
export function sgiValue(intid: number, targets: readonly number[]): number {
  let list = 0;
  for (const t of targets) list |= 1 << t;
  return ((list & 0xff) << 16) | (intid & 0xf);
}

export const XSYS_SGI = { op0: 3, op1: 0, crn: 12, crm: 11, op2: 5 } as const;
export const XSYS_IAR1 = { op0: 3, op1: 0, crn: 12, crm: 12, op2: 0 } as const;

function bitsReg(name: string, offset: number, field: IrqBitField, write?: (v: Vgic, vcpu: number, intid0: number, bits: number) => void): RegisterDef {
  return {
    name,
    offset,
    count: 32,
    width: 32,
    access: ACCESS_32,
    mode: 'rw',
    read: (v, vcpu, off) => readIrqBits(v, vcpu, ((off - offset) >> 2) * 32, 32, field),
    write: (v, vcpu, off, _w, value) => write?.(v, vcpu, ((off - offset) >> 2) * 32, value),
  };
}

function distFrame(base: number): FrameDef {
  const registers: RegisterDef[] = [
    {
      name: 'XDIST_CTLR',
      offset: 0x000,
      width: 32,
      access: ACCESS_32,
      read: (v) => distEnable(v),
      write: (v, _k, _o, _w, value) => setDistEnable(v, value & 3),
    },
    {
      name: 'XDIST_IGROUPR',
      offset: 0x080,
      count: 32,
      width: 32,
      access: ACCESS_32,
      read: (v, vcpu, off) => readIrqBits(v, vcpu, ((off - 0x080) >> 2) * 32, 32, 'group'),
      write: (v, vcpu, off, _w, value) => writeGroup(v, vcpu, ((off - 0x080) >> 2) * 32, 32, value),
    },
    bitsReg('XDIST_ISENABLER', 0x100, 'enabled', writeSetEnable),
    bitsReg('XDIST_ICENABLER', 0x180, 'enabled', writeClearEnable),
    bitsReg('XDIST_ISPENDR', 0x200, 'pending', writeSetPending),
    bitsReg('XDIST_ICPENDR', 0x280, 'pending', writeClearPending),
    bitsReg('XDIST_ISACTIVER', 0x300, 'active', (v, k, i, b) => writeActive(v, k, i, b, true)),
    bitsReg('XDIST_ICACTIVER', 0x380, 'active', (v, k, i, b) => writeActive(v, k, i, b, false)),
    {
      name: 'XDIST_IPRIORITYR',
      offset: 0x400,
      count: 256,
      width: 32,
      access: ACCESS_8 | ACCESS_32,
      read: (v, vcpu, off, width) => readPriority(v, vcpu, off - 0x400, width >> 3),
      write: (v, vcpu, off, width, value) => writePriority(v, vcpu, off - 0x400, width >> 3, value),
    },
    {
      name: 'XDIST_ICFGR',
      offset: 0xc00,
      count: 64,
      width: 32,
      access: ACCESS_32,
      read: (v, vcpu, off) => readConfig(v, vcpu, ((off - 0xc00) >> 2) * 16, 16),
      write: (v, vcpu, off, _w, value) => writeConfig(v, vcpu, ((off - 0xc00) >> 2) * 16, 16, value),
    },
    {
      name: 'XDIST_SGIR',
      offset: 0xf00,
      width: 32,
      access: ACCESS_32,
      mode: 'wo',
      read: () => 0,
      write: (v, vcpu, _o, _w, value) => sendSgiList(v, vcpu, value),
    },
    {
      name: 'XDIST_ROUTER',
      offset: 0x1000,
      count: 1024,
      width: 32,
      access: ACCESS_32,
      read: (v, _k, off) => {
        const intid = (off - 0x1000) >> 2;
        if (intid < 32 || intid >= v.spiLimit) return 0;
        return v.route[(v.nrVcpus * 32 + intid - 32) * 2]!;
      },
      write: (v, _k, off, _w, value) => {
        const intid = (off - 0x1000) >> 2;
        if (intid < 32 || intid >= v.spiLimit) return;
        const slot = v.nrVcpus * 32 + intid - 32;
        setRoute(v, slot, value, 0, value < v.nrVcpus ? value : NONE);
      },
    },
  ];
  return { name: 'XDIST', base, size: 0x2000, perVcpu: false, traps: true, registers };
}

function sendSgiList(v: Vgic, source: number, value: number): void {
  const intid = value & 0xf;
  const list = (value >>> 16) & 0xff;
  for (let t = 0; t < v.nrVcpus && t < 8; t++) if ((list >> t) & 1) sendSgi(v, source, t, intid, -1);
}

function cpuCtlr(v: Vgic, vcpu: number): number {
  return v.grpEn0[vcpu]! | (v.grpEn1[vcpu]! << 1) | (v.eoiMode[vcpu]! << 2) | (v.fiqEn[vcpu]! << 3);
}

function cpuFrame(base: number): FrameDef {
  const eoi = (grp: number) => (v: Vgic, vcpu: number, _o: number, _w: number, value: number) =>
    cpuifEoi(v, vcpu, value & 0x3ff, (value >>> 10) & 7, grp);
  const registers: RegisterDef[] = [
    {
      name: 'XCPU_CTLR',
      offset: 0x00,
      width: 32,
      access: ACCESS_32,
      read: (v, vcpu) => cpuCtlr(v, vcpu),
      write: (v, vcpu, _o, _w, value) => {
        v.eoiMode[vcpu] = (value >> 2) & 1;
        v.fiqEn[vcpu] = (value >> 3) & 1;
        cpuifSetGroupEnable(v, vcpu, 0, (value & 1) !== 0);
        cpuifSetGroupEnable(v, vcpu, 1, (value & 2) !== 0);
        cpuifUpdateLines(v, vcpu);
      },
    },
    {
      name: 'XCPU_PMR',
      offset: 0x04,
      width: 32,
      access: ACCESS_32,
      read: (v, vcpu) => v.pmr[vcpu]!,
      write: (v, vcpu, _o, _w, value) => {
        v.pmr[vcpu] = value & v.priorityMask;
        cpuifUpdateLines(v, vcpu);
      },
    },
    {
      name: 'XCPU_BPR0',
      offset: 0x08,
      width: 32,
      access: ACCESS_32,
      read: (v, vcpu) => v.bpr0[vcpu]!,
      write: (v, vcpu, _o, _w, value) => {
        v.bpr0[vcpu] = Math.max(v.bprMin - 1, value & 7);
        cpuifUpdateLines(v, vcpu);
      },
    },
    {
      name: 'XCPU_BPR1',
      offset: 0x0c,
      width: 32,
      access: ACCESS_32,
      read: (v, vcpu) => v.bpr1[vcpu]!,
      write: (v, vcpu, _o, _w, value) => {
        v.bpr1[vcpu] = Math.max(v.bprMin, value & 7);
        cpuifUpdateLines(v, vcpu);
      },
    },
    { name: 'XCPU_IAR0', offset: 0x10, width: 32, access: ACCESS_32, mode: 'ro', read: (v, k) => cpuifAck(v, k, 1, SPURIOUS), write: () => {} },
    { name: 'XCPU_IAR1', offset: 0x14, width: 32, access: ACCESS_32, mode: 'ro', read: (v, k) => cpuifAck(v, k, 2, SPURIOUS), write: () => {} },
    { name: 'XCPU_EOIR0', offset: 0x18, width: 32, access: ACCESS_32, mode: 'wo', read: () => 0, write: eoi(0) },
    { name: 'XCPU_EOIR1', offset: 0x1c, width: 32, access: ACCESS_32, mode: 'wo', read: () => 0, write: eoi(1) },
    {
      name: 'XCPU_DIR',
      offset: 0x20,
      width: 32,
      access: ACCESS_32,
      mode: 'wo',
      read: () => 0,
      write: (v, vcpu, _o, _w, value) => cpuifDir(v, vcpu, value & 0x3ff, (value >>> 10) & 7),
    },
    { name: 'XCPU_RPR', offset: 0x24, width: 32, access: ACCESS_32, mode: 'ro', read: (v, k) => cpuifRpr(v, k), write: () => {} },
    { name: 'XCPU_HPPIR', offset: 0x28, width: 32, access: ACCESS_32, mode: 'ro', read: (v, k) => cpuifHppi(v, k, 3, SPURIOUS), write: () => {} },
    {
      name: 'XCPU_APR',
      offset: 0x30,
      count: APR_WORDS,
      width: 32,
      access: ACCESS_32,
      read: (v, vcpu, off) => v.apr[v.aprBase(vcpu) + ((off - 0x30) >> 2)]!,
      write: (v, vcpu, off, _w, value) => {
        v.apr[v.aprBase(vcpu) + ((off - 0x30) >> 2)] = value >>> 0;
        cpuifUpdateLines(v, vcpu);
      },
    },
  ];
  return { name: 'XCPU', base, size: 0x1000, perVcpu: false, traps: false, registers };
}

const sysregs: SysregDef[] = [
  { name: 'XSYS_SGI', ...XSYS_SGI, traps: true, write: (v, vcpu, lo) => sendSgiList(v, vcpu, lo) },
  { name: 'XSYS_IAR1', ...XSYS_IAR1, traps: false, read: (v, vcpu) => cpuifAck(v, vcpu, 2, SPURIOUS) },
];

/**
 * What no X-GIC register can hold: a routing word with a high half (ROUTER
 * is 32 bits), a private interrupt's (no register writes it), an edge PPI,
 * CBPR or AckCtl (XCPU_CTLR has neither), backend words.
 */
function checkXgicSnapshot(_v: Vgic, doc: GicSnapshot): string | null {
  const irqs = [...doc.vcpus.flatMap((c) => c.private), ...doc.spis];
  for (const irq of irqs) {
    const [lo, hi] = parseRoute(irq.route);
    if (hi !== 0 || (irq.intid < 32 && lo !== 0)) return `INTID ${irq.intid}: route ${irq.route} is no XDIST_ROUTER value`;
    if (irq.intid >= 16 && irq.intid < 32 && irq.config !== 'level') return `INTID ${irq.intid}: PPIs are level-triggered`;
  }
  if (doc.vcpus.some((c) => c.cpuInterface.cbpr || c.cpuInterface.ackCtl)) return 'XCPU_CTLR has no CBPR or AckCtl';
  if ([...doc.distributor.words, ...doc.vcpus.flatMap((c) => c.words)].some((w) => w !== 0)) return 'the X GIC keeps no words';
  return null;
}

export interface XgicBackendOptions {
  /** GICv2-style SGI source bitmaps (default false). */
  sgiSources?: boolean;
  distBase?: number;
  cpuBase?: number;
}

export function createXgicBackend(o: XgicBackendOptions = {}): GicBackend {
  return {
    version: 'x',
    limits: { maxVcpus: 8, maxLrs: 16, maxSpis: 988 },
    priorityBits: 5,
    sgiSources: o.sgiSources ?? false,
    resetIrq(v, slot, intid, vcpu) {
      v.enabled[slot] = intid < 16 ? 1 : 0;
      v.config[slot] = intid >= 16 && intid < 32 ? CONFIG_LEVEL : CONFIG_EDGE;
      v.group[slot] = 1;
      v.priority[slot] = 0;
      v.route[slot * 2] = 0;
      v.route[slot * 2 + 1] = 0;
      v.target[slot] = intid < 32 ? vcpu : 0;
    },
    resetVcpu(v, vcpu) {
      v.pmr[vcpu] = 0;
      v.bpr0[vcpu] = v.bprMin - 1;
      v.bpr1[vcpu] = v.bprMin;
      v.grpEn0[vcpu] = 0;
      v.grpEn1[vcpu] = 0;
      v.eoiMode[vcpu] = 0;
      v.cbpr[vcpu] = 0;
      v.fiqEn[vcpu] = 0;
    },
    resetDist(v) {
      v.header[CTL_DIST_ENABLE] = 0;
    },
    routeTarget(v, slot) {
      if (!v.isSpiSlot(slot)) return v.slotVcpu(slot);
      const r = v.route[slot * 2]!;
      return r < v.nrVcpus ? r : NONE;
    },
    frames: [distFrame(o.distBase ?? XGIC_DIST_BASE), cpuFrame(o.cpuBase ?? XGIC_CPU_BASE)],
    sysregs,
    encodeLr(v, vcpu, k) {
      const lr = v.lrBase(vcpu) + k;
      const st = BigInt(v.lrState[lr]! & (LR_PENDING | LR_ACTIVE));
      return (
        BigInt(v.lrIntid[lr]! >>> 0) |
        (BigInt(v.lrHost[lr]! & 0x3ff) << 32n) |
        (BigInt(v.lrPrio[lr]!) << 48n) |
        (BigInt(v.lrGroup[lr]!) << 60n) |
        (BigInt(v.lrHw[lr]!) << 61n) |
        (st << 62n)
      );
    },
    describeRoute(v, slot) {
      const t = v.target[slot]!;
      return t === NONE ? 'none' : `cpu${t}`;
    },
    checkSnapshot: checkXgicSnapshot,
    guestCpu: XGIC_GUEST_CPU,
    distributor: XGIC_DISTRIBUTOR,
  };
}

/** The guest CPU interface: Group 1, SGIs by XDIST_SGIR's target list. */
export const XGIC_GUEST_CPU: GuestCpuInterface = {
  iar: 'XSYS_IAR1',
  eoir: 'XCPU_EOIR1',
  dir: 'XCPU_DIR',
  sgi: 'XDIST_SGIR',
  sgiValue: (_v, target, intid) => BigInt(sgiValue(intid, [target])),
};

/** The distributor registers by role: ROUTER words name a vCPU directly. */
export const XGIC_DISTRIBUTOR: DistributorRegisters = {
  control: 'XDIST_CTLR',
  enableSet: (intid) => `XDIST_ISENABLER${intid >> 5}`,
  enableClear: (intid) => `XDIST_ICENABLER${intid >> 5}`,
  group: (intid) => `XDIST_IGROUPR${intid >> 5}`,
  route: (intid) => ({ name: `XDIST_ROUTER${intid}` }),
  routeValue: (_v, vcpu) => vcpu,
};

/** An X GIC machine. */
export function createXgic(options: MachineOptions & XgicBackendOptions): Machine {
  return Machine.create(createXgicBackend(options), options);
}

/** The same machine on a worker thread, from its `m.handle(backendOptions)`. */
export function attachXgic(handle: MachineHandle): Machine {
  return Machine.attach(createXgicBackend((handle.backendOptions ?? {}) as XgicBackendOptions), handle.buffer);
}
