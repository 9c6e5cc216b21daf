/**
 * The `vgic` executable as a user runs it: a child process, no terminal
 * (so no colour), through the committed launcher `bin/vgic.js` — which runs
 * the TypeScript source in a checkout, and the build (dist/) in an installed
 * package, where there is no source.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { V3_PREAMBLE, scenarioFile } from './helpers.js';

const cliDir = join(import.meta.dirname, '..');
const root = join(cliDir, '../..');
const example = join(root, 'examples/01-first-interrupt-v2.yaml');

function vgic(launcher: string, args: string[], env: Record<string, string> = {}, input?: string) {
  const r = spawnSync(process.execPath, [launcher, ...args], { encoding: 'utf8', cwd: tmpdir(), env: { ...process.env, ...env }, timeout: 60_000, ...(input !== undefined && { input }) });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** A copy of the checkout with no dist/: the launcher must run the source. */
function unbuiltLauncher(): string {
  const dir = mkdtempSync(join(tmpdir(), 'vgic-unbuilt-'));
  cpSync(join(cliDir, 'bin'), join(dir, 'bin'), { recursive: true });
  cpSync(join(cliDir, 'package.json'), join(dir, 'package.json'));
  cpSync(join(cliDir, 'tsconfig.json'), join(dir, 'tsconfig.json'));
  symlinkSync(join(cliDir, 'src'), join(dir, 'src'));
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
  return join(dir, 'bin/vgic.js');
}

/**
 * A copy as installed from the registry (only when a build exists): bin/,
 * dist/ and src/ — shipped for go-to-definition — but no tsconfig.json, so
 * the launcher runs dist/ even though tsx is at hand.
 */
function installedLauncher(): string | null {
  if (!existsSync(join(cliDir, 'dist/bin.js'))) return null;
  const dir = mkdtempSync(join(tmpdir(), 'vgic-installed-'));
  cpSync(join(cliDir, 'bin'), join(dir, 'bin'), { recursive: true });
  cpSync(join(cliDir, 'dist'), join(dir, 'dist'), { recursive: true });
  cpSync(join(cliDir, 'src'), join(dir, 'src'), { recursive: true });
  cpSync(join(cliDir, 'package.json'), join(dir, 'package.json'));
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
  return join(dir, 'bin/vgic.js');
}

const installed = installedLauncher();

const launchers: [name: string, launcher: string][] = [
  ['the package launcher', join(cliDir, 'bin/vgic.js')],
  ['the launcher with no build', unbuiltLauncher()],
];
if (installed !== null) launchers.push(['the launcher of an installed package (dist/ and src/)', installed]);

describe.each(launchers)('%s', (_name, launcher) => {
  it('prints help and exits 0', () => {
    const r = vgic(launcher, ['--help']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('Usage: vgic <command>');
  });

  it('runs an example green, with no colour when stdout is not a terminal', () => {
    const r = vgic(launcher, ['run', example]);
    expect(r.code).toBe(0);
    expect(r.out).not.toContain('\x1b[');
    expect(r.out.trimEnd().split('\n').at(-1)).toMatch(/^\d+ passed, 0 failed$/);
  });

  it('exits 1 for a failed check and 2 for an invalid file, with no stack trace', () => {
    const failing = scenarioFile(`${V3_PREAMBLE}  - read: ICC_IAR1_EL1\n    expect: 40\n`);
    expect(vgic(launcher, ['run', failing]).code).toBe(1);
    const invalid = scenarioFile('gic: v2\nvcpus: [\n');
    const r = vgic(launcher, ['run', invalid]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/:\d+:\d+: this is not valid YAML or JSON/);
    expect(r.err).not.toMatch(/\n\s+at /);
  });
});

describe('standard input', () => {
  it('vgic run - reads the scenario from standard input', () => {
    const r = vgic(join(cliDir, 'bin/vgic.js'), ['run', '-'], {}, `${V3_PREAMBLE}  - read: ICC_IAR1_EL1\n    expect: 1023\n`);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^- \(GICv3, 2 vCPUs\)/);
    expect(r.out.trimEnd().split('\n').at(-1)).toBe('1 passed, 0 failed');
    const bad = vgic(join(cliDir, 'bin/vgic.js'), ['run', '-'], {}, 'gic: v9\n');
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('error -:1:6: gic must be one of v2, v3 (got "v9")');
  });
});
