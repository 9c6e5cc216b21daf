import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseBenchArgs, runBenchCli, UsageError } from './cli.js';
import type { BenchReport } from './report.js';
import { relaunchFor } from './run.js';
import { coresUsed, cpuPerDelivery, scalingAvailable, workerCounts } from './scaling.js';

const RESULT_KEYS = ['workload', 'gic', 'mode', 'nsPerOp', 'opsPerSec', 'rme', 'samples'];

/** Run the CLI in this process, capturing what it prints. */
async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  try {
    const code = await runBenchCli(args);
    return { code, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('the --json document', () => {
  it('has exactly results[] of {workload, gic, mode, nsPerOp, opsPerSec, rme, samples} and env {node, cpu, date}', async () => {
    const { code, stdout } = await cli(['--json', '--time', '2', '--workload', 'spi-roundtrip,ipi', '--in-process']);
    expect(code).toBe(0);
    const doc = JSON.parse(stdout) as BenchReport;
    expect(Object.keys(doc)).toEqual(['results', 'env', 'harness']);
    expect(Object.keys(doc.env)).toEqual(['node', 'cpu', 'date']);
    expect(Object.keys(doc.harness!)).toEqual(['nsPerCall']);
    expect(doc.harness!.nsPerCall).toBeGreaterThan(0);
    expect(doc.env.node).toBe(process.version);
    expect(new Date(doc.env.date).toISOString()).toBe(doc.env.date);
    // 2 workloads × 2 GICs × 3 modes.
    expect(doc.results).toHaveLength(12);
    for (const r of doc.results) {
      expect(Object.keys(r)).toEqual(RESULT_KEYS);
      expect(['spi-roundtrip', 'ipi']).toContain(r.workload);
      expect(['v2', 'v3']).toContain(r.gic);
      expect(['single', 'shared', 'shared-wasm']).toContain(r.mode);
      expect(r.nsPerOp).toBeGreaterThan(0);
      expect(Math.abs((r.nsPerOp * r.opsPerSec) / 1e9 - 1)).toBeLessThan(1e-3);
      expect(r.rme).toBeGreaterThanOrEqual(0);
      expect(Number.isInteger(r.samples) && r.samples >= 32).toBe(true);
    }
    const cells = new Set(doc.results.map((r) => `${r.workload}/${r.gic}/${r.mode}`));
    expect(cells.size).toBe(12);
  });

  it('is what --out writes beside an SVG chart with one panel per workload and one bar per result', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vgic-bench-'));
    try {
      const { code, stdout } = await cli(['--time', '2', '--workload', 'burst16,migrate', '--mode', 'single,shared', '--out', dir, '--in-process']);
      expect(code).toBe(0);
      expect(stdout).toContain('v2/v3');
      const doc = JSON.parse(await readFile(join(dir, 'bench.json'), 'utf8')) as BenchReport;
      expect(doc.results.map((r) => `${r.workload}/${r.gic}/${r.mode}`).sort()).toEqual([
        'burst16/v2/shared',
        'burst16/v2/single',
        'burst16/v3/shared',
        'burst16/v3/single',
        'migrate/v2/shared',
        'migrate/v2/single',
        'migrate/v3/shared',
        'migrate/v3/single',
      ]);
      const svg = await readFile(join(dir, 'bench.svg'), 'utf8');
      expect(wellFormed(svg)).toEqual([]);
      expect(svg.match(/<g class="panel"/g)).toHaveLength(2);
      expect(svg.match(/<rect [^>]*><title>/g)).toHaveLength(8);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('--repeat', () => {
  it('runs the grid N times and gives each cell once: the median, with the spread between passes', async () => {
    const { code, stdout, stderr } = await cli(['--json', '--time', '2', '--repeat', '3', '--workload', 'spi-roundtrip', '--gic', 'v3', '--mode', 'single', '--in-process']);
    expect(code).toBe(0);
    const doc = JSON.parse(stdout) as BenchReport;
    expect(doc.results).toHaveLength(1);
    const r = doc.results[0]!;
    expect(Object.keys(r)).toEqual([...RESULT_KEYS, 'spread']);
    expect(r.spread).toBeGreaterThanOrEqual(0);
    // Three passes of one cell were timed.
    expect(stderr.match(/spi-roundtrip GICv3 single: /g)).toHaveLength(3);
    expect(() => parseBenchArgs(['--repeat', '0'])).toThrow(/--repeat/);
  });
});

describe('--inline-budget', () => {
  it("runs with V8's cumulative inlining budget raised, and the report says so", async () => {
    const { code, stdout, stderr } = await cli(['--json', '--time', '2', '--workload', 'spi-roundtrip', '--gic', 'v3', '--mode', 'single', '--in-process', '--inline-budget', '4000']);
    expect(code).toBe(0);
    const doc = JSON.parse(stdout) as BenchReport;
    expect(doc.env.inlineBudget).toBe(4000);
    expect(stderr).toContain("note: V8's cumulative inlining budget is 4000 bytes here (--max-inlined-bytecode-size-cumulative=4000; V8's default is 920)");
    expect(parseBenchArgs([]).inlineBudget).toBeNull();
    expect(() => parseBenchArgs(['--inline-budget', '0'])).toThrow(/--inline-budget/);
    expect(() => parseBenchArgs(['--inline-budget', 'lots'])).toThrow(/--inline-budget/);
  });
});

describe('filters', () => {
  it('--workload, --gic and --mode pick one cell', async () => {
    const { code, stdout } = await cli(['--json', '--time', '2', '--workload', 'nested', '--gic', 'v3', '--mode', 'shared', '--in-process']);
    expect(code).toBe(0);
    const doc = JSON.parse(stdout) as BenchReport;
    expect(doc.results.map((r) => [r.workload, r.gic, r.mode])).toEqual([['nested', 'v3', 'shared']]);
  });

  it('take comma lists and repeats, in the canonical order', () => {
    const a = parseBenchArgs(['--gic', 'v3', '--gic', 'v2', '--mode', 'shared-wasm,single', '--workload', 'ipi', '--time', '50']);
    expect(a.gics).toEqual(['v2', 'v3']);
    expect(a.modes).toEqual(['single', 'shared-wasm']);
    expect(a.workloads).toEqual(['ipi']);
    expect(a.time).toBe(50);
  });

  it('default to everything', () => {
    const a = parseBenchArgs([]);
    expect(a.workloads).toEqual(['spi-roundtrip', 'burst16', 'ipi', 'migrate', 'nested', 'lpi-roundtrip', 'scaling', 'lpi-stress']);
    expect(a.gics).toEqual(['v2', 'v3']);
    expect(a.modes).toEqual(['single', 'shared', 'shared-wasm']);
  });

  it('refuse an unknown name, saying which names exist', async () => {
    expect(() => parseBenchArgs(['--workload', 'spi'])).toThrow(UsageError);
    expect(() => parseBenchArgs(['--time', '0'])).toThrow(/--time/);
    const { code, stderr } = await cli(['--gic', 'v4']);
    expect(code).toBe(2);
    expect(stderr).toContain('unknown gic "v4"; the gics are v2, v3');
  });
});

describe('scaling', () => {
  it('gives a row per GIC and worker count, delivered interrupts per second over --repeat passes, or a note when core cannot measure it', async () => {
    const { code, stdout, stderr } = await cli(['--json', '--time', '2', '--repeat', '4', '--workload', 'scaling', '--gic', 'v3', '--in-process']);
    expect(code).toBe(0);
    const doc = JSON.parse(stdout) as BenchReport;
    if (!scalingAvailable()) {
      expect(doc.results).toEqual([]);
      expect(stderr).toContain('scaling GICv3: not available');
      return;
    }
    expect(doc.results.map((r) => r.mode)).toEqual(workerCounts().map((n) => `workers-${n}`));
    for (const r of doc.results) {
      expect(Object.keys(r)).toEqual(RESULT_KEYS);
      expect([r.workload, r.gic, r.samples]).toEqual(['scaling', 'v3', 4]);
      expect(r.opsPerSec).toBeGreaterThan(0);
      expect(Math.abs((r.nsPerOp * r.opsPerSec) / 1e9 - 1)).toBeLessThan(1e-3);
    }
  });
});

describe('cores a scaling point had', () => {
  it('is CPU time over wall time, the mean of the repeats, for the worker count asked', () => {
    const runs = [
      [{ workers: 1, perSecond: 1, seconds: 1, cpuSeconds: 1 }, { workers: 2, perSecond: 1, seconds: 2, cpuSeconds: 2 }],
      [{ workers: 1, perSecond: 1, seconds: 1, cpuSeconds: 1 }, { workers: 2, perSecond: 1, seconds: 1, cpuSeconds: 2 }],
    ];
    expect(coresUsed(runs, 2)).toBeCloseTo(1.5, 9);
    expect(coresUsed(runs, 1)).toBeCloseTo(1, 9);
  });

  it('is unknown when a repeat does not say (a core without cpuSeconds)', () => {
    expect(coresUsed([[{ workers: 1, perSecond: 1, seconds: 1, cpuSeconds: 1 }], [{ workers: 1, perSecond: 1 }]], 1)).toBeNull();
  });
});

describe('CPU time per delivery of a scaling point', () => {
  it('is all the repeats\' CPU time over all their deliveries, for the worker count asked', () => {
    const runs = [
      [{ workers: 1, perSecond: 1, cpuSeconds: 1, delivered: 1e6 }, { workers: 2, perSecond: 1, cpuSeconds: 2, delivered: 1e6 }],
      [{ workers: 1, perSecond: 1, cpuSeconds: 1, delivered: 3e6 }, { workers: 2, perSecond: 1, cpuSeconds: 2, delivered: 3e6 }],
    ];
    expect(cpuPerDelivery(runs, 1)).toBeCloseTo(500, 9);
    expect(cpuPerDelivery(runs, 2)).toBeCloseTo(1000, 9);
  });

  it('is unknown when a repeat does not say, or nothing was delivered', () => {
    expect(cpuPerDelivery([[{ workers: 1, perSecond: 1, cpuSeconds: 1 }]], 1)).toBeNull();
    expect(cpuPerDelivery([[{ workers: 1, perSecond: 0, cpuSeconds: 1, delivered: 0 }]], 1)).toBeNull();
  });
});

describe('process isolation', () => {
  it('is used only when the arguments are this process own command line', () => {
    expect(relaunchFor(['--not-my-argument', 'x'])).toBeNull();
    const own = process.argv.slice(2);
    const r = relaunchFor(own);
    expect(r?.command).toBe(process.execPath);
  });

  it('runs each GIC × mode pair in a child process and gathers their results', async () => {
    const benchDir = join(dirname(fileURLToPath(import.meta.url)), '..');
    const stdout = await new Promise<string>((done, fail) => {
      execFile(
        process.execPath,
        ['--conditions=@vgic/source', '--import', 'tsx', 'src/index.ts', '--json', '--time', '2', '--workload', 'spi-roundtrip', '--gic', 'v2,v3', '--mode', 'single,shared'],
        { cwd: benchDir, timeout: 120_000 },
        (error, out, err) => (error ? fail(new Error(`${error.message}\n${err}`)) : done(out)),
      );
    });
    const doc = JSON.parse(stdout) as BenchReport;
    expect(doc.results.map((r) => `${r.gic}/${r.mode}`)).toEqual(['v2/single', 'v2/shared', 'v3/single', 'v3/shared']);
  });
});

/**
 * Problems that make `xml` not well-formed: unbalanced or crossed tags,
 * unquoted attributes, a raw `<` or a stray `&` in text, more than one root.
 */
function wellFormed(xml: string): string[] {
  const problems: string[] = [];
  const stack: string[] = [];
  let roots = 0;
  const token = /<[^>]*>|[^<]+/g;
  const entity = /&(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/g;
  for (const [t] of xml.matchAll(token)) {
    if (!t.startsWith('<')) {
      if (t.replace(entity, '').includes('&')) problems.push(`stray & in text: ${t.slice(0, 40)}`);
      if (stack.length === 0 && t.trim() !== '') problems.push(`text outside the root: ${t.slice(0, 40)}`);
      continue;
    }
    if (t.startsWith('<?') || t.startsWith('<!--')) continue;
    if (t.startsWith('</')) {
      const name = t.slice(2, -1).trim();
      const open = stack.pop();
      if (open !== name) problems.push(`</${name}> closes <${String(open)}>`);
      continue;
    }
    const selfClosing = t.endsWith('/>');
    const body = t.slice(1, selfClosing ? -2 : -1);
    const m = /^([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*$/.exec(body);
    if (m === null) {
      problems.push(`malformed tag ${t.slice(0, 60)}`);
      continue;
    }
    for (const [, value] of m[2]!.matchAll(/="([^"]*)"/g)) {
      if (value!.replace(entity, '').includes('&')) problems.push(`stray & in attribute of ${t.slice(0, 40)}`);
    }
    if (stack.length === 0) roots++;
    if (!selfClosing) stack.push(m[1]!);
  }
  if (stack.length > 0) problems.push(`unclosed: ${stack.join(' > ')}`);
  if (roots !== 1) problems.push(`${roots} root elements`);
  return problems;
}

describe('the well-formedness check itself', () => {
  it('catches what a broken chart would have', () => {
    expect(wellFormed('<svg><g></svg>')).not.toEqual([]);
    expect(wellFormed('<svg><text x=1>a</text></svg>')).not.toEqual([]);
    expect(wellFormed('<svg><text>a & b</text></svg>')).not.toEqual([]);
    expect(wellFormed('<svg/><svg/>')).not.toEqual([]);
    expect(wellFormed('<svg xmlns="x"><text x="1">a &amp; b</text><rect/></svg>')).toEqual([]);
  });
});
