import { defineVgicConfig } from "../../tools/tsup.config.ts";

export default defineVgicConfig({ index: "src/index.ts" });
