/**
 * Writes one Kafka batch (one topic-partition) to the warehouse in one transaction, together with the
 * partition's next offset in `loader_offsets`: the rows and the offset commit or roll back together,
 * so a crash at any point resumes exactly where the last commit stopped (exactly-once effect).
 *
 * Inside the transaction the partition's offset row is locked (SELECT … FOR UPDATE), messages below
 * the stored offset are skipped (a replay after a crash, or a rebalance overlap), rows go by COPY into
 * temporary staging tables and reach the star schema through set-based upserts on natural keys.
 */
import type pg from 'pg';
import { copyRows, json } from '../warehouse/copy.ts';
import { inTransaction, type Pool } from '../warehouse/db.ts';
import type { AlertRow, ApplicationRow, Parsed, QuarantineRow, SourcePosition } from './rows.ts';

export interface RawMessage {
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
}

export type TopicKind = 'applications' | 'alerts';

export interface BatchInput {
  groupId: string;
  topic: string;
  partition: number;
  kind: TopicKind;
  /** The offset the consumer fetched from (to detect a consumer that starts past the stored offset). */
  fetchedOffset: string;
  messages: readonly RawMessage[];
  /**
   * Load even if the consumer fetched from past the stored offset (the messages in between are gone,
   * e.g. deleted by retention, after one seek back did not bring them back).
   */
  allowGap?: boolean;
}

export type BatchOutcome =
  | {
      status: 'written';
      /** First offset not yet loaded, now stored. */
      nextOffset: string;
      applications: number;
      duplicateApplications: number;
      alerts: number;
      duplicateAlerts: number;
      quarantined: QuarantineRow[];
      skippedAlreadyLoaded: number;
      /** Offsets [from, to) never loaded: gone from Kafka before they were (only with `allowGap`). */
      gap?: { from: string; to: string };
    }
  /** The consumer fetched from past the stored offset: seek back to `storedOffset` and refetch. */
  | { status: 'behind_stored'; storedOffset: string }
  /** Every message was loaded before (replay): nothing written. */
  | { status: 'already_loaded'; storedOffset: string };

export interface Parsers {
  applications: (s: SourcePosition, k: Buffer | null, v: Buffer | null) => Parsed<ApplicationRow>;
  alerts: (s: SourcePosition, k: Buffer | null, v: Buffer | null) => Parsed<AlertRow>;
}

const STAGING_DDL = `
CREATE TEMP TABLE IF NOT EXISTS stage_application (
  application_id uuid, national_id_hash text, customer_ref_hash text, address_country text, date_key integer,
  submitted_at timestamptz, received_at timestamptz, schema_version text, employment_status text, months_in_job integer,
  annual_income numeric, loan_amount numeric, currency text, term_months integer, purpose text,
  bureau_score integer, monthly_debt_payments numeric, open_credit_lines integer, delinquencies_24m integer,
  credit_history_months integer, bankruptcies integer, channel_type text, geo_country text,
  partition_hash integer, source_topic text, source_partition integer, source_offset bigint
) ON COMMIT DELETE ROWS;
CREATE TEMP TABLE IF NOT EXISTS stage_fraud_alert (
  alert_id text, application_id uuid, rule_id text, rule_version text, severity text, reason_code text,
  mode text, event_time timestamptz, detected_at timestamptz, date_key integer, evidence jsonb,
  source_topic text, source_partition integer, source_offset bigint
) ON COMMIT DELETE ROWS;
CREATE TEMP TABLE IF NOT EXISTS stage_quarantine (
  source_topic text, source_partition integer, source_offset bigint, message_key text, reason text,
  errors jsonb, payload_redacted jsonb, payload_sha256 text, payload_bytes integer
) ON COMMIT DELETE ROWS;`;

const APPLICATION_COLUMNS = [
  'application_id',
  'national_id_hash',
  'customer_ref_hash',
  'address_country',
  'date_key',
  'submitted_at',
  'received_at',
  'schema_version',
  'employment_status',
  'months_in_job',
  'annual_income',
  'loan_amount',
  'currency',
  'term_months',
  'purpose',
  'bureau_score',
  'monthly_debt_payments',
  'open_credit_lines',
  'delinquencies_24m',
  'credit_history_months',
  'bankruptcies',
  'channel_type',
  'geo_country',
  'partition_hash',
  'source_topic',
  'source_partition',
  'source_offset',
] as const;

const FACT_APPLICATION_COLUMNS = APPLICATION_COLUMNS.filter(
  (c) => c !== 'customer_ref_hash' && c !== 'address_country',
).join(', ');

