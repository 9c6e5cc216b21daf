/**
 * The next release as changesets plans it must stay 0.x, and the published
 * packages must say what a registry page shows:
 *
 *   node --import tsx tools/packaging/check-release.ts      (npm run check:release)
 *
 * - `changeset status --output` with the pending changesets: every package
 *   it releases gets a version below 1.0.0 (a peer range a minor bump of
 *   @vgic/core leaves would make it a major, and the fixed group with it);
 * - each published package: license MIT with the repository's LICENSE file
 *   beside it, repository, homepage, bugs and keywords; a peer range on
 *   @vgic/core that the planned version of core satisfies.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const PUBLISHED = ['packages/core', 'packages/gicv2', 'packages/gicv3', 'apps/cli'];

interface Plan {
  releases: { name: string; type: string; oldVersion: string; newVersion: string }[];
}

const problems: string[] = [];

function major(version: string): number {
  return Number(version.split('.')[0]);
}

/** Does `version` satisfy a range made of `>=a.b.c <x.y.z` bounds, a caret or an exact version? */
export function satisfies(version: string, range: string): boolean {
  const v = version.split('.').map(Number);
  const cmp = (a: number[], b: number[]): number => a[0]! - b[0]! || a[1]! - b[1]! || a[2]! - b[2]!;
  const parse = (s: string): number[] => s.split('.').map(Number);
  return range.split('||').some((alt) =>
    alt
      .trim()
      .split(/\s+/)
      .every((part) => {
        const m = /^(>=|<=|>|<|\^|~|=)?(\d+\.\d+\.\d+)$/.exec(part);
        if (!m) return false;
        const b = parse(m[2]!);
        const c = cmp(v, b);
        switch (m[1]) {
          case '>=':
            return c >= 0;
          case '>':
            return c > 0;
          case '<=':
            return c <= 0;
          case '<':
            return c < 0;
          case '^':
            return c >= 0 && (b[0]! > 0 ? v[0] === b[0] : b[1]! > 0 ? v[0] === 0 && v[1] === b[1] : cmp(v, b) === 0);
          case '~':
            return c >= 0 && v[0] === b[0] && v[1] === b[1];
          default:
            return c === 0;
        }
      }),
  );
}

const dir = mkdtempSync(join(tmpdir(), 'vgic-release-'));
let plan: Plan;
try {
  const out = join(dir, 'plan.json');
  execFileSync(join(ROOT, 'node_modules/.bin/changeset'), ['status', '--output', out], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  plan = JSON.parse(readFileSync(out, 'utf8')) as Plan;
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const released = plan.releases.filter((r) => r.type !== 'none');
console.log('changeset status — the next release:');
for (const r of released) console.log(`  ${r.name.padEnd(12)} ${r.oldVersion} → ${r.newVersion} (${r.type})`);
if (released.length === 0) console.log('  nothing to release');
for (const r of released) {
  if (major(r.newVersion) !== 0) problems.push(`${r.name} would be released as ${r.newVersion}, not 0.x (${r.type} bump)`);
  if (r.type === 'major') problems.push(`${r.name} gets a major bump`);
}

const license = readFileSync(join(ROOT, 'LICENSE'), 'utf8');
if (!/^MIT License/.test(license)) problems.push('LICENSE is not the MIT licence');
const coreNext = released.find((r) => r.name === '@vgic/core')?.newVersion;
for (const dir of PUBLISHED) {
  const pkg = JSON.parse(readFileSync(join(ROOT, dir, 'package.json'), 'utf8')) as Record<string, unknown> & {
    name: string;
    version: string;
    peerDependencies?: Record<string, string>;
  };
  if (pkg['license'] !== 'MIT') problems.push(`${pkg.name}: license is ${String(pkg['license'])}, not MIT`);
  for (const field of ['repository', 'homepage', 'bugs', 'keywords']) {
    if (pkg[field] === undefined) problems.push(`${pkg.name}: package.json has no ${field}`);
  }
  let own = '';
  try {
    own = readFileSync(join(ROOT, dir, 'LICENSE'), 'utf8');
  } catch {
    // reported below
  }
  if (own !== license) problems.push(`${pkg.name}: ${dir}/LICENSE is missing or not the repository's LICENSE`);
  const peer = pkg.peerDependencies?.['@vgic/core'];
  if (peer !== undefined) {
    for (const v of [pkg.version, coreNext].filter((x): x is string => x !== undefined)) {
      if (!satisfies(v, peer)) problems.push(`${pkg.name}: its peer range ${peer} on @vgic/core does not take ${v}`);
    }
  }
}

if (problems.length > 0) {
  for (const p of problems) console.log(`  ✗ ${p}`);
  console.log(`release check: ${problems.length} problem${problems.length === 1 ? '' : 's'}`);
  process.exitCode = 1;
} else {
  console.log('release check: 0.x versions planned; licence and metadata in every published package');
}
