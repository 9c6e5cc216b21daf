// Root config for running every project's tests in one vitest process
// (`npx vitest`, editor integrations). CI and `npm test` go through nx, which
// runs `vitest run` in each project with that project's vitest.config.ts.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    projects: ["packages/*", "apps/*", "bench"],
  },
});
