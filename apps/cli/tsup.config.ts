import { defineVgicConfig } from "../../tools/tsup.config.ts";

export default defineVgicConfig(
  { index: "src/index.ts", bin: "src/bin.ts" },
  { bin: ["bin"] },
);
