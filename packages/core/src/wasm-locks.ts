/**
 * The lock primitive on WebAssembly's atomic instructions, for a machine
 * whose buffer is the buffer of a shared `WebAssembly.Memory`.
 *
 * Why: what an atomic costs decides shared-mode speed, and on V8 a lock and
 * unlock done by `i32.atomic.rmw.cmpxchg` / `i32.atomic.rmw.xchg` in a tiny
 * WebAssembly function costs a fraction of the same pair done with
 * `Atomics.compareExchange` / `Atomics.exchange` from JS (the optimising
 * compiler inlines the call into the module; the instructions are the
 * machine's own `lock cmpxchg` / `xchg`).
 *
 * A shared `WebAssembly.Memory`'s `.buffer` is a SharedArrayBuffer: the
 * engine's typed-array views, `Atomics.wait`/`notify` and worker threads use
 * it exactly as before. The lock words mean what they mean for
 * `AtomicLocks` (locks.ts: 0 free, the holder's id shifted left by one, the
 * waiters bit, the poisoned word), so threads using `AtomicLocks` and
 * threads using `WasmLocks` on the same buffer exclude each other correctly;
 * only the uncontended fast paths differ. Anything else — contention, a dead
 * holder, a broken machine — goes to the slow paths of locks.ts.
 *
 * The module is assembled here, from the listing below, at construction:
 * there is no binary blob to trust and no build step.
 */
import { VgicError } from './errors.js';
import { LOCK_WAITERS, LockOwner } from './lock-owners.js';
import { OwnedLocks, acquireContended, releaseContended, type LockOps } from './locks.js';
import { NO_SHARED_MEMORY, sharedMemorySupported } from './vgic.js';
import { name, section, sleb, uleb, vec } from './wasm-asm.js';

/** A `WebAssembly.Memory`, as far as this module uses it (the project's `lib` carries no WebAssembly types). */
export interface WasmMemory {
  readonly buffer: ArrayBufferLike;
}

interface WasmModule {
  readonly __wasmModule?: never;
}

/** The part of the WebAssembly JS API used here. */
interface WasmApi {
  Memory: new (descriptor: { initial: number; maximum: number; shared: boolean }) => WasmMemory;
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports: Record<string, Record<string, unknown>>) => { readonly exports: Record<string, unknown> };
}

const wasmApi = (): WasmApi => {
  const api = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
  if (api === undefined) throw new VgicError('INVALID_CONFIG', "this runtime has no WebAssembly: use memory: 'sab'");
  return api;
};

// Section ids, types and opcodes (WebAssembly core spec 5.x; threads proposal for 0xfe).
const SEC_TYPE = 1;
const SEC_IMPORT = 2;
const SEC_FUNCTION = 3;
const SEC_EXPORT = 7;
const SEC_CODE = 10;
const TYPE_FUNC = 0x60;
const I32 = 0x7f;
const IMPORT_MEMORY = 0x02;
const EXPORT_FUNC = 0x00;
/** Limits flags: a maximum is given, and the memory is shared. */
const LIMITS_MAX_SHARED = 0x03;
/** The largest 32-bit memory, in 64 KiB pages: the import accepts any shared memory. */
const MAX_PAGES = 65536;
const LOCAL_GET = 0x20;
const I32_CONST = 0x41;
const END = 0x0b;
const ATOMIC = 0xfe;
const I32_ATOMIC_RMW_XCHG = 0x41;
const I32_ATOMIC_RMW_CMPXCHG = 0x48;
/** memarg of a 32-bit atomic: alignment 2^2 (it must be natural), offset 0. */
const MEMARG_I32 = [2, 0];

/**
 * The module, for the thread whose held locks read SELF (`id << 1`): the
 * word is a constant of the code, so the call takes one argument, as a lock
 * that records no owner would.
 *
 *   (import "env" "memory" (memory 0 65536 shared))
 *   (func (export "tryLock") (param $addr i32) (result i32)   ;; old value; 0 = taken
 *     (i32.atomic.rmw.cmpxchg (local.get $addr) (i32.const 0) (i32.const SELF)))
 *   (func (export "unlock") (param $addr i32) (result i32)    ;; old value; bit 0 set = look
 *     (i32.atomic.rmw.xchg (local.get $addr) (i32.const 0)))
 */
