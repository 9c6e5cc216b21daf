/**
 * The packages as a user meets them: packed with `npm pack`, installed into
 * fresh projects outside the workspace, and used from there.
 *
 *   node --import tsx tools/packaging/check-tarballs.ts      (npm run check:packages)
 *
 * 1. Each tarball: what it holds (LICENSE, README, dist/, src/ without
 *    tests, no JavaScript source maps), that every declaration map points
 *    at a source file inside it, that its README links nothing it lacks,
 *    and its package.json metadata. Sizes as `npm pack` reports them.
 * 2. A project with only @vgic/core and @vgic/gicv3 installed from their
 *    tarballs: the ```ts/```js examples of their READMEs, unchanged, are
 *    type-checked (tsc, module nodenext, the packages' declarations checked
 *    too), run in Node, bundled for the browser (esbuild, platform browser)
 *    and run in headless Chromium, where each must print what it printed in
 *    Node. The main entries bundle for the browser; the check's own round
 *    trip runs in a plain page (no SharedArrayBuffer) and in a cross-origin
 *    isolated one, where a Web Worker also opens a shared machine and takes
 *    an interrupt from it. CommonJS: require() of the packages on this Node, and
 *    the error an older Node gives.
 * 3. A project with @vgic/core, @vgic/gicv2, @vgic/gicv3 and @vgic/cli: the
 *    same for the gicv2 and cli READMEs, and the command itself (`vgic
 *    --help` names no repository path; `vgic examples copy` then `vgic run
 *    examples/` is green; `vgic bench --floor` builds the shipped C floor).
 * 4. A backend written outside the monorepo: a project with only @vgic/core
 *    from its tarball (and vitest and fast-check from the registry) and the
 *    X GIC of tools/packaging/external-backend/ as its own source, type-checked
 *    against core's published declarations and run with vitest: core's
 *    conformance suite, its worker-thread stress suite and the save/restore
 *    property must pass over it.
 *
 * Exits 1 when anything is wrong, with every problem listed. VGIC_KEEP=1
 * leaves the scratch projects in place.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { CHROMIUM, launch, runPage, serve } from './browser.ts';
import { extractExamples, relativeLinks, type ReadmeExample } from './readme-examples.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');
const TYPES = join(ROOT, 'node_modules/@types');

interface Pkg {
  name: string;
  dir: string;
}

const PACKAGES: Pkg[] = [
  { name: '@vgic/core', dir: 'packages/core' },
  { name: '@vgic/gicv2', dir: 'packages/gicv2' },
  { name: '@vgic/gicv3', dir: 'packages/gicv3' },
  { name: '@vgic/cli', dir: 'apps/cli' },
];

const problems: string[] = [];
const started = Date.now();

function say(text = ''): void {
  process.stdout.write(`${text}\n`);
}

function problem(text: string): void {
  problems.push(text);
  say(`  ✗ ${text}`);
}

function indent(text: string, by = '    '): string {
  return text
    .trimEnd()
    .split('\n')
    .map((l) => `${by}${l}`)
    .join('\n');
}

function kB(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} kB`;
}

function run(cmd: string, args: string[], cwd: string, extra: { env?: NodeJS.ProcessEnv; timeout?: number } = {}) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: extra.env ?? process.env, timeout: extra.timeout ?? 120_000 });
  return { code: r.status, out: r.stdout ?? '', err: r.stderr ?? '', error: r.error };
}

// ------------------------------------------------------------ 1. pack

interface Packed {
  pkg: Pkg;
  tarball: string;
  size: number;
  unpacked: number;
  files: { path: string; size: number }[];
}

function pack(pkg: Pkg, into: string): Packed {
  const out = execFileSync('npm', ['pack', '--json', '--pack-destination', into], {
    cwd: join(ROOT, pkg.dir),
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const info = (JSON.parse(out) as { filename: string; size: number; unpackedSize: number; files: { path: string; size: number }[] }[])[0]!;
  return { pkg, tarball: join(into, info.filename), size: info.size, unpacked: info.unpackedSize, files: info.files };
}

function checkContents(p: Packed, installedDir: string): void {
  const paths = new Set(p.files.map((f) => f.path));
  for (const must of ['package.json', 'README.md', 'LICENSE', 'dist/index.js', 'dist/index.d.ts', 'src/index.ts']) {
    if (!paths.has(must)) problem(`${p.pkg.name}: the tarball has no ${must}`);
  }
  for (const f of paths) {
    if (f.endsWith('.test.ts')) problem(`${p.pkg.name}: the tarball ships a test, ${f}`);
    if (f.endsWith('.js.map')) problem(`${p.pkg.name}: the tarball ships a JavaScript source map, ${f}`);
  }
  if (readFileSync(join(installedDir, 'LICENSE'), 'utf8') !== readFileSync(join(ROOT, 'LICENSE'), 'utf8')) {
    problem(`${p.pkg.name}: its LICENSE is not the repository's`);
  }
  // Go-to-definition: each declaration map must name a source file the package has.
  let maps = 0;
  for (const f of paths) {
    if (!f.endsWith('.d.ts.map')) continue;
    maps++;
    const map = JSON.parse(readFileSync(join(installedDir, f), 'utf8')) as { sources: string[] };
    for (const s of map.sources) {
      const target = relative(installedDir, resolve(dirname(join(installedDir, f)), s));
      if (!paths.has(target)) problem(`${p.pkg.name}: ${f} points at ${target}, which is not in the tarball`);
    }
  }
  if (maps === 0) problem(`${p.pkg.name}: no declaration maps`);
  const readme = readFileSync(join(installedDir, 'README.md'), 'utf8');
  for (const link of relativeLinks(readme)) {
    const target = link.target.split('#')[0]!;
    if (!paths.has(target) && ![...paths].some((q) => q.startsWith(`${target.replace(/\/$/, '')}/`))) {
      problem(`${p.pkg.name}: README.md:${link.line} links ${link.target}, which is not in the package`);
    }
  }
  const meta = JSON.parse(readFileSync(join(installedDir, 'package.json'), 'utf8')) as Record<string, unknown>;
  for (const field of ['license', 'repository', 'homepage', 'bugs', 'keywords', 'description', 'engines']) {
    if (meta[field] === undefined) problem(`${p.pkg.name}: package.json has no ${field}`);
  }
  if (!/ESM/.test(readme)) problem(`${p.pkg.name}: README.md does not say the package is ESM-only`);
}

// ------------------------------------------------------------ 2, 3. projects

interface Project {
  dir: string;
  packages: Packed[];
}

/** `registry`: packages from the registry besides the tarballs (`name@version`), installed without their scripts. */
function makeProject(name: string, packed: Packed[], registry: string[] = []): Project {
  const dir = mkdtempSync(join(tmpdir(), `vgic-${name}-`));
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify({ name: `vgic-${name}`, private: true, type: 'module' }, null, 2)}\n`);
  const flags = ['--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', ...(registry.length > 0 ? ['--ignore-scripts'] : [])];
  const r = run('npm', ['install', ...flags, ...packed.map((p) => p.tarball), ...registry], dir, {
    timeout: 300_000,
  });
  if (r.code !== 0) throw new Error(`npm install of ${packed.map((p) => p.pkg.name).join(', ')} failed:\n${r.out}${r.err}`);
  return { dir, packages: packed };
}

interface Example extends ReadmeExample {
  pkg: string;
  /** Path inside the project, e.g. examples/core/example-1.ts. */
  path: string;
}

function writeExamples(project: Project, names: string[]): Example[] {
  const out: Example[] = [];
  for (const name of names) {
    const short = name.replace('@vgic/', '');
    const readmeFile = join(project.dir, 'node_modules', name, 'README.md');
    const { examples, fragments } = extractExamples(readFileSync(readmeFile, 'utf8'));
    const dir = join(project.dir, 'examples', short);
    mkdirSync(dir, { recursive: true });
    for (const e of examples) {
      writeFileSync(join(dir, e.file), e.code);
      out.push({ ...e, pkg: name, path: `examples/${short}/${e.file}` });
    }
    say(`  ${name} README: ${examples.length} examples${fragments.length > 0 ? `, ${fragments.length} fragments of the reader's own code (listed, not run: ${fragments.map((f) => `line ${f.line} ${f.firstLine}`).join('; ')})` : ''}`);
  }
  return out;
}

function typeCheck(project: Project, extra: string[] = []): boolean {
  const tsconfig = {
    compilerOptions: {
      target: 'ES2022',
      lib: ['ES2022'],
      module: 'nodenext',
      moduleResolution: 'nodenext',
      strict: true,
      allowJs: true,
      checkJs: true,
      // The packages' own declarations are checked too.
      skipLibCheck: false,
      types: ['node'],
      typeRoots: [TYPES],
      rootDir: '.',
      outDir: 'out',
    },
    include: ['examples', ...extra],
  };
  writeFileSync(join(project.dir, 'tsconfig.json'), `${JSON.stringify(tsconfig, null, 2)}\n`);
  const r = run(process.execPath, [TSC, '-p', 'tsconfig.json'], project.dir);
  if (r.code !== 0) {
    problem(`tsc in ${project.dir}:\n${indent(r.out + r.err)}`);
    return false;
  }
  say(`  tsc (module nodenext, skipLibCheck off): no errors`);
  return true;
}

function outFile(path: string): string {
  return join('out', path.replace(/\.ts$/, '.js').replace(/\.mts$/, '.mjs'));
}

function runInNode(project: Project, examples: Example[]): Map<string, string[]> {
  const outputs = new Map<string, string[]>();
  for (const e of examples.filter((x) => x.entry)) {
    const r = run(process.execPath, [outFile(e.path)], project.dir, { timeout: 60_000 });
    const lines = r.out.trimEnd() === '' ? [] : r.out.trimEnd().split('\n');
    if (r.code !== 0) {
      problem(`${e.pkg} README line ${e.line} (${e.file}) failed in Node (exit ${r.code}):\n${indent(r.out + r.err)}`);
      continue;
    }
    outputs.set(e.path, lines);
    say(`  node ${outFile(e.path)}  (${e.pkg} README line ${e.line})`);
    if (lines.length > 0) say(indent(lines.join('\n'), '      '));
  }
  return outputs;
}

async function bundle(project: Project, entry: string, outfile: string): Promise<{ bytes: number; gzip: number } | string> {
  try {
    await build({
      absWorkingDir: project.dir,
      entryPoints: [entry],
      outfile,
      bundle: true,
      platform: 'browser',
      format: 'esm',
      minify: true,
      logLevel: 'silent',
    });
  } catch (e) {
    const errors = (e as { errors?: { text: string; location?: { file: string; line: number } | null }[] }).errors ?? [];
    return errors.map((x) => `${x.location ? `${x.location.file}:${x.location.line}: ` : ''}${x.text}`).join('\n') || String(e);
  }
  const code = readFileSync(join(project.dir, outfile));
  return { bytes: code.length, gzip: gzipSync(code, { level: 9 }).length };
}

interface BrowserJob {
  label: string;
  script: string;
  mode: 'plain' | 'isolated';
  /** Lines the page must print: Node's output, or a check of its own. */
  expect: (lines: string[]) => string | null;
}

async function runInChromium(project: Project, web: string, jobs: BrowserJob[]): Promise<void> {
  if (!existsSync(CHROMIUM)) {
    problem(`no Chromium at ${CHROMIUM} (tools/packaging/ensure-chromium.sh installs Debian's)`);
    return;
  }
  const server = await serve(join(project.dir, web));
  const browser = await launch();
  say(`  Chromium ${browser.version()} (${CHROMIUM}), pages from ${server.url}`);
  try {
    for (const job of jobs) {
      const url = `${server.url}/${job.mode}/${job.script.replace(/\.js$/, '.html')}`;
      const r = await runPage(browser, url);
      const isolatedOk = r.isolated === (job.mode === 'isolated');
      const mismatch = job.expect(r.lines);
      say(`  chromium ${job.mode === 'isolated' ? 'cross-origin isolated page' : 'plain page'}: ${job.label}`);
      if (r.lines.length > 0) say(indent(r.lines.join('\n'), '      '));
      if (!isolatedOk) problem(`${job.label}: the page was ${r.isolated ? '' : 'not '}cross-origin isolated`);
      for (const e of r.errors) problem(`${job.label} in Chromium: ${e}`);
      if (mismatch !== null) problem(`${job.label} in Chromium: ${mismatch}`);
    }
  } finally {
    await browser.close();
    await server.close();
  }
}

