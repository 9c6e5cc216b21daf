/**
 * The C floor: the same round trip and burst written plainly in C
 * (`../shared/floor/run` from the repository root), built and timed on this
 * machine in the same run, so that ours/C is a ratio between two numbers
 * taken side by side — absolute nanoseconds differ from machine to machine.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FloorFigure } from './report.js';

/** Where the floor's script is, relative to the repository root. */
export const FLOOR_RELATIVE = '../shared/floor/run';

function ancestors(start: string): string[] {
  const out: string[] = [];
  let dir = resolve(start);
  for (;;) {
    out.push(dir);
    const up = dirname(dir);
    if (up === dir) return out;
    dir = up;
  }
}

/**
 * The floor script, found from the repository root (the nearest directory
 * with an `nx.json`, above this module or the working directory), or null.
 */
export function findFloor(starts: readonly string[] = [dirname(fileURLToPath(import.meta.url)), process.cwd()]): string | null {
  for (const start of starts) {
    for (const dir of ancestors(start)) {
      if (!existsSync(join(dir, 'nx.json'))) continue;
      const script = resolve(dir, FLOOR_RELATIVE);
      if (existsSync(script)) return script;
    }
  }
  return null;
}

/** Lines `<mode> <workload> <ns per op>`; anything else is ignored. */
export function parseFloor(text: string): FloorFigure[] {
  const out: FloorFigure[] = [];
  for (const line of text.split('\n')) {
    const m = /^(plain|atomic)\s+(\S+)\s+([0-9.]+)\s*$/.exec(line.trim());
    if (m) out.push({ mode: m[1] as 'plain' | 'atomic', workload: m[2]!, nsPerOp: Number(m[3]) });
  }
  return out;
}

/** Build and run the floor (a C compiler is needed); resolves to its figures. */
export function runFloor(script: string, iterations?: number): Promise<FloorFigure[]> {
  const args = iterations === undefined ? [] : [String(iterations)];
  return new Promise((done, fail) => {
    execFile(script, args, { timeout: 300_000 }, (error, stdout, stderr) => {
      if (error) {
        fail(new Error(`the C floor failed: ${error.message}${stderr ? `\n${stderr}` : ''}`));
        return;
      }
      const figures = parseFloor(stdout);
      if (figures.length === 0) fail(new Error(`the C floor printed nothing to compare with:\n${stdout}`));
      else done(figures);
    });
  });
}
