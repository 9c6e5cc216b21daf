import { runScenario } from '@vgic/core';
import { describe, expect, it } from 'vitest';
import { BACKENDS } from '../src/backends.js';
import { loadScenario, type LoadError, type LoadLimits } from '../src/load/index.js';

function errors(text: string, limits: Partial<LoadLimits> = {}): LoadError[] {
  const r = loadScenario(text, 'bad.yaml', { backends: BACKENDS, limits });
  if (r.ok) throw new Error('expected the scenario to be refused');
  return r.errors;
}

/** Each error as the CLI prints it, without the file name. */
function all(text: string, limits: Partial<LoadLimits> = {}): string[] {
  return errors(text, limits).map((e) => `${e.line}:${e.col}: ${e.message}`);
}

function only(text: string, limits: Partial<LoadLimits> = {}): string {
  const e = all(text, limits);
  expect(e).toHaveLength(1);
  return e[0]!;
}

function loads(text: string) {
  const r = loadScenario(text, 'good.yaml', { backends: BACKENDS });
  if (!r.ok) throw new Error(r.errors.map((e) => `${e.line}:${e.col}: ${e.message}`).join('\n'));
  return r.scenario;
}

const ITS = 'gic: v3\nvcpus: 2\nits: true\nmemory:\n  - { base: 0x40000000, size: 0x100000 }\nsteps:\n';
const RAM = 'gic: v3\nvcpus: 2\nmemory:\n  - { base: 0x40000000, size: 0x10000 }\nsteps:\n';

describe('the header: its, lpis, memory', () => {
  it('reads them into the scenario, exact', () => {
    const s = loads('gic: v3\nvcpus: 1\nlpis: 1024\nmemory:\n  - { base: 0x40000000, size: 0x10000 }\n  - { base: 0x80000000, size: 4096 }\nsteps: []\n');
    expect(s.lpis).toBe(1024);
    expect(s.memory).toEqual([
      { base: 0x4000_0000n, size: 0x10000 },
      { base: 0x8000_0000n, size: 4096 },
    ]);
  });

  it('refuses each of them on GICv2, at its key', () => {
    expect(all('gic: v2\nvcpus: 1\nits: true\nlpis: 64\nmemory: [{ base: 0, size: 4096 }]\nsteps: []\n')).toEqual([
      '3:1: its is for GICv3: GICv2 has no LPIs, no ITS, and reads no tables from guest memory',
      '4:1: lpis is for GICv3: GICv2 has no LPIs, no ITS, and reads no tables from guest memory',
      '5:1: memory is for GICv3: GICv2 has no LPIs, no ITS, and reads no tables from guest memory',
    ]);
  });

  it('refuses overlapping regions, naming both', () => {
    expect(only('gic: v3\nvcpus: 1\nmemory:\n  - { base: 0x1000, size: 0x2000 }\n  - { base: 0x2fff, size: 16 }\nsteps: []\n')).toBe(
      '5:5: memory region 2 (0x2fff–0x300e) overlaps region 1 (0x1000–0x2fff)',
    );
    // Touching is not overlapping.
    loads('gic: v3\nvcpus: 1\nmemory:\n  - { base: 0x1000, size: 0x2000 }\n  - { base: 0x3000, size: 16 }\nsteps: []\n');
  });

  it('refuses an empty region, one past the address space, and unknown keys in a region', () => {
    expect(only('gic: v3\nvcpus: 1\nmemory: [{ base: 0, size: 0 }]\nsteps: []\n')).toBe('3:27: memory region 1 has size 0: a region holds at least one byte');
    expect(only('gic: v3\nvcpus: 1\nmemory: [{ base: 0xfffffffffffff000, size: 0x2000 }]\nsteps: []\n')).toMatch(
      /^3:10: memory region 1 \(0xfffffffffffff000–0x10000000000000fff\) ends past 2\^52/,
    );
    expect(only('gic: v3\nvcpus: 1\nmemory: [{ base: 0, size: 16, sise: 1 }]\nsteps: []\n')).toBe('3:31: unknown key sise in memory.0 — did you mean size? (allowed: base, size)');
  });

  it('bounds the guest RAM a file may declare, and says how to raise it', () => {
    const e = errors('gic: v3\nvcpus: 1\nmemory:\n  - { base: 0, size: 0x100000 }\n  - { base: 0x100000, size: 0x100000 }\nsteps: []\n', { maxMemory: 0x180000 });
    expect(e).toHaveLength(1);
    expect(e[0]).toMatchObject({ line: 3, col: 1, limit: 'maxMemory', message: 'memory declares 2 MiB of guest RAM; scenarios may declare up to 1.5 MiB' });
    // The default is 256 MiB: a region of 1 GiB is refused without being allocated.
    expect(errors('gic: v3\nvcpus: 1\nmemory: [{ base: 0, size: 0x40000000 }]\nsteps: []\n')[0]).toMatchObject({ limit: 'maxMemory' });
  });

  it('reads its, with or without a base', () => {
    expect(loads(`${ITS}  - { msi: 1, event: 0 }\n`).its).toEqual({});
    expect(loads('gic: v3\nvcpus: 1\nits: { base: 0x08080000 }\nsteps: []\n').its).toEqual({ base: 0x0808_0000n });
    expect(only('gic: v3\nvcpus: 1\nits: { base: 0x08081000 }\nsteps: []\n')).toMatch(/^3:\d+: .*its/);
  });

  it('checks lpis and its by type and range', () => {
    expect(only('gic: v3\nvcpus: 1\nlpis: 0\nsteps: []\n')).toBe('3:7: lpis must be at least 1 (got 0)');
    expect(only('gic: v3\nvcpus: 1\nlpis: 60000\nsteps: []\n')).toBe('3:7: lpis must be at most 57344 (got 60000)');
    expect(only('gic: v3\nvcpus: 1\nits: yes\nsteps: []\n')).toBe('3:6: its must be true or false or a map, not a string ("yes")');
    expect(only('gic: v3\nvcpus: 1\nits: { bass: 0 }\nsteps: []\n')).toMatch(/^3:8: unknown key bass in its — did you mean base\?/);
  });
});