/** Inserts the calendar rows of any date keys staged in `table` that dim_date does not have yet. */
const ENSURE_DATES = (table: string) => `
INSERT INTO dim_date
SELECT k, d, extract(year FROM d), extract(quarter FROM d), extract(month FROM d), trim(to_char(d, 'Month')),
       extract(day FROM d), extract(week FROM d), extract(isodow FROM d), extract(isodow FROM d) IN (6, 7)
FROM (SELECT DISTINCT date_key AS k, to_date(date_key::text, 'YYYYMMDD') AS d FROM ${table}) s
ON CONFLICT (date_key) DO NOTHING`;

const UPSERT_APPLICANTS = `
INSERT INTO dim_applicant AS d (national_id_hash, customer_ref_hash, address_country, first_seen_at, last_seen_at)
SELECT national_id_hash,
       (array_agg(customer_ref_hash ORDER BY submitted_at DESC, source_offset DESC))[1],
       (array_agg(address_country ORDER BY submitted_at DESC, source_offset DESC))[1],
       min(submitted_at), max(submitted_at)
FROM stage_application GROUP BY national_id_hash
ON CONFLICT (national_id_hash) DO UPDATE SET
  customer_ref_hash = CASE WHEN excluded.last_seen_at >= d.last_seen_at THEN excluded.customer_ref_hash ELSE d.customer_ref_hash END,
  address_country = CASE WHEN excluded.last_seen_at >= d.last_seen_at THEN excluded.address_country ELSE d.address_country END,
  first_seen_at = least(d.first_seen_at, excluded.first_seen_at),
  last_seen_at = greatest(d.last_seen_at, excluded.last_seen_at)`;

const INSERT_APPLICATIONS = `
INSERT INTO fact_application (${FACT_APPLICATION_COLUMNS})
SELECT DISTINCT ON (application_id) ${FACT_APPLICATION_COLUMNS}
FROM stage_application ORDER BY application_id, source_offset
ON CONFLICT (application_id) DO NOTHING`;

const ALERT_COLUMNS = [
  'alert_id',
  'application_id',
  'rule_id',
  'rule_version',
  'severity',
  'reason_code',
  'mode',
  'event_time',
  'detected_at',
  'date_key',
  'evidence',
  'source_topic',
  'source_partition',
  'source_offset',
] as const;

const INSERT_ALERTS = `
INSERT INTO fact_fraud_alert (${ALERT_COLUMNS.join(', ')})
SELECT DISTINCT ON (alert_id) ${ALERT_COLUMNS.join(', ')}
FROM stage_fraud_alert ORDER BY alert_id, source_offset
ON CONFLICT (alert_id) DO NOTHING`;

const QUARANTINE_COLUMNS = [
  'source_topic',
  'source_partition',
  'source_offset',
  'message_key',
  'reason',
  'errors',
  'payload_redacted',
  'payload_sha256',
  'payload_bytes',
] as const;

const INSERT_QUARANTINE = `
INSERT INTO quarantine (${QUARANTINE_COLUMNS.join(', ')})
SELECT ${QUARANTINE_COLUMNS.join(', ')} FROM stage_quarantine
ON CONFLICT (source_topic, source_partition, source_offset) DO NOTHING`;

