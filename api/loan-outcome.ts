/**
 * Loan performance outcomes: the CSV a lender exports (and the generator writes for the demo), the
 * loader reads (`credit-platform load-outcomes`), and the warehouse keeps in `fact_loan_outcome`.
 *
 *   application_id,outcome,horizon_months,observed_date
 *   3f2a…-…,defaulted,12,2026-11-30
 *
 * - `outcome`: `defaulted` (a default event, e.g. 90+ days past due or charged off, within
 *   `horizon_months` of the application) or `repaid` (no default within the horizon: repaid or
 *   still performing when the horizon ended).
 * - `observed_date`: the day (YYYY-MM-DD) the outcome was established.
 * - One outcome per application and horizon: (application_id, horizon_months) is the natural key.
 */

/** The CSV header, in the order the generator writes it (the loader accepts any order). */
export const OUTCOME_CSV_COLUMNS = ['application_id', 'outcome', 'horizon_months', 'observed_date'] as const;
export type OutcomeCsvColumn = (typeof OUTCOME_CSV_COLUMNS)[number];

export const LOAN_OUTCOMES = ['defaulted', 'repaid'] as const;
export type LoanOutcome = (typeof LOAN_OUTCOMES)[number];

/** Horizons the warehouse accepts, in months (the table's CHECK says the same). */
export const OUTCOME_HORIZON_MONTHS = { min: 1, max: 120 } as const;

/** One loan outcome as the loader writes it. */
export interface LoanOutcomeRecord {
  applicationId: string;
  outcome: LoanOutcome;
  horizonMonths: number;
  /** YYYY-MM-DD */
  observedDate: string;
}
