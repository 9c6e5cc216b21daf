/**
 * Loading a scenario file (the format: apps/cli/README.md): YAML or JSON — JSON is YAML,
 * so one parser reads both and big integers stay exact (`intAsBigInt`). The
 * document keeps its source ranges, so every complaint names the file, line
 * and column of the key or value at fault and says what is wrong:
 *
 *   bad.yaml:7:10: step 4: unknown register GICD_ISENABLE1 on GICv3 — did you mean GICD_ISENABLER1?
 *
 * Checks, in order: the bytes are UTF-8 text; the YAML parses; the header and
 * each step match their JSON Schema (ajv); then what needs the machine — the
 * machine is built from the header (without running anything) and every
 * register name, vCPU and access width of every step is resolved against it.
 * A file with any error is not run.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import {
  CHECK_FIELDS,
  STEP_ACTIONS,
  VgicError,
  createScenarioMachine,
  isVgicError,
  type CheckSpec,
  type Machine,
  type Scenario,
  type ScenarioBackend,
  type SourcePos,
  type Step,
  type StepAction,
} from '@vgic/core';
import { LineCounter, isMap, isScalar, isSeq, parseDocument, type Document } from 'yaml';
import { ACTION_VALUE, HEADER_SCHEMA, STEP_SCHEMAS } from './schema.js';

export interface LoadError {
  file: string;
  line: number;
  col: number;
  message: string;
}

export type LoadResult = { ok: true; scenario: Scenario } | { ok: false; errors: LoadError[] };

export interface LoadOptions {
  /** Machine factories by `gic:` name; the machine is built (not run) to check registers and limits. */
  backends: Readonly<Record<string, ScenarioBackend>>;
}

type Path = readonly (string | number)[];
type Plain = Record<string, unknown>;

const ajv = new Ajv({ allErrors: true, allowUnionTypes: true, strict: true });
const validateHeader: ValidateFunction = ajv.compile(HEADER_SCHEMA);
const validateStep = Object.fromEntries(STEP_ACTIONS.map((a) => [a, ajv.compile(STEP_SCHEMAS[a])])) as Record<StepAction, ValidateFunction>;

const U64_MAX = (1n << 64n) - 1n;

/** Collects errors with the position of the YAML node at a path. */
class Reporter {
  readonly errors: LoadError[] = [];
  constructor(
    readonly file: string,
    private readonly doc: Document | null,
    private readonly lines: LineCounter,
  ) {}

  /** Line and column of the node at `path` (of its key, with `key`), or of the nearest node above it. */
  at(path: Path, key = false): SourcePos {
    let node: unknown = this.doc?.contents ?? null;
    let found: unknown = node;
    for (let i = 0; i < path.length && node !== null && node !== undefined; i++) {
      const seg = path[i]!;
      if (isMap(node)) {
        const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
        if (pair === undefined) break;
        if (key && i === path.length - 1) {
          found = pair.key;
          break;
        }
        node = pair.value;
      } else if (isSeq(node) && typeof seg === 'number') {
        node = node.items[seg];
      } else {
        break;
      }
      if (node !== null && node !== undefined) found = node;
    }
    const range = (found as { range?: readonly number[] } | null)?.range;
    return this.pos(range?.[0] ?? 0);
  }

  pos(offset: number): SourcePos {
    const p = this.lines.linePos(offset);
    return { line: Math.max(1, p.line), col: Math.max(1, p.col) };
  }

  /** The errors in the order they stand in the file. */
  sorted(): LoadError[] {
    return [...this.errors].sort((a, b) => a.line - b.line || a.col - b.col);
  }

  fail(path: Path, message: string, key = false): void {
    this.errors.push({ file: this.file, ...this.at(path, key), message });
  }

  failAt(pos: SourcePos, message: string): void {
    this.errors.push({ file: this.file, ...pos, message });
  }
}

// ---------------------------------------------------------------- text

function lineColOf(text: string, index: number): SourcePos {
  let line = 1;
  let col = 1;
  for (let i = 0; i < index; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      col = 1;
    } else {
      col++;
    }
  }
  return { line, col };
}

