/**
 * The case store in the warehouse's PostgreSQL (migration 0003): why PostgreSQL and not MongoDB? The
 * case queue joins what the warehouse already holds (the application's pseudonymised facts, other
 * applications of the same national-ID hash, the decision), a status change and its audit event and
 * its outcome labels must commit together (FerretDB has no multi-document transactions), and the
 * labels must sit beside fact_fraud_alert for precision views and backtests.
 *
 * Every write is idempotent on a natural key: a case per application_id, an alert per alert_id, a
 * label per alert_id. Every change to a case writes an audit event in the same transaction.
 */
import type pg from 'pg';
import { inTransaction, type Pool } from '../warehouse/db.ts';
import type { AlertRow } from '../warehouse-loader/rows.ts';
import {
  type CaseStatus,
  type CaseVerb,
  checkTransition,
  isVerdict,
  type Severity,
  type Verdict,
  verbForAssignment,
  verbForStatus,
} from './model.ts';

/** The actor the alert stream writes as in the audit trail. */
export const SYSTEM_ACTOR = 'system:alerts';

export class CaseError extends Error {
  constructor(
    readonly status: 403 | 404 | 409,
    message: string,
  ) {
    super(message);
    this.name = 'CaseError';
  }
}

export interface CaseSummary {
  caseId: number;
  applicationId: string;
  status: CaseStatus;
  severity: Severity;
  assignee: string | null;
  openedAt: string;
  updatedAt: string;
  firstEventAt: string;
  resolvedAt: string | null;
  resolvedBy: string | null;
  version: number;
  rules: string[];
  alertCount: number;
}

export interface CaseAlert {
  alertId: string;
  ruleId: string;
  ruleVersion: string;
  severity: Severity;
  reasonCode: string;
  eventTime: string;
  detectedAt: string;
  evidence: Record<string, unknown>;
}

export interface LinkedApplication {
  applicationId: string;
  /** The shared key: `nationalIdHash` (warehouse), or the rule's key field (`deviceId`, `ipAddress`, …). */
  via: string;
  /** The rule whose window linked them (absent for the warehouse's national-ID link). */
  ruleId?: string;
  caseId: number | null;
  caseStatus: CaseStatus | null;
}

export interface CaseEvent {
  eventId: number;
  at: string;
  actor: string;
  action: string;
  detail: Record<string, unknown>;
}

/** The application as the warehouse holds it: pseudonymised (hashes, no names or contact details). */
export interface ApplicationFacts {
  submittedAt: string;
  nationalIdHash: string;
  customerRefHash: string | null;
  addressCountry: string | null;
  employmentStatus: string;
  monthsInJob: number;
  annualIncome: string;
  loanAmount: string;
  currency: string;
  termMonths: number;
  purpose: string;
  bureauScore: number | null;
  channelType: string;
  geoCountry: string | null;
  decision: string | null;
}

/** One decision record (warehouse decision_record) as a case shows it. */
export interface CaseDecisionRecord {
  recordId: number;
  revision: number;
  decision: 'approve' | 'refer' | 'decline';
  reasonCodes: string[];
  modelKey: string;
  source: 'stream' | 'batch' | 'backfill';
  issuedAt: string;
  /** Why this record superseded the one before (null for the record as issued). */
  supersedeReason: string | null;
}

/**
 * The application's credit decision beside its case. The case never changes it: a late live alert
 * on an approved application opens this review, and the issued record stays as the applicant got it.
 */
export interface CaseDecision {
  /** As first issued to the applicant (revision 1). */
  issued: CaseDecisionRecord;
  /** The current record when a later one (a backfill, a new champion) superseded it; else null. */
  current: CaseDecisionRecord | null;
  /** Alerts of this case detected after the decision was issued (late for the decision). */
  alertsAfterIssue: number;
  /** The issued decision approved and live alerts arrived after it: the approval needs review. */
  reviewApproval: boolean;
}

export interface CaseDetail extends CaseSummary {
  alerts: CaseAlert[];
  /** Null while the application has no decision record. */
  decision: CaseDecision | null;
  /** Null when the warehouse loader has not loaded the application yet. */
  facts: ApplicationFacts | null;
  linked: LinkedApplication[];
  events: CaseEvent[];
}

