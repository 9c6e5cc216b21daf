/**
 * The shape of a stress run every thread of it gets: its INTID ranges, what
 * each role does, and the backend's distributor registers the roles write.
 * (How the roles count: stress-roles.ts and stress-races.ts.)
 */
import type { DistributorRegisters, HostRegisterRef } from '../backend.js';
import { VgicError } from '../errors.js';
import type { Machine } from '../machine.js';
import { resolveHostRegister, type HostRegister } from './host-access.js';

/** The INTID ranges of a stress run, and what its roles do. */
export interface StressLayout {
  edgeFirst: number;
  edgeCount: number;
  levelFirst: number;
  levelCount: number;
  /** Level SPIs the distributor-toggling thread holds high (0: no such thread). */
  toggleFirst: number;
  toggleCount: number;
  /** Edge SPIs whose routing-word halves two threads write (0: no such threads; a backend with `routeHalves`). */
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


/** The backend's distributor registers by role; throws for a backend that declares none. */
export function distributorOf(m: Machine): DistributorRegisters {
  const d = m.backend.distributor;
  if (d === undefined) throw new VgicError('INVALID_ARGUMENT', `GIC${m.version} declares no distributor registers (GicBackend.distributor): the run cannot retarget or toggle`);
  return d;
}

/** A register a role names, resolved for a thread that runs no vCPU. */
export function resolveRef(m: Machine, ref: HostRegisterRef): HostRegister {
  return resolveHostRegister(m, ref.name, {
    ...(ref.width !== undefined && { width: ref.width }),
    ...(ref.byteOffset !== undefined && { byteOffset: ref.byteOffset }),
  });
}

