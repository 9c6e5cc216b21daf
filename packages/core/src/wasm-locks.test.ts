import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { createToy } from '../test/fixtures/toy-gic.js';
import { toyGuest } from '../test/fixtures/toy-guest.js';
import { isVgicError } from './errors.js';
import { LockOwner } from './lock-owners.js';
import { AtomicLocks } from './locks.js';
import { WasmLocks, createSharedWasmMemory, wasmLocksSupported } from './wasm-locks.js';

describe('WasmLocks', () => {
  it('runs here: shared WebAssembly memory with atomic instructions', () => {
    expect(wasmLocksSupported()).toBe(true);
  });

  it('speaks the lock-word protocol of AtomicLocks: the holder\'s word while held, 0 when free, either can take what the other freed', () => {
    const memory = createSharedWasmMemory(4096);
    const words = new Int32Array(memory.buffer, 64, 8);
    const wasm = new WasmLocks(memory);
    const atomic = new AtomicLocks();
    // Outside a machine both are the standalone owner, id 1: its held word is 1 << 1.
    wasm.acquire(words, 3);
    expect(Array.from(words)).toEqual([0, 0, 0, 2, 0, 0, 0, 0]);
    wasm.release(words, 3);
    expect(words[3]).toBe(0);
    atomic.acquire(words, 5);
    expect(words[5]).toBe(2);
    atomic.release(words, 5);
    wasm.acquire(words, 5);
    expect(words[5]).toBe(2);
    wasm.release(words, 5);
    expect(Array.from(words)).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('records the owner it is bound to, as AtomicLocks does', () => {
    const memory = createSharedWasmMemory(4096);
    const words = new Int32Array(memory.buffer, 0, 4);
    // Ids whose word takes one, two and three bytes in the module's code.
    for (const id of [5, 300, 40_000]) {
      const owner = new LockOwner(id, null);
      const wasm = new WasmLocks(memory).forOwner(owner);
      wasm.acquire(words, 1);
      expect(words[1]).toBe(id << 1);
      new AtomicLocks(owner).release(words, 1);
      expect(words[1]).toBe(0);
      new AtomicLocks(owner).acquire(words, 2);
      wasm.release(words, 2);
      expect(words[2]).toBe(0);
    }
  });

  it('addresses the word of the view it is given, wherever the view starts in the memory', () => {
    const memory = createSharedWasmMemory(8192);
    const a = new Int32Array(memory.buffer, 0, 4);
    const b = new Int32Array(memory.buffer, 4096, 4);
    const locks = new WasmLocks(memory);
    locks.acquire(a, 1);
    locks.acquire(b, 2);
    expect([a[1], b[2], a[2], b[1]]).toEqual([2, 2, 0, 0]);
    locks.release(a, 1);
    locks.release(b, 2);
    expect([a[1], b[2]]).toEqual([0, 0]);
  });

  it('refuses lock words outside its memory, and memory that is not shared', () => {
    const locks = new WasmLocks(createSharedWasmMemory(4096));
    const elsewhere = new Int32Array(new SharedArrayBuffer(64));
    expect(() => locks.acquire(elsewhere, 0)).toThrow(/not a view of this lock's WebAssembly.Memory/);
    const unshared = new (globalThis as unknown as { WebAssembly: { Memory: new (d: { initial: number }) => { buffer: ArrayBuffer } } }).WebAssembly.Memory({ initial: 1 });
    let error: unknown = null;
    try {
      new WasmLocks(unshared);
    } catch (e) {
      error = e;
    }
    expect(isVgicError(error, 'INVALID_ARGUMENT')).toBe(true);
  });

  it('excludes another thread locking the same word with Atomics: no increment is lost', async () => {
    const memory = createSharedWasmMemory(4096);
    // Word 0: the lock. Word 1: a counter updated with plain (non-atomic) reads and
    // writes under it. Words 2 and 3: how many increments each thread has done. Each
    // thread goes on until both have done N, so the two loops overlap whatever the
    // scheduler does.
    const words = new Int32Array(memory.buffer, 128, 4);
    const N = 200_000;
    const worker = new Worker(
      `
      const { workerData, parentPort } = require('node:worker_threads');
      const w = new Int32Array(workerData.buffer, 128, 4);
      // Thread id 2 (word 4) in the lock-word protocol of locks.ts: the
      // holder's word, bit 0 set while someone waits.
      function acquire() {
        if (Atomics.compareExchange(w, 0, 0, 4) === 0) return;
        for (;;) {
          const word = Atomics.load(w, 0);
          if (word === 0) { if (Atomics.compareExchange(w, 0, 0, 5) === 0) return; continue; }
          if ((word & 1) === 0 && Atomics.compareExchange(w, 0, word, word | 1) !== word) continue;
          Atomics.wait(w, 0, word | 1);
        }
      }
      function release() {
        if (Atomics.compareExchange(w, 0, 4, 0) === 4) return;
        Atomics.store(w, 0, 0);
        Atomics.notify(w, 0, 1);
      }
      let mine = 0;
      while (mine < workerData.n || Atomics.load(w, 2) < workerData.n) {
        acquire(); const c = w[1]; w[1] = c + 1; release();
        Atomics.store(w, 3, ++mine);
      }
      parentPort.postMessage('done');
      `,
      { eval: true, workerData: { buffer: memory.buffer, n: N } },
    );
    const finished = new Promise<void>((done, fail) => {
      worker.once('message', () => done());
      worker.on('error', fail);
    });
    const locks = new WasmLocks(memory);
    let mine = 0;
    while (mine < N || Atomics.load(words, 3) < N) {
      locks.acquire(words, 0);
      const c = words[1]!;
      words[1] = c + 1;
      locks.release(words, 0);
      Atomics.store(words, 2, ++mine);
    }
    await finished;
    await worker.terminate();
    expect(words[1]).toBe(words[2]! + words[3]!);
    expect(words[0]).toBe(0);
  });
});

describe("memory: 'wasm'", () => {
  it('puts the machine in a shared WebAssembly.Memory behind WasmLocks, and runs the same round trip', () => {
    const m = createToy({ vcpus: 2, spis: 64, memory: 'wasm', lockCheck: false });
    expect(m.vgic.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(m.vgic.shared).toBe(true);
    expect(m.vgic.locks.kind).toBe('wasm-atomic');
    toyGuest.init(m);
    toyGuest.setPriority(m, 40, 0x80);
    toyGuest.route(m, 40, 1);
    toyGuest.enable(m, 40);
    expect(m.inject(40, 1)).toBe(true);
    expect(toyGuest.ack(m, 1)).toBe(40);
    toyGuest.eoi(m, 1, 40);
    m.exit(1);
    expect(m.irq(40)).toMatchObject({ active: false, pending: false, queued: null });
    expect(m.checkInvariants()).toEqual([]);
    expect(m.noLockHeld()).toBe(true);
  });

  it('keeps the lock-order checker when asked for it', () => {
    const m = createToy({ vcpus: 1, spis: 32, memory: 'wasm', lockCheck: true });
    expect(m.vgic.locks.kind).toBe('wasm-atomic+lockdep');
  });

  it('is shared memory: shared: false with it is a configuration error', () => {
    let error: unknown = null;
    try {
      createToy({ vcpus: 1, spis: 32, memory: 'wasm', shared: false });
    } catch (e) {
      error = e;
    }
    expect(isVgicError(error, 'INVALID_CONFIG')).toBe(true);
  });
});
