import { defineVgicConfig } from "../../tools/tsup.config.ts";

export default defineVgicConfig({
  index: "src/index.ts",
  "testing/index": "src/testing/index.ts",
  // The entry of vCPU and task worker threads (src/threads/pool.ts starts it).
  "threads/worker": "src/threads/worker.ts",
});
