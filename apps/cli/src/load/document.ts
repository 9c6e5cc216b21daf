/**
 * Text to a document: its value, and where each node of it stands.
 *
 * The quick reader (quick-yaml.ts) reads what scenario files are written in;
 * whatever it does not take goes to the full YAML library — JSON is YAML, so
 * one parser reads both, and big integers stay exact (`intAsBigInt`). The
 * library needs some hundred times a file's size in memory, so a file
 * bigger than `fullYamlSize` that the quick reader cannot read is refused
 * at the place it stopped, not handed to it.
 *
 * Both give the same value: plain objects and arrays, strings, booleans,
 * null, numbers — and integers beyond 2^53 as bigints, so that nothing is
 * rounded and messages show what was written. The quick reader may leave
 * one list of the root map unkept (`detach`): a DetachedList stands in its
 * place and reads each item again when asked (the YAML library keeps it).
 */
import { isMap, isScalar, isSeq, parseDocument, type Document } from 'yaml';
import { DetachedList, integer, quickRead, QuickStop, type Locations, type Path } from './quick-yaml.js';
import { bytesText } from './words.js';

export { DetachedList, type Locations, type Path };

export interface ReadLimits {
  /** Deepest nesting of lists and maps. */
  maxDepth: number;
  /** Largest file the full YAML library is given (the quick reader takes any size). */
  fullYamlSize: number;
}

export type ReadResult = { ok: true; value: unknown; locations: Locations } | { ok: false; offset: number; message: string; limit?: 'fullYamlSize' | 'maxDepth' };

/** Read a document, by the quick reader if it can and by the YAML library if it must. */
export function readDocument(text: string, limits: ReadLimits, detach?: string): ReadResult {
  const quick = quickRead(text, limits.maxDepth, detach);
  if (!(quick instanceof QuickStop)) return { ok: true, ...quick };
  if (quick.fatal) return { ok: false, offset: quick.offset, message: quick.reason, limit: 'maxDepth' };
  if (text.length > limits.fullYamlSize) {
    return {
      ok: false,
      offset: quick.offset,
      limit: 'fullYamlSize',
      message: `${quick.reason === 'Map keys must be unique' ? 'this is not valid YAML or JSON: Map keys must be unique' : `vgic cannot read this: ${quick.reason}`}. A file over ${bytesText(limits.fullYamlSize)} is read only as JSON or plain YAML (block and flow maps and lists, one-line scalars; no anchors, aliases, tags or multi-line strings)`,
    };
  }
  return readWithLibrary(text);
}

/** Integers as numbers while exact, bigints beyond; everything else as it is. */
function normalise(x: unknown): unknown {
  if (typeof x === 'bigint') return integer(x);
  if (Array.isArray(x)) {
    for (let i = 0; i < x.length; i++) x[i] = normalise(x[i]);
    return x;
  }
  if (x !== null && typeof x === 'object') {
    const o = x as Record<string, unknown>;
    for (const k of Object.keys(o)) o[k] = normalise(o[k]);
  }
  return x;
}

const TOO_DEEP = 'this nests lists and maps too deep for the YAML reader';

/** Read with the full YAML library (what `readDocument` falls back to). */
export function readWithLibrary(text: string): ReadResult {
  let doc: Document;
  try {
    doc = parseDocument(text, { intAsBigInt: true, prettyErrors: false, uniqueKeys: true, logLevel: 'error' });
  } catch (e) {
    if (e instanceof RangeError) return { ok: false, offset: 0, message: TOO_DEEP };
    throw e;
  }
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const message = /call stack/i.test(e.message) ? TOO_DEEP : `this is not valid YAML or JSON: ${e.message.split('\n')[0]}`;
    return { ok: false, offset: e.pos[0], message };
  }
  let value: unknown;
  try {
    value = normalise(doc.toJS({ maxAliasCount: 100 }));
  } catch (e) {
    const message = e instanceof RangeError ? TOO_DEEP : `this is not a usable document: ${(e as Error).message}`;
    return { ok: false, offset: doc.contents?.range?.[0] ?? 0, message };
  }
  return { ok: true, value, locations: new LibraryLocations(doc) };
}

/** Where nodes stand, from the YAML library's syntax tree. */
class LibraryLocations implements Locations {
  constructor(private readonly doc: Document) {}

  offsetOf(path: Path, key = false): number {
    let node: unknown = this.doc.contents ?? null;
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
    return (found as { range?: readonly number[] } | null)?.range?.[0] ?? 0;
  }

  itemPos(): undefined {
    return undefined;
  }
}
