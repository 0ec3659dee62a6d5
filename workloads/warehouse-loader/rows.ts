/**
 * Pure mapping from Kafka messages to warehouse rows: an application row, an alert row, or a
 * quarantine row with the reason. Nothing is dropped: whatever cannot be loaded is quarantined.
 * No personal data reaches the warehouse: names, e-mail, phone, address lines, date of birth, IP
 * and device ids are not mapped; the quarantine keeps a redacted copy of a bad payload.
 */
import { createHash } from 'node:crypto';
import { alertKey, FraudAlertMessage } from '../../api/alert.ts';
import { PERSONAL_FIELDS } from '../../lib/personal-data.ts';
import type { ApplicationEvent } from '../contract/application.ts';
import { rfc3339Instant } from '../contract/formats.ts';
import { compileValidator, eventValidator, type FieldError } from '../contract/validate.ts';

/** The alerts topic's messages, as the loader accepts them (api/alert.ts). */
export const alertValidator = compileValidator(FraudAlertMessage);

export interface SourcePosition {
  topic: string;
  partition: number;
  offset: string;
}

export interface ApplicationRow {
  applicationId: string;
  nationalIdHash: string;
  customerRefHash: string;
  addressCountry: string;
  dateKey: number;
  submittedAt: string;
  /** The server's receipt time (v2 events); null for v1 events. */
  receivedAt: string | null;
  schemaVersion: string;
  employmentStatus: string;
  monthsInJob: number;
  annualIncome: number;
  loanAmount: number;
  currency: string;
  termMonths: number;
  purpose: string;
  bureauScore: number | null;
  monthlyDebtPayments: number;
  openCreditLines: number;
  delinquencies24m: number;
  creditHistoryMonths: number;
  bankruptcies: number;
  channelType: string;
  geoCountry: string | null;
  partitionHash: number;
  source: SourcePosition;
}

export interface AlertRow {
  alertId: string;
  applicationId: string;
  ruleId: string;
  ruleVersion: string;
  severity: FraudAlertMessage['severity'];
  reasonCode: string;
  mode: FraudAlertMessage['mode'];
  eventTime: string;
  detectedAt: string;
  dateKey: number;
  evidence: Record<string, unknown>;
  source: SourcePosition;
}

export type QuarantineReason = 'empty' | 'not_json' | 'schema_invalid' | 'unloadable';

export interface QuarantineRow {
  source: SourcePosition;
  messageKey: string | null;
  reason: QuarantineReason;
  errors: FieldError[];
  payloadRedacted: unknown;
  payloadSha256: string;
  payloadBytes: number;
}

export type Parsed<T> = { ok: true; row: T } | { ok: false; quarantine: QuarantineRow };

/** Stable partition hash of an application id: the first 31 bits of SHA-256 of the lower-case id. */
export function partitionHash(applicationId: string): number {
  return createHash('sha256').update(applicationId.toLowerCase()).digest().readUInt32BE(0) >>> 1;
}

/** yyyymmdd of an RFC 3339 timestamp, in UTC (a leap second counts as the instant after :59). */
export function dateKeyOf(timestamp: string): number {
  const d = new Date(rfc3339Instant(timestamp));
  if (Number.isNaN(d.getTime())) throw new Error(`not a timestamp: ${timestamp}`);
  return d.getUTCFullYear() * 10_000 + (d.getUTCMonth() + 1) * 100 + d.getUTCDate();
}

/**
 * The timestamp as PostgreSQL takes it: as written, except a leap second (:60), written as the instant
 * after :59 — PostgreSQL reads a whole :60 that way itself but refuses a fractional one (:60.5).
 */
export function loadableTimestamp(timestamp: string): string {
  return timestamp.charCodeAt(17) === 54 && timestamp.charCodeAt(18) === 48
    ? new Date(rfc3339Instant(timestamp)).toISOString()
    : timestamp;
}

const PERSONAL_KEYS: ReadonlySet<string> = new Set(PERSONAL_FIELDS);

const NUL = String.fromCharCode(0);

/** PostgreSQL text and jsonb cannot hold NUL characters. */
export function stripNul(s: string): string {
  return s.includes(NUL) ? s.split(NUL).join('') : s;
}

/**
 * A copy of a parsed payload with personal fields replaced by "[redacted]" (any depth), and NUL
 * characters removed from strings and keys so the copy always fits a jsonb column.
 */
export function redact(value: unknown, depth = 0): unknown {
  if (depth > 20) return '[too deep]';
  if (typeof value === 'string') return stripNul(value);
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      out[stripNul(k)] = PERSONAL_KEYS.has(k) ? '[redacted]' : redact(v, depth + 1);
    }
    return out;
  }
  return value;
}

