/**
 * Issued credit decisions as records (migration 0005, table `decision_record`): the one place that
 * writes them. A record is never updated or deleted (the database refuses it); a first decision is
 * revision 1 of its application, issued at most once whoever writes first (the decision service, the
 * batch scorer); a later view of the same application (a backfill, a new model version) is a new
 * record with revision + 1 that names the record it supersedes and why.
 *
 * Writers stage rows (COPY into `stage_decision_record`, columns DECISION_RECORD_COLUMNS) and call
 * `issueStaged` (first decisions: ON CONFLICT (application_id, revision) DO NOTHING) or
 * `supersedeStaged` (records that differ from the application's current one). The stream's decisions
 * go through `issueDecisions` (one round trip per batch), which answers with the records that stand,
 * new or existing. One row mapping (`toRecord`) for every read.
 */
import type pg from 'pg';
import { copyField } from './copy.ts';

export type DecisionOutcome = 'approve' | 'refer' | 'decline';
export type DecisionSource = 'stream' | 'batch' | 'backfill';

/** What a writer supplies for one record (revision, supersedes and timestamps of the row follow). */
export interface DecisionRecordInput {
  applicationId: string;
  decision: DecisionOutcome;
  scoreDecision: DecisionOutcome;
  /** Hard rules that fired. */
  policyRules: readonly string[];
  /** Adverse-action reason codes, ranked, at most four. */
  reasonCodes: readonly string[];
  fraudSeverity: string | null;
  /** The loan amount when approved, else 0. */
  approvedAmount: number;
  /** The deciding model's name@version and its checksum (a registered dim_model pair). */
  modelKey: string;
  modelChecksum: string;
  source: DecisionSource;
  /** Batch / backfill: the scoring run; stream: the writer's identifier. */
  runId: string | null;
  issuedAt: Date;
}

/** A stored record, as `issueDecision` answers it. */
export interface DecisionRecord extends DecisionRecordInput {
  recordId: string;
  revision: number;
  supersedes: string | null;
  supersedeReason: string | null;
}

/** Columns of the staging table (COPY order). */
export const DECISION_RECORD_COLUMNS = [
  'application_id',
  'decision',
  'score_decision',
  'policy_rules',
  'reason_codes',
  'fraud_severity',
  'approved_amount',
  'model_key',
  'model_checksum',
  'source',
  'run_id',
  'issued_at',
] as const;

/** The columns that make two records the same decision (a backfill supersedes only when one differs). */
const DECISION_CONTENT = [
  'decision',
  'score_decision',
  'policy_rules',
  'reason_codes',
  'fraud_severity',
  'approved_amount',
  'model_key',
  'model_checksum',
] as const;

/** Session-local staging table, emptied at every commit. */
export const STAGE_DECISION_RECORD_DDL = `
CREATE TEMP TABLE IF NOT EXISTS stage_decision_record (
  application_id uuid NOT NULL, decision text NOT NULL, score_decision text NOT NULL,
  policy_rules text[] NOT NULL, reason_codes text[] NOT NULL, fraud_severity text,
  approved_amount numeric(14, 2) NOT NULL, model_key text NOT NULL, model_checksum text NOT NULL,
  source text NOT NULL, run_id text, issued_at timestamptz NOT NULL
) ON COMMIT DELETE ROWS;`;

const COLS = DECISION_RECORD_COLUMNS.join(', ');

/** One row in staging COPY order. */
export function decisionRecordRow(d: DecisionRecordInput): Array<string | number | null | readonly string[]> {
  return [
    d.applicationId,
    d.decision,
    d.scoreDecision,
    d.policyRules,
    d.reasonCodes,
    d.fraudSeverity,
    d.approvedAmount,
    d.modelKey,
    d.modelChecksum,
    d.source,
    d.runId,
    d.issuedAt.toISOString(),
  ];
}

/** The fields every record of one writer's run shares, escaped once (see `decisionRecordLine`). */
let sharedTail = {
  modelKey: '',
  modelChecksum: '',
  source: '',
  runId: null as string | null,
  issuedAt: Number.NaN,
  text: '',
};

/**
 * One record as a COPY text line of the staging table: exactly `copyLine(decisionRecordRow(d))`
 * (test/unit/warehouse/decision-record-line.test.ts), for a writer formatting thousands of records
 * of one run, whose model, source, run and time are the same for all: those are escaped once, when
 * they change, not per record.
 */
export function decisionRecordLine(d: DecisionRecordInput): string {
  const t = sharedTail;
  if (
    t.issuedAt !== d.issuedAt.getTime() ||
    t.modelKey !== d.modelKey ||
    t.modelChecksum !== d.modelChecksum ||
    t.source !== d.source ||
    t.runId !== d.runId
  ) {
    sharedTail = {
      modelKey: d.modelKey,
      modelChecksum: d.modelChecksum,
      source: d.source,
      runId: d.runId,
      issuedAt: d.issuedAt.getTime(),
      text: `\t${copyField(d.modelKey)}\t${copyField(d.modelChecksum)}\t${copyField(d.source)}\t${copyField(d.runId)}\t${copyField(d.issuedAt.toISOString())}\n`,
    };
  }
  return `${copyField(d.applicationId)}\t${copyField(d.decision)}\t${copyField(d.scoreDecision)}\t${copyField(d.policyRules)}\t${copyField(d.reasonCodes)}\t${copyField(d.fraudSeverity)}\t${copyField(d.approvedAmount)}${sharedTail.text}`;
}

