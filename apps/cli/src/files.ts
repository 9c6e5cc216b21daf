/**
 * Turning the command line's FILE|DIR arguments into scenario files, and
 * reading them: never more than the size limit, whatever the file (a device
 * such as /dev/zero goes on for ever), gzip-compressed files decompressed with
 * the same limit on what comes out, `-` for standard input.
 */
import { closeSync, fstatSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { Scenario, StreamedScenario } from '@vgic/core';
import { BACKENDS } from './backends.js';
import { DEFAULT_LIMITS, loadScenario, type LoadError, type LoadLimits } from './load/index.js';
import { loadStreamedScenario } from './load/load.js';
import { bytesText } from './load/words.js';

const SCENARIO_EXT = /\.(ya?ml|json)(\.gz)?$/i;

/** Each FILE as given; each DIR as its *.yaml, *.yml and *.json files (also gzipped: *.yaml.gz, …), sorted by name. */
export function expandPaths(paths: readonly string[]): { files: string[]; errors: string[] } {
  const files: string[] = [];
  const errors: string[] = [];
  for (const p of paths) {
    if (p === '-') {
      files.push(p);
      continue;
    }
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
    if (inDir.length === 0) errors.push(`${p}: holds no scenario files (*.yaml, *.yml, *.json, or any of them .gz)`);
    files.push(...inDir);
  }
  return { files, errors };
}

const CHUNK = 1 << 20;

function readError(file: string, message: string, limit?: LoadError['limit']): { error: LoadError } {
  return { error: { file, line: 1, col: 1, message, ...(limit && { limit }) } };
}

function isGzip(b: Uint8Array): boolean {
  return b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;
}

/**
 * Read up to `max` bytes of a file descriptor: the bytes, or null when there
 * are more. `expected` (a regular file's size) is read into one buffer of
 * that size: a long file is not held twice, as its chunks and their join.
 */
function readUpTo(fd: number, max: number, expected: number): Buffer | null {
  const chunks: Buffer[] = [];
  let total = 0;
  for (;;) {
    const size = chunks.length === 0 && expected > 0 ? expected + 1 : CHUNK;
    const chunk = Buffer.allocUnsafe(Math.min(size, max + 1 - total));
    let n: number;
    try {
      n = readSync(fd, chunk, 0, chunk.length, null);
    } catch (e) {
      // A pipe with nothing yet to read: wait a little and try again.
      if ((e as NodeJS.ErrnoException).code === 'EAGAIN') {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
        continue;
      }
      throw e;
    }
    if (n === 0) break;
    chunks.push(chunk.subarray(0, n));
    total += n;
    if (total > max) return null;
    // Binary data (a NUL byte) that is not gzip: what is read is enough for the loader to say so.
    if (chunks.length === 1 && !isGzip(chunk) && chunk.subarray(0, n).includes(0)) break;
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total);
}

/**
 * A scenario file's bytes — decompressed when it is gzip data — within the
 * size limit, or why not (as an error at 1:1, the whole file being at fault).
 */
export function readScenarioBytes(file: string, maxFileSize: number): { bytes: Uint8Array } | { error: LoadError } {
  let raw: Buffer | null;
  let fd: number | null = null;
  try {
    fd = file === '-' ? 0 : openSync(file, 'r');
    const stat = fstatSync(fd);
    if (stat.isDirectory()) return readError(file, 'this file is a directory');
    raw = readUpTo(fd, maxFileSize, stat.isFile() ? stat.size : 0);
  } catch (e) {
    return readError(file, `this file cannot be read (${(e as Error).message})`);
  } finally {
    if (fd !== null && fd !== 0) closeSync(fd);
  }
  if (raw === null) return readError(file, `this file goes on past ${bytesText(maxFileSize)}, the most vgic reads of a scenario file`, 'maxFileSize');
  if (!isGzip(raw)) {
    if (/\.gz$/i.test(file)) return readError(file, 'this file is named .gz but does not hold gzip data');
    return { bytes: raw };
  }
  try {
    return { bytes: gunzipSync(raw, { maxOutputLength: maxFileSize }) };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ERR_BUFFER_TOO_LARGE' || e instanceof RangeError) {
      return readError(file, `this file decompresses to more than ${bytesText(maxFileSize)}, the most vgic reads of a scenario file`, 'maxFileSize');
    }
    return readError(file, `this file holds gzip data that does not decompress (${(e as Error).message})`);
  }
}

export type Loaded = { file: string; scenario: Scenario; intro: string } | { file: string; errors: LoadError[] };

/** A file loaded for a run: its steps built one at a time as the run reaches them (loadStreamedScenario). */
export type StreamedLoaded = { file: string; scenario: StreamedScenario; intro: string } | { file: string; errors: LoadError[] };

/** The comment a file opens with (its `#` lines before anything else), without the `#`s. */
function openingComment(bytes: Uint8Array): string {
  const head = new TextDecoder().decode(bytes.subarray(0, 8192));
  const lines: string[] = [];
  for (const line of head.split('\n')) {
    if (!line.startsWith('#')) break;
    lines.push(line.replace(/^# ?/, ''));
  }
  return lines.join('\n').trimEnd();
}

/** Read and check one scenario file. */
export function loadFile(file: string, limits: Partial<LoadLimits> = {}): Loaded {
  const read = readScenarioBytes(file, limits.maxFileSize ?? DEFAULT_LIMITS.maxFileSize);
  if ('error' in read) return { file, errors: [read.error] };
  const r = loadScenario(read.bytes, file, { backends: BACKENDS, limits });
  return r.ok ? { file, scenario: r.scenario, intro: openingComment(read.bytes) } : { file, errors: r.errors };
}

/** Read and check one scenario file, for a run that takes its steps one at a time. */
export function loadFileStreamed(file: string, limits: Partial<LoadLimits> = {}): StreamedLoaded {
  const read = readScenarioBytes(file, limits.maxFileSize ?? DEFAULT_LIMITS.maxFileSize);
  if ('error' in read) return { file, errors: [read.error] };
  const intro = openingComment(read.bytes);
  const r = loadStreamedScenario(read.bytes, file, { backends: BACKENDS, limits });
  return r.ok ? { file, scenario: r.scenario, intro } : { file, errors: r.errors };
}
