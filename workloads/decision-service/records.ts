/**
 * Where the decision service issues decisions: the warehouse's append-only `decision_record`
 * (migration 0005). A stream decision is revision 1 of its application, inserted only if the
 * application has none (`ON CONFLICT (application_id, revision) DO NOTHING`), so a replay, a second
 * replica or a batch run that came first never issues a second one; whatever stands is returned and is
 * what gets published. Issued ids are signalled on DECISION_ISSUED_CHANNEL (PostgreSQL NOTIFY) for
 * the API's waiting requests.
 */
import { DECISION_ISSUED_CHANNEL } from '../../api/decision.ts';
import type { Pool } from '../warehouse/db.ts';

import type { DecisionRecordInput } from '../warehouse/decision-records.ts';

export type { DecisionRecordInput } from '../warehouse/decision-records.ts';

/** A revision-1 record as it stands in the warehouse. */
export interface StandingRecord extends DecisionRecordInput {
  recordId: string;
}

interface Row {
  record_id: string;
  application_id: string;
  decision: DecisionRecordInput['decision'];
  score_decision: DecisionRecordInput['scoreDecision'];
  policy_rules: string[];
  reason_codes: string[];
  fraud_severity: string | null;
  approved_amount: string;
  model_key: string;
  model_checksum: string;
  source: DecisionRecordInput['source'];
  run_id: string | null;
  issued_at: Date;
}

const COLUMNS = `record_id, application_id, decision, score_decision, policy_rules, reason_codes, fraud_severity,
  approved_amount, model_key, model_checksum, source, run_id, issued_at`;

/** One round trip: insert what is new, and return every standing revision-1 record (new or earlier). */
const ISSUE_SQL = `
WITH x AS (
  SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(
    application_id uuid, decision text, score_decision text, policy_rules text[], reason_codes text[],
    fraud_severity text, approved_amount numeric, model_key text, model_checksum text, source text,
    run_id text, issued_at timestamptz)
), ins AS (
  INSERT INTO decision_record (application_id, decision, score_decision, policy_rules, reason_codes,
                               fraud_severity, approved_amount, model_key, model_checksum, source, run_id,
                               issued_at, revision)
  SELECT application_id, decision, score_decision, policy_rules, reason_codes, fraud_severity, approved_amount,
         model_key, model_checksum, source, run_id, issued_at, 1
  FROM x ORDER BY application_id
  ON CONFLICT (application_id, revision) DO NOTHING
  RETURNING ${COLUMNS}
)
SELECT ${COLUMNS}, true AS inserted FROM ins
UNION ALL
SELECT ${COLUMNS.split(',')
  .map((c) => `d.${c.trim()}`)
  .join(', ')}, false FROM decision_record d
WHERE d.revision = 1 AND d.application_id IN (SELECT application_id FROM x)`;

const STANDING_SQL = `SELECT ${COLUMNS} FROM decision_record WHERE revision = 1 AND application_id = ANY($1::uuid[])`;

function toStanding(r: Row): StandingRecord {
  return {
    recordId: String(r.record_id),
    applicationId: r.application_id,
    decision: r.decision,
    scoreDecision: r.score_decision,
    policyRules: r.policy_rules,
    reasonCodes: r.reason_codes,
    fraudSeverity: r.fraud_severity,
    approvedAmount: Number(r.approved_amount),
    modelKey: r.model_key,
    modelChecksum: r.model_checksum,
    source: r.source,
    runId: r.run_id,
    issuedAt: r.issued_at,
  };
}

/** Most ids in one NOTIFY payload (8000 bytes at most; an id is 36 characters and a comma). */
const IDS_PER_NOTIFY = 200;

export interface DecisionRecords {
  /** Issues first decisions where none exists; the standing record of every id (new ones: `issued`). */
  issue(
    records: readonly DecisionRecordInput[],
  ): Promise<{ standing: StandingRecord[]; issued: Set<string> }>;
  /** Standing revision-1 records of these applications (those that have one). */
  standing(applicationIds: readonly string[]): Promise<StandingRecord[]>;
}

export function decisionRecords(pool: Pool): DecisionRecords {
  return {
    async issue(records) {
      if (records.length === 0) return { standing: [], issued: new Set() };
      const rows = records.map((d) => ({
        application_id: d.applicationId,
        decision: d.decision,
        score_decision: d.scoreDecision,
        policy_rules: d.policyRules,
        reason_codes: d.reasonCodes,
        fraud_severity: d.fraudSeverity,
        approved_amount: d.approvedAmount,
        model_key: d.modelKey,
        model_checksum: d.modelChecksum,
        source: d.source,
        run_id: d.runId,
        issued_at: d.issuedAt.toISOString(),
      }));
      const r = await pool.query<Row & { inserted: boolean }>(ISSUE_SQL, [JSON.stringify(rows)]);
      const issued = new Set(r.rows.filter((x) => x.inserted).map((x) => x.application_id));
      const standing = r.rows.map(toStanding);
      await notifyIssued(
        pool,
        standing.map((s) => s.applicationId),
      );
      return { standing, issued };
    },
    async standing(applicationIds) {
      if (applicationIds.length === 0) return [];
      const r = await pool.query<Row>(STANDING_SQL, [applicationIds]);
      return r.rows.map(toStanding);
    },
  };
}

async function notifyIssued(pool: Pool, ids: readonly string[]): Promise<void> {
  for (let i = 0; i < ids.length; i += IDS_PER_NOTIFY) {
    await pool.query('SELECT pg_notify($1, $2)', [
      DECISION_ISSUED_CHANNEL,
      ids.slice(i, i + IDS_PER_NOTIFY).join(','),
    ]);
  }
}
