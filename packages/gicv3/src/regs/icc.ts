/**
 * The CPU interface as system registers, ICC_*_EL1 (IHI 0069, the AArch64
 * GIC system register descriptions; KVM's hyp/vgic-v3-sr.c and sys_regs.c).
 *
 * With ICH_HCR_EL2 set up as KVM sets it, a guest's ICC_* access reaches the
 * virtual interface (ICV_*), served from the list registers without an exit.
 * The SGI-generation registers trap to the hypervisor. Values are 64-bit at
 * the API edge; the handlers see them as two 32-bit halves.
 *
 * Priorities have 5 bits (KVM's VGIC_PRI_BITS): 32 levels, one AP0R/AP1R
 * register each, binary points from 2 (BPR0) and 3 (BPR1).
 */
import {
  cpuifAck,
  cpuifDir,
  cpuifEoi,
  cpuifHppi,
  cpuifRpr,
  cpuifSetGroupEnable,
  cpuifUpdateLines,
  sendSgi,
  sysregKey,
  type SysregDef,
  type SysregEncoding,
  type Vgic,
} from '@vgic/core';
import { vcpuByAffinity, type Topology } from '../affinity.js';
import { rerouteOneOfN } from '../routing.js';

const SPURIOUS = 1023;
/** The INTID field of EOIR/DIR: 24 bits (ICC_CTLR_EL1.IDbits = 0 reports 16 implemented). */
const INTID_MASK = 0xff_ffff;

// ------------------------------------------------------------ encodings

function enc(crn: number, crm: number, op2: number): SysregEncoding {
  return Object.freeze({ op0: 3, op1: 0, crn, crm, op2 });
}

export const ICC_PMR_EL1: SysregEncoding = enc(4, 6, 0);
export const ICC_IAR0_EL1: SysregEncoding = enc(12, 8, 0);
export const ICC_EOIR0_EL1: SysregEncoding = enc(12, 8, 1);
export const ICC_HPPIR0_EL1: SysregEncoding = enc(12, 8, 2);
export const ICC_BPR0_EL1: SysregEncoding = enc(12, 8, 3);
export const ICC_AP0R0_EL1: SysregEncoding = enc(12, 8, 4);
export const ICC_AP0R1_EL1: SysregEncoding = enc(12, 8, 5);
export const ICC_AP0R2_EL1: SysregEncoding = enc(12, 8, 6);
export const ICC_AP0R3_EL1: SysregEncoding = enc(12, 8, 7);
export const ICC_AP1R0_EL1: SysregEncoding = enc(12, 9, 0);
export const ICC_AP1R1_EL1: SysregEncoding = enc(12, 9, 1);
export const ICC_AP1R2_EL1: SysregEncoding = enc(12, 9, 2);
export const ICC_AP1R3_EL1: SysregEncoding = enc(12, 9, 3);
export const ICC_DIR_EL1: SysregEncoding = enc(12, 11, 1);
export const ICC_RPR_EL1: SysregEncoding = enc(12, 11, 3);
export const ICC_SGI1R_EL1: SysregEncoding = enc(12, 11, 5);
export const ICC_ASGI1R_EL1: SysregEncoding = enc(12, 11, 6);
export const ICC_SGI0R_EL1: SysregEncoding = enc(12, 11, 7);
export const ICC_IAR1_EL1: SysregEncoding = enc(12, 12, 0);
export const ICC_EOIR1_EL1: SysregEncoding = enc(12, 12, 1);
export const ICC_HPPIR1_EL1: SysregEncoding = enc(12, 12, 2);
export const ICC_BPR1_EL1: SysregEncoding = enc(12, 12, 3);
export const ICC_CTLR_EL1: SysregEncoding = enc(12, 12, 4);
export const ICC_SRE_EL1: SysregEncoding = enc(12, 12, 5);
export const ICC_IGRPEN0_EL1: SysregEncoding = enc(12, 12, 6);
export const ICC_IGRPEN1_EL1: SysregEncoding = enc(12, 12, 7);

