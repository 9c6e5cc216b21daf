/**
 * JSON Schema checks of a document's parts (ajv), and ajv's errors as plain
 * sentences, one per key, at the key or value at fault. The schemas see a
 * copy of the value in which integers beyond 2^53 are numbers (ajv has no
 * bigints); messages show the value as written, from the original.
 */
import { closestName } from '@vgic/core';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { Path } from './document.js';
import type { Reporter } from './reporter.js';
import { describeValue, fieldName, shown, showValue, typeWords } from './words.js';

type Schema = Record<string, unknown>;

const ajv = new Ajv({ allErrors: true, allowUnionTypes: true, strict: true });

export function compile(schema: Schema): ValidateFunction {
  return ajv.compile(schema);
}

function hasBigint(x: unknown): boolean {
  if (typeof x === 'bigint') return true;
  if (x === null || typeof x !== 'object') return false;
  if (Array.isArray(x)) {
    for (const y of x) if (hasBigint(y)) return true;
    return false;
  }
  for (const k in x) if (hasBigint((x as Record<string, unknown>)[k])) return true;
  return false;
}

function toPlain(x: unknown): unknown {
  if (typeof x === 'bigint') return Number(x);
  if (Array.isArray(x)) return x.map(toPlain);
  if (x !== null && typeof x === 'object') return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, toPlain(v)]));
  return x;
}

/** What ajv checks: the value itself, or a copy with bigints as numbers when it holds any. */
export function forSchema(x: unknown): unknown {
  return hasBigint(x) ? toPlain(x) : x;
}

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

/** The part of `schema` that checks the value at `rel`: down through map properties and list items. */
function schemaAt(schema: Schema, rel: Path): Schema {
  let at: Schema = schema;
  for (const seg of rel) {
    const next = typeof seg === 'number' ? at['items'] : (at['properties'] as Record<string, Schema> | undefined)?.[seg];
    if (next === undefined || typeof next !== 'object' || Array.isArray(next)) return {};
    at = next as Schema;
  }
  return at;
}

function allowedKeys(schema: Schema): string[] {
  return Object.keys((schema['properties'] as Schema | undefined) ?? {});
}

/**
 * Report ajv's errors for `value` (the part of the document at `base`,
 * checked against `schema`) as sentences; `what` names the part: `a
 * scenario`, `a write step`.
 */
export function reportSchemaErrors(r: Reporter, errors: readonly ErrorObject[], value: unknown, base: Path, what: string, schema: Schema): void {
  const seen = new Set<string>();
  for (const e of errors) {
    const rel = pointer(e.instancePath);
    const path = [...base, ...rel];
    const { prefix, field } = fieldName(path);
    const found = valueAt(value, rel);
    const where = e.keyword === 'additionalProperties' ? `${e.instancePath}/${String(e.params['additionalProperty'])}` : e.instancePath;
    if (seen.has(where)) continue;
    seen.add(where);
    switch (e.keyword) {
      case 'additionalProperties': {
        const key = String(e.params['additionalProperty']);
        const sub = schemaAt(schema, rel);
        const allowed = allowedKeys(sub);
        const hint = closestName(key, allowed);
        const whose = rel.length === 0 ? what : field;
        r.fail([...path, key], `${prefix}unknown key ${shown(key)} in ${whose}${hint ? ` — did you mean ${hint}?` : ''} (allowed: ${allowed.join(', ')})`, true);
        break;
      }
      case 'required':
        r.fail(path, `${prefix}${what} needs ${String(e.params['missingProperty'])}`);
        break;
      case 'type':
        if (field === '' && prefix !== '') {
          r.fail(path, `${prefix.slice(0, -2)} must be a map with one action (like write: GICD_CTLR), not ${describeValue(found)}`);
          break;
        }
        r.fail(path, `${prefix}${field} must be ${typeWords(e.params['type'])}, not ${describeValue(found)}`);
        break;
      case 'minimum':
        r.fail(path, `${prefix}${field} must be at least ${String(e.params['limit'])} (got ${showValue(found)})`);
        break;
      case 'maximum':
        r.fail(path, `${prefix}${field} must be at most ${String(e.params['limit'])} (got ${showValue(found)})`);
        break;
      case 'multipleOf':
        r.fail(path, `${prefix}${field} must be a multiple of ${String(e.params['multipleOf'])} (got ${showValue(found)})`);
        break;
      case 'enum':
        r.fail(path, `${prefix}${field} must be one of ${(e.params['allowedValues'] as unknown[]).map(String).join(', ')} (got ${showValue(found)})`);
        break;
      case 'pattern':
        r.fail(path, `${prefix}${field} must be a number, decimal or 0x hex (got ${showValue(found)})`);
        break;
      case 'minLength':
        r.fail(path, `${prefix}${field} must not be empty`);
        break;
      case 'minItems':
        r.fail(path, `${prefix}${field} must list at least ${String(e.params['limit'])}`);
        break;
      case 'maxItems':
        r.fail(path, `${prefix}${field} may list ${String(e.params['limit'])} at most (it lists ${(found as unknown[]).length})`);
        break;
      case 'maxLength':
        r.fail(path, `${prefix}${field} is ${(found as string).length} characters long; it may be ${String(e.params['limit'])} at most`);
        break;
      default:
        r.fail(path, `${prefix}${field || what} ${e.message ?? 'is not valid'}`);
    }
  }
}
