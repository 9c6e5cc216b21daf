/**
 * A saved document as plain data, copied out of whatever the caller passed
 * before anything else looks at it. The copy is made iteratively, within a
 * depth and a size a GIC snapshot never exceeds, so a document nested
 * thousands deep, one that refers to itself, or one that never ends (a Proxy
 * inventing properties) is refused with INVALID_SNAPSHOT instead of
 * overflowing the stack or the heap; a getter that throws, or a Proxy trap,
 * runs once, here, and its failure is a refusal too. What comes out holds
 * only null, booleans, numbers, strings, arrays and objects, and cannot
 * change while it is checked and written.
 */
import { describeValue, isArray } from '../args.js';
import { VgicError } from '../errors.js';

/** How deep a document may nest: a snapshot's deepest value is at `$.vcpus[k].private[i].route`. */
export const MAX_SNAPSHOT_DEPTH = 8;
/** The longest string a snapshot holds is a routing word, `0x` and 16 hex digits; this leaves room for a GIC name. */
const MAX_STRING = 64;

/** The most values a document for a machine of this shape can hold (every field of every interrupt and vCPU, with room to spare). */
export function maxSnapshotValues(vcpus: number, spis: number, lpis = 0): number {
  // A version-2 document's LPIs (10 values each) and the backend's own part
  // (the ITS's translations, at most one per LPI, with its devices and collections).
  const lpiValues = lpis > 0 ? lpis * 48 + 65536 : 0;
  return 1024 + vcpus * 1024 + spis * 32 + lpiValues;
}

function refuse(message: string): never {
  throw new VgicError('INVALID_SNAPSHOT', message);
}


interface Pending {
  readonly from: unknown;
  readonly into: unknown[] | Record<string, unknown>;
  readonly key: string | number;
  readonly path: string;
  readonly depth: number;
}

/** Store `value` at `key`: a key named `__proto__` (JSON.parse makes such own keys) stays an own field, not a prototype. */
function store(into: unknown[] | Record<string, unknown>, key: string | number, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(into, key, { value, enumerable: true, writable: true, configurable: true });
  else (into as Record<string | number, unknown>)[key] = value;
}

/**
 * Copy `doc` as plain data, refusing (INVALID_SNAPSHOT) anything no JSON
 * document holds (a bigint, a function, a symbol, `undefined` in an array),
 * nesting deeper than `MAX_SNAPSHOT_DEPTH`, more than `maxValues` values, a
 * string longer than a snapshot's, and anything that cannot be read. A field
 * whose value is `undefined` is left out, as `JSON.stringify` leaves it out.
 */
export function plainCopy(doc: unknown, maxValues: number): unknown {
  const root: Record<string, unknown> = {};
  const work: Pending[] = [{ from: doc, into: root, key: 'doc', path: '$', depth: 0 }];
  let values = 0;
  while (work.length > 0) {
    const { from, into, key, path, depth } = work.pop()!;
    if (++values > maxValues) refuse(`the document holds more values than a snapshot of its machine can (${maxValues}); it is not a GIC snapshot`);
    if (from === null || typeof from === 'boolean' || typeof from === 'number') {
      store(into, key, from);
      continue;
    }
    if (typeof from === 'string') {
      if (from.length > MAX_STRING) refuse(`${path} is a string of ${from.length} characters; no field of a GIC snapshot is that long`);
      store(into, key, from);
      continue;
    }
    if (typeof from !== 'object') refuse(`${path} is ${describeValue(from)}, which no JSON document holds`);
    if (depth >= MAX_SNAPSHOT_DEPTH) refuse(`the document nests deeper than a GIC snapshot does (at ${path})`);
    if (isArray(from)) {
      let length: number;
      try {
        length = (from as unknown[]).length;
      } catch {
        return refuse(`the document cannot be read at ${path}`);
      }
      if (!Number.isSafeInteger(length) || length < 0 || length > maxValues) refuse(`${path} holds more values than a snapshot of its machine can`);
      const out: unknown[] = new Array<unknown>(length);
      store(into, key, out);
      for (let i = length - 1; i >= 0; i--) {
        let item: unknown;
        try {
          item = (from as unknown[])[i];
        } catch {
          return refuse(`the document cannot be read at ${path}[${i}]`);
        }
        if (item === undefined) refuse(`${path}[${i}] is undefined, which no JSON document holds`);
        work.push({ from: item, into: out, key: i, path: `${path}[${i}]`, depth: depth + 1 });
      }
      continue;
    }
    let keys: string[];
    try {
      keys = Object.keys(from);
    } catch {
      return refuse(`the document cannot be read at ${path}`);
    }
    if (keys.length > maxValues) refuse(`${path} holds more values than a snapshot of its machine can`);
    const out: Record<string, unknown> = {};
    store(into, key, out);
    for (let i = keys.length - 1; i >= 0; i--) {
      const k = keys[i]!;
      let item: unknown;
      try {
        item = (from as Record<string, unknown>)[k];
      } catch {
        return refuse(`the document cannot be read at ${path}.${k}`);
      }
      if (item !== undefined) work.push({ from: item, into: out, key: k, path: `${path}.${k}`, depth: depth + 1 });
    }
  }
  return root['doc'];
}