/** The file as text, or where it stops being text. */
function decode(source: string | Uint8Array): { text: string } | { pos: SourcePos; message: string } {
  let text: string;
  let badUtf8 = -1;
  if (typeof source === 'string') {
    text = source;
  } else {
    text = new TextDecoder('utf-8').decode(source);
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(source);
    } catch {
      badUtf8 = Math.max(0, text.indexOf('\ufffd'));
    }
  }
  // YAML allows tab, newline and printable characters; anything else means binary data.
  const ctl = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.exec(text);
  if (ctl !== null && (badUtf8 < 0 || ctl.index < badUtf8)) {
    const code = ctl[0].charCodeAt(0).toString(16).padStart(2, '0');
    return { pos: lineColOf(text, ctl.index), message: `this is not a scenario: the file holds a control character (0x${code}), so it is not YAML or JSON text` };
  }
  if (badUtf8 >= 0) {
    return { pos: lineColOf(text, badUtf8), message: 'this is not a scenario: the file is not UTF-8 text (it holds a byte sequence UTF-8 does not allow)' };
  }
  return { text };
}

// ---------------------------------------------------------------- values

function describeValue(x: unknown): string {
  if (x === null || x === undefined) return 'nothing (an empty value)';
  if (typeof x === 'string') return `a string (${JSON.stringify(x.length > 40 ? `${x.slice(0, 40)}…` : x)})`;
  if (typeof x === 'boolean') return `a boolean (${x})`;
  if (typeof x === 'number') return Number.isInteger(x) ? `the number ${x}` : `a fraction (${x})`;
  if (typeof x === 'bigint') return `the number ${x}`;
  if (Array.isArray(x)) return 'a list';
  return 'a map';
}

function showValue(x: unknown): string {
  if (typeof x === 'string') return JSON.stringify(x);
  return String(x);
}

const TYPE_WORDS: Record<string, string> = {
  integer: 'a whole number',
  number: 'a number',
  string: 'a string',
  boolean: 'true or false',
  array: 'a list',
  object: 'a map',
  null: 'null',
};

function typeWords(t: unknown): string {
  const list = Array.isArray(t) ? t : [t];
  if (list.includes('integer') && list.includes('string')) return 'a number (decimal or 0x hex)';
  return list.map((x) => TYPE_WORDS[String(x)] ?? String(x)).join(' or ');
}

/** A copy with every bigint as a number, for ajv's type and range checks. */
function toPlain(x: unknown): unknown {
  if (typeof x === 'bigint') return Number(x);
  if (Array.isArray(x)) return x.map(toPlain);
  if (x instanceof Map) return Object.fromEntries([...x].map(([k, v]) => [String(k), toPlain(v)]));
  if (x !== null && typeof x === 'object') return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, toPlain(v)]));
  return x;
}

function num(x: unknown): number {
  return typeof x === 'bigint' ? Number(x) : (x as number);
}

