/**
 * ITS commands: the 32-byte entries of the command queue (IHI 0069, 6.3
 * "ITS command descriptions"), as four little-endian doublewords. The
 * encoder is what a guest's ITS driver writes (tests, scenarios, the
 * fuzzer and examples use it); the decoder reads a queued command's fields
 * as KVM's its_cmd_get_* do.
 *
 * Fields, by doubleword and bits (as KVM reads them):
 * - DW0 [7:0] command number, [63:32] DeviceID;
 * - DW1 [4:0] Size (EventID bits − 1, MAPD), [31:0] EventID, [63:32] pINTID (MAPTI);
 * - DW2 [15:0] ICID, [51:8] ITT address bits 51:8 (MAPD),
 *   [47:16] RDbase (MAPC, SYNC, MOVALL's first target), [63] V (MAPD, MAPC);
 * - DW3 [47:16] RDbase2 (MOVALL's second target).
 * With GITS_TYPER.PTA = 0, RDbase is a vCPU number.
 */
import { VgicError } from '@vgic/core';

export const ITS_CMD_BYTES = 32;

/** Command numbers (IHI 0069, table 6-2). */
export const ITS_CMD: Readonly<{
  MOVI: 0x01;
  INT: 0x03;
  CLEAR: 0x04;
  SYNC: 0x05;
  MAPD: 0x08;
  MAPC: 0x09;
  MAPTI: 0x0a;
  MAPI: 0x0b;
  INV: 0x0c;
  INVALL: 0x0d;
  MOVALL: 0x0e;
  DISCARD: 0x0f;
}> = Object.freeze({
  MOVI: 0x01,
  INT: 0x03,
  CLEAR: 0x04,
  SYNC: 0x05,
  MAPD: 0x08,
  MAPC: 0x09,
  MAPTI: 0x0a,
  MAPI: 0x0b,
  INV: 0x0c,
  INVALL: 0x0d,
  MOVALL: 0x0e,
  DISCARD: 0x0f,
} as const);

export type ItsCommandName = keyof typeof ITS_CMD;

/**
 * One command, its fields named as the specification names them. `size`
 * is the number of EventID bits the device's ITT covers (1..32; MAPD's
 * field holds size − 1); `itt` the ITT's guest physical address (256-byte
 * aligned); `target`/`from` a vCPU number (PTA = 0); `valid` MAPD's and
 * MAPC's V bit.
 */
export type ItsCommand =
  | { readonly cmd: 'MAPD'; readonly device: number; readonly itt: number | bigint; readonly size: number; readonly valid: boolean | 0 | 1 }
  | { readonly cmd: 'MAPC'; readonly collection: number; readonly target: number; readonly valid: boolean | 0 | 1 }
  | { readonly cmd: 'MAPTI'; readonly device: number; readonly event: number; readonly intid: number; readonly collection: number }
  | { readonly cmd: 'MAPI'; readonly device: number; readonly event: number; readonly collection: number }
  | { readonly cmd: 'MOVI'; readonly device: number; readonly event: number; readonly collection: number }
  | { readonly cmd: 'INT' | 'CLEAR' | 'DISCARD' | 'INV'; readonly device: number; readonly event: number }
  | { readonly cmd: 'INVALL'; readonly collection: number }
  | { readonly cmd: 'MOVALL'; readonly from: number; readonly target: number }
  | { readonly cmd: 'SYNC'; readonly target: number };

/** One field of a command: its name, its width in bits, and what else limits it. */
export interface ItsCommandField {
  readonly name: 'device' | 'event' | 'intid' | 'collection' | 'itt' | 'size' | 'valid' | 'target' | 'from';
  readonly bits: number;
  /** The least value (size: 1). */
  readonly min?: number;
  /** The greatest value where it is not 2^bits − 1 (size: 32). */
  readonly max?: number;
  /** The alignment a value must have (itt: 256). */
  readonly align?: number;
}

const DEVICE: ItsCommandField = { name: 'device', bits: 32 };
const EVENT: ItsCommandField = { name: 'event', bits: 32 };
const COLLECTION: ItsCommandField = { name: 'collection', bits: 16 };
const TARGET: ItsCommandField = { name: 'target', bits: 32 };

