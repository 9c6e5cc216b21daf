/**
 * The bounds that keep loading and running a scenario file within time and
 * memory whatever the file holds. Each can be raised (LoadOptions.limits;
 * `vgic run --max-file-size`, `--snapshot-budget`, `--max-memory`).
 */
import { DEFAULT_SNAPSHOT_BUDGET } from '@vgic/core';

export interface LoadLimits {
  /** The largest file, in bytes (of text: a compressed file's size once decompressed). Default 64 MiB. */
  maxFileSize: number;
  /**
   * The largest file handed to the full YAML library when the quick reader
   * cannot read it; the library needs about a hundred times a file's size in
   * memory. Default 2 MiB.
   */
  fullYamlSize: number;
  /** The deepest nesting of lists and maps (a scenario needs five levels). Default 64. */
  maxDepth: number;
  /** The most errors reported for one file; past them the loader stops looking. Default 100. */
  maxErrors: number;
  /**
   * The most bytes the snapshots a scenario keeps may take at once — every
   * name it snapshots under, times the size of one saved machine. Default 256 MiB.
   */
  snapshotBudget: number;
  /**
   * The most guest RAM a scenario's `memory` may declare, all regions
   * together: the runner allocates every byte of it (and so does the loader,
   * to build the machine it checks against). Default 256 MiB.
   */
  maxMemory: number;
}

const MiB = 1024 * 1024;

export const DEFAULT_LIMITS: Readonly<LoadLimits> = {
  maxFileSize: 64 * MiB,
  fullYamlSize: 2 * MiB,
  maxDepth: 64,
  maxErrors: 100,
  snapshotBudget: DEFAULT_SNAPSHOT_BUDGET,
  maxMemory: 256 * MiB,
};
