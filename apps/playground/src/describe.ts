/**
 * The words and marks the page shows for the engine's state and events.
 * Every state is written out (P, A, P+A, up/down), so nothing is told by
 * colour alone.
 */
import { hex, lrText, type StepRecord, type TraceEvent } from '@vgic/core';

export { hex };

/** A list register's state: `P`, `A`, `P+A`, or `—` for one that holds nothing live. */
export function lrStateText(state: number): string {
  const p = (state & 1) !== 0;
  const a = (state & 2) !== 0;
  return p && a ? 'P+A' : p ? 'P' : a ? 'A' : '—';
}

/** A running priority: `0xa0`, or `idle` for 0xff (nothing active). */
export function priorityText(p: number): string {
  return p === 0xff ? `${hex(p)} (idle)` : hex(p);
}

/** The active-priority registers that hold a bit: `AP1R0 0x100000`, or `clear`. */
export function aprText(apr: readonly number[]): string {
  const set = apr.flatMap((w, i) => (w === 0 ? [] : [`AP${i < 4 ? 0 : 1}R${i % 4} ${hex(w >>> 0)}`]));
  return set.length === 0 ? 'clear' : set.join(', ');
}

/** One trace event in a line: `queue INTID 40 on vCPU0's ap_list`. */
export function eventText(e: TraceEvent): string {
  switch (e.type) {
    case 'inject':
      return `inject INTID ${e.intid} line ${e.level ? 'high' : 'low'}${e.accepted ? '' : ' (dropped: nothing to do)'}`;
    case 'queue':
      return `queue INTID ${e.intid} on vCPU${e.vcpu}'s ap_list`;
    case 'kick':
      return `kick vCPU${e.vcpu} (exit and look at the ap_list again)`;
    case 'flush':
      return `flush vCPU${e.vcpu}: LRs [${e.lrs.map(lrText).join(', ')}]${e.queued > e.lrs.length ? `, ${e.queued - e.lrs.length} left on the ap_list` : ''}${e.underflow ? ', underflow interrupt asked for' : ''}`;
    case 'fold':
      return `fold vCPU${e.vcpu} LR${e.lr} back into INTID ${e.intid} (${lrStateText(e.state)})`;
    case 'prune':
      return `prune INTID ${e.intid} off vCPU${e.vcpu}'s ap_list`;
    case 'migrate':
      return `migrate INTID ${e.intid} from vCPU${e.from} to vCPU${e.to}`;
    case 'ack':
      return e.intid >= 1020 ? `ack on vCPU${e.vcpu}: nothing to take (${e.intid})` : `ack INTID ${e.intid} on vCPU${e.vcpu}${e.intid < 16 && e.source !== 0 ? ` from vCPU${e.source}` : ''}`;
    case 'eoi':
      return `eoi INTID ${e.intid} on vCPU${e.vcpu}${e.deactivated ? ': priority drop and deactivation' : ': priority drop'}${e.inLr ? '' : ' (in no list register)'}`;
    case 'dir':
      return `dir INTID ${e.intid} on vCPU${e.vcpu}${e.deactivated ? ': deactivated' : ': nothing to deactivate'}${e.inLr ? '' : ' (in no list register)'}`;
    case 'maintenance':
      return `maintenance interrupt on vCPU${e.vcpu} (${e.reason})`;
    case 'hostDeactivate':
      return `host deactivation of host INTID ${e.hostIntid} (INTID ${e.intid}, vCPU${e.vcpu})`;
    case 'hostActivate':
      return `host activation of host INTID ${e.hostIntid} (INTID ${e.intid}, vCPU${e.vcpu})`;
    case 'hostClearPending':
      return `host clear-pending of host INTID ${e.hostIntid} (INTID ${e.intid}, vCPU${e.vcpu})`;
    case 'line':
      return `vCPU${e.vcpu} lines: IRQ ${e.irq ? 'up' : 'down'}, FIQ ${e.fiq ? 'up' : 'down'}`;
    case 'unhandled':
      return `unhandled guest ${e.write ? 'write' : 'read'} on vCPU${e.vcpu}: ${e.reason === 'no-sysreg' ? `system register ${hex(e.at)}` : e.frame === null ? hex(e.at) : `${e.frame}+${hex(e.offset)}`} (${e.reason})`;
  }
}

/** A step's outcome beside its line: `→ 0x28 (40) ✓ expect 0x28`, `✗ read 0x3ff, expected 0x28`. */
export function outcomeText(r: StepRecord): string {
  const parts: string[] = [];
  if (r.read !== undefined) parts.push(`→ ${hex(r.read)} (${r.read})`);
  if (r.check !== undefined) parts.push(r.check.ok ? `✓ ${r.check.what}` : `✗ ${r.check.message ?? r.check.what}`);
  else if (r.error !== undefined) parts.push(`✗ ${r.error.code}: ${r.error.message}`);
  if (parts.length === 0) parts.push('done');
  return parts.join('  ');
}
