import { describe, expect, it } from 'vitest';
import { KITS, MODES, guestRamOf, makeMachine } from './machines.js';
import { parseFloor } from './floor.js';
import { floorRatios, floorTable, lpiAims, lpiTable, resultsTable, type BenchResult } from './report.js';
import { combineRepeats, median } from './run.js';
import { BenchCheckError, runSuite, sinkValue } from './suite.js';
import { cellsFor, dryRun, runsOn, sgi1rWords, WORKLOADS } from './workloads.js';

describe('every workload', () => {
  for (const def of WORKLOADS) {
    for (const gic of (['v2', 'v3'] as const).filter((g) => runsOn(def, g))) {
      for (const mode of MODES) {
        it(`${def.name} on GIC${gic} ${mode} has every operation's outcome as expected and leaves the machine quiet`, () => {
          const p = def.prepare(KITS[gic], mode);
          expect(p.fn()).toBe(p.ops);
          expect(p.fn()).toBe(p.ops);
          p.verify();
          expect(p.machine.checkInvariants()).toEqual([]);
          expect(p.machine.noLockHeld()).toBe(true);
        });
      }
    }
  }
});

describe('the modes', () => {
  it('put single in an ArrayBuffer with plain locks, shared in a SharedArrayBuffer with Atomics, shared-wasm in WebAssembly memory', () => {
    const single = makeMachine(KITS.v3, 'single', { vcpus: 1 });
    const shared = makeMachine(KITS.v3, 'shared', { vcpus: 1 });
    const wasm = makeMachine(KITS.v2, 'shared-wasm', { vcpus: 1 });
    expect(single.vgic.buffer instanceof SharedArrayBuffer).toBe(false);
    expect(single.vgic.locks.kind).toBe('plain');
    expect(shared.vgic.buffer instanceof SharedArrayBuffer).toBe(true);
    expect(shared.vgic.locks.kind).toBe('atomic');
    expect(wasm.vgic.buffer instanceof SharedArrayBuffer).toBe(true);
    expect(wasm.vgic.locks.kind).toBe('wasm-atomic');
  });
});

describe('outcome checks', () => {
  it('stop the suite when the engine does not deliver: a disabled SPI gives no number', () => {
    const def = WORKLOADS.find((w) => w.name === 'spi-roundtrip')!;
    const p = def.prepare(KITS.v3, 'single');
    KITS.v3.guest.disable(p.machine, 32);
    expect(p.fn()).toBe(0);
    expect(() => dryRun(p, 'broken')).toThrow(/0 of 256/);
    expect(() => runSuite('spi-roundtrip', [['v3/single', p.fn, p.ops]], { time: 1 })).toThrow(BenchCheckError);
  });

  it('stop the suite when the LPI is not delivered: a discarded translation gives no number', () => {
    const def = WORKLOADS.find((w) => w.name === 'lpi-roundtrip')!;
    const p = def.prepare(KITS.v3, 'single');
    KITS.v3.guest.lpi!.driver(p.machine, guestRamOf(p.machine), { vcpus: 1, devices: 1, eventsPerDevice: 1 }, 0).discard(0, 0);
    p.machine.exit(0);
    expect(p.fn()).toBe(0);
    expect(() => dryRun(p, 'broken')).toThrow(/0 of 256/);
  });

  it('stop the suite when a burst loses an interrupt', () => {
    const def = WORKLOADS.find((w) => w.name === 'burst16')!;
    const p = def.prepare(KITS.v2, 'single');
    KITS.v2.guest.disable(p.machine, 40);
    expect(p.fn()).toBe(0);
  });

  it('pass a correct batch through, with its results in the sink', () => {
    const before = sinkValue();
    const [r] = runSuite('trivial', [['x', () => 8, 8]], { time: 1, iterations: 4, warmupIterations: 2 });
    expect(r!.samples).toBeGreaterThanOrEqual(4);
    expect(r!.nsPerOp).toBeGreaterThanOrEqual(0);
    expect(sinkValue()).not.toBe(before);
  });
});

describe('ICC_SGI1R_EL1 words', () => {
  it('name a vCPU by TargetList bit, Aff1, Aff2, Aff3 and the range selector', () => {
    expect(sgi1rWords(0x00000001, 1)).toEqual([(1 << 1) | (1 << 24), 0]);
    // Aff3.Aff2.Aff1.Aff0 = 4.3.2.0x13: TargetList bit 3 in range 1.
    expect(sgi1rWords(0x04030213, 5)).toEqual([((1 << 3) | (2 << 16) | (5 << 24)) >>> 0, 3 | (1 << 12) | (4 << 16)]);
  });
});

