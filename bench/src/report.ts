/**
 * What a run produces and how it is shown: the JSON document (a stable
 * contract, see README.md), the table, and the ratios to the C floor.
 */
import { cpus } from 'node:os';
import { GICS, MODES, type GicName } from './machines.js';

/** One measured cell of the table: a workload on one GIC in one mode. */
export interface BenchResult {
  workload: string;
  gic: GicName;
  mode: string;
  /** Mean nanoseconds per operation. */
  nsPerOp: number;
  /** Operations per second (1e9 / nsPerOp). */
  opsPerSec: number;
  /** Relative margin of error of the mean, percent (95% confidence). */
  rme: number;
  /** Timed samples (each a batch of operations). */
  samples: number;
  /** With `--repeat N` (N > 1): half the range of the N passes' figures, percent of the median. */
  spread?: number;
}

export interface BenchEnv {
  node: string;
  cpu: string;
  date: string;
  /** V8's cumulative inlining budget in bytes when the run raised it (`--inline-budget`); absent: V8's default. */
  inlineBudget?: number;
}

/** One figure printed by the C floor: `<mode> <workload> <ns per op>`. */
export interface FloorFigure {
  mode: 'plain' | 'atomic';
  workload: string;
  nsPerOp: number;
}

/** What the harness itself costs, measured in the same run (see README.md, "Method"). */
export interface HarnessCost {
  /** Median nanoseconds per timed call of an empty batch, over the processes that timed cells. */
  nsPerCall: number;
}

/** The `--json` document. `floor` is present only when the run was asked for it (`--floor`). */
export interface BenchReport {
  results: BenchResult[];
  env: BenchEnv;
  harness?: HarnessCost;
  floor?: FloorFigure[];
}

