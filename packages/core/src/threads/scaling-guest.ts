/**
 * The guest of the scaling measurement (scaling.ts): each vCPU keeps its own
 * edge SPIs firing — acknowledge, EOI, raise again from its own thread — and
 * counts what it delivered in a word of a shared array, so the measuring
 * thread can read how far every vCPU has come at any moment (and measure a
 * window that leaves the threads' start and warm-up out).
 *
 * vCPU k's count is word `k * LINE_WORDS`: each vCPU writes a cache line of
 * its own, which no other vCPU's thread writes.
 */
import { LINE_WORDS } from '../cache-line.js';
import { VgicError } from '../errors.js';
import { PHASE_RUN } from './control.js';
import type { GuestCpu } from './guest-cpu.js';
import type { Guest } from './runner.js';

/** What the measuring thread gives the scaling guest. */
export interface ScalingGuestData {
  /** Int32 words, LINE_WORDS per vCPU: vCPU k counts its deliveries in word k·LINE_WORDS. */
  delivered: SharedArrayBuffer;
}

/** The words of `delivered` for `nrVcpus` vCPUs. */
export function deliveredWords(nrVcpus: number): number {
  return nrVcpus * LINE_WORDS;
}

/** vCPU `vcpu`'s count in the `delivered` words. */
export function deliveredOf(words: Int32Array, vcpu: number): number {
  return Atomics.load(words, vcpu * LINE_WORDS);
}

export function scalingGuest(cpu: GuestCpu, data: unknown): Guest {
  const given = (data as Partial<ScalingGuestData> | undefined)?.delivered;
  if (!(given instanceof SharedArrayBuffer) || given.byteLength < deliveredWords(cpu.machine.vcpus) * 4) {
    throw new VgicError('INVALID_ARGUMENT', 'the scaling guest needs `delivered`: a SharedArrayBuffer of LINE_WORDS words per vCPU');
  }
  const m = cpu.machine;
  const counts = new Int32Array(given);
  const at = cpu.vcpu * LINE_WORDS;
  return {
    take(cpu: GuestCpu): boolean {
      const raw = cpu.ack();
      const intid = raw & 0x3ff;
      if (intid >= 1020) return false;
      cpu.eoi(raw);
      // Only this thread writes the word. A plain store: an aligned Int32Array
      // element never tears, so the reader's Atomics.load sees a whole count.
      counts[at]!++;
      if (cpu.phase === PHASE_RUN && intid >= 32) m.inject(intid, 1);
      return true;
    },
  };
}