export interface CaseFilter {
  statuses?: readonly CaseStatus[];
  severities?: readonly Severity[];
  ruleId?: string;
  assignee?: string;
  /** Opened at least this many seconds ago. */
  minAgeSeconds?: number;
  /** Opened at most this many seconds ago. */
  maxAgeSeconds?: number;
  limit: number;
  offset: number;
}

export interface RulePrecision {
  ruleId: string;
  ruleVersion: string;
  alerts: number;
  cases: number;
  resolved: number;
  confirmedFraud: number;
  legitimate: number;
  inconclusive: number;
  /** confirmed_fraud / resolved; null until a case is resolved. */
  precision: number | null;
}

export interface RuleVolume {
  day: string;
  ruleId: string;
  alerts: number;
  casesOpened: number;
  resolved: number;
  confirmedFraud: number;
}

export interface OpenOutcome {
  opened: number;
  alertsAdded: number;
  duplicates: number;
  labelled: number;
}

/** Asks whether the caller holds a verb; the store calls it once it knows which verb a change needs. */
export type Authorize = (verb: CaseVerb) => Promise<boolean>;

const SEVERITY_RANK_SQL = `CASE severity WHEN 'low' THEN 1 WHEN 'medium' THEN 2 WHEN 'high' THEN 3 ELSE 4 END`;

/**
 * Opens a case for every application in `alerts` that has none, adds each alert not seen before as
 * evidence (raising the case's severity if needed), audits both, and labels new alerts of an already
 * resolved case with its verdict. Shadow alerts are ignored (they never reach people). A replay
 * changes nothing: every insert is on a natural key.
 */
