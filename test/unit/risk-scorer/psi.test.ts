import { describe, expect, it } from 'vitest';
import { bucketOf, histogram, psi, psiOfScores } from '../../../workloads/risk-scorer/scorecard/psi.ts';

describe('population stability index', () => {
  it('is zero when the distribution matches the baseline', () => {
    expect(psi([50, 50], [0.5, 0.5])).toBe(0);
  });

  it('matches the hand computation 0.3·ln(1.6) + 0.3·ln(2.5) = 0.415888 for an 80/20 split', () => {
    expect(psi([80, 20], [0.5, 0.5])).toBeCloseTo(0.415888, 6);
  });

  it('floors an empty bucket at 1e-4: 0.5·ln 2 + 0.4999·ln 5000 = 4.604319', () => {
    expect(psi([100, 0], [0.5, 0.5])).toBeCloseTo(4.604319, 5);
  });

  it('is null without scores', () => {
    expect(psi([0, 0], [0.5, 0.5])).toBeNull();
  });

  it('buckets scores [edgeᵢ, edgeᵢ₊₁) with the top edge in the last bucket', () => {
    const edges = [300, 500, 700, 850];
    expect([300, 499, 500, 699, 700, 850].map((s) => bucketOf(s, edges))).toEqual([0, 0, 1, 1, 2, 2]);
    expect(histogram([300, 499, 500, 850, 850], edges)).toEqual([2, 1, 2]);
    expect(psiOfScores([310, 510, 710], { edges, proportions: [1 / 3, 1 / 3, 1 / 3] })).toBeCloseTo(0, 12);
  });
});
