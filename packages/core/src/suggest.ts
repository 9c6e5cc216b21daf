/**
 * "Did you mean": the distance between two names, and the known name
 * closest to a misspelt one. The machine suggests register names with it and
 * the scenario loader keys and actions, so a typo gets the same answer
 * wherever it is made.
 */

/**
 * Edit distance, case-blind, counting a swap of two neighbours as one edit
 * (optimal string alignment): `GICD_ISENABLE1` is 1 from `GICD_ISENABLER1`,
 * `wirte` 1 from `write`. With `max`, stops as soon as the distance is known
 * to exceed it and returns `max + 1`, so a megabyte-long name costs no more
 * than a short one.
 */
export function editDistance(a: string, b: string, max: number = Infinity): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  const n = y.length;
  // Three rows of the dynamic-programming table: two back (for the swap), one back, this one.
  let back2 = new Array<number>(n + 1).fill(0);
  let back1 = Array.from({ length: n + 1 }, (_, j) => j);
  let row = new Array<number>(n + 1).fill(0);
  for (let i = 1; i <= x.length; i++) {
    row[0] = i;
    let best = i;
    for (let j = 1; j <= n; j++) {
      const cost = x[i - 1] === y[j - 1] ? 0 : 1;
      let d = Math.min(back1[j]! + 1, row[j - 1]! + 1, back1[j - 1]! + cost);
      if (i > 1 && j > 1 && x[i - 1] === y[j - 2] && x[i - 2] === y[j - 1]) d = Math.min(d, back2[j - 2]! + 1);
      row[j] = d;
      if (d < best) best = d;
    }
    if (best > max) return max + 1;
    [back2, back1, row] = [back1, row, back2];
  }
  return Math.min(back1[n]!, max + 1);
}

/**
 * The candidate closest to `word`, if it is within `maxDistance` edits
 * (default: 2, or a third of the word's length for long words); ties go to
 * the first candidate.
 */
export function closestName(word: string, candidates: Iterable<string>, maxDistance: number = Math.max(2, Math.floor(word.length / 3))): string | undefined {
  let best: string | undefined;
  let bestD = maxDistance + 1;
  for (const c of candidates) {
    const d = editDistance(word, c, bestD - 1);
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return best;
}
