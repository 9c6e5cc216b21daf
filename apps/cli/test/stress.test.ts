/**
 * `vgic stress --lpi`: its command line (what it refuses, and why), and one
 * short run of the LPI storm whose books must balance.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { run } from '../src/commands/stress.js';

/** Run `vgic stress` with `args`, its stdout and stderr captured. */
async function stress(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    out += String(chunk);
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    err += String(chunk);
    return true;
  });
  const code = await run(args);
  vi.restoreAllMocks();
  return { code, out, err };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('vgic stress --lpi', () => {
  it.each([
    [['--lpi', '--gic', 'v2'], '--lpi needs --gic v3: GICv2 has no LPIs'],
    [['--devices', '3'], '--devices needs --lpi'],
    [['--events', '4'], '--events needs --lpi'],
    [['--lpi', '--edge-spis', '4'], '--edge-spis is for the SPI storm, not --lpi'],
    [['--lpi', '--break-queue-recheck'], '--break-queue-recheck is for the SPI storm, not --lpi'],
    [['--lpi', '--devices', '0'], '--devices must be an integer of at least 1; got 0'],
  ])('refuses %j with exit status 2: %s', async (args, message) => {
    const r = await stress(args);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`vgic stress: ${message}`);
    expect(r.out).toBe('');
  });

  it('runs the LPI storm and prints books that balance, as JSON', async () => {
    const r = await stress(['--lpi', '--vcpus', '2', '--devices', '1', '--events', '4', '--seconds', '0.5', '--json']);
    expect(r.err).toBe('');
    const report = JSON.parse(r.out) as { ok: boolean; lost: number; injected: number; delivered: number; coalesced: number; droppedPending: number; problems: string[] };
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.delivered).toBeGreaterThan(0);
    expect(report.injected).toBe(report.delivered + report.coalesced + report.droppedPending);
    expect(r.code).toBe(0);
  }, 60_000);
});