function sameAs(node: string[] | undefined): (lines: string[]) => string | null {
  return (lines) => {
    if (node === undefined) return 'it did not run in Node';
    if (JSON.stringify(lines) === JSON.stringify(node)) return null;
    return `it printed\n${indent(lines.join('\n'))}\n  where Node printed\n${indent(node.join('\n'))}`;
  };
}

// ------------------------------------------------------------ CommonJS

function checkCommonJs(project: Project): void {
  const script = join(project.dir, 'require.cjs');
  writeFileSync(
    script,
    `const { createGicv3 } = require('@vgic/gicv3');
const { isVgicError } = require('@vgic/core');
const m = createGicv3({ vcpus: 1, spis: 32 });
console.log('require(): createGicv3 made a GIC' + m.version + ' machine; isVgicError is a ' + typeof isVgicError);
`,
  );
  const now = run(process.execPath, [script], project.dir);
  say(`  node ${process.version} require.cjs (exit ${now.code})`);
  say(indent(`${now.out}${now.err}`, '      '));
  if (now.code !== 0 || !now.out.includes('GICv3 machine')) problem(`require() of the packages fails on Node ${process.version}`);
  // What a Node without require(esm) says (before 20.19 / 22.12): a clear
  // ERR_REQUIRE_ESM naming the package's ESM file, not a missing export.
  const old = run(process.execPath, ['--no-experimental-require-module', script], project.dir);
  const first = old.err.split('\n').find((l) => /Error|require\(\)/.test(l)) ?? old.err.split('\n')[0] ?? '';
  say(`  node --no-experimental-require-module require.cjs (as on a Node without require(esm)): exit ${old.code}`);
  say(indent(first, '      '));
  if (old.code === 0 || !/ERR_REQUIRE_ESM/.test(old.err)) {
    problem(`on a Node without require(esm), require() should fail with ERR_REQUIRE_ESM:\n${indent(old.err)}`);
  }
  const dyn = join(project.dir, 'import.cjs');
  writeFileSync(dyn, `import('@vgic/gicv3').then(({ createGicv3 }) => console.log('import() from CommonJS: GIC' + createGicv3({ vcpus: 1 }).version));\n`);
  const d = run(process.execPath, ['--no-experimental-require-module', dyn], project.dir);
  say(`  node --no-experimental-require-module import.cjs: ${d.out.trim() || d.err.trim()}`);
  if (!d.out.includes('GICv3')) problem('import() from CommonJS does not load the package');
}

