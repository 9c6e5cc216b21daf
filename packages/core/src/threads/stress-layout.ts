/**
 * The shape of a stress run every thread of it gets: its INTID ranges and
 * what each role does. (How the roles count: stress-roles.ts and
 * stress-races.ts.)
 */

/** The INTID ranges of a stress run, and what its roles do. */
export interface StressLayout {
  edgeFirst: number;
  edgeCount: number;
  levelFirst: number;
  levelCount: number;
  /** Level SPIs the distributor-toggling thread holds high (0: no such thread). */
  toggleFirst: number;
  toggleCount: number;
  /** Edge SPIs whose IROUTER halves two threads write (0: no such threads; GICv3). */
  halvesFirst: number;
  halvesCount: number;
  /** vCPUs with EOImode 1 hand the DIR of edge SPIs to another such vCPU. */
  crossDir: boolean;
  /** The first of the control block's user words that hold the DIR mailboxes. */
  mailboxBase: number;
  /** Send SGIs between the vCPUs. */
  sgis: boolean;
  /** Send a round of SGIs every this many guest steps. */
  sgiEvery: number;
  seed: number;
}

/** A small, fast, seeded generator (xorshift32). */
export class Random {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0 || 0x9e3779b9;
  }
  next(): number {
    let x = this.s;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.s = x >>> 0;
    return this.s;
  }
  /** 0..n-1 */
  below(n: number): number {
    return this.next() % n;
  }
}

