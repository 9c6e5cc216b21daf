import { defineVgicConfig } from "../../tools/tsup.config.ts";

export default defineVgicConfig(
  { index: "src/index.ts", bin: "src/bin.ts" },
  {
    bin: ["bin"],
    assets: [
      // `vgic examples` lists and copies these; `vgic bench --floor` builds the C floor.
      { from: "../../examples", to: "examples" },
      { from: "../../bench/floor", to: "floor" },
    ],
  },
);
