/**
 * What the scorecard reads from an application. The scorer scores rows from the warehouse, so the
 * input is the flat `ScoringInput`, not the Kafka event; `scoringInputFromEvent` maps an event to it.
 */
import type { ApplicationEvent, EmploymentStatus } from '../../contract/application.ts';
import type { CharacteristicId } from './schema.ts';

export interface ScoringInput {
  annualIncome: number;
  monthlyDebtPayments: number;
  loanAmount: number;
  termMonths: number;
  /** Null when the applicant has no bureau record. */
  bureauScore: number | null;
  delinquencies24m: number;
  creditHistoryMonths: number;
  monthsInJob: number;
  bankruptcies: number;
  employmentStatus: EmploymentStatus;
}

/** Characteristics whose value can be unknown; their binning must have a missing-value bin. */
export const CAN_BE_MISSING: ReadonlySet<CharacteristicId> = new Set<CharacteristicId>([
  'bureauScore',
  'debtToIncome',
  'loanToIncome',
]);

/** The scoring input of an event, or of a submission (the fields the scorecard reads are the same). */
export function scoringInputFromEvent(
  event: Pick<ApplicationEvent, 'employment' | 'loan' | 'credit'>,
): ScoringInput {
  return {
    annualIncome: event.employment.annualIncome,
    monthlyDebtPayments: event.credit.monthlyDebtPayments,
    loanAmount: event.loan.amount,
    termMonths: event.loan.termMonths,
    bureauScore: event.credit.bureauScore ?? null,
    delinquencies24m: event.credit.delinquencies24m,
    creditHistoryMonths: event.credit.creditHistoryMonths,
    monthsInJob: event.employment.monthsInJob,
    bankruptcies: event.credit.bankruptcies,
    employmentStatus: event.employment.status,
  };
}

/**
 * The value of one characteristic, or null when unknown. Ratios to income are unknown when the
 * income is zero (the affordability rules, not the scorecard, deal with applicants without income).
 */
export function characteristicValue(id: CharacteristicId, input: ScoringInput): number | null {
  const monthlyIncome = input.annualIncome / 12;
  switch (id) {
    case 'debtToIncome':
      return monthlyIncome > 0 ? input.monthlyDebtPayments / monthlyIncome : null;
    case 'loanToIncome':
      return input.annualIncome > 0 ? input.loanAmount / input.annualIncome : null;
    case 'bureauScore':
      return input.bureauScore;
    case 'delinquencies24m':
      return input.delinquencies24m;
    case 'creditHistoryMonths':
      return input.creditHistoryMonths;
    case 'monthsInJob':
      return input.monthsInJob;
    case 'bankruptcies':
      return input.bankruptcies;
  }
}

/** Monthly instalment of an annuity loan (straight division when the rate is zero). */
export function monthlyInstalment(amount: number, termMonths: number, annualRate: number): number {
  const r = annualRate / 12;
  if (r === 0) return amount / termMonths;
  return (amount * r) / (1 - (1 + r) ** -termMonths);
}

/** Debt-to-income after the new loan: (existing debt + new instalment) / monthly income; null without income. */
export function debtToIncomeAfterLoan(input: ScoringInput, annualRate: number): number | null {
  const monthlyIncome = input.annualIncome / 12;
  if (monthlyIncome <= 0) return null;
  return (
    (input.monthlyDebtPayments + monthlyInstalment(input.loanAmount, input.termMonths, annualRate)) /
    monthlyIncome
  );
}
