/**
 * Plausible loan outcomes for generated applications, pure and deterministic (same seed, same
 * outcomes, whatever order the applications come in), so the warehouse's validation views have data.
 *
 * - Default probability rises with the risk the scorecards see: the log-odds of default of the
 *   built-in champion and challenger (their PDs, averaged on the logit scale, so neither model is the
 *   "truth" the other is judged against), shifted by `riskShift` (the synthetic applicants default
 *   more often than the scorecards' calibration says: about 5.6% of legitimate loans instead of 2.4%),
 *   plus Gaussian noise (σ = `noise` on the logit scale) for everything a scorecard cannot see.
 *   With the defaults, legitimate loans give the scorecards a Gini of about 0.66.
 * - Fraud applications (any scenario but legitimate) mostly default: `fraudDefaultProbability`.
 * - Only a share of applications has an outcome (`share`, chosen by application id): the loans that
 *   have reached the horizon; the rest are the recent population the stability view compares with.
 * - Every application counts as booked (a through-the-door sample); a lender has outcomes only for
 *   the loans it made.
 */
import { type LoanOutcome, type LoanOutcomeRecord, OUTCOME_CSV_COLUMNS } from '../../api/loan-outcome.ts';
import type { ApplicationSubmission } from '../contract/application.ts';
import { BUILT_IN_CHALLENGER, BUILT_IN_CHAMPION, loadModelSet } from '../risk-scorer/models.ts';
import { scoringInputFromEvent } from '../risk-scorer/scorecard/characteristics.ts';
import type { Scorecard } from '../risk-scorer/scorecard/schema.ts';
import { scoreApplication } from '../risk-scorer/scorecard/score.ts';
import type { Scenario } from './generate.ts';
import { Random } from './random.ts';

export interface OutcomeOptions {
  seed: number;
  horizonMonths: number;
  /** Share of applications with an outcome (0..1). */
  share: number;
  /** The day every outcome is observed (YYYY-MM-DD): the demo compresses the horizon into one run. */
  observedDate: string;
  /** Standard deviation of the noise added to the log-odds of default. */
  noise: number;
  /** Added to the log-odds of default: how much riskier the population is than the scorecards' PDs say. */
  riskShift: number;
  fraudDefaultProbability: number;
}

export const DEFAULT_OUTCOME_OPTIONS: Omit<OutcomeOptions, 'seed' | 'observedDate'> = {
  horizonMonths: 12,
  share: 0.8,
  noise: 0.75,
  riskShift: 1,
  fraudDefaultProbability: 0.85,
};

let builtIn: readonly Scorecard[] | undefined;
/** The scorecards whose view of risk drives the outcomes (the built-in champion and challenger). */
export function outcomeScorecards(): readonly Scorecard[] {
  builtIn ??= loadModelSet(BUILT_IN_CHAMPION, BUILT_IN_CHALLENGER).all.map((m) => m.model);
  return builtIn;
}

/** FNV-1a of a string: a stable per-application seed. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

const logit = (p: number): number => Math.log(p / (1 - p));
const logistic = (x: number): number => 1 / (1 + Math.exp(-x));

/** Probability of default before noise: the scorecards' PDs averaged on the logit scale. */
export function scorecardDefaultLogit(
  submission: Pick<ApplicationSubmission, 'employment' | 'loan' | 'credit'>,
  scorecards: readonly Scorecard[] = outcomeScorecards(),
): number {
  const input = scoringInputFromEvent(submission);
  const logits = scorecards.map((m) => logit(scoreApplication(m, input).pd));
  return logits.reduce((s, x) => s + x, 0) / logits.length;
}

/** The outcome of one application, or null when it has not reached the horizon (not in the share). */
export function outcomeOf(
  submission: ApplicationSubmission,
  scenario: Scenario,
  options: OutcomeOptions,
  scorecards: readonly Scorecard[] = outcomeScorecards(),
): LoanOutcomeRecord | null {
  const rng = new Random((options.seed ^ fnv1a(submission.applicationId)) >>> 0);
  if (rng.next() >= options.share) return null;
  // Box–Muller: one standard normal draw.
  const z = Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
  const p =
    scenario === 'legitimate'
      ? logistic(scorecardDefaultLogit(submission, scorecards) + options.riskShift + options.noise * z)
      : options.fraudDefaultProbability;
  const outcome: LoanOutcome = rng.next() < p ? 'defaulted' : 'repaid';
  return {
    applicationId: submission.applicationId,
    outcome,
    horizonMonths: options.horizonMonths,
    // Never before the application (a run that crosses midnight UTC).
    observedDate: [
      options.observedDate,
      new Date(submission.submittedAt).toISOString().slice(0, 10),
    ].sort()[1] as string,
  };
}

export const OUTCOME_CSV_HEADER = `${OUTCOME_CSV_COLUMNS.join(',')}\n`;

/** One CSV line in OUTCOME_CSV_COLUMNS order (no field needs quoting). */
export function outcomeCsvLine(o: LoanOutcomeRecord): string {
  const values: Record<(typeof OUTCOME_CSV_COLUMNS)[number], string | number> = {
    application_id: o.applicationId,
    outcome: o.outcome,
    horizon_months: o.horizonMonths,
    observed_date: o.observedDate,
  };
  return `${OUTCOME_CSV_COLUMNS.map((c) => values[c]).join(',')}\n`;
}
