/**
 * One application's decision in the stream, pure: the champion scorecard and the hard rules of the
 * batch scorer (risk-scorer/scorecard: `scoringInputFromEvent`, `scoreApplication`, `decide`), fed
 * with the application and the alerts of its verdict. The same function of the same inputs as the
 * batch scorer's, so a stream decision and a batch decision of one application agree when they saw the
 * same alerts.
 */
import type { IssuedDecision } from '../../api/decision.ts';
import type { VerdictAlert } from '../../api/verdict.ts';
import type { ApplicationEvent } from '../contract/application.ts';
import { decisionRecordInput } from '../risk-scorer/decision-record.ts';
import type { ActiveModel } from '../risk-scorer/models.ts';
import { scoringInputFromEvent } from '../risk-scorer/scorecard/characteristics.ts';
import { decide, type FraudAlertFact } from '../risk-scorer/scorecard/decision.ts';
import { scoreApplication } from '../risk-scorer/scorecard/score.ts';
import type { DecisionRecordInput } from './records.ts';

export interface StreamDecision {
  /** What the warehouse records (decision_record, revision 1, source stream). */
  record: DecisionRecordInput;
  /** Reason texts by code, for the message. */
  reasonTexts: Map<string, string>;
}

export function decideApplication(
  champion: ActiveModel,
  event: ApplicationEvent,
  alerts: readonly VerdictAlert[],
  issuedAt: Date,
  writerId: string,
): StreamDecision {
  const input = scoringInputFromEvent(event);
  const score = scoreApplication(champion.model, input);
  const facts: FraudAlertFact[] = alerts.map((a) => ({
    ruleId: a.ruleId,
    severity: a.severity,
    mode: a.mode,
  }));
  const d = decide(champion.model, input, score, facts);
  return {
    record: decisionRecordInput(d, input, champion, {
      applicationId: event.applicationId.toLowerCase(),
      source: 'stream',
      runId: writerId,
      issuedAt,
    }),
    reasonTexts: new Map(d.reasons.map((r) => [r.code, r.text])),
  };
}

/** The message (and API body) of a standing record; reason texts from the catalogue of the models. */
export function issuedDecisionMessage(
  record: Pick<
    DecisionRecordInput,
    'applicationId' | 'decision' | 'reasonCodes' | 'modelKey' | 'modelChecksum' | 'source' | 'issuedAt'
  >,
  texts: ReadonlyMap<string, string>,
): IssuedDecision {
  return {
    applicationId: record.applicationId,
    decision: record.decision,
    reasons: record.reasonCodes.map((code) => ({ code, text: texts.get(code) ?? code })),
    model: { key: record.modelKey, checksum: record.modelChecksum },
    source: record.source,
    issuedAt: record.issuedAt.toISOString(),
  };
}
