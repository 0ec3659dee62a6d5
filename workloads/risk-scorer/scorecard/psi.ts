/**
 * Population stability index of a score distribution against the model's baseline:
 * PSI = Σ (actualᵢ − expectedᵢ) · ln(actualᵢ / expectedᵢ) over the baseline's score buckets.
 * Empty buckets are floored at `epsilon` so the logarithm stays finite. Rule of thumb:
 * < 0.1 stable, 0.1–0.25 some shift, > 0.25 significant shift.
 */
import type { Baseline } from './schema.ts';

export const PSI_EPSILON = 1e-4;

/** Bucket index of a score: [edgesᵢ, edgesᵢ₊₁); the last bucket includes its top edge; outliers clamp. */
export function bucketOf(score: number, edges: readonly number[]): number {
  const buckets = edges.length - 1;
  for (let i = 0; i < buckets; i++) {
    if (score < (edges[i + 1] as number)) return i;
  }
  return buckets - 1;
}

export function histogram(scores: Iterable<number>, edges: readonly number[]): number[] {
  const counts = new Array<number>(edges.length - 1).fill(0);
  for (const s of scores) {
    const b = bucketOf(s, edges);
    counts[b] = (counts[b] as number) + 1;
  }
  return counts;
}

/** PSI of bucket counts against expected proportions; null when there is nothing to compare. */
export function psi(
  counts: readonly number[],
  expected: readonly number[],
  epsilon = PSI_EPSILON,
): number | null {
  if (counts.length !== expected.length) throw new Error('psi: counts and expected differ in length');
  const n = counts.reduce((s, c) => s + c, 0);
  if (n === 0) return null;
  let sum = 0;
  for (let i = 0; i < counts.length; i++) {
    const a = Math.max((counts[i] as number) / n, epsilon);
    const e = Math.max(expected[i] as number, epsilon);
    sum += (a - e) * Math.log(a / e);
  }
  return sum;
}

export function psiOfScores(scores: Iterable<number>, baseline: Baseline): number | null {
  return psi(histogram(scores, baseline.edges), baseline.proportions);
}
