/**
 * @vgic/bench — the benchmark harness of vgic: workloads an emulator runs
 * (an SPI round trip, a burst through 4 list registers, an IPI, a
 * migration, 31-deep nesting), on GICv2 and GICv3, with unshared and shared
 * state, timed with tinybench and set against the C floor.
 *
 * `npm run bench` runs this file; `vgic bench` calls `runBenchCli`.
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runBenchCli } from './cli.js';

export { runBenchCli, parseBenchArgs, USAGE, UsageError, type BenchArgs } from './cli.js';
export { runSuite, BenchCheckError, sinkValue, type SuiteEntry, type SuiteOptions, type SuiteResult, type BatchFn } from './suite.js';
export {
  benchEnv,
  reportJson,
  resultsTable,
  floorRatios,
  floorTable,
  type BenchReport,
  type BenchResult,
  type BenchEnv,
  type FloorFigure,
  type FloorRatio,
} from './report.js';
export { renderChart } from './svg.js';
export { planFloor, runFloor, parseFloor, findCompiler, floorSource, type FloorPlan } from './floor.js';
export { WORKLOADS, WORKLOAD_NAMES, type WorkloadDef, type Prepared } from './workloads.js';
export { GICS, MODES, KITS, makeMachine, type GicName, type ModeName, type GicKit } from './machines.js';
export { runGrid, runCells, Progress, type GridOptions, type GridOutcome } from './run.js';

function isMain(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isMain()) {
  process.exitCode = await runBenchCli(process.argv.slice(2));
}
