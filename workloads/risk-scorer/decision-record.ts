/**
 * A champion decision as the warehouse records it (decision_record): the one mapping of the
 * scorecard's decision onto a record, for the batch scorer and the stream's decision service.
 */
import type { DecisionRecordInput, DecisionSource } from '../warehouse/decision-records.ts';
import type { ActiveModel } from './models.ts';
import type { ScoringInput } from './scorecard/characteristics.ts';
import type { DecisionResult } from './scorecard/decision.ts';

export interface DecisionIssue {
  applicationId: string;
  source: DecisionSource;
  /** Batch / backfill: the scoring run; stream: the writer's identifier. */
  runId: string | null;
  issuedAt: Date;
}

export function decisionRecordInput(
  d: DecisionResult,
  input: ScoringInput,
  model: Pick<ActiveModel, 'key' | 'checksum'>,
  issue: DecisionIssue,
): DecisionRecordInput {
  return {
    applicationId: issue.applicationId,
    decision: d.decision,
    scoreDecision: d.scoreDecision,
    policyRules: d.rules,
    reasonCodes: d.reasons.map((r) => r.code),
    fraudSeverity: d.fraudSeverity,
    approvedAmount: d.decision === 'approve' ? input.loanAmount : 0,
    modelKey: model.key,
    modelChecksum: model.checksum,
    source: issue.source,
    runId: issue.runId,
    issuedAt: issue.issuedAt,
  };
}
