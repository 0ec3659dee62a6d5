/**
 * The fraud detector's verdict on an application: what it found when it checked it, alerts or none.
 * Published on the verdicts topic (`spec.topics.verdicts`) in parts, because the detector checks an
 * application in more than one place:
 *
 * - one `source` part from the source stage, after the per-application rules (expression, list), naming
 *   the window-rule key paths the application was sent to (`windowKeys`; empty when it is beyond the
 *   event-time horizon or has none of the keys);
 * - one `window` part per key path from the window stage, after the window rules of that key evaluated
 *   the application (the alerts raised on it at that moment: a burst it completed or joined).
 *
 * The verdict is complete when the source part and one window part per `windowKeys` entry are in.
 * Parts are keyed by customerId and written to the same partition number as the application on the
 * applications topic (the topics have the same partition count), so a consumer of partition p of both
 * topics sees an application and its whole verdict. Parts are at-least-once (a detector crash replays
 * and re-publishes the same content); consumers are idempotent on the application id.
 *
 * Alerts raised on an application later, by a burst that completes after its verdict, are not part of
 * it: they reach the alerts topic as usual (the late-alert path).
 */
import { type Static, Type } from '@sinclair/typebox';
import { StringEnum } from '../lib/string-enum.ts';
import { MODES, SEVERITIES } from './fraud-rules.ts';

const ApplicationId = Type.String({
  pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$',
});

/** An alert as a verdict carries it: enough to decide, no evidence (that stays with the alert). */
export const VerdictAlert = Type.Object(
  {
    alertId: Type.String({ minLength: 1, maxLength: 200 }),
    ruleId: Type.String({ minLength: 1, maxLength: 100 }),
    ruleVersion: Type.Integer({ minimum: 0 }),
    severity: StringEnum(SEVERITIES),
    mode: StringEnum(MODES),
    reasonCode: Type.String({ minLength: 1, maxLength: 100 }),
  },
  { additionalProperties: true },
);
export type VerdictAlert = Static<typeof VerdictAlert>;

const common = {
  applicationId: ApplicationId,
  customerId: Type.String({ minLength: 1 }),
  /** When the detector checked it (RFC 3339). */
  checkedAt: Type.String({ minLength: 1 }),
  alerts: Type.Array(VerdictAlert, { maxItems: 1000 }),
};

export const SourceVerdictPart = Type.Object(
  {
    kind: Type.Literal('source'),
    ...common,
    ruleSetVersion: Type.String(),
    /** Window-rule key paths the application was published under; one window part follows per path. */
    windowKeys: Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { maxItems: 100 }),
    /** Beyond the event-time horizon: window rules did not run (windowKeys is then empty). */
    beyondHorizon: Type.Boolean(),
  },
  { additionalProperties: true },
);
export type SourceVerdictPart = Static<typeof SourceVerdictPart>;

export const WindowVerdictPart = Type.Object(
  {
    kind: Type.Literal('window'),
    ...common,
    keyPath: Type.String({ minLength: 1, maxLength: 200 }),
  },
  { additionalProperties: true },
);
export type WindowVerdictPart = Static<typeof WindowVerdictPart>;

export const VerdictPart = Type.Union([SourceVerdictPart, WindowVerdictPart], {
  $id: 'credit.verdict-part.v1',
  title: 'Fraud verdict part',
});
export type VerdictPart = Static<typeof VerdictPart>;

/** Header of a verdict part message naming its application (the key is the customer id). */
export const VERDICT_APPLICATION_HEADER = 'application-id';