export function quarantineRow(
  source: SourcePosition,
  key: Buffer | null,
  value: Buffer | null,
  reason: QuarantineReason,
  errors: FieldError[],
  parsed: unknown,
): QuarantineRow {
  errors = errors.map((e) => ({ path: stripNul(e.path), message: stripNul(e.message) }));
  const bytes = value ?? Buffer.alloc(0);
  return {
    source,
    messageKey: key === null ? null : stripNul(key.toString('utf8')),
    reason,
    errors,
    payloadRedacted: parsed === undefined ? null : redact(parsed),
    payloadSha256: createHash('sha256').update(bytes).digest('hex'),
    payloadBytes: bytes.length,
  };
}

function parseJson(
  source: SourcePosition,
  key: Buffer | null,
  value: Buffer | null,
): { ok: true; json: unknown } | { ok: false; quarantine: QuarantineRow } {
  if (value === null || value.length === 0)
    return {
      ok: false,
      quarantine: quarantineRow(
        source,
        key,
        value,
        'empty',
        [{ path: '/', message: 'empty message' }],
        undefined,
      ),
    };
  try {
    return { ok: true, json: JSON.parse(value.toString('utf8')) };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return {
      ok: false,
      quarantine: quarantineRow(source, key, value, 'not_json', [{ path: '/', message }], undefined),
    };
  }
}

export function applicationRowFromEvent(e: ApplicationEvent, source: SourcePosition): ApplicationRow {
  return {
    applicationId: e.applicationId.toLowerCase(),
    nationalIdHash: e.applicant.nationalIdHash,
    customerRefHash: createHash('sha256').update(e.applicant.customerId).digest('hex'),
    addressCountry: e.applicant.address.country,
    dateKey: dateKeyOf(e.submittedAt),
    submittedAt: loadableTimestamp(e.submittedAt),
    receivedAt: 'receivedAt' in e ? e.receivedAt : null,
    schemaVersion: e.schemaVersion,
    employmentStatus: e.employment.status,
    monthsInJob: e.employment.monthsInJob,
    annualIncome: e.employment.annualIncome,
    loanAmount: e.loan.amount,
    currency: e.loan.currency,
    termMonths: e.loan.termMonths,
    purpose: e.loan.purpose,
    bureauScore: e.credit.bureauScore ?? null,
    monthlyDebtPayments: e.credit.monthlyDebtPayments,
    openCreditLines: e.credit.openCreditLines,
    delinquencies24m: e.credit.delinquencies24m,
    creditHistoryMonths: e.credit.creditHistoryMonths,
    bankruptcies: e.credit.bankruptcies,
    channelType: e.channel.type,
    geoCountry: e.channel.geo?.country ?? null,
    partitionHash: partitionHash(e.applicationId),
    source,
  };
}

export function parseApplicationMessage(
  source: SourcePosition,
  key: Buffer | null,
  value: Buffer | null,
): Parsed<ApplicationRow> {
  const json = parseJson(source, key, value);
  if (!json.ok) return json;
  const checked = eventValidator.validate(json.json);
  if (!checked.ok)
    return {
      ok: false,
      quarantine: quarantineRow(source, key, value, 'schema_invalid', checked.errors, json.json),
    };
  try {
    return { ok: true, row: applicationRowFromEvent(checked.value, source) };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return {
      ok: false,
      quarantine: quarantineRow(source, key, value, 'unloadable', [{ path: '/', message }], json.json),
    };
  }
}

export function parseAlertMessage(
  source: SourcePosition,
  key: Buffer | null,
  value: Buffer | null,
): Parsed<AlertRow> {
  const json = parseJson(source, key, value);
  if (!json.ok) return json;
  const checked = alertValidator.validate(json.json);
  if (!checked.ok)
    return {
      ok: false,
      quarantine: quarantineRow(source, key, value, 'schema_invalid', checked.errors, json.json),
    };
  const a = checked.value;
  try {
    return {
      ok: true,
      row: {
        alertId: alertKey(a),
        applicationId: a.applicationId.toLowerCase(),
        ruleId: a.ruleId,
        ruleVersion: String(a.ruleVersion),
        severity: a.severity,
        reasonCode: a.reasonCode,
        mode: a.mode,
        eventTime: a.eventTime,
        detectedAt: a.detectedAt,
        dateKey: dateKeyOf(a.eventTime),
        evidence: redact(a.evidence) as Record<string, unknown>,
        source,
      },
    };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return {
      ok: false,
      quarantine: quarantineRow(source, key, value, 'unloadable', [{ path: '/', message }], json.json),
    };
  }
}
