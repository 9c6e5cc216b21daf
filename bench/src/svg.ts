/**
 * The chart of a run, as a hand-written SVG: one panel per workload (each
 * with its own linear scale from zero, since the workloads differ by orders
 * of magnitude), modes along the x axis, GICv2 and GICv3 side by side in
 * each mode, the value on every bar. Where the C floor was run, its figure is
 * drawn as a dashed line over the modes it is the reference for (plain over
 * `single`, atomic over the shared modes).
 */
import { GICS, MODES, type GicName } from './machines.js';
import type { BenchReport, BenchResult, FloorFigure } from './report.js';

const PANEL_W = 360;
const PANEL_H = 250;
const PAD = 24;
const HEADER = 78;
const PLOT = { left: 62, right: 14, top: 52, bottom: 44 };
const COLUMNS = 3;
const COLOR: Readonly<Record<GicName, string>> = { v2: '#3b6ea5', v3: '#e07b26' };
const FLOOR_COLOR = '#333333';
const FONT = 'font-family="Helvetica, Arial, sans-serif"';

export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/** A short label for a duration in nanoseconds: `8.80`, `112`, `1.23µs`. */
export function compactNs(ns: number): string {
  if (ns === 0) return '0';
  if (ns < 10) return ns.toFixed(2);
  if (ns < 100) return ns.toFixed(1);
  if (ns < 1000) return ns.toFixed(0);
  if (ns < 10_000) return `${(ns / 1000).toFixed(2)}µs`;
  if (ns < 1e6) return `${(ns / 1000).toFixed(1)}µs`;
  return `${(ns / 1e6).toFixed(2)}ms`;
}

/** A round step for about `count` ticks up to `max`. */
export function niceStep(max: number, count = 4): number {
  if (!(max > 0)) return 1;
  const raw = max / count;
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= raw) return m * p;
  return 10 * p;
}

function n(x: number): string {
  return Number.isInteger(x) ? String(x) : x.toFixed(1);
}

function text(x: number, y: number, s: string, attrs = ''): string {
  return `<text x="${n(x)}" y="${n(y)}" ${attrs}>${escapeXml(s)}</text>`;
}

function modeRank(mode: string): number {
  const i = (MODES as readonly string[]).indexOf(mode);
  return i < 0 ? MODES.length : i;
}

function floorFor(floor: readonly FloorFigure[] | undefined, workload: string, mode: string): FloorFigure | undefined {
  if (floor === undefined) return undefined;
  const want = mode === 'single' ? 'plain' : mode === 'shared' || mode === 'shared-wasm' ? 'atomic' : null;
  return want === null ? undefined : floor.find((f) => f.workload === workload && f.mode === want);
}