// ------------------------------------------------------------ the CLI

function checkCli(project: Project): void {
  const bin = join(project.dir, 'node_modules/.bin/vgic');
  const help = run(bin, ['--help'], project.dir);
  const repoPath = /apps\/|packages\/|bench\/|README\.md|\.\.\/shared/;
  for (const args of [['--help'], ['run', '--help'], ['inspect', '--help'], ['examples', '--help'], ['bench', '--help'], ['stress', '--help']]) {
    const r = args[0] === '--help' ? help : run(bin, args, project.dir);
    if (r.code !== 0) problem(`vgic ${args.join(' ')} exited ${r.code}: ${r.err}`);
    const hit = (r.out.split('\n').find((l) => repoPath.test(l)) ?? '').trim();
    if (hit !== '') problem(`vgic ${args.join(' ')} names a repository path: "${hit}"`);
  }
  say('  vgic --help, and each command\'s --help: no repository paths');
  const list = run(bin, ['examples'], project.dir);
  say(indent(list.out, '      '));
  if (list.code !== 0 || !list.out.includes('node_modules/@vgic/cli/dist/examples')) problem(`vgic examples does not list the shipped examples:\n${list.out}${list.err}`);
  const copy = run(bin, ['examples', 'copy'], project.dir);
  const green = run(bin, ['run', 'examples/'], project.dir);
  const last = green.out.trimEnd().split('\n').at(-1) ?? '';
  say(`  vgic examples copy && vgic run examples/ → ${last}`);
  if (copy.code !== 0 || green.code !== 0 || !/^\d+ passed, 0 failed$/.test(last)) {
    problem(`vgic examples copy && vgic run examples/ is not green:\n${indent(copy.out + copy.err + green.err + last)}`);
  }
  if (!existsSync(join(project.dir, 'node_modules/@vgic/cli/dist/floor/gicv3-floor.c'))) problem('@vgic/cli does not ship the C floor');
  // A short bench with the floor: built from the shipped source when there is a C compiler.
  const bench = run(bin, ['bench', '--workload', 'spi-roundtrip', '--gic', 'v3', '--mode', 'single', '--time', '50', '--floor'], project.dir, {
    timeout: 180_000,
  });
  const floorLine = `${bench.out}\n${bench.err}`.split('\n').find((l) => /^(C floor, same run|note: C floor)/.test(l)) ?? '';
  say(`  vgic bench --workload spi-roundtrip --gic v3 --mode single --time 50 --floor (exit ${bench.code})`);
  say(indent(floorLine, '      '));
  if (bench.code !== 0 || floorLine === '' || /failed/.test(floorLine)) {
    problem(`vgic bench --floor from the installed package:\n${indent(bench.out + bench.err)}`);
  }
}

