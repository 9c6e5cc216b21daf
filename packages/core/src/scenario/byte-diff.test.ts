import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { ByteDiff } from './byte-diff.js';

const global = globalThis as { WebAssembly?: unknown };
const wasm = global.WebAssembly;
afterEach(() => {
  global.WebAssembly = wasm;
});

/** The words a diff reports, for a buffer of `length` bytes changed at `changes` (offset, xor). */
function reported(length: number, changes: [number, number][]): number[] {
  const buffer = new ArrayBuffer(length);
  const bytes = new Uint8Array(buffer);
  for (let i = 0; i < length; i++) bytes[i] = (i * 37) & 0xff;
  const d = new ByteDiff(buffer);
  for (const [at, x] of changes) bytes[at % length]! ^= x;
  const { found, count } = d.scan();
  return Array.from(found.subarray(0, count));
}

function expected(length: number, changes: [number, number][]): number[] {
  const flips = new Map<number, number>();
  for (const [at, x] of changes) flips.set(at % length, (flips.get(at % length) ?? 0) ^ x);
  return [...new Set([...flips].filter(([, x]) => x !== 0).map(([at]) => at >> 3))].sort((a, b) => a - b);
}

describe('ByteDiff', () => {
  for (const mode of ['WebAssembly', 'JavaScript alone'] as const) {
    it(`${mode}: reports exactly the 8-byte words that changed, the short last one too`, () => {
      if (mode === 'JavaScript alone') global.WebAssembly = undefined;
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 300 }), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { maxLength: 8 }), (length, changes) => {
          expect(reported(length, changes)).toEqual(expected(length, changes));
        }),
      );
    });
  }

  it('compares with the buffer as it was at the last remember, and gives the bytes of both', () => {
    const buffer = new ArrayBuffer(20);
    const bytes = new Uint8Array(buffer);
    const d = new ByteDiff(buffer);
    bytes[17] = 9;
    expect(d.scan().count).toBe(1);
    expect([d.before[17], d.now[17]]).toEqual([0, 9]);
    d.remember();
    expect(d.scan().count).toBe(0);
  });
});
