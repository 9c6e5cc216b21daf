/**
 * What a machine is made from and opened over, checked: the options
 * `Machine.create` and a backend's factory take, the handle another thread
 * opens the machine with, and the buffer that handle carries — each refused
 * with a `VgicError` saying what is wrong before anything is made.
 */
import type { GicBackend } from './backend.js';
import { describeValue, optionalBoolean, readOptions } from './args.js';
import { VgicError } from './errors.js';
import type { LockOps } from './locks.js';
import { checkGuestMemory, type GuestMemoryRegion } from './guest-memory.js';
import {
  CTL_BACKEND_WORDS,
  CTL_BYTES,
  CTL_LPIS,
  CTL_LAYOUT,
  CTL_LRS,
  CTL_MAGIC,
  CTL_PRIBITS,
  CTL_SGI_SOURCES,
  CTL_SPIS,
  CTL_VCPUS,
  CTL_WORDS,
  LAYOUT_VERSION,
  VGIC_MAGIC,
  Vgic,
  type VgicOpenOptions,
  type VgicShape,
} from './vgic.js';
import { WasmLocks, createSharedWasmMemory } from './wasm-locks.js';

export interface MachineOptions {
  /** vCPU count, 1..the backend's maximum. */
  vcpus: number;
  /** SPI count: a multiple of 32, 0..988 (default 32). */
  spis?: number;
  /** List registers per vCPU, 1..16 (default 4). */
  lrs?: number;
  /** Keep the state in a SharedArrayBuffer with atomic locks, for vCPUs on worker threads. */
  shared?: boolean;
  /** Check the lock order at run time (default: `VGIC_LOCKDEP=1` in the environment). */
  lockCheck?: boolean;
  /** Replace the lock primitive. */
  locks?: LockOps;
  /**
   * Where a shared machine's state lives (`'wasm'` implies `shared`):
   * `'sab'` (default) a SharedArrayBuffer with `Atomics` locks; `'wasm'` the
   * buffer of a shared `WebAssembly.Memory` — a SharedArrayBuffer too — with
   * locks on WebAssembly's atomic instructions (`WasmLocks`), cheaper from JS.
   */
  memory?: 'sab' | 'wasm';
  /**
   * LPI capacity: how many LPIs may be mapped at once (INTIDs 8192..65535),
   * 0..the backend's `limits.maxLpis` (default 0: no LPIs; a backend without
   * LPIs takes only 0).
   */
  lpis?: number;
  /**
   * Guest physical memory the GIC reads and writes (LPI tables, the ITS's
   * tables and command queue): regions over the integrator's RAM or
   * callbacks (guest-memory.ts). Default: none, every access faults.
   */
  guestMemory?: readonly GuestMemoryRegion[];
}

/** Everything another thread needs to open the same machine: structured-clonable. */
export interface MachineHandle {
  buffer: ArrayBufferLike;
  version: string;
  /** The backend factory's options, for the other thread to build the same backend. */
  backendOptions: unknown;
  /** The guest memory regions another thread can see (over shared buffers). */
  guestMemory?: GuestMemoryRegion[];
}

const MAX_SPIS = 988;

/** The options `Machine.create` takes; a backend's factory adds its own (frame bases, affinities). */
export const MACHINE_OPTION_KEYS: readonly string[] = Object.freeze([
  'vcpus',
  'spis',
  'lrs',
  'shared',
  'lockCheck',
  'locks',
  'memory',
  'lpis',
  'guestMemory',
]);

/**
 * The options `Machine.attach` (and a backend's `attach…`) takes.
 * `guestMemory` replaces the regions the handle carries (a worker's own
 * callbacks, say).
 */
export const ATTACH_OPTION_KEYS: readonly string[] = Object.freeze(['lockCheck', 'locks', 'guestMemory']);

/**
 * A backend factory's options, read once and split into the machine's
 * (`MACHINE_OPTION_KEYS`) and the backend's own (`backendKeys`). Throws
 * INVALID_CONFIG for options that are not an object and for a key neither
 * takes; the values are the factory's and `Machine.create`'s to check.
 */
export function splitFactoryOptions(
  options: unknown,
  backendKeys: readonly string[],
  what: string,
): { machine: MachineOptions; backend: Record<string, unknown> } {
  const o = readOptions(options, [...MACHINE_OPTION_KEYS, ...backendKeys], 'INVALID_CONFIG', what);
  const machine: Record<string, unknown> = {};
  const backend: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(o)) (backendKeys.includes(key) ? backend : machine)[key] = value;
  return { machine: machine as unknown as MachineOptions, backend };
}

/**
 * A machine handle (`Machine.handle`) as a backend's `attach…` takes it: read
 * once, of GIC `version`, its `backendOptions` an object or absent. Throws
 * INVALID_ARGUMENT for anything else; the buffer is `Machine.attach`'s to check.
 */
