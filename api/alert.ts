/**
 * A fraud alert, written once: what the detector writes (MongoDB `fraud_alerts` and the alerts
 * topic) and what the warehouse loader reads back from the topic. The natural key is
 * `(applicationId, ruleId, ruleVersion)`: one alert per application per rule version, so a replay
 * after a crash never doubles one.
 */
import { type Static, Type } from '@sinclair/typebox';
import { StringEnum } from '../lib/string-enum.ts';
import { MODES, RULE_KINDS, SEVERITIES } from './fraud-rules.ts';

/** The MongoDB database of the alert store when its URL names none. */
export const ALERTS_DATABASE = 'credit_alerts';
/** The MongoDB collection the detector writes alerts to (unless MONGO_ALERTS_COLLECTION says otherwise). */
export const ALERTS_COLLECTION = 'fraud_alerts';

const Rfc3339 = Type.String({
  pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,9})?(Z|[+-]\\d{2}:\\d{2})$',
});

const fields = {
  /** `${applicationId}:${ruleId}:${ruleVersion}` (the natural key as one string, `alertId()`). */
  alertId: Type.String({ minLength: 1, maxLength: 200 }),
  applicationId: Type.String({
    pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$',
  }),
  customerId: Type.String({ minLength: 1 }),
  ruleId: Type.String({ minLength: 1, maxLength: 100 }),
  ruleVersion: Type.Integer({ minimum: 0 }),
  ruleKind: StringEnum(RULE_KINDS),
  ruleSetVersion: Type.String(),
  severity: StringEnum(SEVERITIES),
  reasonCode: Type.String({ minLength: 1, maxLength: 100 }),
  mode: StringEnum(MODES),
  /** The application's submission time (event time), RFC 3339. */
  eventTime: Rfc3339,
  /** When the detector decided, RFC 3339. */
  detectedAt: Rfc3339,
  /** What made the rule fire: window bounds and counts, list name, ... Never personal data. */
  evidence: Type.Record(Type.String(), Type.Unknown()),
};

/** A fraud alert as the detector writes it. */
export const FraudAlert = Type.Object(fields, { title: 'Fraud alert' });
export type FraudAlert = Static<typeof FraudAlert>;

/**
 * The same message as the warehouse loader accepts it from the alerts topic: only the fields the
 * warehouse stores are required (a missing alertId is derived from the natural key, a ruleVersion
 * may be a string), and extra fields are allowed so the detector can add some without breaking it.
 */
export const FraudAlertMessage = Type.Object(
  {
    alertId: Type.Optional(fields.alertId),
    applicationId: fields.applicationId,
    ruleId: fields.ruleId,
    ruleVersion: Type.Union([Type.String({ minLength: 1, maxLength: 50 }), fields.ruleVersion]),
    severity: fields.severity,
    reasonCode: fields.reasonCode,
    mode: fields.mode,
    eventTime: fields.eventTime,
    detectedAt: fields.detectedAt,
    evidence: fields.evidence,
  },
  { additionalProperties: true, $id: 'credit.fraud-alert.v1', title: 'Fraud alert (as loaded)' },
);
export type FraudAlertMessage = Static<typeof FraudAlertMessage>;

/** The natural key as one string: `<applicationId, lower case>:<ruleId>:<ruleVersion>`. */
export function alertId(applicationId: string, ruleId: string, ruleVersion: number | string): string {
  return `${applicationId.toLowerCase()}:${ruleId}:${ruleVersion}`;
}

/** The key of a loaded alert: its id, or the one derived from application, rule and rule version. */
export function alertKey(alert: FraudAlertMessage): string {
  return alert.alertId ?? alertId(alert.applicationId, alert.ruleId, alert.ruleVersion);
}