export function benchEnv(now: Date = new Date(), inlineBudget: number | null = null): BenchEnv {
  const list = cpus();
  const model = list[0]?.model.trim() || 'unknown CPU';
  const env: BenchEnv = { node: process.version, cpu: `${model} (${list.length} cpus)`, date: now.toISOString() };
  if (inlineBudget !== null) env.inlineBudget = inlineBudget;
  return env;
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** The result as the JSON document carries it: fixed key order, sensible precision. */
export function jsonResult(r: BenchResult): BenchResult {
  return {
    workload: r.workload,
    gic: r.gic,
    mode: r.mode,
    nsPerOp: round(r.nsPerOp, 2),
    opsPerSec: Math.round(r.opsPerSec),
    rme: round(r.rme, 2),
    samples: r.samples,
    ...(r.spread === undefined ? {} : { spread: round(r.spread, 2) }),
  };
}

export function reportJson(report: BenchReport): string {
  const doc: BenchReport = { results: report.results.map(jsonResult), env: report.env };
  if (report.harness !== undefined) doc.harness = { nsPerCall: round(report.harness.nsPerCall, 1) };
  if (report.floor !== undefined) doc.floor = report.floor;
  return `${JSON.stringify(doc, null, 2)}\n`;
}

// ------------------------------------------------------------ table

type Align = 'l' | 'r';

/** A plain-text table, columns padded to their widest cell. */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[], align: readonly Align[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (align[i] === 'r' ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(headers), rule, ...rows.map(line)].join('\n');
}

export function formatNs(ns: number): string {
  if (ns >= 1000) return ns.toFixed(0);
  if (ns >= 100) return ns.toFixed(1);
  return ns.toFixed(2);
}

export function formatOps(ops: number): string {
  if (ops >= 1e6) return `${(ops / 1e6).toFixed(2)} M`;
  if (ops >= 1e3) return `${(ops / 1e3).toFixed(1)} k`;
  return ops.toFixed(0);
}

/** The margin of error, and with repeated passes the spread between them (`±rme% ↔spread%`). */
function uncertainty(r: BenchResult): string {
  const rme = `±${r.rme.toFixed(1)}%`;
  return r.spread === undefined ? rme : `${rme} ↔${r.spread.toFixed(1)}%`;
}

function orderOf(list: readonly string[], x: string): number {
  const i = list.indexOf(x);
  return i < 0 ? list.length : i;
}

/**
 * Workload × mode rows, GICv2 and GICv3 side by side, and their ratio (v2
 * ns/op over v3 ns/op: above 1, v3 is faster). Given the C floor of the same
 * run, each row the floor covers also shows ours/C for each GIC.
 */
export function resultsTable(results: readonly BenchResult[], workloadOrder: readonly string[], floor?: readonly FloorFigure[]): string {
  const ratios = floor === undefined ? [] : floorRatios(results, floor);
  const keys: { workload: string; mode: string }[] = [];
  for (const r of results) {
    if (!keys.some((k) => k.workload === r.workload && k.mode === r.mode)) keys.push({ workload: r.workload, mode: r.mode });
  }
  keys.sort(
    (a, b) =>
      orderOf(workloadOrder, a.workload) - orderOf(workloadOrder, b.workload) ||
      a.workload.localeCompare(b.workload) ||
      orderOf(MODES, a.mode) - orderOf(MODES, b.mode) ||
      a.mode.localeCompare(b.mode),
  );
  const find = (workload: string, gic: GicName, mode: string): BenchResult | undefined =>
    results.find((r) => r.workload === workload && r.gic === gic && r.mode === mode);
  const rows = keys.map(({ workload, mode }) => {
    const cells = [workload, mode];
    const pair: (BenchResult | undefined)[] = [];
    for (const gic of GICS) {
      const r = find(workload, gic, mode);
      pair.push(r);
      cells.push(r ? formatNs(r.nsPerOp) : '–', r ? formatOps(r.opsPerSec) : '–', r ? uncertainty(r) : '');
    }
    const [v2, v3] = pair;
    cells.push(v2 && v3 ? (v2.nsPerOp / v3.nsPerOp).toFixed(2) : '–');
    if (floor !== undefined) {
      for (const gic of GICS) {
        const q = ratios.find((x) => x.workload === workload && x.mode === mode && x.gic === gic);
        cells.push(q ? `${q.ratio.toFixed(2)}×` : '');
      }
    }
    return cells;
  });
  const headers = ['workload', 'mode', 'v2 ns/op', 'v2 ops/s', 'v2 ±', 'v3 ns/op', 'v3 ops/s', 'v3 ±', 'v2/v3'];
  const align: Align[] = ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r'];
  if (floor !== undefined) {
    headers.push('v2/C', 'v3/C');
    align.push('r', 'r');
  }
  return formatTable(headers, rows, align);
}

// ------------------------------------------------------------ the C floor

/** The workloads the C floor times. */
export const FLOOR_WORKLOADS: readonly string[] = ['spi-roundtrip', 'burst16'];

/** What each mode of ours is compared with: single with plain locks, the shared modes with compare-and-swap locks. */
const FLOOR_MODE: Readonly<Record<string, 'plain' | 'atomic'>> = {
  single: 'plain',
  shared: 'atomic',
  'shared-wasm': 'atomic',
};

/**
 * The aims, as ours/C against the full floor measured in the same run:
 * spi-roundtrip single ≤ 3.5×, shared ≤ 2.2× with the faster of the two lock
 * primitives, burst16 single ≤ 3×. A cell without an aim shows none.
 */
const FLOOR_AIMS: Readonly<Record<string, Readonly<Record<string, number>>>> = {
  'spi-roundtrip': { single: 3.5, shared: 2.2, 'shared-wasm': 2.2 },
  burst16: { single: 3 },
};

export interface FloorRatio {
  workload: string;
  gic: GicName;
  mode: string;
  floorMode: 'plain' | 'atomic';
  ours: number;
  floor: number;
  ratio: number;
  /** The aim for ours/C, or null where there is none. */
  target: number | null;
}

/** Ours over C for every measured cell the floor has a figure for. */
export function floorRatios(results: readonly BenchResult[], floor: readonly FloorFigure[]): FloorRatio[] {
  const out: FloorRatio[] = [];
  for (const r of results) {
    const floorMode = FLOOR_MODE[r.mode];
    if (floorMode === undefined || !FLOOR_WORKLOADS.includes(r.workload)) continue;
    const f = floor.find((x) => x.mode === floorMode && x.workload === r.workload);
    if (f === undefined || f.nsPerOp <= 0) continue;
    out.push({
      workload: r.workload,
      gic: r.gic,
      mode: r.mode,
      floorMode,
      ours: r.nsPerOp,
      floor: f.nsPerOp,
      ratio: r.nsPerOp / f.nsPerOp,
      target: FLOOR_AIMS[r.workload]?.[r.mode] ?? null,
    });
  }
  return out;
}

/**
 * Whether a row meets its aim. The shared aim is for the faster lock
 * primitive, so the shared and shared-wasm rows of a GIC are judged by the
 * better of the two.
 */
function aimMet(q: FloorRatio, all: readonly FloorRatio[]): boolean {
  if (q.target === null) return false;
  if (q.mode === 'single') return q.ratio <= q.target;
  const best = Math.min(...all.filter((o) => o.workload === q.workload && o.gic === q.gic && o.mode !== 'single').map((o) => o.ratio));
  return best <= q.target;
}

function aimCell(cells: readonly FloorRatio[], all: readonly FloorRatio[]): string {
  const first = cells[0];
  if (first === undefined || first.target === null) return '';
  const verdict = GICS.map((gic) => {
    const q = cells.find((c) => c.gic === gic);
    return q === undefined ? null : `${gic} ${aimMet(q, all) ? 'met' : 'not met'}`;
  }).filter((x) => x !== null);
  const which = first.mode === 'single' ? '' : ' (faster lock)';
  return `≤ ${first.target}×${which}: ${verdict.join(', ')}`;
}

/** One row per workload and mode: the C figure it is compared with, then ours and ours/C for each GIC, and the aim. */
export function floorTable(ratios: readonly FloorRatio[]): string {
  const rows: string[][] = [];
  for (const workload of FLOOR_WORKLOADS) {
    for (const mode of Object.keys(FLOOR_MODE)) {
      const cells = ratios.filter((q) => q.workload === workload && q.mode === mode);
      const first = cells[0];
      if (first === undefined) continue;
      const row = [workload, mode, `${first.floorMode} ${formatNs(first.floor)}`];
      for (const gic of GICS) {
        const q = cells.find((c) => c.gic === gic);
        row.push(q ? formatNs(q.ours) : '–', q ? `${q.ratio.toFixed(2)}×` : '–');
      }
      row.push(aimCell(cells, ratios));
      rows.push(row);
    }
  }
  return formatTable(
    ['workload', 'mode', 'C ns/op', 'v2 ns/op', 'v2/C', 'v3 ns/op', 'v3/C', 'aim'],
    rows,
    ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'l'],
  );
}

