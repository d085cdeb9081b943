/**
 * How far apart two words are, for "did you mean …?": the Damerau–Levenshtein distance (optimal
 * string alignment: an insertion, a deletion, a substitution or a swap of two neighbours each
 * count one), and the nearest of a few candidates when it is close enough to be a typo.
 */

/** Edits (insert, delete, substitute, swap neighbours) that turn `a` into `b`. */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  // Three rows of the table: the one before the previous (for swaps), the previous, the current.
  let before = new Array<number>(b.length + 1).fill(0);
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, before[j - 2]! + 1);
      current.push(best);
    }
    before = previous;
    previous = current;
  }
  return previous[b.length]!;
}

/**
 * The most edits a word of `length` characters may be from a candidate and still read as a typo of
 * it: one for a short word (up to 5 characters), two for a longer one — so `prot` finds `port`,
 * `body_contain` finds `body_contains`, and `url` does not find `run`.
 */
export function typoBudget(length: number): number {
  return Math.min(2, Math.max(1, Math.floor(length / 3)));
}

/** A word as compared: case, `-` and spaces do not count (`Max-Heals` is `max_heals`). */
const fold = (word: string): string => word.toLowerCase().replace(/[-\s]/g, '_');

/**
 * The candidates nearest to `word` within its {@link typoBudget}, in the order given (several
 * when they tie); empty when none is close.
 */
export function nearest(word: string, candidates: readonly string[]): string[] {
  const folded = fold(word);
  const budget = typoBudget(folded.length);
  let best = budget + 1;
  let found: string[] = [];
  for (const candidate of candidates) {
    const target = fold(candidate);
    // The distance is at least the difference in length: skip what cannot be within the budget.
    if (Math.abs(target.length - folded.length) > budget) continue;
    const distance = editDistance(folded, target);
    if (distance > budget) continue;
    if (distance < best) {
      best = distance;
      found = [candidate];
    } else if (distance === best) {
      found.push(candidate);
    }
  }
  return found;
}
