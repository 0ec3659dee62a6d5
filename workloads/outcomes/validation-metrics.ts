/**
 * Outcome-based validation maths in TypeScript, pure: the reference the warehouse's views
 * (migration 0006) are checked against, computed a different way on purpose.
 *
 * - AUC by the Mann–Whitney rank sum: rank all scores ascending (ties get their average rank);
 *   AUC = (R_good − n_good(n_good + 1)/2) / (n_good · n_bad), the probability that a repaid loan
 *   scored higher than a defaulted one, ties counting ½. Gini = 2·AUC − 1.
 * - KS: walk the scores ascending; after each distinct score, |share of bads so far − share of goods
 *   so far|; the largest, and the score where it is first reached.
 * - Characteristic PSI: bin counts of the reference and the recent sample, through the scorer's own
 *   `psi` (shares floored at 1e-4).
 */
import { psi } from '../risk-scorer/scorecard/psi.ts';

export interface ScoredOutcome {
  score: number;
  defaulted: boolean;
}

export interface Discrimination {
  applications: number;
  defaults: number;
  /** Null when the sample has only defaults or only repaid loans. */
  auc: number | null;
  gini: number | null;
  ks: number | null;
  ksScore: number | null;
}

export function discrimination(sample: readonly ScoredOutcome[]): Discrimination {
  const n = sample.length;
  const bads = sample.filter((s) => s.defaulted).length;
  const goods = n - bads;
  if (bads === 0 || goods === 0)
    return { applications: n, defaults: bads, auc: null, gini: null, ks: null, ksScore: null };
  const sorted = [...sample].sort((a, b) => a.score - b.score);
  let goodRankSum = 0;
  let ks = -1;
  let ksScore = Number.NaN;
  let badsSoFar = 0;
  let goodsSoFar = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j < n && sorted[j]?.score === sorted[i]?.score) j++;
    // Positions i..j-1 (ranks i+1..j) share a score: each gets the average rank.
    const averageRank = (i + 1 + j) / 2;
    for (let k = i; k < j; k++) {
      if (sorted[k]?.defaulted) badsSoFar++;
      else {
        goodsSoFar++;
        goodRankSum += averageRank;
      }
    }
    const gap = Math.abs(badsSoFar / bads - goodsSoFar / goods);
    if (gap > ks + 1e-12) {
      ks = gap;
      ksScore = sorted[i]?.score as number;
    }
    i = j;
  }
  const auc = (goodRankSum - (goods * (goods + 1)) / 2) / (goods * bads);
  return { applications: n, defaults: bads, auc, gini: 2 * auc - 1, ks, ksScore };
}

/** PSI of one characteristic: bin → count in each sample; bins missing from a sample count 0. */
export function characteristicPsi(
  reference: ReadonlyMap<number, number>,
  recent: ReadonlyMap<number, number>,
): number | null {
  const bins = [...new Set([...reference.keys(), ...recent.keys()])].sort((a, b) => a - b);
  const referenceTotal = bins.reduce((s, b) => s + (reference.get(b) ?? 0), 0);
  if (referenceTotal === 0) return null;
  const expected = bins.map((b) => (reference.get(b) ?? 0) / referenceTotal);
  return psi(
    bins.map((b) => recent.get(b) ?? 0),
    expected,
  );
}
