import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { pointsJson, scoreRowLine } from '../../../workloads/risk-scorer/score-rows.ts';
import type { ScoringInput } from '../../../workloads/risk-scorer/scorecard/characteristics.ts';
import { loadModelFile, modelKey } from '../../../workloads/risk-scorer/scorecard/model.ts';
import {
  type CharacteristicScore,
  scoreApplication,
} from '../../../workloads/risk-scorer/scorecard/score.ts';
import { copyLine, json } from '../../../workloads/warehouse/copy.ts';

const models = [
  loadModelFile('workloads/risk-scorer/models/retail-scorecard-1.0.0.yaml'),
  loadModelFile('workloads/risk-scorer/models/retail-scorecard-2.0.0.yaml'),
];

const input: fc.Arbitrary<ScoringInput> = fc.record({
  annualIncome: fc.oneof(fc.constant(0), fc.double({ min: 1, max: 1e7, noNaN: true })),
  monthlyDebtPayments: fc.double({ min: 0, max: 1e5, noNaN: true }),
  loanAmount: fc.double({ min: 1, max: 1e6, noNaN: true }),
  termMonths: fc.integer({ min: 1, max: 480 }),
  bureauScore: fc.option(fc.integer({ min: 300, max: 850 }), { nil: null }),
  delinquencies24m: fc.integer({ min: 0, max: 50 }),
  creditHistoryMonths: fc.integer({ min: 0, max: 600 }),
  monthsInJob: fc.integer({ min: 0, max: 600 }),
  bankruptcies: fc.integer({ min: 0, max: 5 }),
  employmentStatus: fc.constantFrom('employed', 'self_employed', 'unemployed', 'retired', 'student'),
});

/** The points column as the scorer built it before: an object per characteristic, stringified. */
function pointsObject(characteristics: readonly CharacteristicScore[]): Record<string, unknown> {
  const points: Record<string, unknown> = {};
  for (const c of characteristics)
    points[c.id] = { value: c.value, bin: c.bin, points: c.points, pointsLost: c.pointsLost };
  return points;
}

describe('score rows as COPY text', () => {
  it('a score row line is copyLine of its values, for any application, model and run', () => {
    fc.assert(
      fc.property(
        input,
        fc.uuid(),
        fc.constantFrom(0, 1),
        fc.constantFrom('champion', 'challenger'),
        fc.string(),
        fc.date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }),
        (i, applicationId, which, role, runId, scoredAt) => {
          const model = models[which] as (typeof models)[number];
          const s = scoreApplication(model, i);
          const line = scoreRowLine({ modelKey: modelKey(model), role, runId, scoredAt })(applicationId, s);
          expect(line).toBe(
            copyLine([
              applicationId,
              modelKey(model),
              role,
              s.score,
              s.pd,
              s.grade,
              s.totalPoints,
              json(pointsObject(s.characteristics)),
              s.reasons.map((r) => r.code),
              runId,
              scoredAt.toISOString(),
            ]),
          );
        },
      ),
      { numRuns: 500 },
    );
  });

  it('the points JSON is what JSON.stringify writes, unknown and non-finite values as null', () => {
    const characteristics: CharacteristicScore[] = [
      { id: 'bureauScore', value: null, bin: 0, points: -12.5, maxPoints: 40, pointsLost: 52.5 },
      { id: 'debtToIncome', value: 0.35714285714285715, bin: 3, points: 0, maxPoints: 0, pointsLost: -0 },
      { id: 'loanToIncome', value: Number.NaN, bin: 1, points: 1e21, maxPoints: 1e21, pointsLost: 1e-7 },
    ];
    expect(pointsJson(characteristics)).toBe(JSON.stringify(pointsObject(characteristics)));
    expect(pointsJson([])).toBe('{}');
  });
});
