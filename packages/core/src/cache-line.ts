/**
 * A cache line, the unit two cores take from each other when both write
 * into it. Per-vCPU words that vCPU threads write on every delivery are laid
 * at least this far apart (vgic.ts), so two vCPUs never share a line.
 */
export const LINE_BYTES = 64;
/** 32-bit words in a cache line. */
export const LINE_WORDS: number = LINE_BYTES / 4;
