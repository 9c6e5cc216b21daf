#!/usr/bin/env node
// The `vgic` command. In a checkout of the repository (src/ is here and tsx is
// installed) it runs the TypeScript source through tsx, with the
// `@vgic/source` export condition so that @vgic/core and the backends resolve
// to their source too: no build needed, and never a stale one. An installed
// package runs its build, dist/bin.js: it ships src/ (for source maps and
// go-to-definition) but not tsconfig.json, which is how a checkout is told
// apart. This file is written by hand, not generated, so `npx vgic` works
// right after `npm ci`.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const builtUrl = new URL('../dist/bin.js', import.meta.url);
const source = fileURLToPath(new URL('../src/bin.ts', import.meta.url));

function tsxLoader() {
  try {
    return import.meta.resolve('tsx');
  } catch {
    return null;
  }
}

const checkout = existsSync(source) && existsSync(fileURLToPath(new URL('../tsconfig.json', import.meta.url)));
const tsx = checkout ? tsxLoader() : null;
if (tsx !== null) {
  const child = spawnSync(process.execPath, ['--conditions=@vgic/source', '--import', tsx, source, ...process.argv.slice(2)], {
    stdio: 'inherit',
  });
  if (child.error) {
    process.stderr.write(`vgic: could not start node: ${child.error.message}\n`);
    process.exit(2);
  }
  if (child.signal) process.kill(process.pid, child.signal);
  process.exit(child.status ?? 1);
} else if (existsSync(fileURLToPath(builtUrl))) {
  await import(builtUrl.href);
} else {
  process.stderr.write('vgic: no build (dist/) and no way to run the source: run `npm ci` at the repository root, or `npm run build`\n');
  process.exit(2);
}
