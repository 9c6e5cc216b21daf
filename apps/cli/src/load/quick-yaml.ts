/**
 * A fast reader for the YAML that scenario files are written in — and for
 * JSON, which is YAML: block maps and lists, flow maps and lists, plain and
 * quoted one-line scalars, comments. It reads a 300,000-step recorded guest
 * in a fraction of the time the full YAML library takes and keeps no syntax
 * tree: positions of the header's nodes are kept, and a list item's are
 * found again, when a message needs them, by reading that item once more.
 *
 * Anything outside that subset (anchors, aliases, tags, block scalars,
 * multi-line plain or quoted scalars, explicit keys, directives, tabs, keys
 * that are not strings) stops it with the reason and the offset: the caller
 * then reads the file with the full YAML library, or, for a file too big for
 * that, reports the reason there. What it accepts it reads as the YAML
 * library does (YAML 1.2 core schema), with one difference of representation
 * shared by both paths (see `document.ts`): integers are numbers, and
 * bigints only beyond 2^53.
 */

/** A path into the document: map keys and list indexes. */
export type Path = readonly (string | number)[];

/** Where the reader stopped, and why. `fatal`: the document is refused whichever reader reads it. */
export class QuickStop {
  constructor(
    readonly offset: number,
    readonly reason: string,
    readonly fatal = false,
  ) {}
}

/** Where each node of a document starts. */
export interface Locations {
  /** Offset of the node at `path` (of its key, with `key`), or of the nearest node above it that exists. */
  offsetOf(path: Path, key?: boolean): number;
  /** Line and column (1-based) of the `index`-th item of the list at `path`, if there is one: cheap, for every step. */
  itemPos(path: Path, index: number): { line: number; col: number } | undefined;
}

export interface QuickDocument {
  value: unknown;
  locations: Locations;
}

// ---------------------------------------------------------------- positions

/** A node's start; maps know their keys' and children's, lists their items'. */
interface Loc {
  at: number;
  keys?: Map<string, number>;
  kids?: Map<string, Loc>;
  items?: Loc[];
  /** List items not yet located: where each starts, to be read again on demand. */
  lazy?: LazyItems;
}

interface LazyItems {
  flow: boolean;
  depth: number;
  multiLine: boolean;
  starts: ItemStarts;
}

/**
 * Where each item of a list starts: its offset, its line and where that line
 * starts, three 32-bit numbers an item (a step of a long file costs 12 bytes
 * here, and nothing else once read).
 */
class ItemStarts {
  private words = new Int32Array(3 * 64);
  length = 0;

  push(at: number, line: number, lineStart: number): void {
    let w = this.words;
    const k = 3 * this.length;
    if (k === w.length) {
      w = new Int32Array(2 * w.length);
      w.set(this.words);
      this.words = w;
    }
    w[k] = at;
    w[k + 1] = line;
    w[k + 2] = lineStart;
    this.length++;
  }

  /** The list is read: keep no more room than its items take. */
  trim(): void {
    if (this.words.length > 3 * this.length) this.words = this.words.slice(0, 3 * this.length);
  }

  at(k: number): number {
    return this.words[3 * k]!;
  }

  line(k: number): number {
    return this.words[3 * k + 1]!;
  }

  lineStart(k: number): number {
    return this.words[3 * k + 2]!;
  }
}

/**
 * The items of a list the reader did not keep (the root map's `detach` key):
 * how many, and each one's value read again from the text when asked for.
 * Reading a long file's steps this way holds one step's value at a time.
 */
export class DetachedList {
  // One reader for every item: reading one leaves nothing behind that the next one sees.
  private readonly reader: Reader;

  constructor(
    text: string,
    maxDepth: number,
    private readonly lazy: LazyItems,
  ) {
    this.reader = new Reader(text, maxDepth, false);
  }

  get length(): number {
    return this.lazy.starts.length;
  }