/** Every ICC register this CPU interface implements, by name. */
export type IccRegisterName =
  | 'ICC_PMR_EL1'
  | 'ICC_IAR0_EL1'
  | 'ICC_EOIR0_EL1'
  | 'ICC_HPPIR0_EL1'
  | 'ICC_BPR0_EL1'
  | 'ICC_AP0R0_EL1'
  | 'ICC_AP0R1_EL1'
  | 'ICC_AP0R2_EL1'
  | 'ICC_AP0R3_EL1'
  | 'ICC_AP1R0_EL1'
  | 'ICC_AP1R1_EL1'
  | 'ICC_AP1R2_EL1'
  | 'ICC_AP1R3_EL1'
  | 'ICC_DIR_EL1'
  | 'ICC_RPR_EL1'
  | 'ICC_SGI1R_EL1'
  | 'ICC_ASGI1R_EL1'
  | 'ICC_SGI0R_EL1'
  | 'ICC_IAR1_EL1'
  | 'ICC_EOIR1_EL1'
  | 'ICC_HPPIR1_EL1'
  | 'ICC_BPR1_EL1'
  | 'ICC_CTLR_EL1'
  | 'ICC_SRE_EL1'
  | 'ICC_IGRPEN0_EL1'
  | 'ICC_IGRPEN1_EL1';

/** The encodings by name. */
export const ICC_ENCODINGS: Readonly<Record<IccRegisterName, SysregEncoding>> = Object.freeze({
  ICC_PMR_EL1,
  ICC_IAR0_EL1,
  ICC_EOIR0_EL1,
  ICC_HPPIR0_EL1,
  ICC_BPR0_EL1,
  ICC_AP0R0_EL1,
  ICC_AP0R1_EL1,
  ICC_AP0R2_EL1,
  ICC_AP0R3_EL1,
  ICC_AP1R0_EL1,
  ICC_AP1R1_EL1,
  ICC_AP1R2_EL1,
  ICC_AP1R3_EL1,
  ICC_DIR_EL1,
  ICC_RPR_EL1,
  ICC_SGI1R_EL1,
  ICC_ASGI1R_EL1,
  ICC_SGI0R_EL1,
  ICC_IAR1_EL1,
  ICC_EOIR1_EL1,
  ICC_HPPIR1_EL1,
  ICC_BPR1_EL1,
  ICC_CTLR_EL1,
  ICC_SRE_EL1,
  ICC_IGRPEN0_EL1,
  ICC_IGRPEN1_EL1,
});

/**
 * The packed encodings (core's `sysregKey`: op0<<14 | op1<<11 | CRn<<7 |
 * CRm<<3 | op2), for `sysregRead32` / `sysregWriteWords` and for decoders
 * that switch on one number.
 */
export const ICC_KEYS: Readonly<Record<IccRegisterName, number>> = Object.freeze(
  Object.fromEntries(Object.entries(ICC_ENCODINGS).map(([name, e]) => [name, sysregKey(e)])) as Record<IccRegisterName, number>,
);

// ------------------------------------------------------------ ICC_CTLR_EL1, ICC_SRE_EL1

export const ICC_CTLR_CBPR: number = 1 << 0;
export const ICC_CTLR_EOIMODE: number = 1 << 1;
/** PRIbits [10:8]: implemented priority bits - 1. */
const ICC_CTLR_PRIBITS_SHIFT = 8;
/** A3V: SGIs can target Aff3 != 0 (beyond KVM, which drops Aff3 unless the host has it). */
export const ICC_CTLR_A3V: number = 1 << 15;
/** RSS: ICC_SGI1R_EL1.RS reaches Aff0 16..255 (beyond KVM, which ignores RS). */
export const ICC_CTLR_RSS: number = 1 << 18;

/** SRE | DFB | DIB: the system-register interface, always on (KVM's reset value, RAO/WI). */
export const ICC_SRE_VALUE = 7;

function ctlrRead(v: Vgic, vcpu: number): number {
  return (
    (v.cbpr[vcpu] !== 0 ? ICC_CTLR_CBPR : 0) |
    (v.eoiMode[vcpu] !== 0 ? ICC_CTLR_EOIMODE : 0) |
    ((v.priorityBits - 1) << ICC_CTLR_PRIBITS_SHIFT) |
    // IDbits [13:11] = 0: 16 INTID bits, the smallest encoding (10 are used: no LPIs).
    ICC_CTLR_A3V |
    ICC_CTLR_RSS
  );
}

/** Only CBPR and EOImode are writable, as in KVM; the rest is read-only (PMHE, SEIS: 0). */
function ctlrWrite(v: Vgic, vcpu: number, lo: number): void {
  v.cbpr[vcpu] = lo & ICC_CTLR_CBPR ? 1 : 0;
  v.eoiMode[vcpu] = lo & ICC_CTLR_EOIMODE ? 1 : 0;
  cpuifUpdateLines(v, vcpu);
}

// ------------------------------------------------------------ binary points