export async function openCasesFromAlerts(pool: Pool, alerts: readonly AlertRow[]): Promise<OpenOutcome> {
  const live = alerts.filter((a) => a.mode === 'live');
  if (live.length === 0) return { opened: 0, alertsAdded: 0, duplicates: 0, labelled: 0 };
  const input = JSON.stringify(
    live.map((a) => ({
      alert_id: a.alertId,
      application_id: a.applicationId,
      rule_id: a.ruleId,
      rule_version: a.ruleVersion,
      severity: a.severity,
      reason_code: a.reasonCode,
      event_time: a.eventTime,
      detected_at: a.detectedAt,
      evidence: a.evidence,
    })),
  );
  const INPUT = `input AS (
    SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(alert_id text, application_id uuid, rule_id text,
      rule_version text, severity text, reason_code text, event_time timestamptz, detected_at timestamptz,
      evidence jsonb))`;
  return inTransaction(pool, async (client) => {
    const opened = await client.query<{ case_id: string }>(
      `WITH ${INPUT}
       INSERT INTO fraud_case (application_id, severity, severity_rank, first_event_at)
       SELECT application_id, (array_agg(severity ORDER BY ${SEVERITY_RANK_SQL} DESC))[1],
              max(${SEVERITY_RANK_SQL}), min(event_time)
       FROM input GROUP BY application_id
       ON CONFLICT (application_id) DO NOTHING
       RETURNING case_id`,
      [input],
    );
    if (opened.rows.length > 0)
      await client.query(
        `INSERT INTO fraud_case_event (case_id, actor, action) SELECT unnest($1::bigint[]), $2, 'opened'`,
        [opened.rows.map((r) => r.case_id), SYSTEM_ACTOR],
      );
    const added = await client.query<{ alert_id: string; case_id: string }>(
      `WITH ${INPUT}, ins AS (
         INSERT INTO fraud_case_alert (alert_id, case_id, rule_id, rule_version, severity, reason_code,
                                       event_time, detected_at, evidence)
         SELECT DISTINCT ON (i.alert_id) i.alert_id, c.case_id, i.rule_id, i.rule_version, i.severity,
                i.reason_code, i.event_time, i.detected_at, i.evidence
         FROM input i JOIN fraud_case c ON c.application_id = i.application_id
         ORDER BY i.alert_id
         ON CONFLICT (alert_id) DO NOTHING
         RETURNING alert_id, case_id, rule_id, severity)
       , ev AS (
         INSERT INTO fraud_case_event (case_id, actor, action, detail)
         SELECT ins.case_id, $2, 'alert_added',
                jsonb_build_object('alertId', ins.alert_id, 'ruleId', ins.rule_id, 'severity', ins.severity,
                                   'issuedDecision', (SELECT jsonb_build_object('recordId', d.record_id, 'decision', d.decision)
                                                      FROM fraud_case fc JOIN decision_record d
                                                        ON d.application_id = fc.application_id AND d.revision = 1
                                                      WHERE fc.case_id = ins.case_id))
         FROM ins)
       SELECT alert_id, case_id FROM ins`,
      [input, SYSTEM_ACTOR],
    );
    let labelled = 0;
    if (added.rows.length > 0) {
      const caseIds = [...new Set(added.rows.map((r) => r.case_id))];
      // New evidence: the case's rule list, and its severity raised to the highest of its alerts
      // (never lowered).
      await client.query(
        `UPDATE fraud_case c SET rules = s.rules, updated_at = now(), version = c.version + 1,
                severity = CASE WHEN s.rank > c.severity_rank THEN s.severity ELSE c.severity END,
                severity_rank = greatest(s.rank, c.severity_rank)
         FROM (SELECT case_id, array_agg(DISTINCT rule_id ORDER BY rule_id) AS rules,
                      (array_agg(severity ORDER BY ${SEVERITY_RANK_SQL} DESC))[1] AS severity,
                      max(${SEVERITY_RANK_SQL}) AS rank
               FROM fraud_case_alert WHERE case_id = ANY($1::bigint[]) GROUP BY case_id) s
         WHERE c.case_id = s.case_id`,
        [caseIds],
      );
      // A verdict is about the application, so it labels alerts that arrive after it too.
      const labels = await client.query(
        `INSERT INTO fact_alert_outcome (alert_id, application_id, rule_id, rule_version, verdict, case_id, labelled_at, labelled_by)
         SELECT a.alert_id, c.application_id, a.rule_id, a.rule_version, c.status, c.case_id, now(), c.resolved_by
         FROM fraud_case_alert a JOIN fraud_case c ON c.case_id = a.case_id
         WHERE a.alert_id = ANY($1::text[]) AND c.resolved_at IS NOT NULL
         ON CONFLICT (alert_id) DO NOTHING`,
        [added.rows.map((r) => r.alert_id)],
      );
      labelled = labels.rowCount ?? 0;
    }
    return {
      opened: opened.rows.length,
      alertsAdded: added.rows.length,
      duplicates: live.length - added.rows.length,
      labelled,
    };
  });
}

interface CaseRow {
  case_id: string;
  application_id: string;
  status: CaseStatus;
  severity: Severity;
  assignee: string | null;
  opened_at: Date;
  updated_at: Date;
  first_event_at: Date;
  resolved_at: Date | null;
  resolved_by: string | null;
  version: number;
  rules: string[] | null;
  alert_count: string;
}

const SUMMARY_COLUMNS = `c.case_id, c.application_id, c.status, c.severity, c.assignee, c.opened_at, c.updated_at,
  c.first_event_at, c.resolved_at, c.resolved_by, c.version,
  c.rules,
  (SELECT count(*) FROM fraud_case_alert a WHERE a.case_id = c.case_id) AS alert_count`;

function toSummary(r: CaseRow): CaseSummary {
  return {
    caseId: Number(r.case_id),
    applicationId: r.application_id,
    status: r.status,
    severity: r.severity,
    assignee: r.assignee,
    openedAt: r.opened_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
    firstEventAt: r.first_event_at.toISOString(),
    resolvedAt: r.resolved_at?.toISOString() ?? null,
    resolvedBy: r.resolved_by,
    version: r.version,
    rules: r.rules ?? [],
    alertCount: Number(r.alert_count),
  };
}