  /** The value of item `k` (0 ≤ k < length), as the reader read it the first time. */
  item(k: number): unknown {
    return this.reader.itemValue(this.lazy, k);
  }

  /** Line and column (1-based) where item `k` starts. */
  pos(k: number): { line: number; col: number } {
    const starts = this.lazy.starts;
    return { line: starts.line(k), col: starts.at(k) - starts.lineStart(k) + 1 };
  }
}

// ---------------------------------------------------------------- scalars

const INT_DEC = /^[-+]?[0-9]+$/;
const INT_HEX = /^0x[0-9a-fA-F]+$/;
const INT_OCT = /^0o[0-7]+$/;
const FLOAT = /^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/;
const FLOAT_EXP = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/;
const FLOAT_SPECIAL = /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/;

/** An integer as both readers give it: a number while exact, a bigint beyond. */
export function integer(big: bigint): number | bigint {
  return big >= -9007199254740991n && big <= 9007199254740991n ? Number(big) : big;
}

function intValue(s: string): number | bigint {
  // Short ones are exact as doubles; longer ones go through BigInt.
  if (s.length <= 15) {
    const c = s.charCodeAt(1);
    if (c === 120 /* x */) return Number.parseInt(s.slice(2), 16);
    if (c === 111 /* o */) return Number.parseInt(s.slice(2), 8);
    return Number(s) || 0;
  }
  return integer(BigInt(s));
}

/** The common integers, without a regular expression: decimal digits, or `0x` and hex digits. */
function isPlainInt(s: string): boolean {
  const hex = s.length > 2 && s.charCodeAt(0) === 48 && s.charCodeAt(1) === 120;
  for (let i = hex ? 2 : 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (hex && ((c >= 97 && c <= 102) || (c >= 65 && c <= 70))))) return false;
  }
  return true;
}

/** The plain scalars YAML's core schema reads as null or booleans. */
const KEYWORDS: ReadonlyMap<string, null | boolean> = new Map<string, null | boolean>([
  ...['~', 'null', 'Null', 'NULL'].map((k) => [k, null] as const),
  ...['true', 'True', 'TRUE'].map((k) => [k, true] as const),
  ...['false', 'False', 'FALSE'].map((k) => [k, false] as const),
]);

/** A plain scalar's value, or STOP_PLAIN when it is not one this reader takes. */
function plainValue(s: string): unknown {
  const c = s.charCodeAt(0);
  // Digits, signs and dots: numbers (or strings that look like them: left to the full reader).
  if ((c >= 48 && c <= 57) || c === 43 || c === 45 || c === 46) {
    if (isPlainInt(s)) return intValue(s);
    if (INT_DEC.test(s) || INT_HEX.test(s) || INT_OCT.test(s)) return intValue(s);
    if (FLOAT.test(s) || FLOAT_EXP.test(s)) return parseFloat(s);
    if (FLOAT_SPECIAL.test(s)) return s.slice(-3).toLowerCase() === 'nan' ? NaN : s[0] === '-' ? -Infinity : Infinity;
    return STOP_PLAIN;
  }
  if (s.length <= 5) {
    const k = KEYWORDS.get(s);
    if (k !== undefined) return k;
  }
  // Indicators YAML gives a meaning at the start of a scalar.
  if (INDICATORS.includes(s[0]!)) return STOP_PLAIN;
  return s;
}

const INDICATORS = '?:,[]{}#&*!|>\'"%@`';

const STOP_PLAIN = Symbol('not a plain scalar this reader takes');

/** The position of every node read while not recording: one shared object, never looked at. */
const NO_LOC: Loc = { at: 0 };

/** The escapes JSON has, which YAML's double-quoted strings share. */
const ESCAPES: Readonly<Record<string, string>> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

// ---------------------------------------------------------------- the reader

const SPACE = 32;
const NL = 10;
const CR = 13;
const TAB = 9;
const HASH = 35;