function panel(workload: string, results: readonly BenchResult[], floor: readonly FloorFigure[] | undefined, x0: number, y0: number): string {
  const modes = [...new Set(results.map((r) => r.mode))].sort((a, b) => modeRank(a) - modeRank(b) || a.localeCompare(b));
  const gics = GICS.filter((g) => results.some((r) => r.gic === g));
  const plotW = PANEL_W - PLOT.left - PLOT.right;
  const plotH = PANEL_H - PLOT.top - PLOT.bottom;
  const left = x0 + PLOT.left;
  const top = y0 + PLOT.top;
  const bottom = top + plotH;

  const floors = modes.map((m) => floorFor(floor, workload, m));
  const peak = Math.max(...results.map((r) => r.nsPerOp), ...floors.map((f) => f?.nsPerOp ?? 0));
  const step = niceStep(peak * 1.08);
  const yMax = Math.max(step, Math.ceil((peak * 1.08) / step) * step);
  const y = (v: number): number => bottom - (v / yMax) * plotH;

  const out: string[] = [];
  out.push(`<g class="panel" data-workload="${escapeXml(workload)}">`);
  out.push(`<rect x="${x0}" y="${y0}" width="${PANEL_W}" height="${PANEL_H}" fill="#ffffff" stroke="#d0d0d0"/>`);
  out.push(text(x0 + PANEL_W / 2, y0 + 22, workload, `${FONT} font-size="14" font-weight="bold" text-anchor="middle"`));
  const refs = floor?.filter((f) => f.workload === workload) ?? [];
  if (refs.length > 0) {
    const line = `C floor: ${refs.map((f) => `${f.mode} ${compactNs(f.nsPerOp)}${f.nsPerOp < 1000 ? ' ns' : ''}`).join(', ')}`;
    out.push(text(x0 + PANEL_W / 2, y0 + 38, line, `${FONT} font-size="10" text-anchor="middle" fill="${FLOOR_COLOR}"`));
  }

  // Grid and y axis.
  for (let v = 0; v <= yMax + step / 1000; v += step) {
    const yy = y(v);
    out.push(`<line x1="${left}" y1="${n(yy)}" x2="${left + plotW}" y2="${n(yy)}" stroke="${v === 0 ? '#555555' : '#e6e6e6'}"/>`);
    out.push(text(left - 6, yy + 4, v > 0 && v < 1000 ? `${compactNs(v)} ns` : compactNs(v), `${FONT} font-size="10" text-anchor="end" fill="#444444"`));
  }
  const midY = top + plotH / 2;
  out.push(text(x0 + 14, midY, 'time per operation', `${FONT} font-size="11" text-anchor="middle" fill="#444444" transform="rotate(-90 ${x0 + 14} ${n(midY)})"`));
  out.push(`<line x1="${left}" y1="${top}" x2="${left}" y2="${bottom}" stroke="#555555"/>`);

  // Bars, grouped by mode.
  const groupW = plotW / Math.max(1, modes.length);
  const barW = Math.min(42, (groupW * 0.72) / Math.max(1, gics.length));
  modes.forEach((mode, i) => {
    const gx = left + i * groupW;
    const start = gx + (groupW - barW * gics.length) / 2;
    gics.forEach((gic, j) => {
      const r = results.find((q) => q.mode === mode && q.gic === gic);
      if (r === undefined) return;
      const bx = start + j * barW;
      const by = y(r.nsPerOp);
      const title = `${workload} GIC${gic} ${mode}: ${r.nsPerOp.toFixed(2)} ns/op ±${r.rme.toFixed(1)}%`;
      out.push(
        `<rect x="${n(bx + 1)}" y="${n(by)}" width="${n(barW - 2)}" height="${n(bottom - by)}" fill="${COLOR[gic]}"><title>${escapeXml(title)}</title></rect>`,
      );
      out.push(text(bx + barW / 2, by - 4, compactNs(r.nsPerOp), `${FONT} font-size="9" text-anchor="middle" fill="#222222"`));
    });
    const f = floors[i];
    if (f !== undefined) {
      const fy = y(f.nsPerOp);
      out.push(
        `<line x1="${n(gx + 4)}" y1="${n(fy)}" x2="${n(gx + groupW - 4)}" y2="${n(fy)}" stroke="${FLOOR_COLOR}" stroke-width="1.5" stroke-dasharray="5 3"><title>${escapeXml(`C ${f.mode}: ${f.nsPerOp} ns/op`)}</title></line>`,
      );
    }
    out.push(text(gx + groupW / 2, bottom + 16, mode, `${FONT} font-size="11" text-anchor="middle" fill="#222222"`));
  });
  const axis = modes.every((m) => m.startsWith('workers-')) ? 'worker threads (time per delivered interrupt, all together)' : 'mode';
  out.push(text(left + plotW / 2, bottom + 34, axis, `${FONT} font-size="10" text-anchor="middle" fill="#666666"`));
  out.push('</g>');
  return out.join('\n');
}

/** The SVG document for a report. */
export function renderChart(report: BenchReport, workloadOrder: readonly string[] = []): string {
  const order = (w: string): number => {
    const i = workloadOrder.indexOf(w);
    return i < 0 ? workloadOrder.length : i;
  };
  const workloads = [...new Set(report.results.map((r) => r.workload))].sort((a, b) => order(a) - order(b) || a.localeCompare(b));
  const cols = Math.max(1, Math.min(COLUMNS, workloads.length));
  const rows = Math.max(1, Math.ceil(workloads.length / cols));
  const width = PAD * 2 + cols * PANEL_W + (cols - 1) * PAD;
  const height = HEADER + rows * PANEL_H + (rows - 1) * PAD + PAD;

  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`);
  out.push(`<rect x="0" y="0" width="${width}" height="${height}" fill="#f7f7f7"/>`);
  out.push(text(PAD, 30, 'vgic bench: time per operation (lower is better)', `${FONT} font-size="18" font-weight="bold" fill="#111111"`));
  const env = report.env;
  out.push(text(PAD, 52, `Node ${env.node} · ${env.cpu} · ${env.date}`, `${FONT} font-size="11" fill="#555555"`));
  // Legend.
  let lx = width - PAD - 250;
  for (const gic of GICS) {
    out.push(`<rect x="${lx}" y="20" width="14" height="14" fill="${COLOR[gic]}"/>`);
    out.push(text(lx + 20, 32, `GIC${gic}`, `${FONT} font-size="12" fill="#222222"`));
    lx += 74;
  }
  if (report.floor !== undefined) {
    out.push(`<line x1="${lx}" y1="27" x2="${lx + 22}" y2="27" stroke="${FLOOR_COLOR}" stroke-width="1.5" stroke-dasharray="5 3"/>`);
    out.push(text(lx + 28, 32, 'C floor', `${FONT} font-size="12" fill="#222222"`));
  }
  if (workloads.length === 0) out.push(text(PAD, HEADER + 20, 'no results', `${FONT} font-size="13" fill="#555555"`));
  workloads.forEach((w, i) => {
    const x0 = PAD + (i % cols) * (PANEL_W + PAD);
    const y0 = HEADER + Math.floor(i / cols) * (PANEL_H + PAD);
    out.push(
      panel(
        w,
        report.results.filter((r) => r.workload === w),
        report.floor,
        x0,
        y0,
      ),
    );
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
