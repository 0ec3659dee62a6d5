import { describe, expect, it } from 'vitest';
import type { ScoringInput } from '../../../workloads/risk-scorer/scorecard/characteristics.ts';
import { decide } from '../../../workloads/risk-scorer/scorecard/decision.ts';
import { loadModelFile, parseModel } from '../../../workloads/risk-scorer/scorecard/model.ts';
import type { Scorecard } from '../../../workloads/risk-scorer/scorecard/schema.ts';
import { probabilityOfDefault, scoreApplication } from '../../../workloads/risk-scorer/scorecard/score.ts';

const champion = loadModelFile('workloads/risk-scorer/models/retail-scorecard-1.0.0.yaml');

const goodApplicant: ScoringInput = {
  annualIncome: 60_000, // monthly 5000
  monthlyDebtPayments: 500, // DTI 0.10 → bin [0.1, 0.2): 45 of 55
  loanAmount: 15_000, // LTI 0.25 → bin [0.25, 0.5): 28 of 45
  termMonths: 36,
  bureauScore: 720, // [700, 760): 85 of 110
  delinquencies24m: 0, // 50 of 50
  creditHistoryMonths: 100, // [84, 180): 40 of 50
  monthsInJob: 30, // [24, 60): 25 of 35
  bankruptcies: 0, // 30 of 30
  employmentStatus: 'employed',
};

describe('champion scorecard against hand-computed cases', () => {
  it('adds the bin points to the base points: 450+85+45+50+28+30+40+25 = 753, grade B', () => {
    const r = scoreApplication(champion, goodApplicant);
    expect(r.totalPoints).toBe(753);
    expect(r.score).toBe(753);
    expect(r.grade).toBe('B');
    expect(r.modelKey).toBe('retail-scorecard@1.0.0');
    expect(r.characteristics.map((c) => [c.id, c.points, c.pointsLost])).toEqual([
      ['bureauScore', 85, 25],
      ['debtToIncome', 45, 10],
      ['delinquencies24m', 50, 0],
      ['loanToIncome', 28, 17],
      ['bankruptcies', 30, 0],
      ['creditHistoryMonths', 40, 10],
      ['monthsInJob', 25, 10],
    ]);
  });

  it('derives the PD from the odds scale: odds = 20·2^((753−600)/40) = 283.45, PD = 1/284.45', () => {
    const r = scoreApplication(champion, goodApplicant);
    expect(r.pd).toBeCloseTo(1 / 284.454, 5);
    // at the base score the odds are the base odds
    expect(probabilityOfDefault(600, champion.scaling)).toBeCloseTo(1 / 21, 12);
    // 40 points (pdo) double the odds
    expect(probabilityOfDefault(640, champion.scaling)).toBeCloseTo(1 / 41, 12);
  });

  it('ranks reasons by points lost; the three-way tie at 10 goes to model order (DTI, history, tenure), capped at 4', () => {
    const r = scoreApplication(champion, goodApplicant);
    expect(r.reasons.map((x) => [x.code, x.pointsLost])).toEqual([
      ['C01', 25],
      ['C05', 17],
      ['C03', 10],
      ['C07', 10],
    ]);
    expect(r.reasons[0]?.text).toBe('Credit bureau score is too low');
  });

  it('approves a score above the cutoff with affordable payments and gives no adverse-action reasons', () => {
    const d = decide(champion, goodApplicant, scoreApplication(champion, goodApplicant), []);
    expect(d).toMatchObject({ decision: 'approve', scoreDecision: 'approve', rules: [], reasons: [] });
  });

  const thinFile: ScoringInput = {
    annualIncome: 0, // DTI and LTI missing: -10 (lost 65), -15 (lost 60)
    monthlyDebtPayments: 100,
    loanAmount: 5_000,
    termMonths: 12,
    bureauScore: null, // missing bin: 20 (lost 90), own code C02
    delinquencies24m: 2, // 10 (lost 40)
    creditHistoryMonths: 5, // 0 (lost 50)
    monthsInJob: 0, // 0 (lost 35)
    bankruptcies: 1, // -20 (lost 50)
    employmentStatus: 'unemployed',
  };

  it('scores missing values in the missing bins and uses the bin-level reason code: 450+20−10+10−15−20 = 435, grade G', () => {
    const r = scoreApplication(champion, thinFile);
    expect(r.score).toBe(435);
    expect(r.grade).toBe('G');
    expect(r.characteristics.find((c) => c.id === 'bureauScore')?.value).toBeNull();
    // tie at 50 between bankruptcies (listed 5th) and history (listed 6th): bankruptcies first
    expect(r.reasons.map((x) => [x.code, x.pointsLost])).toEqual([
      ['C02', 90],
      ['C03', 65],
      ['C05', 60],
      ['C06', 50],
    ]);
    expect(r.reasons[0]?.text).toBe('No credit bureau record found');
  });

  it('declines without income: the policy reason leads, then the scorecard reasons, four at most', () => {
    const d = decide(champion, thinFile, scoreApplication(champion, thinFile), []);
    expect(d.decision).toBe('decline');
    expect(d.scoreDecision).toBe('decline');
    expect(d.rules).toEqual(['no_income']);
    expect(d.reasons.map((r) => r.code)).toEqual(['P02', 'C02', 'C03', 'C05']);
  });

  it('refers a high live fraud alert and declines a critical one; shadow alerts change nothing', () => {
    const s = scoreApplication(champion, goodApplicant);
    const high = decide(champion, goodApplicant, s, [{ ruleId: 'velocity', severity: 'high', mode: 'live' }]);
    expect(high).toMatchObject({ decision: 'refer', rules: ['fraud_alert'], fraudSeverity: 'high' });
    // the score itself approved, so only the policy reason is given
    expect(high.reasons.map((r) => r.code)).toEqual(['P01']);
    const critical = decide(champion, goodApplicant, s, [
      { ruleId: 'velocity', severity: 'high', mode: 'live' },
      { ruleId: 'geo', severity: 'critical', mode: 'live' },
    ]);
    expect(critical.decision).toBe('decline');
    expect(critical.fraudSeverity).toBe('critical');
    const shadow = decide(champion, goodApplicant, s, [
      { ruleId: 'new', severity: 'critical', mode: 'shadow' },
    ]);
    expect(shadow).toMatchObject({ decision: 'approve', rules: [], fraudSeverity: null });
    const medium = decide(champion, goodApplicant, s, [{ ruleId: 'x', severity: 'medium', mode: 'live' }]);
    expect(medium.decision).toBe('approve');
  });

  it('declines when the new instalment pushes debt-to-income over 0.5: (600 + 941.47) / 2000 = 0.77', () => {
    const input: ScoringInput = {
      ...goodApplicant,
      annualIncome: 24_000,
      monthlyDebtPayments: 600,
      loanAmount: 20_000,
      termMonths: 24,
    };
    const d = decide(champion, input, scoreApplication(champion, input), []);
    expect(d.decision).toBe('decline');
    expect(d.rules).toEqual(['debt_to_income']);
    expect(d.reasons[0]?.code).toBe('P03');
  });

  it('declines a loan above 5× income', () => {
    const input: ScoringInput = {
      ...goodApplicant,
      loanAmount: 400_000,
      termMonths: 480,
      monthlyDebtPayments: 0,
    };
    const d = decide(champion, input, scoreApplication(champion, input), []);
    expect(d.rules).toContain('loan_to_income');
    expect(d.decision).toBe('decline');
  });

  it('refers scores between the refer and approve cutoffs and explains them with scorecard reasons', () => {
    // bureau 600 → 35 (lost 75), DTI 0.35 → 20 (lost 35), delinquencies 1 → 25 (lost 25):
    // 450+35+20+25+28+30+40+25 = 653, between 600 and 660
    const input: ScoringInput = {
      ...goodApplicant,
      bureauScore: 600,
      monthlyDebtPayments: 1750,
      delinquencies24m: 1,
    };
    const s = scoreApplication(champion, input);
    expect(s.score).toBe(653);
    const d = decide(champion, input, s, []);
    expect(d.decision).toBe('refer');
    expect(d.reasons.map((r) => r.code)).toEqual(['C01', 'C03', 'C04', 'C05']);
  });
});

