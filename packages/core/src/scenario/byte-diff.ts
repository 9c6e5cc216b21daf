/**
 * Which 8-byte words of a machine's state changed since the last look: what
 * `ChangeTracker` reads after every step of a scenario, so it has to be
 * cheap. A loop in JavaScript compares the words at a few nanoseconds each;
 * a six-instruction loop in WebAssembly, over a copy of the state in its own
 * memory, does the same some five times faster. The module is assembled
 * here from the listing below; where there is no WebAssembly, the JavaScript
 * loop does the work.
 */

import { name, section, uleb, vec } from '../wasm-asm.js';

/** The part of the WebAssembly JS API used here (the project's `lib` carries no WebAssembly types). */
interface WasmApi {
  Memory: new (descriptor: { initial: number }) => { readonly buffer: ArrayBuffer };
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: Record<string, Record<string, unknown>>) => { readonly exports: Record<string, unknown> };
}

/** `diff(a, b, n, out)`: the indexes of the 8-byte words of [a, a + 8n) that differ from [b, b + 8n), at `out`; returns how many. */
type DiffFn = (a: number, b: number, n: number, out: number) => number;

const I32 = 0x7f;
// Parameters a=0, b=1, n=2, out=3; locals i=4, k=5.
// prettier-ignore
const DIFF_BODY = [
  0x01, 0x02, I32,                                          // two i32 locals: i, k
  0x02, 0x40,                                               // block
  0x03, 0x40,                                               //   loop
  0x20, 4, 0x20, 2, 0x4f, 0x0d, 1,                          //     br_if 1 (i >= n)
  0x20, 0, 0x20, 4, 0x41, 3, 0x74, 0x6a, 0x29, 3, 0,        //     i64.load (a + (i << 3))
  0x20, 1, 0x20, 4, 0x41, 3, 0x74, 0x6a, 0x29, 3, 0,        //     i64.load (b + (i << 3))
  0x52, 0x04, 0x40,                                         //     if (i64.ne)
  0x20, 3, 0x20, 5, 0x41, 2, 0x74, 0x6a, 0x20, 4, 0x36, 2, 0, //       i32.store (out + (k << 2)) i
  0x20, 5, 0x41, 1, 0x6a, 0x21, 5,                          //       k += 1
  0x0b,                                                     //     end
  0x20, 4, 0x41, 1, 0x6a, 0x21, 4,                          //     i += 1
  0x0c, 0,                                                  //     br 0
  0x0b,                                                     //   end
  0x0b,                                                     // end
  0x20, 5,                                                  // k
  0x0b,
];

function diffModule(): Uint8Array {
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([[0x60, ...vec([[I32], [I32], [I32], [I32]]), ...vec([[I32]])]])),
    ...section(2, vec([[...name('m'), ...name('memory'), 0x02, 0x00, 0x01]])), // memory import, at least one page
    ...section(3, vec([[0]])),
    ...section(7, vec([[...name('diff'), 0x00, 0]])),
    ...section(10, vec([[...uleb(DIFF_BODY.length), ...DIFF_BODY]])),
  ]);
}

const PAGE = 65536;

/**
 * A buffer, and a copy of it as it was at the last `remember`: `scan` lists
 * the 8-byte words that differ (the last one may be shorter, when the buffer's
 * length is not a multiple of 8), `before` and `now` give their bytes.
 */
export class ByteDiff {
  /** The copy, as the buffer was at the last `remember`. */
  readonly before: Uint8Array;
  /** The buffer as `scan` saw it. */
  readonly now: Uint8Array;
  private readonly live: Uint8Array;
  private readonly words: number;
  private readonly diff: DiffFn | null;
  private readonly found: Int32Array;
  /** Without WebAssembly: the buffer and the copy as pairs of 32-bit halves. */
  private readonly halves: [Int32Array, Int32Array] | null;
  private readonly at: number;
  private readonly out: number;

  constructor(buffer: ArrayBufferLike) {
    this.live = new Uint8Array(buffer);
    const length = this.live.length;
    this.words = length >> 3;
    const api = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
    let diff: DiffFn | null = null;
    let memory: ArrayBuffer | null = null;
    // Layout of the module's memory: the copy, the buffer as scanned, the indexes found.
    const span = (length + 7) & ~7;
    this.at = span;
    this.out = 2 * span;
    if (api !== undefined) {
      try {
        const mem = new api.Memory({ initial: Math.ceil((2 * span + 4 * (this.words + 1)) / PAGE) });
        const instance = new api.Instance(new api.Module(diffModule()), { m: { memory: mem } });
        diff = instance.exports['diff'] as DiffFn;
        memory = mem.buffer;
      } catch {
        diff = null;
      }
    }
    this.diff = diff;
    if (memory !== null) {
      this.before = new Uint8Array(memory, 0, length);
      this.now = new Uint8Array(memory, span, length);
      this.found = new Int32Array(memory, this.out, this.words + 1);
      this.halves = null;
    } else {
      this.before = new Uint8Array(length);
      this.now = this.live;
      this.found = new Int32Array(this.words + 1);
      this.halves = [new Int32Array(buffer, 0, this.words * 2), new Int32Array(this.before.buffer, 0, this.words * 2)];
    }
    this.remember();
  }

  /** Take the buffer as it is now as the copy to compare with. */
  remember(): void {
    this.before.set(this.live);
  }

  /** The indexes of the words that differ from the copy, in `found[0..count)`. */
  scan(): { found: Int32Array; count: number } {
    const { before, now, found } = this;
    let count: number;
    if (this.diff !== null) {
      now.set(this.live);
      count = this.diff(this.at, 0, this.words, this.out);
    } else {
      count = 0;
      const [a, b] = this.halves!;
      for (let w = 0; w < this.words; w++) if (a[2 * w] !== b[2 * w] || a[2 * w + 1] !== b[2 * w + 1]) found[count++] = w;
    }
    for (let i = this.words << 3; i < now.length; i++) {
      if (now[i] !== before[i]) {
        found[count++] = this.words;
        break;
      }
    }
    return { found, count };
  }
}