export function floorLine(floor: readonly FloorFigure[]): string {
  return floor.map((f) => `${f.mode} ${f.workload} ${formatNs(f.nsPerOp)} ns`).join(', ');
}

// ------------------------------------------------------------ LPIs against their aims

/** lpi-roundtrip over spi-roundtrip, same GIC and mode, same run: the aim is at most this. */
export const LPI_ROUNDTRIP_AIM = 1.3;
/** LPIs per second KVM's vgic_lpi_stress published for 1 vCPU and 1 device (the 2-core machine's aim). */
export const LPI_STRESS_AIM = 1.36e6;
/** The lpi-stress shape that figure is for. */
const LPI_STRESS_AIM_SHAPE = '1x1x16';

export interface LpiAim {
  workload: string;
  gic: GicName;
  mode: string;
  result: BenchResult;
  /** What it is compared with, as a phrase. */
  against: string;
  ratio: number;
  aim: string;
  met: boolean;
}

/** lpi-roundtrip beside spi-roundtrip (same GIC and mode), and lpi-stress against KVM's figure. */
export function lpiAims(results: readonly BenchResult[]): LpiAim[] {
  const out: LpiAim[] = [];
  for (const r of results) {
    if (r.workload === 'lpi-roundtrip') {
      const spi = results.find((x) => x.workload === 'spi-roundtrip' && x.gic === r.gic && x.mode === r.mode);
      if (spi === undefined) continue;
      const ratio = r.nsPerOp / spi.nsPerOp;
      out.push({
        workload: r.workload,
        gic: r.gic,
        mode: r.mode,
        result: r,
        against: `spi-roundtrip ${formatNs(spi.nsPerOp)} ns`,
        ratio,
        aim: `≤ ${LPI_ROUNDTRIP_AIM}×`,
        met: ratio <= LPI_ROUNDTRIP_AIM,
      });
    } else if (r.workload === 'lpi-stress') {
      const aimed = r.mode === LPI_STRESS_AIM_SHAPE;
      out.push({
        workload: r.workload,
        gic: r.gic,
        mode: r.mode,
        result: r,
        against: `KVM ${formatOps(LPI_STRESS_AIM)}/s`,
        ratio: r.opsPerSec / LPI_STRESS_AIM,
        aim: aimed ? `≥ ${formatOps(LPI_STRESS_AIM)}/s` : '',
        met: aimed && r.opsPerSec >= LPI_STRESS_AIM,
      });
    }
  }
  return out;
}

/** One row per LPI figure: ours, what it is compared with, the ratio and the aim. */
export function lpiTable(aims: readonly LpiAim[]): string {
  const rows = aims.map((a) => [
    a.workload,
    a.mode,
    `GIC${a.gic}`,
    formatNs(a.result.nsPerOp),
    formatOps(a.result.opsPerSec),
    a.against,
    `${a.ratio.toFixed(2)}×`,
    a.aim === '' ? '' : `${a.aim}: ${a.met ? 'met' : 'not met'}`,
  ]);
  return formatTable(['workload', 'mode', 'gic', 'ns/op', 'ops/s', 'against', 'ratio', 'aim'], rows, ['l', 'l', 'l', 'r', 'r', 'l', 'r', 'l']);
}
