/**
 * The shared stress suite on GICv3 (see @vgic/core/testing): one worker thread per vCPU, injector threads on
 * edge and level SPIs, SGIs between the vCPUs, a thread retargeting and
 * toggling enables, the lock-order checker on; and its LPI half, MSIs
 * through the ITS. Set VGIC_STRESS_SECONDS for a longer run.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describeLpiStress, describeStress } from '@vgic/core/testing';
import { describe, expect, it } from 'vitest';
import { ITS_DEBUG_NO_CACHE_INVALIDATION, setItsDebug } from '../src/index.js';

const backend = { module: '@vgic/gicv3', create: 'createGicv3', attach: 'attachGicv3', guest: 'gicv3Guest' };

describeStress({ name: 'GICv3', gic: 'v3', backend });

// LPIs through the ITS: device threads signalling MSIs, a thread churning MOVI / MOVALL / INT / DISCARD + MAPTI;
// and an ITS whose translation cache is never invalidated, which it must catch.
describeLpiStress({
  name: 'GICv3',
  gic: 'v3',
  backend,
  brokenIts: { staleCache: (m) => setItsDebug(m, ITS_DEBUG_NO_CACHE_INVALIDATION) },
});

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SECTION = '## Running vCPUs on threads';

/** The README section on threads: at the end of the root README (or, before that exists, beside the code). */
function threadsSection(): string | undefined {
  for (const file of ['README.md', 'packages/core/src/threads/README.md']) {
    const path = join(ROOT, file);
    if (!existsSync(path)) continue;
    const text = readFileSync(path, 'utf8');
    const at = text.indexOf(SECTION);
    if (at < 0) continue;
    const next = text.indexOf('\n## ', at + SECTION.length);
    return text.slice(at, next < 0 ? undefined : next);
  }
  return undefined;
}

describe('the README section "Running vCPUs on threads"', () => {
  it('has an example that runs: two vCPU threads take what the main thread injects, drain and report', async () => {
    const section = threadsSection();
    expect(section).toBeDefined();
    const blocks = [...section!.matchAll(/```ts\n([\s\S]*?)```/g)].map((b) => b[1]!);
    const guest = blocks.find((b) => b.startsWith('// guest.ts'));
    const main = blocks.find((b) => b.startsWith('// main.ts'));
    expect(guest).toBeDefined();
    expect(main).toBeDefined();
    // Inside the repository, so that @vgic/core and @vgic/gicv3 resolve.
    const dir = mkdtempSync(join(ROOT, 'packages/gicv3/test/.readme-threads-'));
    try {
      writeFileSync(join(dir, 'guest.ts'), guest!);
      writeFileSync(join(dir, 'main.ts'), main!);
      const { stdout } = await promisify(execFile)(process.execPath, ['--conditions=@vgic/source', '--import', 'tsx', 'main.ts'], {
        cwd: dir,
        timeout: 50_000,
      });
      const lines = stdout.trim().split('\n');
      expect(lines[0]).toBe('drained: true');
      for (const k of [0, 1]) {
        const line = lines.find((l) => l.startsWith(`vCPU ${k}:`));
        const [, acks, eois] = /(\d+) acks, (\d+) EOIs/.exec(line ?? '') ?? [];
        expect(Number(acks)).toBeGreaterThan(0);
        expect(eois).toBe(acks);
      }
      expect(lines.at(-1)).toBe('invariants: sound');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
