/**
 * The lock words of a machine by kind, and their names for messages. The
 * words are laid out irq locks first (one per slot), then one ap_list_lock
 * per vCPU (a cache line apart), then the ITS's cmd_lock and its_lock and
 * the LPI map lock; the
 * kinds rank in the order they nest (DESIGN.md, "Lock order"):
 *
 *   its->cmd_lock
 *     its->its_lock
 *       vgic_cpu.ap_list_lock
 *         LPI map lock
 *           vgic_irq.irq_lock
 */
import { LINE_WORDS } from './cache-line.js';

export const RANK_ITS_CMD = 0;
export const RANK_ITS = 1;
export const RANK_AP_LIST = 2;
export const RANK_LPI_MAP = 3;
export const RANK_IRQ = 4;

/**
 * The rank of lock word `index` on a machine of `nrSlots` slots whose
 * ap_list heads start at `headBase` (one a cache line apart, Vgic.apListHead)
 * and whose ITS and LPI map locks start at `extraBase` (Vgic.lockIndexItsCmd).
 */
export function lockRank(index: number, nrSlots: number, extraBase: number): number {
  if (index < nrSlots) return RANK_IRQ;
  const past = index - extraBase;
  if (past < 0) return RANK_AP_LIST;
  return past === 0 ? RANK_ITS_CMD : past === 1 ? RANK_ITS : RANK_LPI_MAP;
}

/** The name of a lock word (an irq lock's without its INTID, which the caller may add). */
export function lockName(index: number, nrSlots: number, headBase: number, extraBase: number): string {
  switch (lockRank(index, nrSlots, extraBase)) {
    case RANK_IRQ:
      return `irq_lock(slot ${index})`;
    case RANK_AP_LIST:
      return `ap_list_lock(vCPU ${(index - headBase) / LINE_WORDS})`;
    case RANK_ITS_CMD:
      return 'its cmd_lock';
    case RANK_ITS:
      return 'its_lock';
    default:
      return 'LPI map lock';
  }
}
