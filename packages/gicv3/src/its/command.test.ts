import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { VgicError } from '@vgic/core';
import {
  ITS_CMD,
  ITS_COMMAND_FIELDS,
  cmdCollection,
  cmdDevice,
  cmdEvent,
  cmdItt,
  cmdPhysicalId,
  cmdSize,
  cmdTarget,
  cmdTarget2,
  cmdValid,
  commandWords,
  decodeItsCommand,
  encodeItsCommand,
  type ItsCommand,
  type ItsCommandName,
} from './command.js';

/** The doublewords of an encoded command. */
function dwords(bytes: Uint8Array): bigint[] {
  const dv = new DataView(bytes.buffer);
  return [0, 1, 2, 3].map((i) => dv.getBigUint64(i * 8, true));
}

describe('ITS command encoding (IHI 0069, 6.3)', () => {
  test('MAPD: DeviceID in DW0 63:32, Size = bits − 1 in DW1 4:0, ITT address bits 51:8 in DW2, V in DW2 63', () => {
    const b = encodeItsCommand({ cmd: 'MAPD', device: 0xabcd, itt: 0xf_1234_5600, size: 5, valid: true });
    expect(dwords(b)).toEqual([0xabcd_0000_0008n, 4n, (1n << 63n) | 0xf_1234_5600n, 0n]);
  });

  test('MAPC: ICID in DW2 15:0, RDbase (a vCPU number) in DW2 47:16, V in DW2 63', () => {
    const b = encodeItsCommand({ cmd: 'MAPC', collection: 0x77, target: 0x1_0002, valid: 1 });
    expect(dwords(b)).toEqual([0x09n, 0n, (1n << 63n) | (0x1_0002n << 16n) | 0x77n, 0n]);
  });

  test('MAPTI: EventID in DW1 31:0, pINTID in DW1 63:32, ICID in DW2 15:0', () => {
    const b = encodeItsCommand({ cmd: 'MAPTI', device: 3, event: 9, intid: 8200, collection: 2 });
    expect(dwords(b)).toEqual([(3n << 32n) | 0x0an, (8200n << 32n) | 9n, 2n, 0n]);
  });

  test('MOVALL: RDbase in DW2 47:16, RDbase2 in DW3 47:16', () => {
    const b = encodeItsCommand({ cmd: 'MOVALL', from: 1, target: 0xffff_ffff });
    expect(dwords(b)).toEqual([0x0en, 0n, 1n << 16n, 0xffff_ffffn << 16n]);
  });

  test('every command number is the specification\'s', () => {
    expect(ITS_CMD).toEqual({
      MOVI: 1, INT: 3, CLEAR: 4, SYNC: 5, MAPD: 8, MAPC: 9, MAPTI: 10, MAPI: 11, INV: 12, INVALL: 13, MOVALL: 14, DISCARD: 15,
    });
  });

  test('the decoder reads every field back as the ITS reads it', () => {
    const w = commandWords(encodeItsCommand({ cmd: 'MAPD', device: 0xffff_ffff, itt: 0xf_ffff_ffff_ff00, size: 32, valid: false }));
    expect([cmdDevice(w), cmdItt(w), cmdSize(w), cmdValid(w)]).toEqual([0xffff_ffff, 0xf_ffff_ffff_ff00, 32, false]);
    const m = commandWords(encodeItsCommand({ cmd: 'MAPTI', device: 1, event: 0xffff_ffff, intid: 0x8000_0000, collection: 0xffff }));
    expect([cmdEvent(m), cmdPhysicalId(m), cmdCollection(m)]).toEqual([0xffff_ffff, 0x8000_0000, 0xffff]);
    const a = commandWords(encodeItsCommand({ cmd: 'MOVALL', from: 0x8000_0001, target: 0x7fff_fffe }));
    expect([cmdTarget(a), cmdTarget2(a)]).toEqual([0x8000_0001, 0x7fff_fffe]);
  });

  test('decode(encode(c)) is c for every command and every field value in range', () => {
    const field = (bits: number) => fc.integer({ min: 0, max: 2 ** bits - 1 });
    const arb: fc.Arbitrary<ItsCommand> = fc.oneof(
      fc.record({ cmd: fc.constant('MAPD' as const), device: field(32), itt: field(44).map((x) => x * 256), size: fc.integer({ min: 1, max: 32 }), valid: fc.boolean() }),
      fc.record({ cmd: fc.constant('MAPC' as const), collection: field(16), target: field(32), valid: fc.boolean() }),
      fc.record({ cmd: fc.constant('MAPTI' as const), device: field(32), event: field(32), intid: field(32), collection: field(16) }),
      fc.record({ cmd: fc.constantFrom('MAPI' as const, 'MOVI' as const), device: field(32), event: field(32), collection: field(16) }),
      fc.record({ cmd: fc.constantFrom('INT' as const, 'CLEAR' as const, 'DISCARD' as const, 'INV' as const), device: field(32), event: field(32) }),
      fc.record({ cmd: fc.constant('INVALL' as const), collection: field(16) }),
      fc.record({ cmd: fc.constant('MOVALL' as const), from: field(32), target: field(32) }),
      fc.record({ cmd: fc.constant('SYNC' as const), target: field(32) }),
    );
    fc.assert(
      fc.property(arb, (c) => {
        expect(decodeItsCommand(encodeItsCommand(c))).toEqual(c);
      }),
    );
  });

  test('the field table names exactly the fields each command takes', () => {
    const samples: Record<ItsCommandName, ItsCommand> = {
      MAPD: { cmd: 'MAPD', device: 1, itt: 0, size: 1, valid: true },
      MAPC: { cmd: 'MAPC', collection: 1, target: 0, valid: true },
      MAPTI: { cmd: 'MAPTI', device: 1, event: 1, intid: 8192, collection: 1 },
      MAPI: { cmd: 'MAPI', device: 1, event: 1, collection: 1 },
      MOVI: { cmd: 'MOVI', device: 1, event: 1, collection: 1 },
      INT: { cmd: 'INT', device: 1, event: 1 },
      CLEAR: { cmd: 'CLEAR', device: 1, event: 1 },
      DISCARD: { cmd: 'DISCARD', device: 1, event: 1 },
      INV: { cmd: 'INV', device: 1, event: 1 },
      INVALL: { cmd: 'INVALL', collection: 1 },
      MOVALL: { cmd: 'MOVALL', from: 0, target: 1 },
      SYNC: { cmd: 'SYNC', target: 0 },
    };
    for (const [name, fields] of Object.entries(ITS_COMMAND_FIELDS)) {
      const decoded = decodeItsCommand(encodeItsCommand(samples[name as ItsCommandName]))!;
      expect(Object.keys(decoded).filter((k) => k !== 'cmd').sort()).toEqual(fields.map((f) => f.name).sort());
      for (const f of fields) {
        if (f.name === 'valid') continue;
        const over = { ...samples[name as ItsCommandName], [f.name]: (f.max ?? 2 ** f.bits - 1) + (f.align ?? 1) };
        expect(() => encodeItsCommand(over as ItsCommand), `${name}.${f.name} past its range`).toThrow(VgicError);
      }
    }
  });

  test('a field out of range, a misaligned ITT or an unknown command is refused by name', () => {
    expect(() => encodeItsCommand({ cmd: 'MAPC', collection: 0x1_0000, target: 0, valid: true })).toThrow(/collection/);
    expect(() => encodeItsCommand({ cmd: 'MAPD', device: 1, itt: 0x1080, size: 4, valid: true })).toThrow(/256-byte/);
    expect(() => encodeItsCommand({ cmd: 'MAPD', device: 1, itt: 0, size: 0, valid: true })).toThrow(/size/);
    expect(() => encodeItsCommand({ cmd: 'INT', device: -1, event: 0 })).toThrow(/device/);
    expect(() => encodeItsCommand({ cmd: 'BOGUS' } as unknown as ItsCommand)).toThrow(VgicError);
    expect(decodeItsCommand(new Uint8Array(32).fill(0x02))).toBeNull();
  });
});
