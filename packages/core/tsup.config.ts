import { defineVgicConfig } from "../../tools/tsup.config.ts";

export default defineVgicConfig({
  index: "src/index.ts",
  "testing/index": "src/testing/index.ts",
  // Node only: starting vCPUs on worker threads, stress, scaling.
  "threads/index": "src/threads/index.ts",
  // The entry of vCPU and task worker threads (src/threads/pool.ts starts it).
  "threads/worker": "src/threads/worker.ts",
});