function lockModuleBytes(self: number): Uint8Array {
  const i32ToI32 = [TYPE_FUNC, ...vec([[I32]]), ...vec([[I32]])];
  const tryLock = [LOCAL_GET, 0, I32_CONST, 0, I32_CONST, ...sleb(self), ATOMIC, I32_ATOMIC_RMW_CMPXCHG, ...MEMARG_I32, END];
  const unlock = [LOCAL_GET, 0, I32_CONST, 0, ATOMIC, I32_ATOMIC_RMW_XCHG, ...MEMARG_I32, END];
  const body = (code: number[]): number[] => {
    const withLocals = [...vec([]), ...code];
    return [...uleb(withLocals.length), ...withLocals];
  };
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, // \0asm
    0x01, 0x00, 0x00, 0x00, // version 1
    ...section(SEC_TYPE, vec([i32ToI32])),
    ...section(SEC_IMPORT, vec([[...name('env'), ...name('memory'), IMPORT_MEMORY, LIMITS_MAX_SHARED, ...uleb(0), ...uleb(MAX_PAGES)]])),
    ...section(SEC_FUNCTION, vec([[0], [0]])),
    ...section(SEC_EXPORT, vec([
      [...name('tryLock'), EXPORT_FUNC, 0],
      [...name('unlock'), EXPORT_FUNC, 1],
    ])),
    ...section(SEC_CODE, vec([body(tryLock), body(unlock)])),
  ]);
}

/** The module for each holder's word, compiled once per thread. */
const compiled = new Map<number, WasmModule>();

function lockModule(self: number): WasmModule {
  let m = compiled.get(self);
  if (m === undefined) {
    m = new (wasmApi().Module)(lockModuleBytes(self));
    compiled.set(self, m);
  }
  return m;
}

// ------------------------------------------------------------ memory

const PAGE = 65536;

/** A shared `WebAssembly.Memory` of at least `bytes` bytes (zeroed, fixed size). */
export function createSharedWasmMemory(bytes: number): WasmMemory {
  if (!Number.isInteger(bytes) || bytes < 0) {
    throw new VgicError('INVALID_ARGUMENT', `a memory size is a whole number of bytes; got ${String(bytes)}`);
  }
  const pages = Math.max(1, Math.ceil(bytes / PAGE));
  if (!sharedMemorySupported()) throw new VgicError('INVALID_CONFIG', NO_SHARED_MEMORY);
  return new (wasmApi().Memory)({ initial: pages, maximum: pages, shared: true });
}

/** Can this runtime run `WasmLocks` (shared WebAssembly memory with the atomic instructions)? */
export function wasmLocksSupported(): boolean {
  try {
    new WasmLocks(createSharedWasmMemory(PAGE));
    return true;
  } catch {
    return false;
  }
}

// ------------------------------------------------------------ the lock

export class WasmLocks extends OwnedLocks implements LockOps {
  readonly kind: string = 'wasm-atomic';
  /** The memory whose buffer every `words` passed in must view. */
  readonly memory: WasmMemory;
  private readonly tryLock: (addr: number) => number;
  private readonly unlockWord: (addr: number) => number;
  // The last lock array seen and its byte offset in the memory: reading
  // `byteOffset` of a view costs as much as the atomic itself on V8, and the
  // engine passes the same array every time.
  private words: Int32Array | null = null;
  private base = 0;

  constructor(memory: WasmMemory, owner: LockOwner = LockOwner.standalone) {
    super(owner);
    if (!(memory.buffer instanceof SharedArrayBuffer)) {
      throw new VgicError('INVALID_ARGUMENT', 'WasmLocks needs a shared WebAssembly.Memory ({ shared: true, maximum })');
    }
    const instance = new (wasmApi().Instance)(lockModule(owner.word), { env: { memory } });
    this.memory = memory;
    this.tryLock = instance.exports['tryLock'] as (addr: number) => number;
    this.unlockWord = instance.exports['unlock'] as (addr: number) => number;
  }

  forOwner(owner: LockOwner): LockOps {
    return new WasmLocks(this.memory, owner);
  }

  /** `words` must be a view of `memory.buffer`: the lock word's address is its byte offset there. */
  acquire(words: Int32Array, index: number): void {
    if (words !== this.words) this.rebase(words);
    if (this.tryLock(this.base + (index << 2)) !== 0) acquireContended(words, index, this.owner);
  }

  release(words: Int32Array, index: number): void {
    if (words !== this.words) this.rebase(words);
    const old = this.unlockWord(this.base + (index << 2));
    if ((old & LOCK_WAITERS) !== 0) releaseContended(words, index, this.owner, old);
  }

  private rebase(words: Int32Array): void {
    if (words.buffer !== this.memory.buffer) {
      throw new VgicError('INVALID_ARGUMENT', 'WasmLocks: the lock words are not a view of this lock\'s WebAssembly.Memory');
    }
    this.words = words;
    this.base = words.byteOffset;
  }
}