/** BPR0 reads its own value; BPR1 reads BPR0 + 1 (at most 7) while CBPR is set. */
function bprRead(v: Vgic, vcpu: number, grp: number): number {
  if (grp === 0) return v.bpr0[vcpu]!;
  if (v.cbpr[vcpu] !== 0) return Math.min(v.bpr0[vcpu]! + 1, 7);
  return v.bpr1[vcpu]!;
}

/**
 * A binary point below the minimum reads as the minimum (BPR0: 8 - 5 - 1 =
 * 2, BPR1: 3). A BPR1 write while CBPR is set is ignored.
 */
function bprWrite(v: Vgic, vcpu: number, grp: number, lo: number): void {
  const value = lo & 7;
  if (grp === 0) {
    v.bpr0[vcpu] = Math.max(value, v.bprMin - 1);
  } else {
    if (v.cbpr[vcpu] !== 0) return;
    v.bpr1[vcpu] = Math.max(value, v.bprMin);
  }
  cpuifUpdateLines(v, vcpu);
}

// ------------------------------------------------------------ active priorities

/**
 * AP0R<n>/AP1R<n>: with 5 priority bits only AP*R0 exists (32 group
 * priorities, one bit each); AP*R1-3 are RAZ/WI.
 */
function aprRead(v: Vgic, vcpu: number, grp: number, n: number): number {
  return n < v.aprWordsUsed ? v.apr[v.aprBase(vcpu) + grp * 4 + n]! : 0;
}

function aprWrite(v: Vgic, vcpu: number, grp: number, n: number, lo: number): void {
  if (n >= v.aprWordsUsed) return;
  v.apr[v.aprBase(vcpu) + grp * 4 + n] = lo >>> 0;
  cpuifUpdateLines(v, vcpu);
}

// ------------------------------------------------------------ group enables

/**
 * IGRPEN0/1. A change makes the vCPU exit and look at its ap_list again
 * (core's `cpuifSetGroupEnable`), and makes the 1-of-N choice of IRM = 1
 * interrupts again.
 */
function groupEnableWrite(v: Vgic, vcpu: number, grp: number, lo: number): void {
  if (cpuifSetGroupEnable(v, vcpu, grp, (lo & 1) !== 0)) rerouteOneOfN(v, grp, 32, v.spiLimit);
}

// ------------------------------------------------------------ SGI generation

// ICC_SGI1R_EL1 fields, low word: TargetList [15:0], Aff1 [23:16], INTID [27:24];
// high word (bits 63:32): Aff2 [39:32], IRM [40], RS [47:44], Aff3 [55:48].

/** Does this SGI register value have IRM (target every vCPU but the sender) set? */
function sgiBroadcast(hi: number): boolean {
  return ((hi >>> 8) & 1) !== 0;
}

/**
 * Send the SGI an ICC_SGI0R/SGI1R/ASGI1R_EL1 write describes, in `group`.
 * IRM = 1 sends to every vCPU except the sender. Otherwise each TargetList
 * bit b names the vCPU with affinity Aff3.Aff2.Aff1.(RS * 16 + b); a bit
 * naming no vCPU is skipped. RS is honoured beyond KVM, which ignores it and
 * so reaches Aff0 0..15 only. Core's `sendSgi` refuses an SGI whose group at
 * the target is not `group`.
 */
export function dispatchSgi(v: Vgic, t: Topology, sender: number, lo: number, hi: number, group: number): void {
  const intid = (lo >>> 24) & 0xf;
  if (sgiBroadcast(hi)) {
    for (let k = 0; k < v.nrVcpus; k++) if (k !== sender) sendSgi(v, sender, k, intid, group);
    return;
  }
  // Aff3.Aff2.Aff1 of the targets, packed as GICR_TYPER writes an affinity.
  const cluster = ((((hi >>> 16) & 0xff) << 24) | ((hi & 0xff) << 16) | (((lo >>> 16) & 0xff) << 8)) >>> 0;
  const aff0Base = ((hi >>> 12) & 0xf) << 4;
  let targets = lo & 0xffff;
  while (targets !== 0) {
    const bit = 31 - Math.clz32(targets & -targets);
    targets &= targets - 1;
    const vcpu = vcpuByAffinity(t, (cluster | (aff0Base + bit)) >>> 0);
    if (vcpu >= 0) sendSgi(v, sender, vcpu, intid, group);
  }
}

// ------------------------------------------------------------ the table

function sysreg(name: string, e: SysregEncoding, def: Omit<SysregDef, 'name' | 'op0' | 'op1' | 'crn' | 'crm' | 'op2' | 'traps'> & { traps?: boolean }): SysregDef {
  return { ...def, name, ...e, traps: def.traps ?? false, spec: `IHI 0069, ${name}` };
}

