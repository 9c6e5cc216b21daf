/**
 * What the ITS needs of guest memory: little-endian words read and
 * written at guest physical addresses, never throwing — an address outside
 * guest RAM reads as a fault and a write there fails, and the ITS then
 * does what KVM does when kvm_read_guest / kvm_write_guest fail.
 */
export interface ItsMemory {
  /** The 32-bit word at `addr` (4-byte aligned), or -1 where no guest RAM is. */
  read32(addr: number): number;
  /** Store a 32-bit word; false where no guest RAM is. */
  write32(addr: number, value: number): boolean;
}

/** A 64-bit entry as [low, high] words (allocation-free callers pass their own pair). */
export type Pair = [number, number];

/** Read the 64-bit entry at `addr` into `out`; false on a fault. */
export function read64(mem: ItsMemory, addr: number, out: Pair): boolean {
  const lo = mem.read32(addr);
  if (lo < 0) return false;
  const hi = mem.read32(addr + 4);
  if (hi < 0) return false;
  out[0] = lo;
  out[1] = hi;
  return true;
}

/** Write a 64-bit entry; false on a fault. */
export function write64(mem: ItsMemory, addr: number, lo: number, hi: number): boolean {
  return mem.write32(addr, lo >>> 0) && mem.write32(addr + 4, hi >>> 0);
}
