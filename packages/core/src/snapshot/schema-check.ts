/**
 * A checker for the part of JSON Schema (draft 2020-12) that
 * `gicSnapshotSchema` uses: type, const, enum, properties, required,
 * additionalProperties: false, items, minItems, maxItems, minimum, maximum,
 * pattern. Checking a document against the published schema itself keeps the
 * two from drifting apart. Returns the first problem found as a sentence with
 * its JSON path, or null.
 */
import type { JsonSchema } from './document.js';

function typeOf(x: unknown): string {
  if (x === null) return 'null';
  if (Array.isArray(x)) return 'array';
  if (typeof x === 'number') return Number.isInteger(x) ? 'integer' : 'number';
  return typeof x;
}

function matchesType(x: unknown, type: string): boolean {
  const t = typeOf(x);
  return t === type || (type === 'number' && t === 'integer');
}

function show(x: unknown): string {
  const s = JSON.stringify(x);
  return s === undefined ? String(x) : s.length > 40 ? `${s.slice(0, 37)}...` : s;
}

function isSchema(x: unknown): x is JsonSchema {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

export function checkSchema(x: unknown, schema: JsonSchema, path = '$'): string | null {
  const type = schema['type'];
  if (type !== undefined) {
    const types = Array.isArray(type) ? (type as string[]) : [type as string];
    if (!types.some((t) => matchesType(x, t))) return `${path} must be ${types.join(' or ')}; got ${show(x)}`;
  }
  if ('const' in schema && x !== schema['const']) return `${path} must be ${show(schema['const'])}; got ${show(x)}`;
  const choices = schema['enum'];
  if (Array.isArray(choices) && !choices.includes(x)) return `${path} must be one of ${choices.map(show).join(', ')}; got ${show(x)}`;

  if (typeof x === 'number') {
    const min = schema['minimum'];
    const max = schema['maximum'];
    if (typeof min === 'number' && x < min) return `${path} must be at least ${min}; got ${x}`;
    if (typeof max === 'number' && x > max) return `${path} must be at most ${max}; got ${x}`;
  }
  if (typeof x === 'string' && typeof schema['pattern'] === 'string' && !new RegExp(schema['pattern']).test(x)) {
    return `${path} must match ${schema['pattern']}; got ${show(x)}`;
  }
  if (Array.isArray(x)) {
    const minItems = schema['minItems'];
    const maxItems = schema['maxItems'];
    if (typeof minItems === 'number' && x.length < minItems) return `${path} must have at least ${minItems} items; it has ${x.length}`;
    if (typeof maxItems === 'number' && x.length > maxItems) return `${path} must have at most ${maxItems} items; it has ${x.length}`;
    const items = schema['items'];
    if (isSchema(items)) {
      for (let i = 0; i < x.length; i++) {
        const problem = checkSchema(x[i], items, `${path}[${i}]`);
        if (problem !== null) return problem;
      }
    }
  }
  if (isSchema(x) && !Array.isArray(x)) {
    const obj = x as Record<string, unknown>;
    const props = isSchema(schema['properties']) ? (schema['properties'] as Record<string, JsonSchema>) : {};
    const required = Array.isArray(schema['required']) ? (schema['required'] as string[]) : [];
    for (const key of required) {
      if (!Object.hasOwn(obj, key)) return `${path} has no "${key}"`;
    }
    if (schema['additionalProperties'] === false) {
      for (const key of Object.keys(obj)) {
        if (!Object.hasOwn(props, key)) return `${path} has an unknown field "${key}"`;
      }
    }
    for (const [key, sub] of Object.entries(props)) {
      if (Object.hasOwn(obj, key)) {
        const problem = checkSchema(obj[key], sub, `${path}.${key}`);
        if (problem !== null) return problem;
      }
    }
  }
  return null;
}