// ------------------------------------------------------------ 4. a backend from outside

const EXTERNAL = join(ROOT, 'tools/packaging/external-backend');

/** The version the monorepo pins a dev tool at (package.json's devDependencies). */
function pinned(name: string): string {
  const dev = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> }).devDependencies;
  const version = dev[name];
  if (version === undefined) throw new Error(`package.json pins no ${name}`);
  return `${name}@${version}`;
}

function checkExternalBackend(project: Project): void {
  const src = join(project.dir, 'src');
  mkdirSync(src, { recursive: true });
  const files = ['index.ts', 'xgic.ts', 'xgic-guest.ts', 'conformance.test.ts', 'stress.test.ts', 'save-restore.test.ts'];
  for (const f of files) writeFileSync(join(src, f), readFileSync(join(EXTERNAL, f), 'utf8'));
  say(`  src/: ${files.join(', ')} (from tools/packaging/external-backend)`);
  if (!typeCheck(project, ['src'])) return;
  writeFileSync(
    join(project.dir, 'vitest.config.mjs'),
    `export default {
  test: {
    include: ['out/src/**/*.test.js'],
    environment: 'node',
    env: { VGIC_LOCKDEP: '1' },
    testTimeout: 60000,
    hookTimeout: 60000,
    pool: 'threads',
  },
};
`,
  );
  const t0 = Date.now();
  const r = run(process.execPath, ['node_modules/vitest/vitest.mjs', 'run', '--reporter=verbose'], project.dir, {
    timeout: 300_000,
    env: { ...process.env, CI: 'true', NO_COLOR: '1', FORCE_COLOR: '0' },
  });
  const out = `${r.out}\n${r.err}`;
  const skipped = out.split('\n').filter((l) => /^\s*↓/.test(l));
  const summary = out.split('\n').filter((l) => /^\s*(Test Files|Tests)\s/.test(l));
  say(`  vitest run (${((Date.now() - t0) / 1000).toFixed(0)} s, exit ${r.code})`);
  say(indent([...summary, ...skipped.map((l) => `skipped: ${l.trim().replace(/^↓\s*/, '')}`)].join('\n'), '      '));
  if (r.code !== 0) problem(`the external backend's suites failed:\n${indent(out.split('\n').slice(-80).join('\n'))}`);
  else if (!summary.some((l) => /passed/.test(l))) problem(`the external backend's vitest run reported nothing:\n${indent(out)}`);
}

