/**
 * `check` steps: the fields a check may name, as data (loaders validate
 * against this table, the runner evaluates it), and their evaluation against
 * a machine's architectural state.
 */
import type { IrqState, VcpuState } from '../inspect.js';
import type { Machine } from '../machine.js';
import type { CheckSpec } from './types.js';

export type CheckFieldKind = 'boolean' | 'integer' | 'integerOrNull' | 'integerList' | 'config';

export interface CheckField {
  readonly name: Exclude<keyof CheckSpec, 'irq' | 'vcpu' | 'ordered'>;
  /** `irq`: a field of the interrupt named by `irq`; `vcpu`: a field of the vCPU. */
  readonly scope: 'irq' | 'vcpu';
  readonly kind: CheckFieldKind;
  readonly doc: string;
}

/** Every field a check may compare, besides the selectors `irq`, `vcpu` and the `ordered` flag. */
export const CHECK_FIELDS: readonly CheckField[] = [
  { name: 'pending', scope: 'irq', kind: 'boolean', doc: 'pending (latch, line level, or a pending list register)' },
  { name: 'active', scope: 'irq', kind: 'boolean', doc: 'active' },
  { name: 'enabled', scope: 'irq', kind: 'boolean', doc: 'enabled at the distributor or redistributor' },
  { name: 'priority', scope: 'irq', kind: 'integer', doc: 'priority byte as stored (unimplemented bits zero)' },
  { name: 'group', scope: 'irq', kind: 'integer', doc: 'group, 0 or 1' },
  { name: 'config', scope: 'irq', kind: 'config', doc: '`edge` or `level`' },
  { name: 'lineLevel', scope: 'irq', kind: 'boolean', doc: 'the host line level' },
  { name: 'pendingLatch', scope: 'irq', kind: 'boolean', doc: 'the pending latch (edge, or a software pend)' },
  { name: 'target', scope: 'irq', kind: 'integerOrNull', doc: 'the vCPU the routing names, or null' },
  { name: 'queued', scope: 'irq', kind: 'integerOrNull', doc: "the vCPU whose ap_list holds it, or null" },
  { name: 'lr', scope: 'irq', kind: 'integerOrNull', doc: 'the list register holding it while its vCPU runs, or null' },
  { name: 'hw', scope: 'irq', kind: 'boolean', doc: 'hardware-mapped' },
  { name: 'hostIntid', scope: 'irq', kind: 'integerOrNull', doc: 'the host interrupt it is mapped to, or null' },
  { name: 'sources', scope: 'irq', kind: 'integerList', doc: 'GICv2 SGIs: the source vCPUs with it pending (a set)' },
  { name: 'hasPending', scope: 'vcpu', kind: 'boolean', doc: 'an interrupt the vCPU could take now (kvm_vgic_vcpu_pending_irq)' },
  { name: 'apList', scope: 'vcpu', kind: 'integerList', doc: 'INTIDs on the ap_list (a set, or in order with `ordered: true`)' },
  { name: 'running', scope: 'vcpu', kind: 'boolean', doc: 'the vCPU is inside the guest' },
  { name: 'irqLine', scope: 'vcpu', kind: 'boolean', doc: 'the virtual IRQ output is asserted' },
  { name: 'fiqLine', scope: 'vcpu', kind: 'boolean', doc: 'the virtual FIQ output is asserted' },
  { name: 'pmr', scope: 'vcpu', kind: 'integer', doc: 'the priority mask' },
  { name: 'runningPriority', scope: 'vcpu', kind: 'integer', doc: 'the running priority (RPR; 0xff when idle)' },
  { name: 'eoiMode', scope: 'vcpu', kind: 'integer', doc: 'EOImode, 0 or 1' },
];

export interface CheckOutcome {
  ok: boolean;
  /** What was checked, for a report line: `INTID 40 pending=false active=false`. */
  what: string;
  /** Why it failed: each field as found against what was expected. */
  message?: string;
}

type Found = boolean | number | string | null | readonly number[];

function show(x: Found | undefined): string {
  if (x === undefined) return 'undefined';
  if (x === null) return 'null';
  if (Array.isArray(x)) return `[${x.join(', ')}]`;
  if (typeof x === 'number' && x > 9) return `${x} (0x${x.toString(16)})`;
  return String(x);
}

function sameSet(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  const sa = [...a].sort((x, y) => x - y);
  const sb = [...b].sort((x, y) => x - y);
  return sa.every((x, i) => x === sb[i]);
}

function sameList(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function vcpuField(m: Machine, vcpu: number, st: VcpuState, name: CheckField['name']): Found {
  switch (name) {
    case 'hasPending':
      return m.hasPending(vcpu);
    case 'apList':
      return st.apList;
    case 'running':
      return st.running;
    case 'irqLine':
      return st.irqLine;
    case 'fiqLine':
      return st.fiqLine;
    case 'pmr':
      return st.pmr;
    case 'runningPriority':
      return st.runningPriority;
    case 'eoiMode':
      return st.eoiMode;
    default:
      return null;
  }
}

function irqField(st: IrqState, name: CheckField['name']): Found {
  return (st as unknown as Record<string, Found>)[name] ?? null;
}

/** Describe a check for a report line. */
export function describeCheck(c: CheckSpec): string {
  const head = c.irq !== undefined ? `INTID ${c.irq}${c.irq < 32 ? ` of vCPU${c.vcpu ?? 0}` : ''}` : `vCPU${c.vcpu ?? 0}`;
  const parts: string[] = [];
  for (const f of CHECK_FIELDS) {
    const want = c[f.name];
    if (want !== undefined) parts.push(`${f.name}=${show(want as Found)}`);
  }
  if (c.ordered) parts.push('ordered');
  return `${head} ${parts.join(' ')}`;
}

/**
 * Compare every field the check names with the machine's architectural
 * state. Throws `VgicError` (INVALID_INTID, INVALID_VCPU) for an interrupt
 * or vCPU the machine does not have.
 */
export function evaluateCheck(m: Machine, c: CheckSpec): CheckOutcome {
  const vcpu = c.vcpu ?? 0;
  const irq = c.irq !== undefined ? m.irq(c.irq, c.irq < 32 ? vcpu : undefined) : null;
  let vst: VcpuState | null = null;
  const wrong: string[] = [];
  for (const f of CHECK_FIELDS) {
    const want = c[f.name] as Found | undefined;
    if (want === undefined) continue;
    let found: Found;
    if (f.scope === 'irq') {
      if (irq === null) {
        wrong.push(`${f.name} needs an interrupt (irq:)`);
        continue;
      }
      found = irqField(irq, f.name);
    } else {
      vst ??= m.vcpu(vcpu);
      found = vcpuField(m, vcpu, vst, f.name);
    }
    let same: boolean;
    if (Array.isArray(want) && Array.isArray(found)) {
      same = f.name === 'apList' && c.ordered === true ? sameList(found, want) : sameSet(found, want);
    } else {
      same = found === want;
    }
    if (!same) wrong.push(`${f.name} is ${show(found)}, expected ${show(want)}`);
  }
  const what = describeCheck(c);
  return wrong.length === 0 ? { ok: true, what } : { ok: false, what, message: wrong.join('; ') };
}