class Reader {
  i = 0;
  line = 1;
  lineStart = 0;
  /** Indent of the line the reader is on, after `nextLine` (-1 at the end). */
  indent = 0;
  /** Where the scalar `scalarToken` just read ends. */
  private tokenEnd = 0;

  constructor(
    readonly s: string,
    readonly maxDepth: number,
    /** Locate every node (reading one list item again), not only the header's. */
    readonly locateAll: boolean,
    /** The root map's key whose list is read but not kept (a DetachedList stands for it). */
    readonly detach?: string,
  ) {}

  /** Set while the root map's `detach` value is read: the list that value is, if it is one, is not kept. */
  private detaching = false;

  stop(reason: string, at = this.i, fatal = false): never {
    throw new QuickStop(at, reason, fatal);
  }

  deeper(depth: number): number {
    if (depth >= this.maxDepth) this.stop(`this nests lists and maps more than ${this.maxDepth} deep; a scenario needs five levels at most`, this.i, true);
    return depth + 1;
  }

  private code(at = this.i): number {
    return at < this.s.length ? this.s.charCodeAt(at) : -1;
  }

  private skipSpaces(): void {
    let c = this.code();
    while (c === SPACE) c = this.code(++this.i);
    if (c === TAB) this.stop('a tab, which this reader does not take outside quotes');
  }

  /** At the end of the line's content: a line break, the end, or a comment. */
  private atLineEnd(): boolean {
    const c = this.code();
    if (c === -1 || c === NL) return true;
    if (c === CR) return this.code(this.i + 1) === NL;
    return c === HASH && (this.i === this.lineStart || this.code(this.i - 1) === SPACE);
  }

  /** Past the rest of this line (spaces, a comment) onto the next one; anything else is an error. */
  private endLine(): void {
    this.skipSpaces();
    if (!this.atLineEnd()) this.stop('more on this line than this reader takes');
    this.toNextLine();
  }

  private toNextLine(): void {
    const nl = this.s.indexOf('\n', this.i);
    if (nl < 0) {
      this.i = this.s.length;
      return;
    }
    this.i = nl + 1;
    this.line++;
    this.lineStart = this.i;
  }

  /** Onto the first character of the next line with content; sets `indent` (-1 at the end). */
  nextLine(): void {
    for (;;) {
      if (this.i >= this.s.length) {
        this.indent = -1;
        return;
      }
      if (this.i !== this.lineStart) this.toNextLine();
      if (this.i >= this.s.length) {
        this.indent = -1;
        return;
      }
      this.skipSpaces();
      if (!this.atLineEnd()) {
        this.indent = this.i - this.lineStart;
        return;
      }
      this.toNextLine();
    }
  }

  // ------------------------------------------------------------ positions

  /** Whether this part of the document keeps positions (a list item's are found again when wanted). */
  private recording = true;
  /** Where the node just read starts, while recording. */
  private loc: Loc = NO_LOC;

  private located(at: number): void {
    if (this.recording) this.loc = { at };
  }

  /** Start a list's positions: every item's when locating all, else where each item starts. */
  private listLoc(flow: boolean, depth: number, multiLine: boolean): { loc: Loc; lazy: LazyItems | null; outer: boolean } {
    const outer = this.recording;
    if (!outer) return { loc: NO_LOC, lazy: null, outer };
    if (this.locateAll) return { loc: { at: this.i, items: [] }, lazy: null, outer };
    const lazy: LazyItems = { flow, depth, multiLine, starts: new ItemStarts() };
    this.recording = false;
    return { loc: { at: this.i, lazy }, lazy, outer };
  }

  /** Whether the list being started, at `depth`, is the detached one. */
  private detachedList(depth: number, lazy: LazyItems | null): boolean {
    const yes = this.detaching && depth === 2 && lazy !== null;
    this.detaching = false;
    return yes;
  }

  /** The list's value once read: the items, or the list that reads them again. */
  private listValue(value: unknown[], lazy: LazyItems | null, detached: boolean): unknown {
    if (lazy === null) return value;
    lazy.starts.trim();
    return detached ? new DetachedList(this.s, this.maxDepth, lazy) : value;
  }

