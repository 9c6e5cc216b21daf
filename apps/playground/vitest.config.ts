import { defineVgicTestConfig } from "../../tools/vitest.config.ts";

export default defineVgicTestConfig(import.meta.dirname);
