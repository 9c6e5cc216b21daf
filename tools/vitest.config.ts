/**
 * Shared vitest settings. Each project's `vitest.config.ts` is
 *
 *   import { defineVgicTestConfig } from "../../tools/vitest.config.ts";
 *   export default defineVgicTestConfig(import.meta.dirname);
 *
 * Tests run against source: the `@vgic/source` export condition makes
 * `import "@vgic/core"` resolve to packages/core/src/index.ts, so no build is
 * needed first.
 */
import { basename } from "node:path";
import { defineConfig, type ViteUserConfig } from "vitest/config";

const SOURCE_CONDITION = "@vgic/source";

export function defineVgicTestConfig(projectDir: string): ViteUserConfig {
  return defineConfig({
    resolve: {
      conditions: [SOURCE_CONDITION, "module", "browser", "development|production"],
    },
    ssr: {
      resolve: {
        conditions: [SOURCE_CONDITION, "module", "node", "development|production"],
      },
    },
    test: {
      name: basename(projectDir),
      root: projectDir,
      include: ["src/**/*.test.ts", "test/**/*.test.ts"],
      environment: "node",
      // The lock-order checker is on for every test (DESIGN.md, "Lock order").
      env: { VGIC_LOCKDEP: "1" },
      // Some tests drive the emulation from worker threads.
      testTimeout: 30_000,
      hookTimeout: 30_000,
      pool: "threads",
    },
  });
}
