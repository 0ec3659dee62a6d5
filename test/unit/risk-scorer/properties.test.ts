import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { partitionOf } from '../../../workloads/risk-scorer/partition.ts';
import type { ScoringInput } from '../../../workloads/risk-scorer/scorecard/characteristics.ts';
import { decide } from '../../../workloads/risk-scorer/scorecard/decision.ts';
import { loadModelFile } from '../../../workloads/risk-scorer/scorecard/model.ts';
import { scoreApplication } from '../../../workloads/risk-scorer/scorecard/score.ts';

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
const alerts = fc.array(
  fc.record({
    ruleId: fc.constantFrom('a', 'b'),
    severity: fc.constantFrom('low', 'medium', 'high', 'critical'),
    mode: fc.constantFrom('live', 'shadow'),
  }),
  { maxLength: 3 },
);

describe('scorecard properties (any application)', () => {
  it('scores within 300–850 with a PD in (0, 1), and at most four ranked, distinct reasons', () => {
    fc.assert(
      fc.property(input, fc.constantFrom(...models), (i, m) => {
        const s = scoreApplication(m, i);
        expect(s.score).toBeGreaterThanOrEqual(300);
        expect(s.score).toBeLessThanOrEqual(850);
        expect(s.pd).toBeGreaterThan(0);
        expect(s.pd).toBeLessThan(1);
        expect(s.reasons.length).toBeLessThanOrEqual(4);
        expect(new Set(s.reasons.map((r) => r.code)).size).toBe(s.reasons.length);
        for (let k = 1; k < s.reasons.length; k++)
          expect((s.reasons[k - 1]?.pointsLost ?? 0) >= (s.reasons[k]?.pointsLost ?? 0)).toBe(true);
        for (const r of s.reasons) expect(r.pointsLost).toBeGreaterThan(0);
      }),
      { numRuns: 500 },
    );
  });

  it('never approves with a live critical alert or without income, and explains every non-approval', () => {
    fc.assert(
      fc.property(input, alerts, (i, a) => {
        const m = models[0] as (typeof models)[number];
        const d = decide(m, i, scoreApplication(m, i), a);
        if (a.some((x) => x.mode === 'live' && x.severity === 'critical')) expect(d.decision).toBe('decline');
        if (i.annualIncome <= 0) expect(d.decision).toBe('decline');
        if (d.decision === 'approve') expect(d.reasons).toEqual([]);
        else expect(d.reasons.length).toBeGreaterThan(0);
        expect(d.reasons.length).toBeLessThanOrEqual(4);
      }),
      { numRuns: 500 },
    );
  });

  it('puts every partition hash in exactly one of n partitions', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.integer({ min: 1, max: 64 }), (h, n) => {
        const owners = Array.from({ length: n }, (_, i) => i).filter((i) => partitionOf(h, n) === i);
        expect(owners).toHaveLength(1);
      }),
    );
  });
});
