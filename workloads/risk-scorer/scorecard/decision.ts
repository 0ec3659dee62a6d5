/**
 * Lending decision, pure: the champion's score against the policy cutoffs, then the hard rules
 * (fraud alerts in live mode, affordability). The most severe outcome wins: decline > refer > approve.
 *
 * Adverse-action reasons (decline or refer): the reasons of the hard rules that fired, in the fixed
 * order of POLICY_REASONS, then, only when the score itself fell below the approval cutoff, the
 * scorecard's ranked reasons; codes deduplicated, at most the model's `maxReasons`.
 */
import { debtToIncomeAfterLoan, type ScoringInput } from './characteristics.ts';
import type { Decision, FraudSeverity, Scorecard } from './schema.ts';
import type { Reason, ScoreResult } from './score.ts';

export interface FraudAlertFact {
  ruleId: string;
  severity: FraudSeverity;
  mode: 'live' | 'shadow';
}

export type PolicyRule = 'fraud_alert' | 'no_income' | 'debt_to_income' | 'loan_to_income';

/** Reason codes of the hard rules (texts follow the usual adverse-action wording). */
export const POLICY_REASONS: Readonly<Record<PolicyRule, { code: string; text: string }>> = {
  fraud_alert: { code: 'P01', text: 'Unable to verify the information in the application' },
  no_income: { code: 'P02', text: 'No verifiable income' },
  debt_to_income: { code: 'P03', text: 'Income insufficient for the amount of credit requested' },
  loan_to_income: { code: 'P04', text: 'Amount requested is too high relative to income' },
};

export interface DecisionResult {
  decision: Decision;
  /** Decision from the score cutoffs alone. */
  scoreDecision: Decision;
  /** Hard rules that fired, in POLICY_REASONS order. */
  rules: PolicyRule[];
  reasons: Reason[];
  /** Highest severity among the live alerts considered, if any. */
  fraudSeverity: FraudSeverity | null;
}

const SEVERITY_ORDER: readonly FraudSeverity[] = ['low', 'medium', 'high', 'critical'];
const DECISION_RANK: Readonly<Record<Decision, number>> = { approve: 0, refer: 1, decline: 2 };

function worse(a: Decision, b: Decision): Decision {
  return DECISION_RANK[b] > DECISION_RANK[a] ? b : a;
}

export function decide(
  model: Scorecard,
  input: ScoringInput,
  score: ScoreResult,
  alerts: readonly FraudAlertFact[],
): DecisionResult {
  const { policy } = model;
  const scoreDecision: Decision =
    score.score >= policy.approveMinScore
      ? 'approve'
      : score.score >= policy.referMinScore
        ? 'refer'
        : 'decline';
  let decision = scoreDecision;
  const rules: PolicyRule[] = [];
  const fire = (rule: PolicyRule, action: Decision) => {
    rules.push(rule);
    decision = worse(decision, action);
  };

  let fraudSeverity: FraudSeverity | null = null;
  let fraudAction: Decision | null = null;
  for (const a of alerts) {
    if (a.mode !== 'live') continue;
    if (fraudSeverity === null || SEVERITY_ORDER.indexOf(a.severity) > SEVERITY_ORDER.indexOf(fraudSeverity))
      fraudSeverity = a.severity;
    const action = policy.fraudAlertActions[a.severity];
    if (action !== undefined) fraudAction = fraudAction === null ? action : worse(fraudAction, action);
  }
  if (fraudAction !== null) fire('fraud_alert', fraudAction);

  if (input.annualIncome <= 0) fire('no_income', 'decline');
  else {
    const dti = debtToIncomeAfterLoan(input, policy.assumedAnnualRate);
    if (dti !== null && dti > policy.maxDebtToIncomeAfterLoan) fire('debt_to_income', 'decline');
    if (input.loanAmount / input.annualIncome > policy.maxLoanToIncome) fire('loan_to_income', 'decline');
  }

  const reasons: Reason[] = [];
  if (decision !== 'approve') {
    const seen = new Set<string>();
    const add = (r: Reason) => {
      if (reasons.length < model.maxReasons && !seen.has(r.code)) {
        seen.add(r.code);
        reasons.push(r);
      }
    };
    for (const rule of rules) add({ ...POLICY_REASONS[rule], source: rule, pointsLost: 0 });
    if (scoreDecision !== 'approve') for (const r of score.reasons) add(r);
  }
  return { decision, scoreDecision, rules, reasons, fraudSeverity };
}
