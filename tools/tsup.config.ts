/**
 * Shared tsup configuration for every publishable @vgic package.
 *
 * Each package has a two-line `tsup.config.ts`:
 *
 *   import { defineVgicConfig } from "../../tools/tsup.config.ts";
 *   export default defineVgicConfig({ index: "src/index.ts" });
 *
 * Output: ESM only, target node20, bundled .d.ts, source maps, dist/ cleaned
 * before each build. Dependencies and peerDependencies stay external (tsup's
 * default), so the backends and the CLI import @vgic/core at run time.
 */
import { chmod, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { defineConfig, type Options } from "tsup";

/** Output name (relative to dist/, without extension) -> source file. */
export type VgicEntries = Record<string, string>;

export interface VgicConfigOptions {
  /**
   * Output names (keys of `entries`) that are executables: the built file
   * gets a `#!/usr/bin/env node` line and the executable bit.
   */
  bin?: string[];
}

const SHEBANG = "#!/usr/bin/env node";

async function addShebang(outDir: string, name: string): Promise<void> {
  const file = join(outDir, `${name}.js`);
  const code = await readFile(file, "utf8");
  if (!code.startsWith("#!")) {
    await writeFile(file, `${SHEBANG}\n${code}`);
    // Shift the source map down by the one inserted line (";" = empty line).
    const mapFile = `${file}.map`;
    const map = JSON.parse(await readFile(mapFile, "utf8")) as { mappings: string };
    map.mappings = `;${map.mappings}`;
    await writeFile(mapFile, JSON.stringify(map));
  }
  await chmod(file, 0o755);
}

export function defineVgicConfig(
  entries: VgicEntries,
  options: VgicConfigOptions = {},
): ReturnType<typeof defineConfig> {
  const outDir = "dist";
  const bins = options.bin ?? [];
  for (const name of bins) {
    if (!(name in entries)) {
      throw new Error(`defineVgicConfig: bin "${name}" is not an entry`);
    }
  }
  const config: Options = {
    entry: entries,
    outDir,
    format: ["esm"],
    platform: "node",
    target: "node20",
    dts: {
      compilerOptions: {
        // Build declarations against the *built* declarations of sibling
        // packages (nx builds dependencies first), not their source, and
        // without the type-check-only project settings of tsconfig.json.
        customConditions: [],
        composite: false,
        emitDeclarationOnly: true,
        declarationMap: false,
      },
    },
    sourcemap: true,
    clean: true,
    splitting: true,
    treeshake: false,
    shims: false,
    ...(bins.length > 0
      ? {
          onSuccess: async () => {
            await Promise.all(bins.map((name) => addShebang(outDir, name)));
          },
        }
      : {}),
  };
  return defineConfig(config);
}