  private itemStart(lazy: LazyItems | null): void {
    if (lazy === null) return;
    lazy.starts.push(this.i, this.line, this.lineStart);
  }

  // ------------------------------------------------------------ document

  document(): { value: unknown; loc: Loc } {
    if (this.s.charCodeAt(0) === 0xfeff) this.stop('a byte-order mark', 0);
    const lone = /\r(?!\n)/.exec(this.s);
    if (lone !== null) this.stop('a carriage return that is not part of a line break', lone.index);
    this.nextLine();
    if (this.indent < 0) return { value: null, loc: { at: 0 } };
    if (this.s.startsWith('---', this.i) || this.s.startsWith('...', this.i) || this.code() === 37 /* % */) this.stop('a document marker or directive');
    const c = this.code();
    let value: unknown;
    if (c === 123 || c === 91) {
      // JSON, or a flow collection written over several lines.
      value = this.flowValue(0, true);
      this.endLine();
      this.nextLine();
    } else {
      value = this.block(this.indent, 0);
    }
    if (this.indent >= 0) this.stop('more than one document, or text after the document');
    return { value, loc: this.loc };
  }

  // ------------------------------------------------------------ block context

  /** A node starting at `i`, in column `col`: a list, a map, or a scalar that ends its line. Leaves the reader on the next line with content. */
  private block(col: number, depth: number): unknown {
    const c = this.code();
    if (c === 45 /* - */ && this.isSeparatedAt(this.i + 1)) return this.blockSeq(col, this.deeper(depth));
    if (c === 63 /* ? */ && this.isSeparatedAt(this.i + 1)) this.stop('an explicit key (?)');
    if (c === 123 || c === 91) {
      const value = this.flowValue(depth, false);
      this.endLine();
      this.nextLine();
      return value;
    }
    const start = this.i;
    const value = this.scalarToken(false);
    this.i = this.tokenEnd;
    this.skipSpaces();
    if (this.code() === 58 /* : */ && this.isSeparatedAt(this.i + 1)) {
      this.i = start;
      return this.blockMap(col, this.deeper(depth));
    }
    this.endLine();
    this.nextLine();
    this.located(start);
    return value;
  }

  /** Is the character at `at` a space, a line end or the end (what must follow `-` and `:` indicators)? */
  private isSeparatedAt(at: number): boolean {
    const c = this.code(at);
    return c === SPACE || c === NL || c === -1 || (c === CR && this.code(at + 1) === NL);
  }

  private blockSeq(col: number, depth: number): unknown {
    const value: unknown[] = [];
    const { loc, lazy, outer } = this.listLoc(false, depth, false);
    const detached = this.detachedList(depth, lazy);
    for (;;) {
      // At a `-` in column `col`.
      this.i++;
      this.skipSpaces();
      if (this.atLineEnd()) this.stop('a list item that starts on the line after its dash');
      this.itemStart(lazy);
      const item = this.block(this.i - this.lineStart, depth);
      if (!detached) value.push(item);
      loc.items?.push(this.loc);
      if (this.indent < col) break;
      if (this.indent > col) this.stop('a line indented more than the list item above it');
      if (!(this.code() === 45 && this.isSeparatedAt(this.i + 1))) break;
    }
    this.recording = outer;
    this.loc = loc;
    return this.listValue(value, lazy, detached);
  }

  /** One list item again, its value only (for a DetachedList). */
  itemValue(lazy: LazyItems, k: number): unknown {
    this.recording = false;
    this.i = lazy.starts.at(k);
    this.line = lazy.starts.line(k);
    this.lineStart = lazy.starts.lineStart(k);
    return lazy.flow ? this.flowValue(lazy.depth, lazy.multiLine) : this.block(this.i - this.lineStart, lazy.depth);
  }

