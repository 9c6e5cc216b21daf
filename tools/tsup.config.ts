/**
 * Shared tsup configuration for every publishable @vgic package.
 *
 * Each package has a two-line `tsup.config.ts`:
 *
 *   import { defineVgicConfig } from "../../tools/tsup.config.ts";
 *   export default defineVgicConfig({ index: "src/index.ts" });
 *
 * Output: ESM only, target node20, dist/ cleaned before each build.
 * Dependencies and peerDependencies stay external (tsup's default), so the
 * backends and the CLI import @vgic/core at run time.
 *
 * What a published package carries besides the JavaScript (its `files` list
 * ships `src/` without the tests): declarations per source file
 * (dist/machine.d.ts for src/machine.ts), emitted by the TypeScript compiler
 * with declaration maps, so an editor's go-to-definition opens the
 * TypeScript source, which is in the package.
 *
 * No JavaScript source maps. The JavaScript is not minified: esbuild strips
 * the types and joins the modules, marking each with a `// src/machine.ts`
 * line, so a stack trace into dist/ reads like the source already. Maps
 * would cost as much again as the JavaScript (with their sources inlined,
 * as they were, 60% of a tarball; pointing at the shipped src/, a quarter)
 * for line numbers the reader can do without.
 */
import { chmod, cp, readFile, writeFile } from "node:fs/promises";
import { join, relative, resolve, sep } from "node:path";
import ts from "typescript";
import { defineConfig, type Options } from "tsup";

/** Output name (relative to dist/, without extension) -> source file. */
export type VgicEntries = Record<string, string>;

export interface VgicConfigOptions {
  /**
   * Output names (keys of `entries`) that are executables: the built file
   * gets a `#!/usr/bin/env node` line and the executable bit.
   */
  bin?: string[];
  /**
   * Files or folders copied into dist/ after the build: the package's
   * directory-relative `from` to the dist-relative `to`.
   */
  assets?: { from: string; to: string }[];
}

const SHEBANG = "#!/usr/bin/env node";
const OUT_DIR = "dist";
const SRC_DIR = "src";

async function addShebang(outDir: string, name: string): Promise<void> {
  const file = join(outDir, `${name}.js`);
  const code = await readFile(file, "utf8");
  if (!code.startsWith("#!")) {
    await writeFile(file, `${SHEBANG}\n${code}`);
  }
  await chmod(file, 0o755);
}

function formatDiagnostics(diagnostics: readonly ts.Diagnostic[]): string {
  return ts.formatDiagnostics(diagnostics, {
    getCanonicalFileName: (f) => f,
    getCurrentDirectory: () => process.cwd(),
    getNewLine: () => "\n",
  });
}

/**
 * Declarations and declaration maps for every source file of this package
 * the entries reach, into dist/ with src/'s layout. Sibling packages are
 * read through their built declarations (no `@vgic/source` condition; nx
 * builds dependencies first) and are not emitted.
 */
export function emitDeclarations(entries: readonly string[], packageDir: string = process.cwd()): void {
  const configFile = join(packageDir, "tsconfig.json");
  const read = ts.readConfigFile(configFile, ts.sys.readFile);
  if (read.error !== undefined) throw new Error(formatDiagnostics([read.error]));
  const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, packageDir);
  const srcDir = resolve(packageDir, SRC_DIR);
  const options: ts.CompilerOptions = {
    ...parsed.options,
    customConditions: [],
    composite: false,
    incremental: false,
    tsBuildInfoFile: undefined,
    noEmit: false,
    declaration: true,
    declarationMap: true,
    emitDeclarationOnly: true,
    sourceMap: false,
    rootDir: srcDir,
    outDir: resolve(packageDir, OUT_DIR),
  };
  const program = ts.createProgram(
    entries.map((e) => resolve(packageDir, e)),
    options,
  );
  const diagnostics: ts.Diagnostic[] = [];
  for (const file of program.getSourceFiles()) {
    if (file.isDeclarationFile || !resolve(file.fileName).startsWith(srcDir + sep)) continue;
    diagnostics.push(...program.getDeclarationDiagnostics(file));
    diagnostics.push(...program.emit(file, undefined, undefined, true).diagnostics);
  }
  if (diagnostics.length > 0) {
    throw new Error(`declarations of ${relative(process.cwd(), packageDir) || "."}:\n${formatDiagnostics(diagnostics)}`);
  }
}

export function defineVgicConfig(
  entries: VgicEntries,
  options: VgicConfigOptions = {},
): ReturnType<typeof defineConfig> {
  const bins = options.bin ?? [];
  for (const name of bins) {
    if (!(name in entries)) {
      throw new Error(`defineVgicConfig: bin "${name}" is not an entry`);
    }
  }
  const assets = options.assets ?? [];
  const config: Options = {
    entry: entries,
    outDir: OUT_DIR,
    format: ["esm"],
    platform: "node",
    target: "node20",
    // Declarations come from the TypeScript compiler in onSuccess (one per
    // source file, with declaration maps); tsup's bundled ones have no maps.
    dts: false,
    sourcemap: false,
    clean: true,
    splitting: true,
    treeshake: false,
    shims: false,
    onSuccess: async () => {
      emitDeclarations(Object.values(entries));
      await Promise.all(bins.map((name) => addShebang(OUT_DIR, name)));
      for (const { from, to } of assets) {
        await cp(from, join(OUT_DIR, to), { recursive: true });
      }
    },
  };
  return defineConfig(config);
}