export async function writeBatch(pool: Pool, input: BatchInput, parsers: Parsers): Promise<BatchOutcome> {
  const last = input.messages[input.messages.length - 1];
  if (last === undefined) throw new Error('writeBatch: empty batch');
  return inTransaction(pool, async (client) => {
    // Lock the partition's offset row (creating it on first sight) so concurrent writers serialise.
    await client.query(
      `INSERT INTO loader_offsets (group_id, topic, partition, next_offset) VALUES ($1, $2, $3, $4)
       ON CONFLICT DO NOTHING`,
      [input.groupId, input.topic, input.partition, input.fetchedOffset],
    );
    const stored = await client.query<{ next_offset: string }>(
      'SELECT next_offset FROM loader_offsets WHERE group_id = $1 AND topic = $2 AND partition = $3 FOR UPDATE',
      [input.groupId, input.topic, input.partition],
    );
    const storedOffset = BigInt(stored.rows[0]?.next_offset ?? input.fetchedOffset);
    const fetched = BigInt(input.fetchedOffset);
    if (fetched > storedOffset && input.allowGap !== true)
      return { status: 'behind_stored', storedOffset: String(storedOffset) };
    // Loaded although the records from the stored offset up to the fetched one never were: reported.
    const gap = fetched > storedOffset ? { from: String(storedOffset), to: String(fetched) } : undefined;
    const fresh = input.messages.filter((m) => BigInt(m.offset) >= storedOffset);
    if (fresh.length === 0) return { status: 'already_loaded', storedOffset: String(storedOffset) };

    const applications: ApplicationRow[] = [];
    const alerts: AlertRow[] = [];
    const quarantined: QuarantineRow[] = [];
    for (const m of fresh) {
      const source = { topic: input.topic, partition: input.partition, offset: m.offset };
      if (input.kind === 'applications') {
        const p = parsers.applications(source, m.key, m.value);
        if (p.ok) applications.push(p.row);
        else quarantined.push(p.quarantine);
      } else {
        const p = parsers.alerts(source, m.key, m.value);
        if (p.ok) alerts.push(p.row);
        else quarantined.push(p.quarantine);
      }
    }

    await client.query(STAGING_DDL);
    let insertedApplications = 0;
    let insertedAlerts = 0;
    if (applications.length > 0) {
      await copyRows(client, 'stage_application', APPLICATION_COLUMNS, applications.map(applicationValues));
      await client.query(ENSURE_DATES('stage_application'));
      await client.query(UPSERT_APPLICANTS);
      insertedApplications = (await client.query(INSERT_APPLICATIONS)).rowCount ?? 0;
    }
    if (alerts.length > 0) {
      await copyRows(client, 'stage_fraud_alert', ALERT_COLUMNS, alerts.map(alertValues));
      await client.query(ENSURE_DATES('stage_fraud_alert'));
      insertedAlerts = (await client.query(INSERT_ALERTS)).rowCount ?? 0;
    }
    if (quarantined.length > 0) {
      await copyRows(client, 'stage_quarantine', QUARANTINE_COLUMNS, quarantined.map(quarantineValues));
      await client.query(INSERT_QUARANTINE);
    }
    const nextOffset = String(BigInt(last.offset) + 1n);
    await client.query(
      `UPDATE loader_offsets SET next_offset = $4, updated_at = now()
       WHERE group_id = $1 AND topic = $2 AND partition = $3`,
      [input.groupId, input.topic, input.partition, nextOffset],
    );
    return {
      status: 'written',
      nextOffset,
      applications: insertedApplications,
      duplicateApplications: applications.length - insertedApplications,
      alerts: insertedAlerts,
      duplicateAlerts: alerts.length - insertedAlerts,
      quarantined,
      skippedAlreadyLoaded: input.messages.length - fresh.length,
      ...(gap === undefined ? {} : { gap }),
    };
  });
}

/** Stored offsets of a consumer group (topic → partition → next offset). */
export async function storedOffsets(
  client: Pool | pg.PoolClient,
  groupId: string,
  topics: readonly string[],
): Promise<Map<string, Map<number, string>>> {
  const { rows } = await client.query<{ topic: string; partition: number; next_offset: string }>(
    'SELECT topic, partition, next_offset FROM loader_offsets WHERE group_id = $1 AND topic = ANY($2)',
    [groupId, topics],
  );
  const out = new Map<string, Map<number, string>>();
  for (const r of rows) {
    const byPartition = out.get(r.topic) ?? new Map<number, string>();
    out.set(r.topic, byPartition);
    byPartition.set(r.partition, r.next_offset);
  }
  return out;
}

function applicationValues(r: ApplicationRow) {
  return [
    r.applicationId,
    r.nationalIdHash,
    r.customerRefHash,
    r.addressCountry,
    r.dateKey,
    r.submittedAt,
    r.receivedAt,
    r.schemaVersion,
    r.employmentStatus,
    r.monthsInJob,
    r.annualIncome,
    r.loanAmount,
    r.currency,
    r.termMonths,
    r.purpose,
    r.bureauScore,
    r.monthlyDebtPayments,
    r.openCreditLines,
    r.delinquencies24m,
    r.creditHistoryMonths,
    r.bankruptcies,
    r.channelType,
    r.geoCountry,
    r.partitionHash,
    r.source.topic,
    r.source.partition,
    r.source.offset,
  ] as const;
}

function alertValues(r: AlertRow) {
  return [
    r.alertId,
    r.applicationId,
    r.ruleId,
    r.ruleVersion,
    r.severity,
    r.reasonCode,
    r.mode,
    r.eventTime,
    r.detectedAt,
    r.dateKey,
    json(r.evidence),
    r.source.topic,
    r.source.partition,
    r.source.offset,
  ] as const;
}

function quarantineValues(q: QuarantineRow) {
  return [
    q.source.topic,
    q.source.partition,
    q.source.offset,
    q.messageKey,
    q.reason,
    json(q.errors),
    q.payloadRedacted === null ? null : json(q.payloadRedacted),
    q.payloadSha256,
    q.payloadBytes,
  ] as const;
}