/** The queue: filtered, highest severity first, then the oldest. */
export async function listCases(
  pool: Pool,
  filter: CaseFilter,
): Promise<{ total: number; cases: CaseSummary[] }> {
  const where: string[] = [];
  const params: unknown[] = [];
  const p = (v: unknown) => {
    params.push(v);
    return `$${params.length}`;
  };
  if (filter.statuses !== undefined) where.push(`c.status = ANY(${p(filter.statuses)}::text[])`);
  if (filter.severities !== undefined) where.push(`c.severity = ANY(${p(filter.severities)}::text[])`);
  if (filter.ruleId !== undefined) where.push(`c.rules @> ARRAY[${p(filter.ruleId)}::text]`);
  if (filter.assignee !== undefined) where.push(`c.assignee = ${p(filter.assignee)}`);
  if (filter.minAgeSeconds !== undefined)
    where.push(`c.opened_at <= now() - make_interval(secs => ${p(filter.minAgeSeconds)})`);
  if (filter.maxAgeSeconds !== undefined)
    where.push(`c.opened_at >= now() - make_interval(secs => ${p(filter.maxAgeSeconds)})`);
  const whereSql = where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`;
  const countParams = [...params];
  const rows = await pool.query<CaseRow>(
    `SELECT ${SUMMARY_COLUMNS} FROM fraud_case c ${whereSql}
     ORDER BY c.severity_rank DESC, c.opened_at, c.case_id
     LIMIT ${p(filter.limit)} OFFSET ${p(filter.offset)}`,
    params,
  );
  const total = await pool.query<{ n: string }>(
    `SELECT count(*) AS n FROM fraud_case c ${whereSql}`,
    countParams,
  );
  return { total: Number(total.rows[0]?.n ?? 0), cases: rows.rows.map(toSummary) };
}

interface DecisionRow {
  record_id: string;
  revision: number;
  decision: CaseDecisionRecord['decision'];
  reason_codes: string[];
  model_key: string;
  source: CaseDecisionRecord['source'];
  issued_at: Date;
  supersede_reason: string | null;
}

function toDecisionRecord(r: DecisionRow): CaseDecisionRecord {
  return {
    recordId: Number(r.record_id),
    revision: r.revision,
    decision: r.decision,
    reasonCodes: r.reason_codes,
    modelKey: r.model_key,
    source: r.source,
    issuedAt: r.issued_at.toISOString(),
    supersedeReason: r.supersede_reason,
  };
}

/** The application's decision as issued and as it stands now, read only (the case never writes it). */
async function caseDecision(
  pool: Pool | pg.PoolClient,
  applicationId: string,
  alertDetectedAt: readonly Date[],
): Promise<CaseDecision | null> {
  const r = await pool.query<DecisionRow>(
    `SELECT record_id, revision, decision, reason_codes, model_key, source, issued_at, supersede_reason
     FROM decision_record WHERE application_id = $1
       AND (revision = 1 OR revision = (SELECT max(revision) FROM decision_record WHERE application_id = $1))
     ORDER BY revision`,
    [applicationId],
  );
  const first = r.rows[0];
  if (first === undefined) return null;
  const last = r.rows[r.rows.length - 1] as DecisionRow;
  const alertsAfterIssue = alertDetectedAt.filter((t) => t.getTime() > first.issued_at.getTime()).length;
  return {
    issued: toDecisionRecord(first),
    current: last.revision === first.revision ? null : toDecisionRecord(last),
    alertsAfterIssue,
    reviewApproval: first.decision === 'approve' && alertsAfterIssue > 0,
  };
}

export async function getCase(pool: Pool | pg.PoolClient, caseId: number): Promise<CaseDetail> {
  const c = await pool.query<CaseRow>(`SELECT ${SUMMARY_COLUMNS} FROM fraud_case c WHERE c.case_id = $1`, [
    caseId,
  ]);
  const row = c.rows[0];
  if (row === undefined) throw new CaseError(404, `no case ${caseId}`);
  const summary = toSummary(row);
  const alerts = await pool.query<{
    alert_id: string;
    rule_id: string;
    rule_version: string;
    severity: Severity;
    reason_code: string;
    event_time: Date;
    detected_at: Date;
    evidence: Record<string, unknown>;
  }>(
    `SELECT alert_id, rule_id, rule_version, severity, reason_code, event_time, detected_at, evidence
     FROM fraud_case_alert WHERE case_id = $1 ORDER BY detected_at, alert_id`,
    [caseId],
  );
  const facts = await pool.query<{
    submitted_at: Date;
    national_id_hash: string;
    customer_ref_hash: string | null;
    address_country: string | null;
    employment_status: string;
    months_in_job: number;
    annual_income: string;
    loan_amount: string;
    currency: string;
    term_months: number;
    purpose: string;
    bureau_score: number | null;
    channel_type: string;
    geo_country: string | null;
    decision: string | null;
  }>(
    `SELECT a.submitted_at, a.national_id_hash, d.customer_ref_hash, d.address_country, a.employment_status,
            a.months_in_job, a.annual_income, a.loan_amount, a.currency, a.term_months, a.purpose,
            a.bureau_score, a.channel_type, a.geo_country, cd.decision
     FROM fact_application a
     LEFT JOIN dim_applicant d ON d.national_id_hash = a.national_id_hash
     LEFT JOIN v_current_decision cd ON cd.application_id = a.application_id
     WHERE a.application_id = $1`,
    [summary.applicationId],
  );
  const f = facts.rows[0];
  // Linked applications: those in each alert's window (same device, IP, national-ID hash, …, as the
  // rule's key field says) and those the warehouse holds under the same national-ID hash.
  const linkedRaw = new Map<string, { via: string; ruleId?: string }>();
  for (const a of alerts.rows) {
    const ids = a.evidence.applicationIds;
    const via = typeof a.evidence.keyField === 'string' ? a.evidence.keyField : a.rule_id;
    if (!Array.isArray(ids)) continue;
    for (const id of ids)
      if (typeof id === 'string' && id !== summary.applicationId && !linkedRaw.has(`${id}|${via}`))
        linkedRaw.set(`${id}|${via}`, { via, ruleId: a.rule_id });
  }
  if (f !== undefined) {
    const same = await pool.query<{ application_id: string }>(
      `SELECT application_id FROM fact_application WHERE national_id_hash = $1 AND application_id <> $2
       ORDER BY submitted_at LIMIT 50`,
      [f.national_id_hash, summary.applicationId],
    );
    for (const s of same.rows)
      if (!linkedRaw.has(`${s.application_id}|nationalIdHash`))
        linkedRaw.set(`${s.application_id}|nationalIdHash`, { via: 'nationalIdHash' });
  }
  const linkedIds = [...new Set([...linkedRaw.keys()].map((k) => k.split('|')[0] as string))].filter((id) =>
    /^[0-9a-f-]{36}$/i.test(id),
  );
  const linkedCases = await pool.query<{ application_id: string; case_id: string; status: CaseStatus }>(
    'SELECT application_id, case_id, status FROM fraud_case WHERE application_id = ANY($1::uuid[])',
    [linkedIds],
  );
  const caseOf = new Map(linkedCases.rows.map((r) => [r.application_id, r]));
  const linked: LinkedApplication[] = [...linkedRaw.entries()]
    .filter(([k]) => linkedIds.includes(k.split('|')[0] as string))
    .map(([k, v]) => {
      const id = k.split('|')[0] as string;
      const lc = caseOf.get(id.toLowerCase());
      return {
        applicationId: id,
        via: v.via,
        ...(v.ruleId === undefined ? {} : { ruleId: v.ruleId }),
        caseId: lc === undefined ? null : Number(lc.case_id),
        caseStatus: lc?.status ?? null,
      };
    });
  const events = await pool.query<{
    event_id: string;
    at: Date;
    actor: string;
    action: string;
    detail: Record<string, unknown>;
  }>(
    'SELECT event_id, at, actor, action, detail FROM fraud_case_event WHERE case_id = $1 ORDER BY event_id',
    [caseId],
  );
  const decision = await caseDecision(
    pool,
    summary.applicationId,
    alerts.rows.map((a) => a.detected_at),
  );
  return {
    ...summary,
    decision,
    alerts: alerts.rows.map((a) => ({
      alertId: a.alert_id,
      ruleId: a.rule_id,
      ruleVersion: a.rule_version,
      severity: a.severity,
      reasonCode: a.reason_code,
      eventTime: a.event_time.toISOString(),
      detectedAt: a.detected_at.toISOString(),
      evidence: a.evidence,
    })),
    facts:
      f === undefined
        ? null
        : {
            submittedAt: f.submitted_at.toISOString(),
            nationalIdHash: f.national_id_hash,
            customerRefHash: f.customer_ref_hash,
            addressCountry: f.address_country,
            employmentStatus: f.employment_status,
            monthsInJob: f.months_in_job,
            annualIncome: f.annual_income,
            loanAmount: f.loan_amount,
            currency: f.currency,
            termMonths: f.term_months,
            purpose: f.purpose,
            bureauScore: f.bureau_score,
            channelType: f.channel_type,
            geoCountry: f.geo_country,
            decision: f.decision,
          },
    linked,
    events: events.rows.map((e) => ({
      eventId: Number(e.event_id),
      at: e.at.toISOString(),
      actor: e.actor,
      action: e.action,
      detail: e.detail,
    })),
  };
}

interface Plan {
  verb: CaseVerb;
  /** Why the change cannot happen in the case's current state (answered 409 once authorised). */
  conflict?: string;
  /** Null: nothing to change. */
  write: (() => Promise<void>) | null;
}

/**
 * Locks the case, asks `authorize` for the verb the change needs (known only once the current state
 * is read), applies it with its audit event, and returns the case as it is now. A change that would
 * change nothing (same assignee) writes nothing.
 */
async function change(
  pool: Pool,
  caseId: number,
  authorize: Authorize,
  apply: (
    client: pg.PoolClient,
    current: { status: CaseStatus; assignee: string | null; version: number },
  ) => Plan,
): Promise<CaseDetail> {
  return inTransaction(pool, async (client) => {
    const r = await client.query<{ status: CaseStatus; assignee: string | null; version: number }>(
      'SELECT status, assignee, version FROM fraud_case WHERE case_id = $1 FOR UPDATE',
      [caseId],
    );
    const current = r.rows[0];
    if (current === undefined) throw new CaseError(404, `no case ${caseId}`);
    const plan = apply(client, current);
    // Permission first, so a caller without the verb learns nothing about the case's state.
    if (!(await authorize(plan.verb)))
      throw new CaseError(403, `this needs the '${plan.verb}' verb on the cases resource`);
    if (plan.conflict !== undefined) throw new CaseError(409, plan.conflict);
    if (plan.write !== null) await plan.write();
    return getCase(client, caseId);
  });
}

async function audit(
  client: pg.PoolClient,
  caseId: number,
  actor: string,
  action: string,
  detail: Record<string, unknown>,
): Promise<void> {
  await client.query(
    'INSERT INTO fraud_case_event (case_id, actor, action, detail) VALUES ($1, $2, $3, $4)',
    [caseId, actor, action, JSON.stringify(detail)],
  );
}

export function assignCase(
  pool: Pool,
  caseId: number,
  actor: string,
  assignee: string | null,
  authorize: Authorize,
): Promise<CaseDetail> {
  return change(pool, caseId, authorize, (client, current) => {
    const verb = verbForAssignment(actor, current.assignee, assignee);
    if (isVerdict(current.status))
      return {
        verb,
        conflict: `the case is resolved (${current.status}); it can no longer be assigned`,
        write: null,
      };
    if (current.assignee === assignee) return { verb, write: null };
    return {
      verb,
      write: async () => {
        await client.query(
          'UPDATE fraud_case SET assignee = $2, updated_at = now(), version = version + 1 WHERE case_id = $1',
          [caseId, assignee],
        );
        await audit(client, caseId, actor, 'assigned', { from: current.assignee, to: assignee });
      },
    };
  });
}

export function addNote(
  pool: Pool,
  caseId: number,
  actor: string,
  text: string,
  authorize: Authorize,
): Promise<CaseDetail> {
  return change(pool, caseId, authorize, (client) => ({
    verb: 'update',
    write: async () => {
      await client.query(
        'UPDATE fraud_case SET updated_at = now(), version = version + 1 WHERE case_id = $1',
        [caseId],
      );
      await audit(client, caseId, actor, 'noted', { text });
    },
  }));
}

/** Moves a case on; a verdict resolves it and writes one outcome label per alert of the case. */
export function setStatus(
  pool: Pool,
  caseId: number,
  actor: string,
  to: CaseStatus,
  authorize: Authorize,
): Promise<CaseDetail> {
  return change(pool, caseId, authorize, (client, current) => {
    const verb = verbForStatus(to);
    const check = checkTransition(current.status, to);
    if (!check.ok) return { verb, conflict: check.reason, write: null };
    return {
      verb,
      write: async () => {
        if (!isVerdict(to)) {
          await client.query(
            'UPDATE fraud_case SET status = $2, updated_at = now(), version = version + 1 WHERE case_id = $1',
            [caseId, to],
          );
          await audit(client, caseId, actor, 'status_changed', { from: current.status, to });
          return;
        }
        await client.query(
          `UPDATE fraud_case SET status = $2, resolved_at = now(), resolved_by = $3, updated_at = now(),
                  version = version + 1 WHERE case_id = $1`,
          [caseId, to, actor],
        );
        const labels = await client.query(
          `INSERT INTO fact_alert_outcome (alert_id, application_id, rule_id, rule_version, verdict, case_id, labelled_at, labelled_by)
           SELECT a.alert_id, c.application_id, a.rule_id, a.rule_version, $2, c.case_id, now(), $3
           FROM fraud_case_alert a JOIN fraud_case c ON c.case_id = a.case_id
           WHERE a.case_id = $1
           ON CONFLICT (alert_id) DO NOTHING`,
          [caseId, to satisfies Verdict, actor],
        );
        await audit(client, caseId, actor, 'resolved', {
          from: current.status,
          verdict: to,
          labels: labels.rowCount,
        });
      },
    };
  });
}

/** Per-rule precision from the verdicts (rpt_rule_precision). */
export async function rulePrecision(pool: Pool): Promise<RulePrecision[]> {
  const r = await pool.query<{
    rule_id: string;
    rule_version: string;
    alerts: string;
    cases: string;
    resolved: string;
    confirmed_fraud: string;
    legitimate: string;
    inconclusive: string;
    precision: number | null;
  }>('SELECT * FROM rpt_rule_precision ORDER BY rule_id, rule_version');
  return r.rows.map((x) => ({
    ruleId: x.rule_id,
    ruleVersion: x.rule_version,
    alerts: Number(x.alerts),
    cases: Number(x.cases),
    resolved: Number(x.resolved),
    confirmedFraud: Number(x.confirmed_fraud),
    legitimate: Number(x.legitimate),
    inconclusive: Number(x.inconclusive),
    precision: x.precision,
  }));
}

/** Alert volume, cases and verdicts per rule and day (rpt_case_volume), the last `days` days. */
export async function ruleVolume(pool: Pool, days: number): Promise<RuleVolume[]> {
  const r = await pool.query<{
    day: string;
    rule_id: string;
    alerts: string;
    cases_opened: string;
    resolved: string;
    confirmed_fraud: string;
  }>(
    `SELECT to_char(day, 'YYYY-MM-DD') AS day, rule_id, alerts, cases_opened, resolved, confirmed_fraud
     FROM rpt_case_volume WHERE day >= (now() AT TIME ZONE 'UTC')::date - $1::integer ORDER BY day, rule_id`,
    [days],
  );
  return r.rows.map((x) => ({
    day: x.day,
    ruleId: x.rule_id,
    alerts: Number(x.alerts),
    casesOpened: Number(x.cases_opened),
    resolved: Number(x.resolved),
    confirmedFraud: Number(x.confirmed_fraud),
  }));
}