describe('poke and peek', () => {
  it('read the address, value, width and expectation exactly', () => {
    const s = loads(`${RAM}  - { poke: 0x4000fff8, value: 0xffffffffffffffff }\n  - { peek: 0x40000001, width: 8, expect: 0xa1, mask: 0xff }\n`);
    expect(s.steps[0]).toMatchObject({ action: 'poke', address: 0x4000_fff8n, value: 0xffff_ffff_ffff_ffffn });
    expect(s.steps[1]).toMatchObject({ action: 'peek', address: 0x4000_0001n, width: 8, expect: 0xa1n, mask: 0xffn });
  });

  it('refuses an address outside every region, counting the access width', () => {
    expect(only(`${RAM}  - { poke: 0x4000fffc, value: 0 }\n`)).toBe('6:13: step 1: poke of 8 bytes at 0x4000fffc is outside every memory region (0x40000000–0x4000ffff)');
    expect(only(`${RAM}  - { peek: 0x3fffffff, width: 16 }\n`)).toBe('6:13: step 1: peek of 2 bytes at 0x3fffffff is outside every memory region (0x40000000–0x4000ffff)');
    loads(`${RAM}  - { poke: 0x4000fffc, value: 0, width: 32 }\n`);
  });

  it('refuses a poke or peek where no memory is declared', () => {
    expect(only('gic: v3\nvcpus: 1\nsteps:\n  - { poke: 0, value: 1 }\n')).toBe(
      '4:13: step 1: poke reaches guest RAM, and this scenario declares none: add memory: [{ base, size }] to the header',
    );
  });

  it('refuses a value wider than the access, and keys poke and peek do not take', () => {
    expect(only(`${RAM}  - { poke: 0x40000000, value: 0x100, width: 8 }\n`)).toBe('6:32: step 1: value 0x100 does not fit in a 8-bit access');
    expect(only(`${RAM}  - { peek: 0x40000000, width: 16, expect: 0x10000 }\n`)).toBe('6:44: step 1: expect 0x10000 does not fit in a 16-bit access');
    expect(only(`${RAM}  - { poke: 0x40000000, value: 1, vcpu: 1 }\n`)).toBe('6:35: step 1: unknown key vcpu in a poke step (allowed: poke, value, width, expectError)');
    expect(only(`${RAM}  - { poke: 0x40000000 }\n`)).toBe('6:5: step 1: a poke step needs value');
    expect(only(`${RAM}  - { peek: 0x40000000, width: 12 }\n`)).toBe('6:32: step 1: width must be one of 8, 16, 32, 64 (got 12)');
  });
});