/** A two-characteristic model small enough to reason about ties and clamping. */
function tinyModel(order: Array<'bankruptcies' | 'delinquencies24m'>, basePoints = 500): Scorecard {
  const chars = {
    bankruptcies: {
      id: 'bankruptcies',
      label: 'Bankruptcies',
      reasonCode: 'BK',
      reasonText: 'Bankruptcy on record',
      bins: [
        { max: 1, points: 20 },
        { min: 1, points: 0 },
      ],
    },
    delinquencies24m: {
      id: 'delinquencies24m',
      label: 'Delinquencies',
      reasonCode: 'DQ',
      reasonText: 'Delinquencies',
      bins: [
        { max: 1, points: 30 },
        { min: 1, points: 10 },
      ],
    },
  };
  return parseModel({
    name: 'tiny',
    version: '1',
    scaling: { basePoints, baseScore: 600, baseOdds: 20, pdo: 40, minScore: 300, maxScore: 850 },
    characteristics: order.map((o) => chars[o]),
    grades: [
      { grade: 'A', minScore: 700 },
      { grade: 'G', minScore: 300 },
    ],
    policy: {
      approveMinScore: 650,
      referMinScore: 600,
      maxDebtToIncomeAfterLoan: 0.5,
      maxLoanToIncome: 5,
      assumedAnnualRate: 0,
      fraudAlertActions: {},
    },
    baseline: { edges: [300, 850], proportions: [1] },
  });
}

describe('reason ties and score bounds', () => {
  const input: ScoringInput = { ...goodApplicant, bankruptcies: 1, delinquencies24m: 3 };

  it('breaks an exact tie in points lost (20 and 20) by model order, so reordering the model swaps them', () => {
    expect(
      scoreApplication(tinyModel(['bankruptcies', 'delinquencies24m']), input).reasons.map((r) => r.code),
    ).toEqual(['BK', 'DQ']);
    expect(
      scoreApplication(tinyModel(['delinquencies24m', 'bankruptcies']), input).reasons.map((r) => r.code),
    ).toEqual(['DQ', 'BK']);
    expect(scoreApplication(tinyModel(['bankruptcies', 'delinquencies24m']), input).score).toBe(510);
  });

  it('gives no reasons when every characteristic is in its best bin', () => {
    const best = { ...goodApplicant, bankruptcies: 0, delinquencies24m: 0 };
    expect(scoreApplication(tinyModel(['bankruptcies', 'delinquencies24m']), best).reasons).toEqual([]);
  });

  it('clamps scores to 300–850', () => {
    expect(scoreApplication(tinyModel(['bankruptcies'], 2000), input).score).toBe(850);
    expect(scoreApplication(tinyModel(['bankruptcies'], -500), input).score).toBe(300);
    expect(scoreApplication(tinyModel(['bankruptcies'], -500), input).grade).toBe('G');
  });
});
