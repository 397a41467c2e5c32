/** The candidate a misspelt name most likely meant, for the config's messages ("did you mean ...?"). */

/** Common misnamings that edit distance alone would not catch (keys are normalized). */
const ALIASES: Record<string, string> = { learningrate: 'lr', hiddenlayers: 'layers', hidden: 'layers' };

/** The candidate a typo most likely meant (case, '_' and '-' ignored), if one is near. */
export function closest(word: string, candidates: string[]): string | undefined {
  const norm = (s: string) => s.toLowerCase().replace(/[_\-\s]/g, '');
  const w = norm(word);
  const options: [string, string][] = candidates.map((c) => [norm(c), c]);
  for (const [alias, target] of Object.entries(ALIASES)) if (candidates.includes(target)) options.push([alias, target]);
  let best: string | undefined;
  let bestDistance = Math.max(1, Math.floor(w.length / 3)) + 1;
  for (const [n, c] of options) {
    const d = editDistance(w, n);
    if (d < bestDistance && d < Math.max(n.length, 2)) [best, bestDistance] = [c, d];
  }
  return best === word ? undefined : best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length];
}
