/** Turning the command line's FILE|DIR arguments into scenario files, and reading them. */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Scenario } from '@vgic/core';
import { BACKENDS } from './backends.js';
import { loadScenario, type LoadError } from './load.js';

const SCENARIO_EXT = /\.(ya?ml|json)$/i;

/** Each FILE as given; each DIR as its *.yaml, *.yml and *.json files, sorted by name. */
export function expandPaths(paths: readonly string[]): { files: string[]; errors: string[] } {
  const files: string[] = [];
  const errors: string[] = [];
  for (const p of paths) {
    let isDir: boolean;
    try {
      isDir = statSync(p).isDirectory();
    } catch {
      errors.push(`${p}: no such file or directory`);
      continue;
    }
    if (!isDir) {
      files.push(p);
      continue;
    }
    const inDir = readdirSync(p)
      .filter((n) => SCENARIO_EXT.test(n))
      .sort()
      .map((n) => join(p, n))
      .filter((f) => statSync(f).isFile());
    if (inDir.length === 0) errors.push(`${p}: holds no scenario files (*.yaml, *.yml, *.json)`);
    files.push(...inDir);
  }
  return { files, errors };
}

export type Loaded = { file: string; scenario: Scenario } | { file: string; errors: LoadError[] };

/** Read and check one scenario file; a file that cannot be read is an error at 1:1. */
export function loadFile(file: string): Loaded {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code === 'EISDIR' ? 'is a directory' : `cannot be read (${(e as Error).message})`;
    return { file, errors: [{ file, line: 1, col: 1, message: `this file ${reason}` }] };
  }
  const r = loadScenario(bytes, file, { backends: BACKENDS });
  return r.ok ? { file, scenario: r.scenario } : { file, errors: r.errors };
}