describe('the C floor', () => {
  const text = 'plain spi-roundtrip 8.8\nplain burst16 383.9\natomic spi-roundtrip 45.5\natomic burst16 918.9\n';

  it('is read from its "<mode> <workload> <ns>" lines', () => {
    expect(parseFloor(text)).toEqual([
      { mode: 'plain', workload: 'spi-roundtrip', nsPerOp: 8.8 },
      { mode: 'plain', workload: 'burst16', nsPerOp: 383.9 },
      { mode: 'atomic', workload: 'spi-roundtrip', nsPerOp: 45.5 },
      { mode: 'atomic', workload: 'burst16', nsPerOp: 918.9 },
    ]);
  });

  it('compares single with plain and the shared modes with atomic, for the two workloads it times', () => {
    const r = (workload: string, mode: string, nsPerOp: number): BenchResult => ({
      workload,
      gic: 'v3',
      mode,
      nsPerOp,
      opsPerSec: 1e9 / nsPerOp,
      rme: 1,
      samples: 100,
    });
    const ratios = floorRatios(
      [r('spi-roundtrip', 'single', 17.6), r('spi-roundtrip', 'shared-wasm', 91), r('burst16', 'shared', 918.9), r('ipi', 'single', 50)],
      parseFloor(text),
    );
    expect(ratios.map((q) => [q.workload, q.mode, q.floorMode, Number(q.ratio.toFixed(2)), q.target])).toEqual([
      ['spi-roundtrip', 'single', 'plain', 2, 3.5],
      ['spi-roundtrip', 'shared-wasm', 'atomic', 2, 2.2],
      ['burst16', 'shared', 'atomic', 1, null],
    ]);
    const table = floorTable(ratios).split('\n');
    expect(table[2]).toMatch(/^spi-roundtrip\s+single\s+plain 8\.80\s+–\s+–\s+17\.60\s+2\.00×\s+≤ 3\.5×: v3 met$/);
    expect(table[3]).toMatch(/shared-wasm .* 2\.00×\s+≤ 2\.2× \(faster lock\): v3 met$/);
    expect(table[4]).toMatch(/^burst16\s+shared\s+atomic 918\.9\s+–\s+–\s+918\.9\s+1\.00×$/);
    expect(table).toHaveLength(5);
  });

  it('judges the shared aim by the faster of the two lock primitives, and says when an aim is not met', () => {
    const r = (mode: string, nsPerOp: number): BenchResult => ({ workload: 'spi-roundtrip', gic: 'v3', mode, nsPerOp, opsPerSec: 1e9 / nsPerOp, rme: 1, samples: 1 });
    const floor = parseFloor('full-plain spi-roundtrip 40\nfull-atomic spi-roundtrip 100\n');
    // shared is 3.0×, shared-wasm 2.1×: the faster meets 2.2×, so both rows say met; single at 4.0× does not meet 3.5×.
    const table = floorTable(floorRatios([r('single', 160), r('shared', 300), r('shared-wasm', 210)], floor)).split('\n');
    expect(table[2]).toMatch(/4\.00×\s+≤ 3\.5×: v3 not met$/);
    expect(table[3]).toMatch(/3\.00×\s+≤ 2\.2× \(faster lock\): v3 met$/);
    expect(table[4]).toMatch(/2\.10×\s+≤ 2\.2× \(faster lock\): v3 met$/);
    const slow = floorTable(floorRatios([r('shared', 300), r('shared-wasm', 230)], floor)).split('\n');
    expect(slow[3]).toMatch(/2\.30×\s+≤ 2\.2× \(faster lock\): v3 not met$/);
  });
});

describe('the table', () => {
  it('puts GICv2 and GICv3 side by side with their ratio', () => {
    const rows: BenchResult[] = [
      { workload: 'ipi', gic: 'v2', mode: 'single', nsPerOp: 300, opsPerSec: 1e9 / 300, rme: 0.5, samples: 10 },
      { workload: 'ipi', gic: 'v3', mode: 'single', nsPerOp: 200, opsPerSec: 1e9 / 200, rme: 0.7, samples: 10 },
    ];
    const table = resultsTable(rows, ['ipi']);
    const line = table.split('\n')[2]!;
    expect(line).toMatch(/^ipi\s+single\s+300\.0\s+3\.33 M\s+±0\.5%\s+200\.0\s+5\.00 M\s+±0\.7%\s+1\.50$/);
  });

  it('shows beside each row the floor covers its ratio to the C floor of the same run, and the spread of repeated passes', () => {
    const cell = (workload: string, gic: 'v2' | 'v3', nsPerOp: number, spread?: number): BenchResult => ({
      workload,
      gic,
      mode: 'single',
      nsPerOp,
      opsPerSec: 1e9 / nsPerOp,
      rme: 0.5,
      samples: 10,
      ...(spread === undefined ? {} : { spread }),
    });
    const rows = [cell('spi-roundtrip', 'v2', 200, 4), cell('spi-roundtrip', 'v3', 150, 2.5), cell('ipi', 'v3', 300)];
    const lines = resultsTable(rows, ['spi-roundtrip', 'ipi'], parseFloor('full-plain spi-roundtrip 50\n')).split('\n');
    expect(lines[0]).toMatch(/v2\/v3\s+v2\/C\s+v3\/C$/);
    expect(lines[2]).toMatch(/^spi-roundtrip\s+single\s+200\.0\s+5\.00 M\s+±0\.5% ↔4\.0%\s+150\.0\s+6\.67 M\s+±0\.5% ↔2\.5%\s+1\.33\s+4\.00×\s+3\.00×$/);
    // ipi has no floor figure: its ratio cells are empty.
    expect(lines[3]).toMatch(/^ipi\s+single\s+–\s+–\s+300\.0\s+3\.33 M\s+±0\.5%\s+–$/);
  });
});