export function readMachineHandle(
  handle: unknown,
  version: string,
): { buffer: unknown; backendOptions: Record<string, unknown>; guestMemory: unknown } {
  const h = readOptions(handle, ['buffer', 'version', 'backendOptions', 'guestMemory'], 'INVALID_ARGUMENT', 'the machine handle');
  if (h['version'] !== version) {
    throw new VgicError('INVALID_ARGUMENT', `the handle is of a GIC${describeValue(h['version'])} machine; this opens GIC${version} machines`);
  }
  const bo = h['backendOptions'] ?? {};
  if (typeof bo !== 'object' || bo === null) {
    throw new VgicError('INVALID_ARGUMENT', `handle.backendOptions must be the backend's options object, or absent; got ${describeValue(bo)}`);
  }
  return { buffer: h['buffer'], backendOptions: bo as Record<string, unknown>, guestMemory: h['guestMemory'] };
}

/** `locks` must be a lock primitive: an object with `acquire` and `release` functions. */
function checkLocks(x: unknown): LockOps | undefined {
  if (x === undefined) return undefined;
  let ok = false;
  if (typeof x === 'object' && x !== null) {
    try {
      const l = x as LockOps;
      ok = typeof l.acquire === 'function' && typeof l.release === 'function';
    } catch {
      ok = false;
    }
  }
  if (!ok) throw new VgicError('INVALID_CONFIG', `locks must be a lock primitive (an object with acquire and release functions); got ${describeValue(x)}`);
  return x as LockOps;
}

/** The open options (`lockCheck`, `locks`) of a plain options record, checked. */
export function openOptionsOf(o: Record<string, unknown>): VgicOpenOptions {
  const lockCheck = optionalBoolean(o, 'lockCheck', 'INVALID_CONFIG', 'machine options');
  const locks = checkLocks(o['locks']);
  return { ...(lockCheck !== undefined && { lockCheck }), ...(locks !== undefined && { locks }) };
}

/** The layout a backend can build: the counts in range for its limits. */
function checkShape(backend: GicBackend, vcpus: unknown, spis: unknown, lrs: unknown, lpis: unknown, what: string): VgicShape {
  if (!Number.isInteger(vcpus) || (vcpus as number) < 1 || (vcpus as number) > backend.limits.maxVcpus) {
    throw new VgicError('INVALID_CONFIG', `${what}vcpus must be 1..${backend.limits.maxVcpus} for GIC${backend.version}; got ${describeValue(vcpus)}`);
  }
  const maxSpis = Math.min(MAX_SPIS, backend.limits.maxSpis);
  if (!Number.isInteger(spis) || (spis as number) < 0 || (spis as number) > maxSpis || (spis as number) % 32 !== 0) {
    throw new VgicError('INVALID_CONFIG', `${what}spis must be a multiple of 32 in 0..${maxSpis - (maxSpis % 32)}; got ${describeValue(spis)}`);
  }
  if (!Number.isInteger(lrs) || (lrs as number) < 1 || (lrs as number) > backend.limits.maxLrs) {
    throw new VgicError('INVALID_CONFIG', `${what}lrs must be 1..${backend.limits.maxLrs}; got ${describeValue(lrs)}`);
  }
  const maxLpis = backend.limits.maxLpis ?? 0;
  if (!Number.isInteger(lpis) || (lpis as number) < 0 || (lpis as number) > maxLpis) {
    throw new VgicError(
      'INVALID_CONFIG',
      maxLpis === 0
        ? `${what}lpis: GIC${backend.version} has no LPIs; got ${describeValue(lpis)}`
        : `${what}lpis must be 0..${maxLpis} (LPIs mapped at once); got ${describeValue(lpis)}`,
    );
  }
  const shape: VgicShape = {
    nrVcpus: vcpus as number,
    nrSpis: spis as number,
    nrLrs: lrs as number,
    priorityBits: backend.priorityBits,
    sgiSources: backend.sgiSources,
    nrLpis: lpis as number,
  };
  return { ...shape, backendWords: backendWordsFor(backend, shape) };
}

/** The words of shared state the backend asks for (`stateWords`), checked. */
function backendWordsFor(backend: GicBackend, shape: VgicShape): number {
  const words = backend.stateWords?.(shape) ?? 0;
  if (!Number.isInteger(words) || words < 0 || words > 1 << 26) {
    throw new VgicError('INVALID_CONFIG', `the GIC${backend.version} backend asks for ${describeValue(words)} state words: 0..2^26 are possible`);
  }
  return words;
}

/**
 * Check machine options against a backend: the layout they ask for, and the
 * type of every option. Throws INVALID_CONFIG, naming the option, for a value
 * of the wrong type or out of range and for an option `Machine.create` does
 * not take.
 */
export function validateMachineOptions(backend: GicBackend, options: MachineOptions): VgicShape {
  return checkMachineOptions(backend, options).shape;
}