/** Each command's fields, as data: what the encoder takes and checks (a scenario loader checks ranges from it). */
export const ITS_COMMAND_FIELDS: Readonly<Record<ItsCommandName, readonly ItsCommandField[]>> = Object.freeze({
  MAPD: [DEVICE, { name: 'itt', bits: 52, align: 256 }, { name: 'size', bits: 6, min: 1, max: 32 }, { name: 'valid', bits: 1 }],
  MAPC: [COLLECTION, TARGET, { name: 'valid', bits: 1 }],
  MAPTI: [DEVICE, EVENT, { name: 'intid', bits: 32 }, COLLECTION],
  MAPI: [DEVICE, EVENT, COLLECTION],
  MOVI: [DEVICE, EVENT, COLLECTION],
  INT: [DEVICE, EVENT],
  CLEAR: [DEVICE, EVENT],
  DISCARD: [DEVICE, EVENT],
  INV: [DEVICE, EVENT],
  INVALL: [COLLECTION],
  MOVALL: [{ name: 'from', bits: 32 }, TARGET],
  SYNC: [TARGET],
});

function u(name: string, value: unknown, bits: number): number {
  const max = 2 ** bits - 1;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > max) {
    throw new VgicError('INVALID_ARGUMENT', `ITS command field ${name} must be a whole number 0..${max}, not ${String(value)}`);
  }
  return value;
}

function ittAddress(value: unknown): number {
  const n = typeof value === 'bigint' ? Number(value) : value;
  if (typeof value === 'bigint' && BigInt(n as number) !== value) u('itt', value, 52);
  const a = u('itt', n, 52);
  if (a % 256 !== 0) throw new VgicError('INVALID_ARGUMENT', `ITS command field itt must be 256-byte aligned, not 0x${a.toString(16)}`);
  return a;
}

/**
 * The 32 bytes of `c` as a guest writes them into the command queue
 * (little-endian). Throws INVALID_ARGUMENT for a field that does not fit.
 */
export function encodeItsCommand(c: ItsCommand): Uint8Array {
  if (typeof c !== 'object' || c === null || !(typeof c.cmd === 'string' && Object.hasOwn(ITS_CMD, c.cmd))) {
    throw new VgicError('INVALID_ARGUMENT', `an ITS command is one of ${Object.keys(ITS_CMD).join(', ')}`);
  }
  const w = new Uint32Array(8);
  w[0] = ITS_CMD[c.cmd];
  const target = (word: number, vcpu: number): void => {
    w[word] = (w[word]! | (vcpu << 16)) >>> 0;
    w[word + 1] = (w[word + 1]! | (vcpu >>> 16)) >>> 0;
  };
  switch (c.cmd) {
    case 'MAPD': {
      w[1] = u('device', c.device, 32);
      const size = u('size', c.size, 6);
      if (size < 1 || size > 32) throw new VgicError('INVALID_ARGUMENT', `ITS command field size (EventID bits) must be 1..32, not ${size}`);
      w[2] = size - 1;
      const itt = ittAddress(c.itt);
      w[4] = (itt % 0x1_0000_0000) >>> 0;
      w[5] = Math.floor(itt / 0x1_0000_0000) | (c.valid ? 0x8000_0000 : 0);
      break;
    }
    case 'MAPC':
      w[4] = u('collection', c.collection, 16);
      target(4, u('target', c.target, 32));
      if (c.valid) w[5] = (w[5]! | 0x8000_0000) >>> 0;
      break;
    case 'MAPTI':
      w[1] = u('device', c.device, 32);
      w[2] = u('event', c.event, 32);
      w[3] = u('intid', c.intid, 32);
      w[4] = u('collection', c.collection, 16);
      break;
    case 'MAPI':
    case 'MOVI':
      w[1] = u('device', c.device, 32);
      w[2] = u('event', c.event, 32);
      w[4] = u('collection', c.collection, 16);
      break;
    case 'INT':
    case 'CLEAR':
    case 'DISCARD':
    case 'INV':
      w[1] = u('device', c.device, 32);
      w[2] = u('event', c.event, 32);
      break;
    case 'INVALL':
      w[4] = u('collection', c.collection, 16);
      break;
    case 'MOVALL':
      target(4, u('from', c.from, 32));
      target(6, u('target', c.target, 32));
      break;
    case 'SYNC':
      target(4, u('target', c.target, 32));
      break;
  }
  const bytes = new Uint8Array(ITS_CMD_BYTES);
  const dv = new DataView(bytes.buffer);
  for (let i = 0; i < 8; i++) dv.setUint32(i * 4, w[i]!, true);
  return bytes;
}

