/**
 * Kafka topics every program must agree on: the default names of the pipeline's topics (the
 * CRD's defaults, the workloads' config defaults, the generator's and the demo's), and the name of
 * the fraud detector's internal repartition topic, which the operator declares and the detector uses.
 */

/** Default topic names, as in the CreditPipeline CRD (`spec.topics`). */
export const DEFAULT_TOPICS = {
  /** Validated, pseudonymized applications. */
  applications: 'credit_apps',
  /** Invalid applications, with the reason. */
  deadLetter: 'credit_apps_dlq',
  /** Fraud alerts. */
  alerts: 'fraud_alerts',
  /** The fraud detector's verdict on every application it checked (api/verdict.ts). */
  verdicts: 'credit_verdicts',
  /** Credit decisions issued by the decision service (api/decision.ts). */
  decisions: 'credit_decisions',
} as const;

/** The detector's application id unless DETECTOR_APP_ID says otherwise. */
export const DEFAULT_APP_ID = 'fraud-detector';
/** How long the repartition topic keeps records: window state is rebuilt by replaying it. */
export const REPARTITION_RETENTION_MS = 7 * 86_400_000;

/** What names a detector's consumer groups and internal topics. */
export interface DetectorIdentity {
  /** `<namespace>.<pipeline>` in a cluster (names.ts `consumerGroupPrefix`); may be empty. */
  groupPrefix: string;
  appId: string;
}

/** `<prefix>.<appId>` (or `<appId>`): consumer groups and internal topics derive from it. */
export function applicationName(id: DetectorIdentity): string {
  return id.groupPrefix === '' ? id.appId : `${id.groupPrefix}.${id.appId}`;
}

/** The internal topic between the detector's two stages (the operator declares it too). */
export function repartitionTopicName(id: DetectorIdentity): string {
  return `${applicationName(id)}-repartition`;
}
