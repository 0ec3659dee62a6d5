import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  characteristicPsi,
  discrimination,
  type ScoredOutcome,
} from '../../../workloads/outcomes/validation-metrics.ts';

const sample = (pairs: Array<[number, 'D' | 'R']>): ScoredOutcome[] =>
  pairs.map(([score, o]) => ({ score, defaulted: o === 'D' }));

/** By definition: every (repaid, defaulted) pair; every cutoff. O(n²), for checking only. */
function bruteForce(s: readonly ScoredOutcome[]): { auc: number; ks: number } {
  const goods = s.filter((x) => !x.defaulted);
  const bads = s.filter((x) => x.defaulted);
  let wins = 0;
  for (const g of goods) for (const b of bads) wins += g.score > b.score ? 1 : g.score === b.score ? 0.5 : 0;
  let ks = 0;
  for (const cut of new Set(s.map((x) => x.score))) {
    const fb = bads.filter((x) => x.score <= cut).length / bads.length;
    const fg = goods.filter((x) => x.score <= cut).length / goods.length;
    ks = Math.max(ks, Math.abs(fb - fg));
  }
  return { auc: wins / (goods.length * bads.length), ks };
}

describe('discrimination (reference maths)', () => {
  it('matches the hand-computed example (the same one the SQL views are tested on)', () => {
    // Champion: bads 520, 560, 600, 720; repaid 600, 650, 700, 760.
    // AUC = (2.5 + 3 + 3 + 4) / 16 = 0.78125; KS 0.5 first reached at 560.
    const d = discrimination(
      sample([
        [520, 'D'],
        [560, 'D'],
        [600, 'R'],
        [600, 'D'],
        [650, 'R'],
        [700, 'R'],
        [720, 'D'],
        [760, 'R'],
      ]),
    );
    expect(d).toEqual({ applications: 8, defaults: 4, auc: 0.78125, gini: 0.5625, ks: 0.5, ksScore: 560 });
  });

  it('is perfect when every repaid loan outscores every default, and undefined with one class', () => {
    expect(
      discrimination(
        sample([
          [500, 'D'],
          [540, 'D'],
          [640, 'R'],
          [780, 'R'],
        ]),
      ),
    ).toMatchObject({
      auc: 1,
      gini: 1,
      ks: 1,
      ksScore: 540,
    });
    expect(discrimination(sample([[500, 'D']]))).toMatchObject({
      applications: 1,
      defaults: 1,
      auc: null,
      ks: null,
    });
  });

  it('agrees with the definition on any sample', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ score: fc.integer({ min: 300, max: 320 }), defaulted: fc.boolean() }), {
          minLength: 2,
          maxLength: 60,
        }),
        (s) => {
          const d = discrimination(s);
          if (d.auc === null) return s.every((x) => x.defaulted) || s.every((x) => !x.defaulted);
          const ref = bruteForce(s);
          expect(d.auc).toBeCloseTo(ref.auc, 12);
          expect(d.ks).toBeCloseTo(ref.ks, 12);
          return true;
        },
      ),
    );
  });
});

describe('characteristic PSI', () => {
  it('is 0 for the same shares and Σ (recent − ref)·ln(recent/ref) otherwise', () => {
    const ref = new Map([
      [0, 2],
      [1, 2],
      [2, 4],
    ]);
    expect(
      characteristicPsi(
        ref,
        new Map([
          [0, 1],
          [1, 1],
          [2, 2],
        ]),
      ),
    ).toBeCloseTo(0, 12);
    // Shares 0.25/0.25/0.5 → 0.5/0.25/0.25: 0.25·ln 2 + 0.25·ln 2.
    expect(
      characteristicPsi(
        ref,
        new Map([
          [0, 2],
          [1, 1],
          [2, 1],
        ]),
      ),
    ).toBeCloseTo(0.5 * Math.LN2, 12);
    expect(characteristicPsi(new Map(), new Map([[0, 1]]))).toBeNull();
  });
});