describe('its: COMMAND and msi', () => {
  it('read a command and its fields', () => {
    const s = loads(`${ITS}  - { its: MAPD, device: 1, itt: 0x40010000, size: 4, valid: 1, vcpu: 1 }\n  - { msi: 1, event: 3 }\n`);
    expect(s.steps[0]).toMatchObject({ action: 'its', command: 'MAPD', vcpu: 1, fields: { device: 1n, itt: 0x4001_0000n, size: 4n, valid: 1n } });
    expect(s.steps[1]).toMatchObject({ action: 'msi', device: 1, event: 3 });
  });

  it('need an ITS', () => {
    expect(all(`${RAM}  - { its: SYNC, target: 0 }\n  - { msi: 1, event: 0 }\n`)).toEqual([
      '6:7: step 1: its needs an ITS, and this machine has none: add its: true to the header',
      '7:7: step 2: msi needs an ITS, and this machine has none: add its: true to the header',
    ]);
  });

  it('refuse an unknown command, suggesting the one meant', () => {
    expect(only(`${ITS}  - { its: MAPDD, device: 1, valid: 0 }\n`)).toBe(
      '7:12: step 1: unknown ITS command MAPDD — did you mean MAPD? (commands: MAPD, MAPC, MAPTI, MAPI, MOVI, INT, CLEAR, DISCARD, INV, INVALL, MOVALL, SYNC)',
    );
  });

  it('refuse a missing field, and a field the command does not take', () => {
    expect(only(`${ITS}  - { its: MAPTI, device: 1, event: 0, collection: 0 }\n`)).toBe(
      '7:12: step 1: MAPTI needs intid: the LPI INTID (pINTID) (it takes device, event, intid, collection)',
    );
    expect(only(`${ITS}  - { its: INT, device: 1, event: 0, collection: 0 }\n`)).toBe('7:38: step 1: INT has no field collection (it takes device, event)');
    expect(only(`${ITS}  - { its: MAPD, device: 1, valid: 1, size: 4 }\n`)).toBe(
      '7:12: step 1: MAPD needs itt when valid is 1: the ITT address (it takes device, itt, size, valid)',
    );
    // Unmapping needs no ITT.
    loads(`${ITS}  - { its: MAPD, device: 1, valid: 0 }\n  - { its: MAPC, collection: 3, valid: 0 }\n`);
    expect(only(`${ITS}  - { its: MAPD, device: 1, valid: 1, size: 4, itt: 0x40010000, color: 1 }\n`)).toMatch(/^7:65: step 1: unknown key color in an its step/);
  });

  it('refuse a field out of its range, or an address the field cannot hold', () => {
    expect(only(`${ITS}  - { its: MAPC, collection: 0x10000, target: 0, valid: 1 }\n`)).toBe(
      '7:30: step 1: collection 0x10000 is out of range for MAPC: the collection (ICID) is 0..0xffff',
    );
    expect(only(`${ITS}  - { its: MAPD, device: 1, itt: 0x40010000, size: 0, valid: 1 }\n`)).toBe(
      '7:52: step 1: size 0 is out of range for MAPD: the number of EventID bits the ITT covers is 1..32',
    );
    expect(only(`${ITS}  - { its: MAPD, device: 1, itt: 0x40010010, size: 4, valid: 1 }\n`)).toBe(
      "7:34: step 1: itt 0x40010010 is not a multiple of 0x100: MAPD holds the ITT address's high bits only",
    );
    expect(only(`${ITS}  - { its: MAPD, device: 0x100000000, valid: 0 }\n`)).toBe('7:26: step 1: device 0x100000000 is out of range for MAPD: the DeviceID is 0..0xffffffff');
    expect(only(`${ITS}  - { its: MAPC, collection: 1, target: 0, valid: 2 }\n`)).toBe('7:51: step 1: valid 2 is out of range for MAPC: the V bit is 0..1');
    expect(only(`${ITS}  - { msi: 1, event: 0x100000000 }\n`)).toBe('7:22: step 1: event must be at most 4294967295 (got 4294967296)');
  });

  it('reports every bad command of a file at once', () => {
    expect(all(`${ITS}  - { its: INT, device: 1 }\n  - { its: SYNC }\n  - { its: MOVALL, from: 0, target: 1 }\n`)).toHaveLength(2);
  });
});

describe('registers and checks of LPIs', () => {
  it('names the ITS registers on a machine with an ITS, and says why they are missing on one without', () => {
    loads(`${ITS}  - { read: GITS_TYPER }\n  - { write: GITS_CBASER, value: 0xb80000004000000f }\n  - { read: GITS+0x8, width: 32 }\n  - { read: GICR_PROPBASER }\n`);
    expect(only(`${RAM}  - { read: GITS_TYPER }\n`)).toMatch(/^6:13: step 1: .*GITS_TYPER.* \(this machine has no ITS: add its: true to the header\)$/);
    expect(only('gic: v2\nvcpus: 1\nsteps:\n  - { read: GITS_CTLR }\n')).toMatch(/\(GICv2 has no ITS\)$/);
  });

  it('takes an LPI by its INTID in a check', () => {
    const s = loads(`${ITS}  - { check: { irq: 8192, pending: true, queued: 0 } }\n`);
    expect(s.steps[0]).toMatchObject({ action: 'check', check: { irq: 8192, pending: true, queued: 0 } });
  });
});

describe('guest RAM, run', () => {
  it('is the guest memory of the machine: what a poke stores, the GIC reads, and each region is its own', () => {
    const s = loads('gic: v3\nvcpus: 1\nlpis: 64\nmemory:\n  - { base: 0x40000000, size: 0x1000 }\n  - { base: 0x80000000, size: 0x1000 }\nsteps:\n  - { poke: 0x40000ffc, value: 0xa1b2c3d4, width: 32 }\n  - { poke: 0x80000000, value: 0x0102030405060708 }\n  - { peek: 0x80000004, width: 32, expect: 0x01020304 }\n');
    const r = runScenario(s, { backends: BACKENDS });
    expect([r.passed, r.failed]).toEqual([1, 0]);
    const mem = r.machine.memory;
    expect(mem.read32(0x4000_0ffc)).toBe(0xa1b2c3d4);
    expect(mem.read8(0x8000_0000)).toBe(0x08);
    mem.fault = false;
    mem.read32(0x4000_1000);
    expect(mem.fault).toBe(true);
  });
});