/** Edit distance counting a swap of two neighbours as one edit (optimal string alignment), case-blind. */
function editDistance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  const d: number[][] = Array.from({ length: x.length + 1 }, (_, i) => Array.from({ length: y.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= x.length; i++) {
    for (let j = 1; j <= y.length; j++) {
      const cost = x[i - 1] === y[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && x[i - 1] === y[j - 2] && x[i - 2] === y[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[x.length]![y.length]!;
}

function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = editDistance(word, c);
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return bestD <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

// ---------------------------------------------------------------- schema errors

function valueAt(root: unknown, path: Path): unknown {
  let x = root;
  for (const seg of path) {
    if (x === null || typeof x !== 'object') return undefined;
    x = (x as Record<string | number, unknown>)[seg];
  }
  return x;
}

function pointer(instancePath: string): (string | number)[] {
  if (instancePath === '') return [];
  return instancePath
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

/** How a path reads in a message: `vcpus`, `step 4: value`, `step 4: check.pending`. */
function fieldName(path: Path): { prefix: string; field: string } {
  if (path[0] === 'steps' && typeof path[1] === 'number') {
    return { prefix: `step ${path[1] + 1}: `, field: path.slice(2).join('.') };
  }
  return { prefix: '', field: path.map(String).join('.') };
}

function allowedKeys(schema: Record<string, unknown>): string[] {
  return Object.keys((schema['properties'] as Record<string, unknown>) ?? {});
}

/** Report ajv's errors as sentences, one per key (the first that applies), at the key or value at fault. */
function reportSchemaErrors(r: Reporter, errors: readonly ErrorObject[], plain: unknown, base: Path, what: string, schema: Record<string, unknown>): void {
  const seen = new Set<string>();
  for (const e of errors) {
    const rel = pointer(e.instancePath);
    const path = [...base, ...rel];
    const { prefix, field } = fieldName(path);
    const value = valueAt(plain, rel);
    const where = e.keyword === 'additionalProperties' ? `${e.instancePath}/${String(e.params['additionalProperty'])}` : e.instancePath;
    if (seen.has(where)) continue;
    seen.add(where);
    switch (e.keyword) {
      case 'additionalProperties': {
        const key = String(e.params['additionalProperty']);
        const sub = rel.length === 0 ? schema : (((schema['properties'] as Record<string, Record<string, unknown>>)[String(rel[0])] ?? {}) as Record<string, unknown>);
        const allowed = allowedKeys(sub);
        const hint = closest(key, allowed);
        const whose = rel.length === 0 ? what : field;
        r.fail([...path, key], `${prefix}unknown key ${key} in ${whose}${hint ? ` — did you mean ${hint}?` : ''} (allowed: ${allowed.join(', ')})`, true);
        break;
      }
      case 'required':
        r.fail(path, `${prefix}${what} needs ${String(e.params['missingProperty'])}`);
        break;
      case 'type':
        if (field === '' && prefix !== '') {
          r.fail(path, `${prefix.slice(0, -2)} must be a map with one action (like write: GICD_CTLR), not ${describeValue(value)}`);
          break;
        }
        r.fail(path, `${prefix}${field} must be ${typeWords(e.params['type'])}, not ${describeValue(value)}`);
        break;
      case 'minimum':
        r.fail(path, `${prefix}${field} must be at least ${String(e.params['limit'])} (got ${showValue(value)})`);
        break;
      case 'maximum':
        r.fail(path, `${prefix}${field} must be at most ${String(e.params['limit'])} (got ${showValue(value)})`);
        break;
      case 'multipleOf':
        r.fail(path, `${prefix}${field} must be a multiple of ${String(e.params['multipleOf'])} (got ${showValue(value)})`);
        break;
      case 'enum':
        r.fail(path, `${prefix}${field} must be one of ${(e.params['allowedValues'] as unknown[]).map(String).join(', ')} (got ${showValue(value)})`);
        break;
      case 'pattern':
        r.fail(path, `${prefix}${field} must be a number, decimal or 0x hex (got ${showValue(value)})`);
        break;
      case 'minLength':
        r.fail(path, `${prefix}${field} must not be empty`);
        break;
      default:
        r.fail(path, `${prefix}${field || what} ${e.message ?? 'is not valid'}`);
    }
  }
}

// ---------------------------------------------------------------- steps

interface StepSource {
  index: number;
  path: Path;
  js: Plain;
  action: StepAction;
}

/** Which action a step is, or an error: it needs exactly one. */
function stepAction(r: Reporter, path: Path, index: number, js: Plain): StepAction | null {
  const keys = Object.keys(js);
  const actions = keys.filter((k): k is StepAction => (STEP_ACTIONS as readonly string[]).includes(k));
  if (actions.length === 1) return actions[0]!;
  if (actions.length > 1) {
    r.fail([...path, actions[1]!], `step ${index + 1} has ${actions.length} actions (${actions.join(', ')}); a step has exactly one — split it into ${actions.length} steps`, true);
    return null;
  }
  const common = new Set(['vcpu', 'expectError', 'value', 'width', 'rd', 'expect', 'mask', 'level', 'host']);
  const typo = keys.filter((k) => !common.has(k)).map((k) => [k, closest(k, STEP_ACTIONS)] as const).find(([, a]) => a !== undefined);
  const hint = typo ? ` (did you mean ${typo[1]}, not ${typo[0]}?)` : '';
  r.fail(typo ? [...path, typo[0]] : path, `step ${index + 1} has no action${hint}: a step needs one of ${STEP_ACTIONS.join(', ')}`, typo !== undefined);
  return null;
}

/** An unsigned 64-bit value: a bigint from YAML, a whole number, or a decimal or hex string. */
function u64(r: Reporter, path: Path, x: unknown): bigint {
  let v: bigint;
  if (typeof x === 'bigint') v = x;
  else if (typeof x === 'number') v = BigInt(x);
  else v = BigInt(String(x));
  if (v > U64_MAX) {
    const { prefix, field } = fieldName(path);
    r.fail(path, `${prefix}${field} 0x${v.toString(16)} does not fit in 64 bits`);
  }
  return v;
}

function buildCheck(js: Plain): CheckSpec {
  const c: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(js)) {
    if (typeof v === 'bigint') c[k] = Number(v);
    else if (Array.isArray(v)) c[k] = v.map((x) => num(x));
    else c[k] = v;
  }
  return c as CheckSpec;
}

function buildStep(r: Reporter, s: StepSource, pos: SourcePos): Step {
  const js = s.js;
  const common = {
    pos,
    ...(js['vcpu'] !== undefined && { vcpu: num(js['vcpu']) }),
    ...(js['expectError'] !== undefined && { expectError: String(js['expectError']) }),
  };
  const access = {
    ...(js['width'] !== undefined && { width: num(js['width']) }),
    ...(js['rd'] !== undefined && { rd: num(js['rd']) }),
  };
  switch (s.action) {
    case 'write':
      return { action: 'write', register: String(js['write']), value: u64(r, [...s.path, 'value'], js['value']), ...access, ...common };
    case 'read':
      return {
        action: 'read',
        register: String(js['read']),
        ...(js['expect'] !== undefined && { expect: u64(r, [...s.path, 'expect'], js['expect']) }),
        ...(js['mask'] !== undefined && { mask: u64(r, [...s.path, 'mask'], js['mask']) }),
        ...access,
        ...common,
      };
    case 'inject': {
      const level = js['level'];
      return { action: 'inject', intid: num(js['inject']), ...(level !== undefined && { level: level === true || num(level) === 1 ? 1 : 0 }), ...common };
    }
    case 'map':
      return { action: 'map', intid: num(js['map']), ...(js['host'] !== undefined && { host: num(js['host']) }), ...common };
    case 'run':
      return { action: 'run', ...common, vcpu: num(js['run']) };
    case 'exit':
      return { action: 'exit', ...common, vcpu: num(js['exit']) };
    case 'check':
      return { action: 'check', check: buildCheck(js['check'] as Plain), ...common };
    case 'snapshot':
      return { action: 'snapshot', name: String(js['snapshot']), ...common };
    case 'restore':
      return { action: 'restore', name: String(js['restore']), ...common };
  }
}

// ---------------------------------------------------------------- checks that need the machine

function checkVcpuField(r: Reporter, step: Step, path: Path, key: string, vcpu: number | undefined, m: Machine): void {
  if (vcpu === undefined || vcpu < m.vcpus || step.expectError === 'INVALID_VCPU') return;
  const { prefix } = fieldName(path);
  r.fail([...path, key], `${prefix}vCPU ${vcpu} does not exist: this machine has vCPUs 0..${m.vcpus - 1} (vcpus: ${m.vcpus})`);
}

/** Why a whole family of names is missing on this version. */
function familyHint(name: string, version: string): string {
  if (version === 'v2' && name.startsWith('ICC_')) return ' (GICv2 has no GIC system registers: its CPU interface is the GICC_* registers)';
  if (version === 'v2' && name.startsWith('GICR')) return ' (GICv2 has no redistributors: private interrupts are in the GICD_* registers, banked per vCPU)';
  if (version === 'v3' && name.startsWith('GICC')) return ' (on GICv3 the CPU interface is the ICC_*_EL1 system registers)';
  return '';
}

function fits(value: bigint, width: number): boolean {
  return width >= 64 || value < 1n << BigInt(width);
}

function checkAccess(r: Reporter, step: Step & { action: 'write' | 'read' }, path: Path, m: Machine): void {
  const { prefix } = fieldName(path);
  let resolved;
  try {
    resolved = m.resolve(step.register, { vcpu: step.vcpu ?? 0, ...(step.rd !== undefined && { rd: step.rd }) });
  } catch (e) {
    if (isVgicError(e) && e.code === step.expectError) return;
    if (isVgicError(e, 'UNKNOWN_REGISTER')) r.fail([...path, step.action], `${prefix}${e.message}${familyHint(step.register, m.version)}`);
    else if (!isVgicError(e, 'INVALID_VCPU')) throw e;
    return;
  }
  if (resolved.kind === 'sysreg') {
    for (const key of ['width', 'rd'] as const) {
      if (step[key] !== undefined) r.fail([...path, key], `${prefix}${key} applies to memory-mapped registers; ${step.register} is a 64-bit system register`, true);
    }
  } else if (step.rd !== undefined && resolved.rd === null) {
    r.fail([...path, 'rd'], `${prefix}rd names whose redistributor to access; ${step.register} is in the ${resolved.frame} frame, not a redistributor`, true);
  }
  const width = resolved.kind === 'sysreg' ? 64 : (step.width ?? resolved.width);
  const values: [string, bigint | undefined][] = step.action === 'write' ? [['value', step.value]] : [['expect', step.expect], ['mask', step.mask]];
  for (const [key, v] of values) {
    if (v !== undefined && v <= U64_MAX && !fits(v, width)) {
      r.fail([...path, key], `${prefix}${key} 0x${v.toString(16)} does not fit in a ${width}-bit access of ${step.register}`);
    }
  }
}

function checkCheck(r: Reporter, step: Step & { action: 'check' }, path: Path): void {
  const { prefix } = fieldName(path);
  const c = step.check;
  const cpath = [...path, 'check'];
  const named = CHECK_FIELDS.filter((f) => c[f.name] !== undefined);
  if (c.irq === undefined) {
    for (const f of named.filter((f) => f.scope === 'irq')) {
      r.fail([...cpath, f.name], `${prefix}${f.name} is a field of an interrupt: say which one with irq:`, true);
    }
  }
  if (c.ordered !== undefined && c.apList === undefined) r.fail([...cpath, 'ordered'], `${prefix}ordered applies to apList, which this check does not name`, true);
  if (named.length === 0 && step.expectError === undefined) {
    const fields = CHECK_FIELDS.map((f) => f.name).join(', ');
    r.fail(cpath, `${prefix}check compares nothing: name at least one of ${fields}`);
  }
}

function checkMpidr(r: Reporter, s: Scenario): void {
  if (s.mpidr === undefined) return;
  if (s.gic !== 'v3') {
    r.fail(['mpidr'], `mpidr is for GICv3, which routes by affinity; GIC${s.gic} has none`, true);
    return;
  }
  if (s.mpidr.length !== s.vcpus) {
    r.fail(['mpidr'], `mpidr lists ${s.mpidr.length} affinities for ${s.vcpus} vCPUs: give one per vCPU`);
  }
  const seen = new Map<bigint, number>();
  s.mpidr.forEach((a, k) => {
    if ((a & ~0xff_00ff_ffffn) !== 0n) {
      r.fail(['mpidr', k], `mpidr of vCPU ${k}, 0x${a.toString(16)}, has bits outside Aff3 (39:32) and Aff2..Aff0 (23:0)`);
    } else if (seen.has(a)) {
      r.fail(['mpidr', k], `vCPUs ${seen.get(a)} and ${k} have the same affinity 0x${a.toString(16)}`);
    }
    seen.set(a, k);
  });
}

/** Build the machine (nothing runs) and check each step against it. */
function checkAgainstMachine(r: Reporter, s: Scenario, sources: readonly StepSource[], backends: LoadOptions['backends']): void {
  let m: Machine;
  try {
    m = createScenarioMachine(s, backends);
  } catch (e) {
    if (!(e instanceof VgicError)) throw e;
    const key = /^(vcpus|spis|lrs|mpidr)\b/i.exec(e.message)?.[1]?.toLowerCase() ?? 'gic';
    r.fail([key], e.message);
    return;
  }
  const snapshots = new Set<string>();
  s.steps.forEach((step, i) => {
    const path = sources[i]!.path;
    const { prefix } = fieldName(path);
    if (step.action === 'run' || step.action === 'exit') checkVcpuField(r, step, path, step.action, step.vcpu, m);
    else checkVcpuField(r, step, path, 'vcpu', step.vcpu, m);
    if (step.action === 'write' || step.action === 'read') {
      checkVcpuField(r, step, path, 'rd', step.rd, m);
      if (step.action === 'read' && step.expectError !== undefined && (step.expect !== undefined || step.mask !== undefined)) {
        r.fail([...path, 'expectError'], `${prefix}a read that must fail reads nothing: drop expect/mask or expectError`, true);
      }
      checkAccess(r, step, path, m);
    }
    if (step.action === 'check') {
      checkVcpuField(r, step, [...path, 'check'], 'vcpu', step.check.vcpu, m);
      checkCheck(r, step, path);
    }
    if (step.action === 'snapshot') snapshots.add(step.name);
    if (step.action === 'restore' && !snapshots.has(step.name)) {
      r.fail([...path, 'restore'], `${prefix}no snapshot named ${step.name} is taken before this step`);
    }
  });
}

// ---------------------------------------------------------------- entry

/**
 * Load a scenario from its text (or bytes). Returns the scenario, or every
 * error found with its position; nothing is run either way.
 */
export function loadScenario(source: string | Uint8Array, file: string, options: LoadOptions): LoadResult {
  const lines = new LineCounter();
  const decoded = decode(source);
  if ('message' in decoded) return { ok: false, errors: [{ file, ...decoded.pos, message: decoded.message }] };
  const doc = parseDocument(decoded.text, { intAsBigInt: true, lineCounter: lines, prettyErrors: false, uniqueKeys: true, keepSourceTokens: true, logLevel: 'error' });
  const r = new Reporter(file, doc, lines);
  if (doc.errors.length > 0) {
    // One complaint per place: a broken bracket tends to produce several.
    const seen = new Set<number>();
    for (const e of doc.errors) {
      if (seen.has(e.pos[0])) continue;
      seen.add(e.pos[0]);
      r.failAt(r.pos(e.pos[0]), `this is not valid YAML or JSON: ${e.message.split('\n')[0]}`);
    }
    return { ok: false, errors: r.sorted() };
  }
  let js: unknown;
  try {
    js = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    r.fail([], `this is not a usable document: ${(e as Error).message}`);
    return { ok: false, errors: r.sorted() };
  }
  if (js === null || js === undefined || typeof js !== 'object' || Array.isArray(js)) {
    r.fail([], `a scenario is a map with gic, vcpus and steps; this file holds ${describeValue(js)}`);
    return { ok: false, errors: r.sorted() };
  }
  const plain = toPlain(js) as Plain;
  if (!validateHeader(plain)) {
    reportSchemaErrors(r, validateHeader.errors ?? [], plain, [], 'a scenario', HEADER_SCHEMA);
  }
  const header = js as Plain;
  const rawSteps = Array.isArray(header['steps']) ? (header['steps'] as unknown[]) : [];
  const sources: StepSource[] = [];
  rawSteps.forEach((raw, index) => {
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return; // the header schema said so
    const path = ['steps', index] as const;
    const stepJs = raw as Plain;
    const action = stepAction(r, path, index, stepJs);
    if (action === null) return;
    const validate = validateStep[action];
    const stepPlain = toPlain(stepJs);
    if (!validate(stepPlain)) {
      const actionValue = stepPlain as Plain;
      const errors = validate.errors ?? [];
      // The action's own value gets a sentence of its own: what the action takes.
      const own = errors.filter((e) => e.instancePath === `/${action}` && e.keyword === 'type');
      for (const e of own) {
        r.fail([...path, action], `step ${index + 1}: ${action} takes ${ACTION_VALUE[action]}, not ${describeValue(actionValue[action])}`);
      }
      reportSchemaErrors(r, errors.filter((e) => !own.includes(e)), stepPlain, path, `a ${action} step`, STEP_SCHEMAS[action]);
      return;
    }
    sources.push({ index, path, js: stepJs, action });
  });
  if (r.errors.length > 0) return { ok: false, errors: r.sorted() };

  const steps = sources.map((s) => buildStep(r, s, r.at(s.path)));
  const scenario: Scenario = {
    file,
    gic: String(header['gic']),
    vcpus: num(header['vcpus']),
    ...(header['name'] !== undefined && { name: String(header['name']) }),
    ...(header['spis'] !== undefined && { spis: num(header['spis']) }),
    ...(header['lrs'] !== undefined && { lrs: num(header['lrs']) }),
    ...(header['mpidr'] !== undefined && { mpidr: (header['mpidr'] as unknown[]).map((x, k) => u64(r, ['mpidr', k], x)) }),
    steps,
  };
  const before = r.errors.length;
  checkMpidr(r, scenario);
  // The machine would refuse a bad mpidr list again, in other words.
  if (r.errors.length === before) checkAgainstMachine(r, scenario, sources, options.backends);
  if (r.errors.length > 0) return { ok: false, errors: r.sorted() };
  return { ok: true, scenario };
}
