/**
 * A fraud alert as the detector writes it (MongoDB `fraud_alerts` and the alerts topic). The natural
 * key is `(applicationId, ruleId, ruleVersion)`: one alert per application per rule version, so a
 * replay after a crash never doubles one. The topic message matches what the warehouse loader accepts
 * (workloads/warehouse-loader/alert-message.ts).
 */
import type { RuleMode, Severity } from '../../../api/fraud-rules.ts';

export interface FraudAlert {
  /** `${applicationId}:${ruleId}:${ruleVersion}` (the natural key as one string). */
  alertId: string;
  applicationId: string;
  customerId: string;
  ruleId: string;
  ruleVersion: number;
  ruleKind: 'velocity' | 'distinctCount' | 'expression' | 'list';
  ruleSetVersion: string;
  severity: Severity;
  reasonCode: string;
  mode: RuleMode;
  /** The application's submission time (event time), RFC 3339. */
  eventTime: string;
  /** When the detector decided, RFC 3339. */
  detectedAt: string;
  /** What made the rule fire: window bounds and counts, list name, ... Never personal data. */
  evidence: Record<string, unknown>;
}

export function alertId(applicationId: string, ruleId: string, ruleVersion: number): string {
  return `${applicationId.toLowerCase()}:${ruleId}:${ruleVersion}`;
}