// ------------------------------------------------------------ main

async function main(): Promise<void> {
  const keep = process.env['VGIC_KEEP'] === '1';
  const work = mkdtempSync(join(tmpdir(), 'vgic-tarballs-'));
  const scratch: string[] = [work];
  try {
    say('::: build');
    const b = run('npx', ['nx', 'run-many', '-t', 'build', '--projects', PACKAGES.map((p) => p.name).join(',')], ROOT, { timeout: 600_000 });
    if (b.code !== 0) throw new Error(`the build failed:\n${b.out}${b.err}`);

    say('::: npm pack');
    const packed = PACKAGES.map((p) => pack(p, work));
    for (const p of packed) {
      say(`  ${p.pkg.name.padEnd(12)} ${relative(work, p.tarball).padEnd(22)} ${kB(p.size).padStart(9)} packed, ${kB(p.unpacked).padStart(9)} unpacked, ${p.files.length} files`);
    }
    const byName = (n: string): Packed => packed.find((p) => p.pkg.name === n)!;

    say('::: a fresh project with @vgic/core and @vgic/gicv3 from their tarballs');
    const a = makeProject('core-gicv3', [byName('@vgic/core'), byName('@vgic/gicv3')]);
    scratch.push(a.dir);
    say(`  ${a.dir}`);
    for (const name of ['@vgic/core', '@vgic/gicv3']) checkContents(byName(name), join(a.dir, 'node_modules', name));
    const examplesA = writeExamples(a, ['@vgic/core', '@vgic/gicv3']);
    mkdirSync(join(a.dir, 'check'), { recursive: true });
    for (const f of ['roundtrip.ts', 'web-worker.ts', 'web-worker-vcpu.ts']) {
      writeFileSync(join(a.dir, 'check', f), readFileSync(join(ROOT, 'tools/packaging', f), 'utf8'));
    }
    const entries = join(a.dir, 'check/entries.ts');
    writeFileSync(entries, "export * as core from '@vgic/core';\nexport * as gicv3 from '@vgic/gicv3';\n");
    if (typeCheck(a, ['check'])) {
      const node = runInNode(a, examplesA);
      const r = run(process.execPath, ['out/check/roundtrip.js'], a.dir);
      say('  node out/check/roundtrip.js');
      say(indent(r.out, '      '));
      if (r.code !== 0) problem(`the round trip failed in Node:\n${indent(r.err)}`);

      say('::: bundled for the browser (esbuild --bundle --platform=browser --minify)');
      const web = 'web';
      mkdirSync(join(a.dir, web), { recursive: true });
      const all = await bundle(a, 'check/entries.ts', `${web}/entries.js`);
      if (typeof all === 'string') problem(`the main entries of @vgic/core and @vgic/gicv3 do not bundle for the browser:\n${indent(all)}`);
      else say(`  every export of @vgic/core and @vgic/gicv3: ${kB(all.bytes)} minified, ${kB(all.gzip)} gzipped`);
      const jobs: BrowserJob[] = [];
      for (const e of examplesA.filter((x) => x.entry)) {
        if (e.nodeOnly) {
          say(`  ${e.path}: needs Node (worker threads or node: modules), not bundled`);
          continue;
        }
        const script = `${e.pkg.replace('@vgic/', '')}-${e.file.replace(/\.[mc]?[jt]s$/, '')}.js`;
        const size = await bundle(a, e.path, `${web}/${script}`);
        if (typeof size === 'string') {
          problem(`${e.path} does not bundle for the browser:\n${indent(size)}`);
          continue;
        }
        say(`  ${e.path} (${e.pkg} README line ${e.line}): ${kB(size.bytes)} minified, ${kB(size.gzip)} gzipped`);
        jobs.push({ label: `${e.pkg} README line ${e.line}`, script, mode: 'plain', expect: sameAs(node.get(e.path)) });
      }
      const rt = await bundle(a, 'check/roundtrip.ts', `${web}/roundtrip.js`);
      if (typeof rt === 'string') problem(`the round trip does not bundle:\n${indent(rt)}`);
      else {
        say(`  check/roundtrip.ts: ${kB(rt.bytes)} minified, ${kB(rt.gzip)} gzipped`);
        const single = (lines: string[]) => lines.filter((l) => l.startsWith('single-threaded:'));
        const nodeSingle = single(r.out.trimEnd().split('\n'));
        jobs.push({
          label: 'round trip, no SharedArrayBuffer',
          script: 'roundtrip.js',
          mode: 'plain',
          expect: (lines) =>
            JSON.stringify(single(lines)) !== JSON.stringify(nodeSingle)
              ? 'the single-threaded round trip printed other lines than in Node'
              : lines.some((l) => /^shared: refused \(INVALID_CONFIG\): .*cross-origin isolated/.test(l))
                ? null
                : 'shared state was not refused with INVALID_CONFIG',
        });
        jobs.push({
          label: 'round trip, cross-origin isolated',
          script: 'roundtrip.js',
          mode: 'isolated',
          expect: (lines) => (JSON.stringify(lines) === JSON.stringify(r.out.trimEnd().split('\n')) ? null : 'it printed other lines than in Node'),
        });
      }
      for (const f of ['web-worker', 'web-worker-vcpu']) {
        const w = await bundle(a, `check/${f}.ts`, `${web}/${f}.js`);
        if (typeof w === 'string') problem(`check/${f}.ts does not bundle:\n${indent(w)}`);
      }
      jobs.push({
        label: 'a vCPU on a Web Worker over shared state',
        script: 'web-worker.js',
        mode: 'isolated',
        expect: (lines) =>
          lines.at(-2)?.startsWith('worker: vCPU 1 acknowledged INTID 40') && lines.at(-1)?.endsWith('pending false, active false')
            ? null
            : 'the worker did not take SPI 40 from the shared machine',
      });
      say('::: headless Chromium');
      await runInChromium(a, web, jobs);
    }
    say('::: CommonJS');
    checkCommonJs(a);

    say('::: a fresh project with @vgic/core, @vgic/gicv2, @vgic/gicv3 and @vgic/cli from their tarballs');
    const bProject = makeProject('all', packed);
    scratch.push(bProject.dir);
    say(`  ${bProject.dir}`);
    for (const name of ['@vgic/gicv2', '@vgic/cli']) checkContents(byName(name), join(bProject.dir, 'node_modules', name));
    const examplesB = writeExamples(bProject, ['@vgic/gicv2', '@vgic/cli']);
    if (typeCheck(bProject)) {
      const node = runInNode(bProject, examplesB);
      const web = 'web';
      mkdirSync(join(bProject.dir, web), { recursive: true });
      const jobs: BrowserJob[] = [];
      for (const e of examplesB.filter((x) => x.entry && !x.nodeOnly && x.pkg !== '@vgic/cli')) {
        const script = `${e.pkg.replace('@vgic/', '')}-${e.file.replace(/\.[mc]?[jt]s$/, '')}.js`;
        const size = await bundle(bProject, e.path, `${web}/${script}`);
        if (typeof size === 'string') problem(`${e.path} does not bundle for the browser:\n${indent(size)}`);
        else jobs.push({ label: `${e.pkg} README line ${e.line}`, script, mode: 'plain', expect: sameAs(node.get(e.path)) });
      }
      if (jobs.length > 0) await runInChromium(bProject, web, jobs);
    }
    say('::: the vgic command, installed');
    checkCli(bProject);

    say('::: a backend written outside the monorepo, against @vgic/core from its tarball');
    const ext = makeProject('external-backend', [byName('@vgic/core')], [pinned('vitest'), pinned('fast-check')]);
    scratch.push(ext.dir);
    say(`  ${ext.dir}`);
    checkExternalBackend(ext);
  } finally {
    if (keep) say(`(kept: ${scratch.join(' ')})`);
    else for (const d of scratch) rmSync(d, { recursive: true, force: true });
  }
}

try {
  await main();
} catch (e) {
  problems.push((e as Error).message);
  say(`  ✗ ${(e as Error).message}`);
}
const seconds = ((Date.now() - started) / 1000).toFixed(0);
if (problems.length > 0) {
  say(`\npackage check: ${problems.length} problem${problems.length === 1 ? '' : 's'} (${seconds} s)`);
  process.exitCode = 1;
} else {
  say(`\npackage check: the tarballs install, type-check, run in Node and in Chromium, and a backend from outside passes core's suites (${seconds} s)`);
}
