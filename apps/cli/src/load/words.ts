/**
 * How the loader's messages name things: values as a reader would say them
 * (exact to 64 bits and beyond), a place in the document (`step 4: value`),
 * JSON Schema types in words, and names cut short when they are too long to
 * print.
 */
import type { Path } from './quick-yaml.js';

/** A name or key as a message shows it: long ones cut, with their length. */
export function shown(name: string, max = 60): string {
  return name.length <= max ? name : `${name.slice(0, max)}… (${name.length} characters)`;
}

/** What a value is, in words: `a string ("two")`, `the number 9007199254740993`, `a list`. */
export function describeValue(x: unknown): string {
  if (x === null || x === undefined) return 'nothing (an empty value)';
  if (typeof x === 'string') return `a string (${JSON.stringify(x.length > 40 ? `${x.slice(0, 40)}…` : x)})`;
  if (typeof x === 'boolean') return `a boolean (${x})`;
  if (typeof x === 'number') return Number.isInteger(x) ? `the number ${x}` : `a fraction (${x})`;
  if (typeof x === 'bigint') return `the number ${x}`;
  if (Array.isArray(x)) return 'a list';
  return 'a map';
}

/** A value as written back in a message: strings quoted (and cut), numbers exact. */
export function showValue(x: unknown): string {
  if (typeof x === 'string') return JSON.stringify(x.length > 60 ? `${x.slice(0, 60)}…` : x);
  if (Array.isArray(x)) return 'a list';
  if (x !== null && typeof x === 'object') return 'a map';
  return String(x);
}

const TYPE_WORDS: Readonly<Record<string, string>> = {
  integer: 'a whole number',
  number: 'a number',
  string: 'a string',
  boolean: 'true or false',
  array: 'a list',
  object: 'a map',
  null: 'null',
};

/** A JSON Schema `type` in words. */
export function typeWords(t: unknown): string {
  const list = Array.isArray(t) ? t : [t];
  if (list.includes('integer') && list.includes('string')) return 'a number (decimal or 0x hex)';
  return list.map((x) => TYPE_WORDS[String(x)] ?? String(x)).join(' or ');
}

/** How a path reads in a message: `vcpus`, `step 4: value`, `step 4: check.pending`. */
export function fieldName(path: Path): { prefix: string; field: string } {
  if (path[0] === 'steps' && typeof path[1] === 'number') {
    return { prefix: `step ${path[1] + 1}: `, field: path.slice(2).join('.') };
  }
  return { prefix: '', field: path.map(String).join('.') };
}

/** A size in bytes as people say it: `64 MiB`, `1.5 KiB`, `312 bytes`. */
export function bytesText(n: number): string {
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  if (n < 1024) return `${n} bytes`;
  let x = n;
  let u = -1;
  while (x >= 1024 && u < units.length - 1) {
    x /= 1024;
    u++;
  }
  return `${Number.isInteger(x) ? x : x.toFixed(1)} ${units[u]}`;
}