  /** One list item again, located throughout (for a message about it). */
  item(lazy: LazyItems, k: number): Loc {
    this.i = lazy.starts.at(k);
    this.line = lazy.starts.line(k);
    this.lineStart = lazy.starts.lineStart(k);
    if (lazy.flow) this.flowValue(lazy.depth, lazy.multiLine);
    else this.block(this.i - this.lineStart, lazy.depth);
    return this.loc;
  }

  private blockMap(col: number, depth: number): unknown {
    const value: Record<string, unknown> = {};
    const recording = this.recording;
    const loc: Loc = recording ? { at: this.i, keys: new Map(), kids: new Map() } : NO_LOC;
    for (;;) {
      // At a key in column `col`.
      const keyAt = this.i;
      const key = this.key(false);
      this.skipSpaces();
      if (this.code() !== 58 || !this.isSeparatedAt(this.i + 1)) this.stop('a line that is neither a key and its value nor a list item');
      this.i++;
      this.claim(value, key, keyAt);
      if (recording) loc.keys!.set(key, keyAt);
      this.detaching = depth === 1 && key === this.detach;
      this.skipSpaces();
      if (this.atLineEnd()) {
        const emptyAt = this.i;
        this.nextLine();
        const nested = this.indent > col || (this.indent === col && this.code() === 45 && this.isSeparatedAt(this.i + 1));
        if (nested) {
          value[key] = this.block(this.indent, depth);
        } else {
          value[key] = null;
          this.located(emptyAt);
        }
      } else {
        value[key] = this.inline(depth);
      }
      this.detaching = false;
      if (recording) loc.kids!.set(key, this.loc);
      if (this.indent < col) break;
      if (this.indent > col) this.stop('a line indented more than the key above it (a multi-line value?)');
    }
    this.loc = loc;
    return value;
  }

  /** A value on the same line as its key: a flow collection or a scalar, then the line ends. */
  private inline(depth: number): unknown {
    const c = this.code();
    if (c === 123 || c === 91) {
      const value = this.flowValue(depth, false);
      this.endLine();
      this.nextLine();
      return value;
    }
    if (c === 45 && this.isSeparatedAt(this.i + 1)) this.stop('a list item on the same line as its key');
    const at = this.i;
    const value = this.scalarToken(false);
    this.i = this.tokenEnd;
    this.skipSpaces();
    if (this.code() === 58 && this.isSeparatedAt(this.i + 1)) this.stop('a map on the same line as its key');
    this.endLine();
    this.nextLine();
    this.located(at);
    return value;
  }

  /** A map key: a string, plain or quoted. */
  private key(flow: boolean): string {
    const at = this.i;
    const c = this.code();
    if (c === 63 /* ? */ && this.isSeparatedAt(this.i + 1)) this.stop('an explicit key (?)');
    const value = this.scalarToken(flow, true);
    if (typeof value !== 'string') this.stop('a key that is not a string', at);
    if (this.tokenEnd - at > 1024) this.stop('a key longer than 1024 characters', at);
    this.i = this.tokenEnd;
    return value;
  }

  /** Record `key` in `map`, refusing a second one. */
  private claim(map: Record<string, unknown>, key: string, at: number): void {
    if (key === '__proto__') this.stop('a key named __proto__', at);
    if (Object.prototype.hasOwnProperty.call(map, key)) this.stop('Map keys must be unique', at);
  }

  // ------------------------------------------------------------ scalars