export function iccRegisters(topo: (v: Vgic) => Topology): SysregDef[] {
  const regs: SysregDef[] = [];
  for (const grp of [0, 1]) {
    const mask = 1 << grp;
    const g = String(grp);
    regs.push(
      sysreg(`ICC_IAR${g}_EL1`, grp === 0 ? ICC_IAR0_EL1 : ICC_IAR1_EL1, {
        read: (v, vcpu) => cpuifAck(v, vcpu, mask, SPURIOUS),
      }),
      sysreg(`ICC_EOIR${g}_EL1`, grp === 0 ? ICC_EOIR0_EL1 : ICC_EOIR1_EL1, {
        write: (v, vcpu, lo) => cpuifEoi(v, vcpu, lo & INTID_MASK, 0, grp),
      }),
      sysreg(`ICC_HPPIR${g}_EL1`, grp === 0 ? ICC_HPPIR0_EL1 : ICC_HPPIR1_EL1, {
        read: (v, vcpu) => cpuifHppi(v, vcpu, mask, SPURIOUS),
      }),
      sysreg(`ICC_BPR${g}_EL1`, grp === 0 ? ICC_BPR0_EL1 : ICC_BPR1_EL1, {
        read: (v, vcpu) => bprRead(v, vcpu, grp),
        write: (v, vcpu, lo) => bprWrite(v, vcpu, grp, lo),
      }),
      sysreg(`ICC_IGRPEN${g}_EL1`, grp === 0 ? ICC_IGRPEN0_EL1 : ICC_IGRPEN1_EL1, {
        read: (v, vcpu) => (grp === 0 ? v.grpEn0[vcpu]! : v.grpEn1[vcpu]!),
        write: (v, vcpu, lo) => groupEnableWrite(v, vcpu, grp, lo),
      }),
    );
    for (let n = 0; n < 4; n++) {
      const name = `ICC_AP${g}R${n}_EL1` as IccRegisterName;
      regs.push(
        sysreg(name, ICC_ENCODINGS[name], {
          read: (v, vcpu) => aprRead(v, vcpu, grp, n),
          write: (v, vcpu, lo) => aprWrite(v, vcpu, grp, n, lo),
        }),
      );
    }
  }
  regs.push(
    sysreg('ICC_PMR_EL1', ICC_PMR_EL1, {
      read: (v, vcpu) => v.pmr[vcpu]!,
      // Unimplemented low bits read as zero: 0xff reads back 0xf8.
      write: (v, vcpu, lo) => {
        v.pmr[vcpu] = lo & 0xff & v.priorityMask;
        cpuifUpdateLines(v, vcpu);
      },
    }),
    sysreg('ICC_DIR_EL1', ICC_DIR_EL1, {
      write: (v, vcpu, lo) => cpuifDir(v, vcpu, lo & INTID_MASK, 0),
    }),
    sysreg('ICC_RPR_EL1', ICC_RPR_EL1, {
      read: (v, vcpu) => cpuifRpr(v, vcpu),
    }),
    sysreg('ICC_CTLR_EL1', ICC_CTLR_EL1, {
      read: ctlrRead,
      write: (v, vcpu, lo) => ctlrWrite(v, vcpu, lo),
    }),
    sysreg('ICC_SRE_EL1', ICC_SRE_EL1, {
      read: () => ICC_SRE_VALUE,
      write: () => {},
    }),
    // SGI0R raises Group-0 SGIs and SGI1R Group-1 SGIs: an SGI configured in
    // the other group at its target is not raised. (KVM lets SGI1R raise
    // either group.) ASGI1R asks for the other security state's Group 1;
    // with one security state (DS = 1) that is Group 0, as QEMU models it.
    sysreg('ICC_SGI0R_EL1', ICC_SGI0R_EL1, {
      traps: true,
      write: (v, vcpu, lo, hi) => dispatchSgi(v, topo(v), vcpu, lo, hi, 0),
    }),
    sysreg('ICC_SGI1R_EL1', ICC_SGI1R_EL1, {
      traps: true,
      write: (v, vcpu, lo, hi) => dispatchSgi(v, topo(v), vcpu, lo, hi, 1),
    }),
    sysreg('ICC_ASGI1R_EL1', ICC_ASGI1R_EL1, {
      traps: true,
      write: (v, vcpu, lo, hi) => dispatchSgi(v, topo(v), vcpu, lo, hi, 0),
    }),
  );
  return regs;
}
