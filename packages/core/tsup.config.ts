import { defineVgicConfig } from "../../tools/tsup.config.ts";

export default defineVgicConfig({
  index: "src/index.ts",
  "testing/index": "src/testing/index.ts",
});