  /**
   * A scalar at `i`: quoted, or plain up to what ends it (in a flow: `,` `]`
   * `}`; anywhere: `: `, ` #`, the line end). Returns its value and sets
   * `tokenEnd` to where it ends, without moving the reader.
   */
  private scalarToken(flow: boolean, isKey = false): unknown {
    const c = this.code();
    if (c === 34 /* " */ || c === 39 /* ' */) return this.quoted();
    const s = this.s;
    let j = this.i;
    let last = j; // just past the last non-space character
    for (;;) {
      const d = j < s.length ? s.charCodeAt(j) : -1;
      if (d === -1 || d === NL || (d === CR && s.charCodeAt(j + 1) === NL)) break;
      if (d === TAB) this.stop('a tab, which this reader does not take outside quotes', j);
      if (d === SPACE) {
        j++;
        continue;
      }
      if (d === HASH && s.charCodeAt(j - 1) === SPACE) break;
      if (d === 58 /* : */) {
        const e = j + 1 < s.length ? s.charCodeAt(j + 1) : -1;
        if (e === SPACE || e === NL || e === -1 || e === CR || (flow && (e === 44 || e === 93 || e === 125))) break;
        this.stop('a colon inside a plain scalar', j);
      }
      if (flow && (d === 44 || d === 93 || d === 125 || d === 91 || d === 123)) break;
      j++;
      last = j;
    }
    if (last === this.i) this.stop(isKey ? 'an empty key' : 'an empty value where this reader wants one');
    const text = s.slice(this.i, last);
    const value = plainValue(text);
    if (value === STOP_PLAIN) this.stop('a plain scalar this reader does not take');
    this.tokenEnd = last;
    return value;
  }

  /** A quoted scalar on one line: `'…'` (a quote doubled stands for one) or `"…"` (with JSON's escapes). */
  private quoted(): string {
    const s = this.s;
    const q = s.charCodeAt(this.i);
    const kind = q === 34 ? 'double' : 'single';
    let j = this.i + 1;
    let out = '';
    let from = j;
    for (;;) {
      if (j >= s.length) this.stop(`a ${kind}-quoted string that does not end`);
      const d = s.charCodeAt(j);
      if (d === NL || d === CR) this.stop(`a ${kind}-quoted string over several lines`, j);
      if (d === q) {
        if (q === 34 || s.charCodeAt(j + 1) !== 39) break;
        out += s.slice(from, j + 1);
        j += 2;
        from = j;
      } else if (d === 92 /* \ */ && q === 34) {
        out += s.slice(from, j);
        const e = s[j + 1];
        if (e !== undefined && e in ESCAPES) {
          out += ESCAPES[e];
          j += 2;
        } else if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(s.slice(j + 2, j + 6))) {
          out += String.fromCharCode(Number.parseInt(s.slice(j + 2, j + 6), 16));
          j += 6;
        } else {
          this.stop('an escape in a double-quoted string that this reader does not take', j);
        }
        from = j;
      } else {
        j++;
      }
    }
    out += s.slice(from, j);
    this.tokenEnd = j + 1;
    return out;
  }

  // ------------------------------------------------------------ flow context

  /** Spaces, comments and (over several lines) line breaks between flow tokens. */
  private flowSpace(multiLine: boolean): void {
    for (;;) {
      this.skipSpaces();
      if (!this.atLineEnd() || this.i >= this.s.length) return;
      if (!multiLine) this.stop('a flow list or map over several lines inside a block one');
      this.toNextLine();
    }
  }

  private flowValue(depth: number, multiLine: boolean): unknown {
    const c = this.code();
    const at = this.i;
    if (c === 91) return this.flowSeq(this.deeper(depth), multiLine);
    if (c === 123) return this.flowMap(this.deeper(depth), multiLine);
    if (c === 38 || c === 42 || c === 33) this.stop('an anchor, alias or tag');
    const value = this.scalarToken(true);
    this.i = this.tokenEnd;
    this.located(at);
    return value;
  }

  private flowSeq(depth: number, multiLine: boolean): unknown {
    const value: unknown[] = [];
    const { loc, lazy, outer } = this.listLoc(true, depth, multiLine);
    const detached = this.detachedList(depth, lazy);
    this.i++;
    this.flowSpace(multiLine);
    while (this.code() !== 93) {
      this.itemStart(lazy);
      const item = this.flowValue(depth, multiLine);
      if (!detached) value.push(item);
      loc.items?.push(this.loc);
      this.flowSpace(multiLine);
      const d = this.code();
      if (d === 58) this.stop('a key and value inside a flow list');
      if (d === 44) {
        this.i++;
        this.flowSpace(multiLine);
      } else if (d !== 93) {
        this.stop(d === -1 ? 'a flow list that does not end' : 'a flow list item not followed by , or ]');
      }
    }
    this.i++;
    this.recording = outer;
    this.loc = loc;
    return this.listValue(value, lazy, detached);
  }

  private flowMap(depth: number, multiLine: boolean): unknown {
    const value: Record<string, unknown> = {};
    const recording = this.recording;
    const loc: Loc = recording ? { at: this.i, keys: new Map(), kids: new Map() } : NO_LOC;
    this.i++;
    this.flowSpace(multiLine);
    while (this.code() !== 125) {
      const keyAt = this.i;
      const quoted = this.code() === 34 || this.code() === 39;
      const key = this.key(true);
      this.flowSpace(multiLine);
      if (this.code() !== 58 || (!quoted && !this.isSeparatedAt(this.i + 1))) this.stop('a flow map key without a value');
      this.i++;
      this.claim(value, key, keyAt);
      if (recording) loc.keys!.set(key, keyAt);
      this.flowSpace(multiLine);
      const d = this.code();
      if (d === 44 || d === 125) this.stop('a flow map key without a value');
      this.detaching = depth === 1 && key === this.detach;
      value[key] = this.flowValue(depth, multiLine);
      this.detaching = false;
      if (recording) loc.kids!.set(key, this.loc);
      this.flowSpace(multiLine);
      const e = this.code();
      if (e === 44) {
        this.i++;
        this.flowSpace(multiLine);
      } else if (e !== 125) {
        this.stop(e === -1 ? 'a flow map that does not end' : 'a flow map value not followed by , or }');
      }
    }
    this.i++;
    this.loc = loc;
    return value;
  }
}