/**
 * Issues the staged rows as first decisions (revision 1) of applications that have none; an
 * application already decided (by anyone) keeps its record and nothing is written for it.
 * Returns the outcomes of the records written.
 */
export async function issueStaged(client: pg.PoolClient | pg.Client): Promise<DecisionOutcome[]> {
  const r = await client.query<{ decision: DecisionOutcome }>(
    `INSERT INTO decision_record (${COLS}, revision)
     SELECT ${COLS}, 1 FROM stage_decision_record ORDER BY application_id
     ON CONFLICT (application_id, revision) DO NOTHING
     RETURNING decision`,
  );
  return r.rows.map((x) => x.decision);
}

/**
 * Appends a superseding record for every staged application whose current record differs in any of
 * the decision's content (outcome, rules, reasons, severity, amount, model); staged applications
 * without any record get their first one. `reason` is stored on each superseding record, followed by
 * what changed, e.g. "backfill 2026-10-05..2026-10-06 (decision, policy_rules, fraud_severity)".
 * With `issueFirst: false` (a decision service issues first decisions) applications without a record
 * are left alone. A concurrent writer that superseded the same record first makes this fail (unique violation) rather
 * than fork the chain: the caller's transaction rolls back and a rerun sees the new head.
 */
export async function supersedeStaged(
  client: pg.PoolClient | pg.Client,
  reason: string,
  options: { issueFirst?: boolean } = {},
): Promise<{ issued: DecisionOutcome[]; superseded: DecisionOutcome[] }> {
  if (reason.trim() === '') throw new Error('a superseding record needs a reason');
  const issued = options.issueFirst === false ? [] : await issueStaged(client);
  const changed = DECISION_CONTENT.map(
    (c) => `CASE WHEN h.${c} IS DISTINCT FROM s.${c} THEN '${c}' END`,
  ).join(', ');
  const r = await client.query<{ decision: DecisionOutcome }>(
    `WITH head AS (
       SELECT DISTINCT ON (d.application_id) d.*
       FROM decision_record d
       WHERE d.application_id IN (SELECT application_id FROM stage_decision_record)
       ORDER BY d.application_id, d.revision DESC
     )
     INSERT INTO decision_record (${COLS}, revision, supersedes, supersede_reason)
     SELECT ${DECISION_RECORD_COLUMNS.map((c) => `s.${c}`).join(', ')}, h.revision + 1, h.record_id,
            $1 || ' (' || concat_ws(', ', ${changed}) || ')'
     FROM stage_decision_record s
     JOIN head h ON h.application_id = s.application_id
     WHERE (${DECISION_CONTENT.map((c) => `h.${c}`).join(', ')})
           IS DISTINCT FROM (${DECISION_CONTENT.map((c) => `s.${c}`).join(', ')})
     ORDER BY s.application_id
     RETURNING decision`,
    [reason.trim()],
  );
  // Staged rows of applications issued just above match their head and add nothing here.
  return { issued, superseded: r.rows.map((x) => x.decision) };
}

interface RecordRow {
  record_id: string;
  application_id: string;
  revision: number;
  decision: DecisionOutcome;
  score_decision: DecisionOutcome;
  policy_rules: string[];
  reason_codes: string[];
  fraud_severity: string | null;
  approved_amount: string;
  model_key: string;
  model_checksum: string;
  source: DecisionSource;
  run_id: string | null;
  issued_at: Date;
  supersedes: string | null;
  supersede_reason: string | null;
}

function toRecord(r: RecordRow): DecisionRecord {
  return {
    recordId: r.record_id,
    applicationId: r.application_id,
    revision: r.revision,
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
    supersedes: r.supersedes,
    supersedeReason: r.supersede_reason,
  };
}

const RECORD_SELECT = `record_id, application_id, revision, decision, score_decision, policy_rules, reason_codes,
  fraud_severity, approved_amount, model_key, model_checksum, source, run_id, issued_at, supersedes, supersede_reason`;

/**
 * The insert of first decisions, answering the rows it wrote. It does not look up the records that
 * already stand in the same statement: such a lookup (a semi-join of the input with decision_record)
 * was planned once per connection, when the table could be empty, and that cached plan scanned the
 * whole table on every later insert — from 4 to 36 ms per batch of 20 as a fresh warehouse filled
 * (the decision service's PostgreSQL backends at ~70 % of a core at 1,000 decisions/s) until an
 * autovacuum ANALYZE replaced it. An insert's plan does not depend on the table's size.
 */
