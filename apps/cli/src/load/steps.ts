/**
 * A step of the document to a `Step`: which action it is (exactly one), its
 * values in the scenario model's types — every 64-bit quantity a bigint,
 * exact, refused beyond 64 bits.
 */
import { closestName, STEP_ACTIONS, type CheckSpec, type SourcePos, type Step, type StepAction } from '@vgic/core';
import type { Path } from './document.js';
import type { Reporter } from './reporter.js';
import { COMMAND_FIELDS } from './schema.js';
import { fieldName, shown } from './words.js';

export type Plain = Record<string, unknown>;

export const U64_MAX: bigint = (1n << 64n) - 1n;

/** Keys that are not actions, so a misspelt action is looked for among the others. */
const NOT_ACTIONS = new Set(['vcpu', 'expectError', 'value', 'width', 'rd', 'expect', 'mask', 'level', 'host', ...COMMAND_FIELDS]);

/** Which action a step is, or an error: it needs exactly one. */
export function stepAction(r: Reporter, path: Path, index: number, js: Plain): StepAction | null {
  const keys = Object.keys(js);
  const actions = keys.filter((k): k is StepAction => (STEP_ACTIONS as readonly string[]).includes(k));
  if (actions.length === 1) return actions[0]!;
  if (actions.length > 1) {
    r.fail([...path, actions[1]!], `step ${index + 1} has ${actions.length} actions (${actions.join(', ')}); a step has exactly one — split it into ${actions.length} steps`, true);
    return null;
  }
  const typo = keys
    .filter((k) => !NOT_ACTIONS.has(k))
    .map((k) => [k, closestName(k, STEP_ACTIONS)] as const)
    .find(([, a]) => a !== undefined);
  const hint = typo ? ` (did you mean ${typo[1]}, not ${shown(typo[0])}?)` : '';
  r.fail(typo ? [...path, typo[0]] : path, `step ${index + 1} has no action${hint}: a step needs one of ${STEP_ACTIONS.join(', ')}`, typo !== undefined);
  return null;
}

export function num(x: unknown): number {
  return typeof x === 'bigint' ? Number(x) : (x as number);
}

/** An unsigned 64-bit value: a whole number, or a decimal or hex string (the schema said which); `key` of the step at `path`. */
export function u64(r: Reporter, path: Path, key: string | number, x: unknown): bigint {
  const v = typeof x === 'bigint' ? x : BigInt(typeof x === 'number' ? x : String(x));
  if (v > U64_MAX) {
    const { prefix, field } = fieldName([...path, key]);
    r.fail([...path, key], `${prefix}${field} 0x${v.toString(16)} does not fit in 64 bits`);
  }
  return v;
}

function buildCheck(js: Plain): CheckSpec {
  const c: Record<string, unknown> = {};
  for (const k in js) {
    const v = js[k];
    if (typeof v === 'bigint') c[k] = Number(v);
    else if (Array.isArray(v)) c[k] = v.map((x) => num(x));
    else c[k] = v;
  }
  return c as CheckSpec;
}

/** The step the document's `js` (valid against its action's schema) stands for. */
export function buildStep(r: Reporter, path: Path, action: StepAction, js: Plain, pos: SourcePos): Step {
  // One object, its keys set only when the file gives them (a step is built for every line of a long file).
  const step: Record<string, unknown> = { action };
  switch (action) {
    case 'write':
      step['register'] = String(js['write']);
      step['value'] = u64(r, path, 'value', js['value']);
      break;
    case 'read':
      step['register'] = String(js['read']);
      if (js['expect'] !== undefined) step['expect'] = u64(r, path, 'expect', js['expect']);
      if (js['mask'] !== undefined) step['mask'] = u64(r, path, 'mask', js['mask']);
      break;
    case 'inject': {
      step['intid'] = num(js['inject']);
      const level = js['level'];
      if (level !== undefined) step['level'] = level === true || num(level) === 1 ? 1 : 0;
      break;
    }
    case 'map':
      step['intid'] = num(js['map']);
      if (js['host'] !== undefined) step['host'] = num(js['host']);
      break;
    case 'run':
    case 'exit':
      step['vcpu'] = num(js[action]);
      break;
    case 'check':
      step['check'] = buildCheck(js['check'] as Plain);
      break;
    case 'snapshot':
    case 'restore':
      step['name'] = String(js[action]);
      break;
    case 'poke':
      step['address'] = u64(r, path, 'poke', js['poke']);
      step['value'] = u64(r, path, 'value', js['value']);
      break;
    case 'peek':
      step['address'] = u64(r, path, 'peek', js['peek']);
      if (js['expect'] !== undefined) step['expect'] = u64(r, path, 'expect', js['expect']);
      if (js['mask'] !== undefined) step['mask'] = u64(r, path, 'mask', js['mask']);
      break;
    case 'its': {
      step['command'] = String(js['its']);
      const fields: Record<string, bigint> = {};
      for (const f of COMMAND_FIELDS) if (js[f] !== undefined) fields[f] = u64(r, path, f, js[f]);
      step['fields'] = fields;
      break;
    }
    case 'msi':
      step['device'] = num(js['msi']);
      step['event'] = num(js['event']);
      break;
  }
  if (js['width'] !== undefined) step['width'] = num(js['width']);
  if (js['rd'] !== undefined) step['rd'] = num(js['rd']);
  if (js['vcpu'] !== undefined) step['vcpu'] = num(js['vcpu']);
  if (js['expectError'] !== undefined) step['expectError'] = String(js['expectError']);
  step['pos'] = pos;
  return step as unknown as Step;
}