// --- decoding: the fields of a command read into eight 32-bit words ---

export const cmdNumber = (c: Uint32Array): number => c[0]! & 0xff;
export const cmdDevice = (c: Uint32Array): number => c[1]!;
/** MAPD's Size field + 1: EventID bits. */
export const cmdSize = (c: Uint32Array): number => (c[2]! & 0x1f) + 1;
export const cmdEvent = (c: Uint32Array): number => c[2]!;
export const cmdPhysicalId = (c: Uint32Array): number => c[3]!;
export const cmdCollection = (c: Uint32Array): number => c[4]! & 0xffff;
/** MAPD's ITT address: DW2 bits 51:8. */
export const cmdItt = (c: Uint32Array): number => (c[5]! & 0xf_ffff) * 0x1_0000_0000 + ((c[4]! & 0xffff_ff00) >>> 0);
/** RDbase: DW2 bits 47:16. */
export const cmdTarget = (c: Uint32Array): number => ((c[4]! >>> 16) | ((c[5]! & 0xffff) << 16)) >>> 0;
/** MOVALL's RDbase2: DW3 bits 47:16. */
export const cmdTarget2 = (c: Uint32Array): number => ((c[6]! >>> 16) | ((c[7]! & 0xffff) << 16)) >>> 0;
export const cmdValid = (c: Uint32Array): boolean => (c[5]! & 0x8000_0000) !== 0;

const NAMES: readonly (ItsCommandName | undefined)[] = (() => {
  const out: (ItsCommandName | undefined)[] = [];
  for (const [name, n] of Object.entries(ITS_CMD)) out[n] = name as ItsCommandName;
  return out;
})();

/** A command's name, or null for a number no command has. */
export function itsCommandName(n: number): ItsCommandName | null {
  return NAMES[n] ?? null;
}

/** Eight words of a command from its 32 little-endian bytes. */
export function commandWords(bytes: Uint8Array): Uint32Array {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const w = new Uint32Array(8);
  for (let i = 0; i < 8 && i * 4 + 4 <= bytes.byteLength; i++) w[i] = dv.getUint32(i * 4, true);
  return w;
}

/** The command `bytes` hold, with the fields its kind has (as the ITS reads them), or null for an unknown command number. */
export function decodeItsCommand(bytes: Uint8Array): ItsCommand | null {
  const c = commandWords(bytes);
  const name = itsCommandName(cmdNumber(c));
  switch (name) {
    case 'MAPD':
      return { cmd: name, device: cmdDevice(c), itt: cmdItt(c), size: cmdSize(c), valid: cmdValid(c) };
    case 'MAPC':
      return { cmd: name, collection: cmdCollection(c), target: cmdTarget(c), valid: cmdValid(c) };
    case 'MAPTI':
      return { cmd: name, device: cmdDevice(c), event: cmdEvent(c), intid: cmdPhysicalId(c), collection: cmdCollection(c) };
    case 'MAPI':
    case 'MOVI':
      return { cmd: name, device: cmdDevice(c), event: cmdEvent(c), collection: cmdCollection(c) };
    case 'INT':
    case 'CLEAR':
    case 'DISCARD':
    case 'INV':
      return { cmd: name, device: cmdDevice(c), event: cmdEvent(c) };
    case 'INVALL':
      return { cmd: name, collection: cmdCollection(c) };
    case 'MOVALL':
      return { cmd: name, from: cmdTarget(c), target: cmdTarget2(c) };
    case 'SYNC':
      return { cmd: name, target: cmdTarget(c) };
    default:
      return null;
  }
}
