/** "Did you mean …?" for unknown keys and values: edit distance over upper-cased names. */

export function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = prev[j];
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + cost);
      diag = above;
    }
  }
  return prev[b.length];
}

/**
 * The closest candidate, case-insensitively, when it is close enough to be a plausible typo:
 * at most a third of the word's length (and at least 1) edits away; a case difference alone for
 * words of three letters or fewer.
 */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  const w = word.toUpperCase();
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = editDistance(w, c.toUpperCase());
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  // Three letters leave too little to go on ('gpu' is not a typo of 'cpu').
  const limit = w.length <= 3 ? 0 : Math.max(1, Math.floor(w.length / 3));
  return bestD <= limit ? best : undefined;
}
