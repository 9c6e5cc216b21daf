/**
 * The engine's invariants, checked by the property tests, the fuzzer and the
 * stress run after every step. Each problem found is one sentence; an empty
 * list means the state is sound. Call it when no other thread is inside the
 * engine (between steps, or after the workers have drained).
 */
import { LINE_WORDS } from './cache-line.js';
import { targetOracleQuiescent } from './oracle.js';
import { CONFIG_EDGE, LPI_INTID_BASE, NONE, VCPU_RUNNING, type Vgic } from './vgic.js';

export function checkInvariants(v: Vgic): string[] {
  const problems: string[] = [];
  const seen = new Int32Array(v.nrSlots).fill(NONE);

  const broken = v.broken;
  // A broken machine's lock words are all poisoned: one sentence says why.
  if (broken !== null) problems.push(`the machine is broken: ${broken}`);
  for (let s = 0; s < v.lockWords.length && broken === null; s++) {
    if (v.lockWords[s] !== 0) {
      problems.push(s < v.nrSlots ? `irq lock of slot ${s} is held` : `ap_list_lock of vCPU ${s - v.nrSlots} is held`);
    }
  }

  for (let k = 0; k < v.nrVcpus; k++) {
    const head = v.apListHead(k);
    let prev = head;
    let steps = 0;
    for (let it = v.next[head]!; it !== head; it = v.next[it]!) {
      if (it < 0 || it >= v.nrSlots) {
        problems.push(`ap_list of vCPU ${k} links to ${it}, not an interrupt slot`);
        break;
      }
      if (++steps > v.nrSlots) {
        problems.push(`ap_list of vCPU ${k} does not come back to its head (a cycle)`);
        break;
      }
      if (v.prev[it] !== prev) problems.push(`ap_list of vCPU ${k}: INTID ${v.intid[it]}'s back link is wrong`);
      if (seen[it] !== NONE) {
        problems.push(`INTID ${v.intid[it]} (slot ${it}) is on the ap_lists of vCPU ${seen[it]} and vCPU ${k}`);
      }
      seen[it] = k;
      if (v.apListVcpu[it] !== k) problems.push(`INTID ${v.intid[it]} is on vCPU ${k}'s ap_list but records vCPU ${v.apListVcpu[it]}`);
      prev = it;
    }
    const used = v.usedLrs[k * LINE_WORDS]!;
    if (used < 0 || used > v.nrLrs) problems.push(`vCPU ${k} uses ${used} list registers of ${v.nrLrs}`);
    if (v.runState[k * LINE_WORDS] !== VCPU_RUNNING && used !== 0) problems.push(`vCPU ${k} is outside but holds ${used} list registers`);
    for (let j = 0; j < used && j < v.nrLrs; j++) {
      const slot = v.lrSlot[v.lrBase(k) + j]!;
      if (v.apListVcpu[slot] !== k) problems.push(`vCPU ${k}'s LR${j} holds INTID ${v.intid[slot]}, which is not on its ap_list`);
      if (v.inLr[slot] !== j) problems.push(`vCPU ${k}'s LR${j} holds INTID ${v.intid[slot]}, which records LR ${v.inLr[slot]}`);
    }
  }

  for (let s = 0; s < v.nrSlots; s++) {
    const owner = v.apListVcpu[s]!;
    if (owner !== NONE && seen[s] !== owner) {
      problems.push(`INTID ${v.intid[s]} (slot ${s}) records vCPU ${owner}'s ap_list but is not on it`);
    }
    if (owner === NONE && targetOracleQuiescent(v, s) !== NONE) {
      problems.push(`INTID ${v.intid[s]} (slot ${s}) should be queued on vCPU ${targetOracleQuiescent(v, s)} but is on no ap_list`);
    }
    if (v.inLr[s] !== NONE && (owner === NONE || v.runState[owner * LINE_WORDS] !== VCPU_RUNNING)) {
      problems.push(`INTID ${v.intid[s]} (slot ${s}) records a list register of a vCPU that is not running`);
    }
  }
  if (v.nrLpis !== 0) checkLpis(v, problems);
  return problems;
}

/**
 * The LPI slots: the INTID → slot map and the slots agree (each mapped
 * INTID names a live slot holding that INTID, each live slot is mapped by
 * its INTID, once), a slot is live exactly while referenced, and every LPI
 * is what an LPI is — edge, group 1, no line level, not hardware-mapped —
 * and once unmapped, neither pending nor enabled.
 */
function checkLpis(v: Vgic, problems: string[]): void {
  const mappedBy = new Int32Array(v.nrLpis).fill(NONE);
  for (let i = 0; i < v.lpiMap.length; i++) {
    const slot = v.lpiMap[i]! - 1;
    if (slot === NONE) continue;
    const intid = LPI_INTID_BASE + i;
    if (!v.isLpiSlot(slot)) {
      problems.push(`LPI ${intid} is mapped to slot ${slot}, not an LPI slot`);
      continue;
    }
    const k = slot - v.lpiBase;
    if (mappedBy[k] !== NONE) problems.push(`LPIs ${mappedBy[k]} and ${intid} are both mapped to slot ${slot}`);
    mappedBy[k] = intid;
    if (v.intid[slot] !== intid) problems.push(`LPI ${intid} is mapped to slot ${slot}, which holds INTID ${v.intid[slot]}`);
    if (v.lpiLive[k] === 0) problems.push(`LPI ${intid} is mapped to slot ${slot}, which is not live`);
  }
  for (let k = 0; k < v.nrLpis; k++) {
    const s = v.lpiBase + k;
    const live = v.lpiLive[k] !== 0;
    const refs = v.lpiRefs[k]!;
    if (live !== refs > 0) problems.push(`LPI slot ${s} is ${live ? 'live' : 'unmapped'} with ${refs} references`);
    if (live && mappedBy[k] === NONE) problems.push(`LPI ${v.intid[s]} (slot ${s}) is live but its INTID maps elsewhere`);
    if (v.config[s] !== CONFIG_EDGE || v.group[s] !== 1 || v.lineLevel[s] !== 0 || v.hw[s] !== 0) {
      problems.push(`LPI ${v.intid[s]} (slot ${s}) is not edge-triggered group 1 without line level or hardware mapping`);
    }
    if (!live && (v.pendingLatch[s] !== 0 || v.enabled[s] !== 0)) {
      problems.push(`LPI slot ${s} is unmapped but still ${v.pendingLatch[s] !== 0 ? 'pending' : 'enabled'}`);
    }
  }
}

/** Every lock word of the machine is free. */
export function noLockHeld(v: Vgic): boolean {
  for (let s = 0; s < v.lockWords.length; s++) if (v.lockWords[s] !== 0) return false;
  return true;
}
