/**
 * The fraud-alert message as the loader accepts it from the alerts topic (written by the fraud
 * detector). Only the fields the warehouse stores are required; extra fields are allowed so the
 * detector can add some without breaking the loader.
 */
import { type Static, Type } from '@sinclair/typebox';
import { compileValidator } from '../contract/validate.ts';

const Rfc3339 = Type.String({
  pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,9})?(Z|[+-]\\d{2}:\\d{2})$',
});

export const FraudAlertMessage = Type.Object(
  {
    alertId: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    applicationId: Type.String({
      pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$',
    }),
    ruleId: Type.String({ minLength: 1, maxLength: 100 }),
    ruleVersion: Type.Union([Type.String({ minLength: 1, maxLength: 50 }), Type.Integer({ minimum: 0 })]),
    severity: Type.Union([
      Type.Literal('low'),
      Type.Literal('medium'),
      Type.Literal('high'),
      Type.Literal('critical'),
    ]),
    reasonCode: Type.String({ minLength: 1, maxLength: 100 }),
    mode: Type.Union([Type.Literal('live'), Type.Literal('shadow')]),
    eventTime: Rfc3339,
    detectedAt: Rfc3339,
    evidence: Type.Record(Type.String(), Type.Unknown()),
  },
  { additionalProperties: true, $id: 'credit.fraud-alert.v1', title: 'Fraud alert (as loaded)' },
);
export type FraudAlertMessage = Static<typeof FraudAlertMessage>;

export const alertValidator = compileValidator(FraudAlertMessage);

/** The alert's natural key: its id, or application + rule + rule version (one alert per rule hit). */
export function alertKey(alert: FraudAlertMessage): string {
  return alert.alertId ?? `${alert.applicationId.toLowerCase()}:${alert.ruleId}:${alert.ruleVersion}`;
}
