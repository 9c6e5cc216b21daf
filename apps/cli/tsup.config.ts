import { defineVgicConfig } from "../../tools/tsup.config.ts";

// `load` is the browser-safe scenario loader (@vgic/cli/load): it imports no Node built-in.
export default defineVgicConfig(
  { index: "src/index.ts", "load/index": "src/load/index.ts", bin: "src/bin.ts" },
  {
    bin: ["bin"],
    assets: [
      // `vgic examples` lists and copies these; `vgic bench --floor` builds the C floor.
      { from: "../../examples", to: "examples" },
      { from: "../../bench/floor", to: "floor" },
    ],
  },
);