interface CheckedOptions {
  shape: VgicShape;
  shared: boolean;
  memory: 'sab' | 'wasm';
  open: VgicOpenOptions;
  guestMemory: GuestMemoryRegion[];
}

export function checkMachineOptions(backend: GicBackend, options: unknown): CheckedOptions {
  if (options === undefined) throw new VgicError('INVALID_CONFIG', 'machine options are required: at least { vcpus }');
  // A backend's factory passes its own options along with the machine's; it refuses the keys neither knows.
  const o = readOptions(options, MACHINE_OPTION_KEYS, 'INVALID_CONFIG', 'machine options', 'ignore');
  const shape = checkShape(backend, o['vcpus'], o['spis'] ?? 32, o['lrs'] ?? 4, o['lpis'] ?? 0, '');
  const shared = optionalBoolean(o, 'shared', 'INVALID_CONFIG', 'machine options');
  const memory = o['memory'] ?? 'sab';
  if (memory !== 'sab' && memory !== 'wasm') {
    throw new VgicError('INVALID_CONFIG', `memory must be 'sab' or 'wasm'; got ${describeValue(memory)}`);
  }
  if (memory === 'wasm' && shared === false) {
    throw new VgicError('INVALID_CONFIG', "memory: 'wasm' is shared memory; drop `shared: false` or use memory: 'sab'");
  }
  const guestMemory = checkGuestMemory(o['guestMemory']);
  return { shape, shared: shared ?? false, memory, open: openOptionsOf(o), guestMemory };
}

/**
 * The shape a buffer's header records, checked before any view is made over
 * it: a buffer too short for its own header or for the layout it names, or
 * a header altered into one the backend cannot have made, is refused with
 * INVALID_ARGUMENT.
 */
export function checkMachineBuffer(backend: GicBackend, buffer: unknown): ArrayBufferLike {
  const sab = typeof SharedArrayBuffer !== 'undefined' && buffer instanceof SharedArrayBuffer;
  if (!sab && !(buffer instanceof ArrayBuffer)) {
    throw new VgicError('INVALID_ARGUMENT', `a machine's buffer is a SharedArrayBuffer (or an ArrayBuffer); got ${describeValue(buffer)}`);
  }
  const b = buffer as ArrayBufferLike;
  if (b.byteLength < CTL_WORDS * 4) {
    throw new VgicError('INVALID_ARGUMENT', `the buffer holds ${b.byteLength} bytes: too few for a machine's header (${CTL_WORDS * 4})`);
  }
  const ctl = new Int32Array(b, 0, CTL_WORDS);
  if (ctl[CTL_MAGIC] !== VGIC_MAGIC || ctl[CTL_LAYOUT] !== LAYOUT_VERSION) {
    throw new VgicError('INVALID_ARGUMENT', 'the buffer does not hold a vgic machine of this layout version');
  }
  let shape: VgicShape;
  try {
    shape = checkShape(backend, ctl[CTL_VCPUS], ctl[CTL_SPIS], ctl[CTL_LRS], ctl[CTL_LPIS], "the buffer's header: ");
  } catch (e) {
    throw new VgicError('INVALID_ARGUMENT', (e as Error).message);
  }
  if (ctl[CTL_BACKEND_WORDS] !== shape.backendWords) {
    throw new VgicError(
      'INVALID_ARGUMENT',
      `the buffer's header records ${ctl[CTL_BACKEND_WORDS]} backend state words; this GIC${backend.version} backend lays out ${shape.backendWords}`,
    );
  }
  if (ctl[CTL_PRIBITS] !== backend.priorityBits || (ctl[CTL_SGI_SOURCES] === 1) !== backend.sgiSources || (ctl[CTL_SGI_SOURCES]! & ~1) !== 0) {
    throw new VgicError('INVALID_ARGUMENT', `the buffer's header does not describe a GIC${backend.version} machine (priority bits, SGI sources)`);
  }
  const need = Vgic.bytesFor(shape);
  if (b.byteLength < need) {
    throw new VgicError('INVALID_ARGUMENT', `the buffer holds ${b.byteLength} bytes; the machine its header describes needs ${need}`);
  }
  // A buffer may be longer than its machine (a WebAssembly memory is), so
  // only the size the header recorded at creation shows a shape word altered
  // since: a shape smaller than the one laid out would read every array at
  // the wrong place.
  if (ctl[CTL_BYTES] !== need) {
    throw new VgicError(
      'INVALID_ARGUMENT',
      `the buffer's header does not hold together: its shape lays out ${need} bytes, it was made for ${ctl[CTL_BYTES]}`,
    );
  }
  return b;
}

/** A machine state in a new shared WebAssembly.Memory, locked by `WasmLocks` unless other locks are given. */
export function createInWasmMemory(shape: VgicShape, openOptions: VgicOpenOptions): Vgic {
  const memory = createSharedWasmMemory(Vgic.bytesFor(shape));
  return Vgic.init(memory.buffer, shape, { locks: new WasmLocks(memory), ...openOptions });
}
