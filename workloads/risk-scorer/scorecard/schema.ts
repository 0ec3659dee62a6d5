/**
 * The scorecard-model format, written once: TypeScript types, runtime validation and the JSON Schema
 * (embedded by the operator in the CRD for model references) all come from `Scorecard` below.
 *
 * A scorecard is a list of characteristics; each characteristic is cut into bins and every bin awards
 * points. The score is `basePoints + Σ points`, clamped to [minScore, maxScore]. The probability of
 * default follows from the score through the odds scaling (`baseOdds` good:bad at `baseScore`, odds
 * double every `pdo` points). Models are immutable once published: change the `version` to change them.
 */
import { type Static, Type } from '@sinclair/typebox';

/** The characteristics the scorer knows how to compute from an application (see characteristics.ts). */
export const CHARACTERISTIC_IDS = [
  'debtToIncome',
  'loanToIncome',
  'bureauScore',
  'delinquencies24m',
  'creditHistoryMonths',
  'monthsInJob',
  'bankruptcies',
] as const;
export type CharacteristicId = (typeof CHARACTERISTIC_IDS)[number];

export const DECISIONS = ['approve', 'refer', 'decline'] as const;
export type Decision = (typeof DECISIONS)[number];

export const GRADES = ['A', 'B', 'C', 'D', 'E', 'F', 'G'] as const;
export type Grade = (typeof GRADES)[number];

const ReasonCode = Type.String({
  pattern: '^[A-Z][A-Z0-9_]{1,15}$',
  description: 'Adverse-action reason code',
});
const ReasonText = Type.String({ minLength: 3, maxLength: 200, description: 'Human-readable reason' });

export const Bin = Type.Object(
  {
    /** Inclusive lower bound; omitted = -infinity. */
    min: Type.Optional(Type.Number({ description: 'Inclusive lower bound (omit for -infinity)' })),
    /** Exclusive upper bound; omitted = +infinity. */
    max: Type.Optional(Type.Number({ description: 'Exclusive upper bound (omit for +infinity)' })),
    /** This bin takes applications whose value is unknown (e.g. no bureau record). */
    missing: Type.Optional(Type.Boolean({ description: 'Bin for a missing value' })),
    points: Type.Integer({ minimum: -500, maximum: 500 }),
    /** Overrides the characteristic's reason when this bin loses points (e.g. "no credit file"). */
    reasonCode: Type.Optional(ReasonCode),
    reasonText: Type.Optional(ReasonText),
  },
  { additionalProperties: false },
);

export const Characteristic = Type.Object(
  {
    id: Type.Union(
      CHARACTERISTIC_IDS.map((c) => Type.Literal(c)),
      { description: 'Which application characteristic this binning applies to' },
    ),
    label: Type.String({ minLength: 1, maxLength: 100 }),
    reasonCode: ReasonCode,
    reasonText: ReasonText,
    bins: Type.Array(Bin, { minItems: 1, maxItems: 50 }),
  },
  { additionalProperties: false },
);

export const GradeBand = Type.Object(
  {
    grade: Type.Union(GRADES.map((g) => Type.Literal(g))),
    /** Lowest score (inclusive) of the grade. */
    minScore: Type.Integer({ minimum: 0, maximum: 1000 }),
  },
  { additionalProperties: false },
);

export const Policy = Type.Object(
  {
    /** Score at or above which the application is approved (absent hard rules). */
    approveMinScore: Type.Integer({ minimum: 300, maximum: 850 }),
    /** Score at or above which (and below approveMinScore) the application is referred to an underwriter. */
    referMinScore: Type.Integer({ minimum: 300, maximum: 850 }),
    /** Affordability: debt-to-income including the new loan's instalment must not exceed this. */
    maxDebtToIncomeAfterLoan: Type.Number({ exclusiveMinimum: 0, maximum: 10 }),
    /** Affordability: loan amount / annual income must not exceed this. */
    maxLoanToIncome: Type.Number({ exclusiveMinimum: 0, maximum: 100 }),
    /** Annual rate used to estimate the new loan's monthly instalment (annuity). */
    assumedAnnualRate: Type.Number({ minimum: 0, maximum: 1 }),
    /** What a live fraud alert of each severity does; severities not listed do nothing. */
    fraudAlertActions: Type.Object(
      {
        low: Type.Optional(Type.Union([Type.Literal('refer'), Type.Literal('decline')])),
        medium: Type.Optional(Type.Union([Type.Literal('refer'), Type.Literal('decline')])),
        high: Type.Optional(Type.Union([Type.Literal('refer'), Type.Literal('decline')])),
        critical: Type.Optional(Type.Union([Type.Literal('refer'), Type.Literal('decline')])),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

export const Baseline = Type.Object(
  {
    /** Score bucket edges, ascending: bucket i is [edges[i], edges[i+1]); the last bucket includes its top edge. */
    edges: Type.Array(Type.Number(), { minItems: 2, maxItems: 51 }),
    /** Expected share of applications per bucket in the development sample (sums to 1). */
    proportions: Type.Array(Type.Number({ minimum: 0, maximum: 1 }), { minItems: 1, maxItems: 50 }),
  },
  { additionalProperties: false },
);

export const Scorecard = Type.Object(
  {
    name: Type.String({ pattern: '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$', description: 'Model family name' }),
    version: Type.String({
      pattern: '^[0-9A-Za-z][0-9A-Za-z.+-]{0,31}$',
      description: 'Model version; a published version never changes',
    }),
    description: Type.Optional(Type.String({ maxLength: 500 })),
    scaling: Type.Object(
      {
        basePoints: Type.Number({ description: 'Points every application starts with' }),
        baseScore: Type.Number({ description: 'Score at which the good:bad odds equal baseOdds' }),
        baseOdds: Type.Number({ exclusiveMinimum: 0 }),
        pdo: Type.Number({ exclusiveMinimum: 0, description: 'Points to double the odds' }),
        minScore: Type.Integer({ minimum: 0, default: 300 }),
        maxScore: Type.Integer({ maximum: 1000, default: 850 }),
      },
      { additionalProperties: false },
    ),
    characteristics: Type.Array(Characteristic, { minItems: 1, maxItems: 20 }),
    /** Grade bands, any order; a score gets the grade with the highest minScore not above it. */
    grades: Type.Array(GradeBand, { minItems: 1, maxItems: 7 }),
    policy: Policy,
    /** At most this many adverse-action reasons are reported (Regulation B practice: four). */
    maxReasons: Type.Integer({ minimum: 1, maximum: 4, default: 4 }),
    baseline: Baseline,
  },
  { additionalProperties: false, $id: 'credit.scorecard.v1', title: 'Points-based scorecard model' },
);

export type Bin = Static<typeof Bin>;
export type Characteristic = Static<typeof Characteristic>;
export type GradeBand = Static<typeof GradeBand>;
export type Policy = Static<typeof Policy>;
export type Baseline = Static<typeof Baseline>;
export type Scorecard = Static<typeof Scorecard>;
export type FraudSeverity = keyof Policy['fraudAlertActions'];