const INSERT_FIRST_DECISIONS = `INSERT INTO decision_record (${COLS}, revision)
     SELECT ${COLS}, 1 FROM jsonb_to_recordset($1::jsonb) AS x(
       application_id uuid, decision text, score_decision text, policy_rules text[], reason_codes text[],
       fraud_severity text, approved_amount numeric, model_key text, model_checksum text, source text,
       run_id text, issued_at timestamptz)
     ORDER BY application_id
     ON CONFLICT (application_id, revision) DO NOTHING
     RETURNING ${RECORD_SELECT}`;

/** Most ids in one NOTIFY payload (8000 bytes at most; an id is 36 characters and a comma). */
export const IDS_PER_NOTIFY = 200;

/**
 * The same insert, also signalling the ids it wrote on channel $2 (NOTIFY, delivered at commit; at
 * most IDS_PER_NOTIFY per payload) — in the insert's round trip, not one of its own.
 */
const ISSUE_AND_NOTIFY_SQL = `WITH ins AS (${INSERT_FIRST_DECISIONS}),
     chunks AS (
       SELECT string_agg(application_id::text, ',') AS ids
       FROM (SELECT application_id, (row_number() OVER () - 1) / ${IDS_PER_NOTIFY} AS chunk FROM ins) n
       GROUP BY chunk
     )
     SELECT ins.*, (SELECT count(pg_notify($2, ids)) FROM chunks) AS notifications FROM ins`;

/**
 * Issues first decisions, idempotently: each application without a record gets revision 1 from its
 * input; one already decided (a replay, another replica, the batch scorer came first) keeps its record
 * and nothing is written for it. Answers the record that stands for every input (publish that one, not
 * the input) and which of them this call wrote. One round trip when every input is new (the stream's
 * usual case); the standing records of the others are read in a second one — after the insert, which
 * waited for any concurrent writer of the same application to commit, so they are visible. With
 * `notifyChannel`, the ids written are signalled there (NOTIFY) by the insert itself.
 */
export async function issueDecisions(
  db: pg.Pool | pg.PoolClient | pg.Client,
  inputs: readonly DecisionRecordInput[],
  options: { notifyChannel?: string } = {},
): Promise<{ standing: DecisionRecord[]; issued: Set<string> }> {
  if (inputs.length === 0) return { standing: [], issued: new Set() };
  const rows = inputs.map((d) => {
    const values = decisionRecordRow(d);
    return Object.fromEntries(DECISION_RECORD_COLUMNS.map((c, i) => [c, values[i]]));
  });
  // A named (prepared) statement: parsed and planned once per connection, not on every insert.
  const channel = options.notifyChannel;
  const r = await db.query<RecordRow>(
    channel === undefined
      ? { name: 'issue-decisions', text: INSERT_FIRST_DECISIONS, values: [JSON.stringify(rows)] }
      : {
          name: 'issue-decisions-notify',
          text: ISSUE_AND_NOTIFY_SQL,
          values: [JSON.stringify(rows), channel],
        },
  );
  const standing = r.rows.map(toRecord);
  const issued = new Set(standing.map((x) => x.applicationId));
  const others = [...new Set(inputs.map((d) => d.applicationId.toLowerCase()))].filter(
    (id) => !issued.has(id),
  );
  if (others.length > 0) standing.push(...(await issuedDecisions(db, others)));
  return { standing, issued };
}

/** `issueDecisions` of one input: the record that stands and whether this call wrote it. */
export async function issueDecision(
  db: pg.Pool | pg.PoolClient | pg.Client,
  d: DecisionRecordInput,
): Promise<{ issued: boolean; record: DecisionRecord }> {
  const { standing, issued } = await issueDecisions(db, [d]);
  const record = standing[0];
  if (record === undefined) throw new Error(`decision of ${d.applicationId} conflicted but is not visible`);
  return { issued: issued.has(record.applicationId), record };
}

/** The decisions as first communicated (revision 1) of those applications that have one. */
export async function issuedDecisions(
  db: pg.Pool | pg.PoolClient | pg.Client,
  applicationIds: readonly string[],
): Promise<DecisionRecord[]> {
  if (applicationIds.length === 0) return [];
  // Unnamed, so planned for each call: a plan cached while the table was small would keep scanning it.
  const r = await db.query<RecordRow>(
    `SELECT ${RECORD_SELECT} FROM decision_record WHERE revision = 1 AND application_id = ANY($1::uuid[])`,
    [applicationIds],
  );
  return r.rows.map(toRecord);
}

/** The decision as first communicated (revision 1), if any. */
export async function issuedDecision(
  db: pg.Pool | pg.PoolClient | pg.Client,
  applicationId: string,
): Promise<DecisionRecord | undefined> {
  return (await issuedDecisions(db, [applicationId]))[0];
}

/** Every record of an application, oldest first (revision 1 = as issued; the last = current). */
export async function decisionHistory(
  db: pg.Pool | pg.PoolClient | pg.Client,
  applicationId: string,
): Promise<DecisionRecord[]> {
  const r = await db.query<RecordRow>(
    `SELECT ${RECORD_SELECT} FROM decision_record WHERE application_id = $1 ORDER BY revision`,
    [applicationId],
  );
  return r.rows.map(toRecord);
}
