/**
 * How the CLI prints: colour only for a terminal (and never with NO_COLOR),
 * one line a step, trace events beneath it, and the JSON form of a result.
 */
import { hex, lrText, type ScenarioResult, type StepRecord, type TraceEvent, type UnhandledAccess, type UnhandledReason } from '@vgic/core';
import type { LoadError } from './load/index.js';

/** Where the CLI writes, and whether it may colour. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
  colour: boolean;
}

/** no-color.org: any non-empty NO_COLOR turns colour off; otherwise colour a terminal only. */
export function wantsColour(isTTY: boolean | undefined, env: Readonly<Record<string, string | undefined>>): boolean {
  const noColor = env['NO_COLOR'];
  if (noColor !== undefined && noColor !== '') return false;
  return isTTY === true;
}

export interface Paint {
  ok(s: string): string;
  bad(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
  accent(s: string): string;
}

function sgr(on: boolean, open: number, close: number): (s: string) => string {
  return on ? (s) => `\x1b[${open}m${s}\x1b[${close}m` : (s) => s;
}

export function paint(colour: boolean): Paint {
  return {
    ok: sgr(colour, 32, 39),
    bad: sgr(colour, 31, 39),
    dim: sgr(colour, 2, 22),
    bold: sgr(colour, 1, 22),
    accent: sgr(colour, 36, 39),
  };
}

/** The command-line option that raises each limit a load error can be about. */
const LIMIT_OPTIONS: Partial<Record<NonNullable<LoadError['limit']>, string>> = {
  maxFileSize: '--max-file-size',
  fullYamlSize: '--max-file-size',
  snapshotBudget: '--snapshot-budget',
  maxMemory: '--max-memory',
};

export function formatLoadError(e: LoadError): string {
  const option = e.limit === undefined || e.limit === 'fullYamlSize' ? undefined : LIMIT_OPTIONS[e.limit];
  return `${e.file}:${e.line}:${e.col}: ${e.message}${option ? ` (${option} raises it)` : ''}`;
}

const UNHANDLED_WHY: Record<UnhandledReason, string> = {
  'no-frame': 'no frame there',
  'no-register': 'no register there, RAZ/WI',
  width: 'a width or alignment the register does not allow, RAZ/WI',
  'no-sysreg': 'no such system register',
};

function unhandledWhere(e: UnhandledAccess): string {
  if (e.reason === 'no-sysreg') return e.at < 0 ? 'a system register encoding that is none' : `system register ${hex(e.at)}`;
  const at = e.frame === null ? hex(e.at) : `${e.frame}+${hex(e.offset)}`;
  return `${at}, ${e.width}-bit`;
}

/** A trace event in words. */
export function formatEvent(e: TraceEvent): string {
  switch (e.type) {
    case 'inject':
      return `inject ${e.intid}${e.vcpu >= 0 ? ` on vCPU${e.vcpu}` : ''} level ${e.level ? 1 : 0}${e.accepted ? '' : ' (no change)'}`;
    case 'queue':
      return `queue ${e.intid} on vCPU${e.vcpu}`;
    case 'kick':
      return `kick vCPU${e.vcpu}`;
    case 'flush':
      return `flush vCPU${e.vcpu}: LRs [${e.lrs.map(lrText).join(', ')}]${e.queued > e.lrs.length ? `, ${e.queued} queued` : ''}${e.underflow ? ', underflow maintenance requested' : ''}`;
    case 'fold':
      return `fold vCPU${e.vcpu} LR${e.lr}: ${e.intid} ${(e.state & 1 ? 'P' : '') + (e.state & 2 ? 'A' : '') || 'inactive'}`;
    case 'prune':
      return `prune ${e.intid} from vCPU${e.vcpu}`;
    case 'migrate':
      return `migrate ${e.intid} vCPU${e.from} → vCPU${e.to}`;
    case 'ack':
      return `ack vCPU${e.vcpu}: ${e.intid >= 1020 ? `${e.intid} (nothing to take)` : e.intid}${e.intid < 16 && e.source > 0 ? ` from vCPU${e.source}` : ''}`;
    case 'eoi':
      return `eoi vCPU${e.vcpu}: ${e.intid}${e.deactivated ? ', deactivated' : ', priority drop'}${e.inLr ? '' : ' (in no LR)'}`;
    case 'dir':
      return `dir vCPU${e.vcpu}: ${e.intid}${e.deactivated ? ', deactivated' : ', nothing to deactivate'}${e.inLr ? '' : ' (in no LR)'}`;
    case 'maintenance':
      return `maintenance vCPU${e.vcpu}: ${e.reason}`;
    case 'hostDeactivate':
      return `host deactivate: host ${e.hostIntid} (guest ${e.intid} on vCPU${e.vcpu})`;
    case 'hostActivate':
      return `host activate: host ${e.hostIntid} (guest ${e.intid} on vCPU${e.vcpu})`;
    case 'hostClearPending':
      return `host clear pending: host ${e.hostIntid} (guest ${e.intid} on vCPU${e.vcpu})`;
    case 'line':
      return `vCPU${e.vcpu} IRQ ${e.irq ? 'up' : 'down'}, FIQ ${e.fiq ? 'up' : 'down'}`;
    case 'unhandled':
      return `unhandled ${e.write ? 'write' : 'read'} vCPU${e.vcpu}: ${unhandledWhere(e)} (${UNHANDLED_WHY[e.reason]})`;
  }
}

function readText(value: bigint): string {
  return value > 9n ? `${hex(value)} (${value})` : String(value);
}

/** One step as one line (plus its trace events beneath, when recorded). */
export function formatStep(r: StepRecord, p: Paint, file: string | undefined): string {
  let line = `${String(r.index).padStart(4)}  ${r.action}`;
  if (r.read !== undefined) line += ` → ${p.bold(readText(r.read))}`;
  if (r.result !== undefined) line += ` → ${p.bold(r.result)}`;
  if (r.check !== undefined) {
    // A check step's action already says what it checks.
    const what = r.step.action === 'check' && r.step.expectError === undefined ? '' : r.check.what;
    if (r.check.ok) {
      line += `  ${p.ok(`✓${what === '' ? '' : ` ${what}`}`)}`;
    } else {
      const at = r.step.pos && file ? ` (${file}:${r.step.pos.line}:${r.step.pos.col})` : '';
      line += `  ${p.bad(`✗ ${what === '' || what === 'step' ? '' : `${what}: `}${r.check.message ?? 'failed'}`)}${at}`;
    }
  } else if (r.error !== undefined) {
    line += `  ${p.bad(`${r.error.code}: ${r.error.message}`)}`;
  }
  if (r.changes.length > 0) line += `  ${p.dim(`— ${r.changes.join('; ')}`)}`;
  if (r.events !== undefined && r.events.length > 0) {
    line += r.events.map((e) => `\n        ${p.accent('·')} ${p.dim(formatEvent(e))}`).join('');
  }
  return line;
}

function bigintReplacer(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? hex(value) : value;
}

/** A step's machine-readable form: its record, its position, the step itself; 64-bit values as hex strings. */
export function stepJson(r: StepRecord): unknown {
  const { step, ...rest } = r;
  const { pos, ...fields } = step;
  return { ...rest, ...(pos && { line: pos.line, col: pos.col }), step: fields };
}

/** JSON text of `value`, pretty-printed as if it stood `depth` levels deep in a document. */
export function jsonAt(value: unknown, depth: number): string {
  const text = JSON.stringify(value, bigintReplacer, 2);
  return depth === 0 ? text : text.replace(/\n/g, `\n${'  '.repeat(depth)}`);
}

/**
 * The `--json` document, written as the run goes (a step at a time, so that
 * memory does not grow with the steps):
 * `{ files: [{ file, name, gic, steps: [...], passed, failed }], passed, failed, ok }`.
 */
export class JsonReport {
  private files = 0;
  private steps = 0;

  constructor(private readonly out: (text: string) => void) {
    out('{\n  "files": [');
  }

  file(r: Pick<ScenarioResult, 'file' | 'name' | 'gic'>): void {
    const head = `{\n      "file": ${JSON.stringify(r.file ?? null)},\n      "name": ${JSON.stringify(r.name ?? null)},\n      "gic": ${JSON.stringify(r.gic)},\n      "steps": [`;
    this.out(`${this.files++ === 0 ? '\n' : ',\n'}    ${head}`);
    this.steps = 0;
  }

  step(r: StepRecord): void {
    this.out(`${this.steps++ === 0 ? '\n' : ',\n'}        ${jsonAt(stepJson(r), 4)}`);
  }

  endFile(r: Pick<ScenarioResult, 'passed' | 'failed'>): void {
    this.out(`${this.steps === 0 ? '' : '\n      '}],\n      "passed": ${r.passed},\n      "failed": ${r.failed}\n    }`);
  }

  end(passed: number, failed: number): void {
    this.out(`${this.files === 0 ? '' : '\n  '}],\n  "passed": ${passed},\n  "failed": ${failed},\n  "ok": ${failed === 0}\n}\n`);
  }
}