describe('repeated passes', () => {
  const pass = (ns: number): BenchResult[] => [{ workload: 'ipi', gic: 'v3', mode: 'single', nsPerOp: ns, opsPerSec: 1e9 / ns, rme: ns / 100, samples: 10 }];

  it('give each cell the median of its passes, all their samples, and half their range as a percentage of the median', () => {
    const [r] = combineRepeats([pass(210), pass(200), pass(260)]);
    expect(r).toMatchObject({ nsPerOp: 210, rme: 2.1, samples: 30 });
    expect(r!.spread).toBeCloseTo((30 / 210) * 100, 9);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it('leave a single pass as it is, with no spread', () => {
    expect(combineRepeats([pass(200)])).toEqual(pass(200));
  });
});

describe('the LPI workloads', () => {
  it('run on GICv3 only, which has LPIs', () => {
    expect(cellsFor(['spi-roundtrip', 'lpi-roundtrip', 'scaling'], 'v2')).toEqual(['spi-roundtrip']);
    expect(cellsFor(['spi-roundtrip', 'lpi-roundtrip', 'scaling'], 'v3')).toEqual(['spi-roundtrip', 'lpi-roundtrip']);
  });

  const cell = (workload: string, mode: string, nsPerOp: number): BenchResult => ({
    workload,
    gic: 'v3',
    mode,
    nsPerOp,
    opsPerSec: 1e9 / nsPerOp,
    rme: 0.5,
    samples: 10,
  });

  it('put lpi-roundtrip beside spi-roundtrip of the same mode, against the 1.3× aim', () => {
    const aims = lpiAims([cell('spi-roundtrip', 'single', 100), cell('lpi-roundtrip', 'single', 125), cell('spi-roundtrip', 'shared', 300), cell('lpi-roundtrip', 'shared', 420)]);
    expect(aims.map((a) => [a.mode, Number(a.ratio.toFixed(2)), a.met])).toEqual([
      ['single', 1.25, true],
      ['shared', 1.4, false],
    ]);
    const lines = lpiTable(aims).split('\n');
    expect(lines[2]).toMatch(/^lpi-roundtrip\s+single\s+GICv3\s+125\.0\s+8\.00 M\s+spi-roundtrip 100\.0 ns\s+1\.25×\s+≤ 1\.3×: met$/);
    expect(lines[3]).toMatch(/1\.40×\s+≤ 1\.3×: not met$/);
  });

  it('judge lpi-stress of 1 vCPU and 1 device against the 1.36 M LPIs/s KVM published, and show the other shapes beside it', () => {
    const aims = lpiAims([cell('lpi-stress', '1x1x16', 1e9 / 1.5e6), cell('lpi-stress', '2x2x16', 1e9 / 1e6)]);
    expect(aims.map((a) => [a.mode, Number(a.ratio.toFixed(2)), a.aim, a.met])).toEqual([
      ['1x1x16', 1.1, '≥ 1.36 M/s', true],
      ['2x2x16', 0.74, '', false],
    ]);
    const lines = lpiTable(aims).split('\n');
    expect(lines[2]).toMatch(/^lpi-stress\s+1x1x16\s+GICv3\s+.*1\.50 M\s+KVM 1\.36 M\/s\s+1\.10×\s+≥ 1\.36 M\/s: met$/);
    expect(lines[3]).toMatch(/0\.74×$/);
  });

  it('leave lpi-roundtrip out when spi-roundtrip was not measured in the same run', () => {
    expect(lpiAims([cell('lpi-roundtrip', 'single', 125)])).toEqual([]);
  });
});