// ---------------------------------------------------------------- entry

class QuickLocations implements Locations {
  constructor(
    private readonly text: string,
    private readonly root: Loc,
    private readonly maxDepth: number,
  ) {}

  private child(node: Loc, seg: string | number): Loc | undefined {
    if (node.kids) return node.kids.get(String(seg));
    if (typeof seg !== 'number') return undefined;
    if (node.items) return node.items[seg];
    const lazy = node.lazy;
    if (lazy === undefined || seg < 0 || seg >= lazy.starts.length) return undefined;
    try {
      return new Reader(this.text, this.maxDepth, true).item(lazy, seg);
    } catch {
      // It was read once without a stop: it reads the same again.
      return { at: lazy.starts.at(seg) };
    }
  }

  offsetOf(path: Path, key = false): number {
    let node = this.root;
    let found = node.at;
    for (let k = 0; k < path.length; k++) {
      const seg = path[k]!;
      if (key && k === path.length - 1 && node.keys) return node.keys.get(String(seg)) ?? found;
      const next = this.child(node, seg);
      if (next === undefined) break;
      node = next;
      found = node.at;
    }
    return found;
  }

  itemPos(path: Path, index: number): { line: number; col: number } | undefined {
    let node: Loc | undefined = this.root;
    for (const seg of path) node = node && this.child(node, seg);
    const lazy = node?.lazy;
    const starts = lazy?.starts;
    if (starts === undefined || index < 0 || index >= starts.length) return undefined;
    return { line: starts.line(index), col: starts.at(index) - starts.lineStart(index) + 1 };
  }
}

/**
 * Read `text` if it is in the subset, or say where and why not. A `fatal`
 * stop (nesting deeper than `maxDepth`) refuses the document outright.
 */
export function quickRead(text: string, maxDepth: number, detach?: string): QuickDocument | QuickStop {
  try {
    const { value, loc } = new Reader(text, maxDepth, false, detach).document();
    return { value, locations: new QuickLocations(text, loc, maxDepth) };
  } catch (e) {
    if (e instanceof QuickStop) return e;
    throw e;
  }
}
