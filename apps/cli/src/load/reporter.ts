/**
 * The errors of one file, each at the line and column of the key or value at
 * fault, in the order they stand in the file — at most `maxErrors` of them:
 * after that the loader stops looking, so a file of a million bad steps
 * costs no more than one of a hundred.
 */
import type { Locations, Path } from './document.js';
import type { LineIndex } from './text.js';

/** The limits a loader error can be about, so that a front end can say how to raise it. */
export type LimitName = 'maxFileSize' | 'fullYamlSize' | 'maxDepth' | 'maxErrors' | 'snapshotBudget' | 'maxMemory';

export interface LoadError {
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based, in UTF-16 code units. */
  col: number;
  message: string;
  /** Set when the error is a limit being reached: which one. */
  limit?: LimitName;
}

interface Pending {
  offset: number;
  message: string;
  limit?: LimitName;
}

export class Reporter {
  private readonly kept: Pending[] = [];
  private stoppedAt = -1;

  constructor(
    readonly file: string,
    private readonly lines: LineIndex,
    private readonly maxErrors: number,
    private locations: Locations | null = null,
  ) {}

  /** Use these node positions from now on. */
  locate(locations: Locations): void {
    this.locations = locations;
  }

  /** No more errors are kept: stop looking. */
  get full(): boolean {
    return this.stoppedAt >= 0;
  }

  get count(): number {
    return this.kept.length;
  }

  /** Offset of the node at `path` (its key, with `key`). */
  offsetOf(path: Path, key = false): number {
    return this.locations?.offsetOf(path, key) ?? 0;
  }

  fail(path: Path, message: string, key = false, limit?: LimitName): void {
    this.failAt(this.offsetOf(path, key), message, limit);
  }

  failAt(offset: number, message: string, limit?: LimitName): void {
    if (this.full) return;
    if (this.kept.length === this.maxErrors) {
      this.stoppedAt = offset;
      return;
    }
    this.kept.push({ offset, message, ...(limit && { limit }) });
  }

  /** The errors in file order, and a last one saying where looking stopped. */
  errors(): LoadError[] {
    const all = [...this.kept].sort((a, b) => a.offset - b.offset);
    const out: LoadError[] = all.map((e) => ({ file: this.file, ...this.lines.pos(e.offset), message: e.message, ...(e.limit && { limit: e.limit }) }));
    if (this.full) {
      out.push({
        file: this.file,
        ...this.lines.pos(this.stoppedAt),
        message: `more errors from here on: the loader stops after ${this.maxErrors}`,
        limit: 'maxErrors',
      });
    }
    return out;
  }
}
