/**
 * `vgic bench`: the benchmark harness (bench/, package @vgic/bench):
 * workload × GIC × mode timed with tinybench, `--json`, `--out DIR` for a
 * chart, `--floor` for the C floor side by side. `vgic bench --help` lists
 * the options; bench/README.md explains the method.
 */
import { runBenchCli } from '@vgic/bench';

export async function run(args: string[]): Promise<number> {
  return runBenchCli(args);
}
