/**
 * An issued credit decision as the platform communicates it: the message on the decisions topic
 * (`spec.topics.decisions`, keyed by applicationId) and the body of
 * `GET /v1/applications/{id}/decision` on the ingestion API. It is the decision record as first issued
 * (warehouse `decision_record` revision 1): later records that supersede it (a backfill, a new model)
 * never change what the applicant was told.
 *
 * No personal data: the outcome, the adverse-action reasons, the model that decided and when. Not the
 * score, the applicant's figures or the fraud rules that fired (P01 says "unable to verify").
 */
import { type Static, Type } from '@sinclair/typebox';
import { StringEnum } from '../lib/string-enum.ts';

export const DECISION_OUTCOMES = ['approve', 'refer', 'decline'] as const;
export const DECISION_SOURCES = ['stream', 'batch', 'backfill'] as const;

export const DecisionReason = Type.Object(
  {
    code: Type.String({ minLength: 1, maxLength: 20, description: 'Adverse-action reason code' }),
    text: Type.String({ description: 'The reason as the applicant is told it' }),
  },
  { additionalProperties: false },
);
export type DecisionReason = Static<typeof DecisionReason>;

export const IssuedDecision = Type.Object(
  {
    applicationId: Type.String({ format: 'uuid', description: 'The application decided' }),
    decision: StringEnum(DECISION_OUTCOMES, { description: 'The outcome communicated' }),
    reasons: Type.Array(DecisionReason, {
      maxItems: 4,
      description: 'Adverse-action reasons, most important first (none for an approval)',
    }),
    model: Type.Object(
      {
        key: Type.String({ description: 'The champion scorecard that decided (name@version)' }),
        checksum: Type.String({ description: 'SHA-256 of the model’s canonical JSON' }),
      },
      { additionalProperties: false },
    ),
    source: StringEnum(DECISION_SOURCES, {
      description: 'Who issued it: the decision service (stream) or a scoring run',
    }),
    issuedAt: Type.String({ format: 'date-time', description: 'When the decision was issued' }),
  },
  { additionalProperties: false, $id: 'credit.decision.v1', title: 'Issued credit decision' },
);
export type IssuedDecision = Static<typeof IssuedDecision>;

/** PostgreSQL NOTIFY channel the decision service signals issued decisions on (payload: ids, comma-separated). */
export const DECISION_ISSUED_CHANNEL = 'credit_decision_issued';
