/**
 * The thresholds of the platform's alerts: their defaults, and the schema of
 * `spec.monitoring.alerts`, where a CreditPipeline overrides them for its own PrometheusRule.
 * dashboards/alerts/rules.ts builds the rules from them; docs/runbooks.md describes each alert.
 */
import { type Static, Type } from '@sinclair/typebox';

/** The defaults, exported so the CRD, the rules, the dashboards and the tests name the same numbers. */
export const alertDefaults = {
  detectorDownFor: '2m',
  consumerLagThreshold: 1000,
  consumerLagFor: '10m',
  dlqRatioThreshold: 0.05,
  e2eLatencyP99Seconds: 2,
  scoringMaxAgeSeconds: 26 * 3600,
  psiThreshold: 0.25,
  fraudAlertRateFactor: 3,
  fraudAlertBaselineWindow: '1d',
  rulePrecisionFloor: 0.3,
  rulePrecisionMinResolved: 20,
  deliveryBacklogThreshold: 500,
} as const;

/** Prometheus duration syntax: digits and a unit, optionally repeated (`1h30m`, `1d`). */
export const PROMETHEUS_DURATION_PATTERN = '^([0-9]+(ms|s|m|h|d|w|y))+$';

const PromDuration = (description: string, dflt: string) =>
  Type.String({
    description: `${description} A Prometheus duration such as 5m, 2h or 1d.`,
    default: dflt,
    maxLength: 32,
    pattern: PROMETHEUS_DURATION_PATTERN,
  });

/** A number greater than 0 (CEL: the API server's structural schemas have no exclusiveMinimum number). */
const Positive = (description: string, dflt: number, maximum?: number) =>
  Type.Number({
    description,
    default: dflt,
    minimum: 0,
    ...(maximum === undefined ? {} : { maximum }),
    'x-kubernetes-validations': [
      { rule: 'self > 0.0', message: 'must be greater than 0', reason: 'FieldValueInvalid' },
    ],
  });

export const AlertThresholdsSpec = Type.Object(
  {
    detectorDownFor: PromDuration(
      'How long every fraud-detector target must be down before FraudDetectorDown fires.',
      alertDefaults.detectorDownFor,
    ),
    consumerLagThreshold: Type.Integer({
      description: 'Messages a partition may be behind before ConsumerLagHigh (detector and loader).',
      default: alertDefaults.consumerLagThreshold,
      minimum: 1,
      format: 'int64',
    }),
    consumerLagFor: PromDuration(
      'How long the lag must stay above the threshold.',
      alertDefaults.consumerLagFor,
    ),
    dlqRatioThreshold: Positive(
      'Share (0–1) of the applications topic’s events dead-lettered that is a DeadLetterSpike.',
      alertDefaults.dlqRatioThreshold,
      1,
    ),
    e2eLatencyP99Seconds: Positive(
      'End-to-end latency objective of the 99th percentile, in seconds (EndToEndLatencyP99High).',
      alertDefaults.e2eLatencyP99Seconds,
    ),
    scoringMaxAgeSeconds: Type.Integer({
      description:
        'Longest time since a model’s last successful scoring run, in seconds (RiskScoringRunMissing); keep it above the scoring schedule’s period.',
      default: alertDefaults.scoringMaxAgeSeconds,
      minimum: 60,
      format: 'int64',
    }),
    psiThreshold: Positive(
      'Population stability index above which a model’s population has shifted (ScorecardPopulationShift).',
      alertDefaults.psiThreshold,
    ),
    fraudAlertRateFactor: Positive(
      'Alert rate relative to the baseline window’s that is a FraudAlertRateAnomaly.',
      alertDefaults.fraudAlertRateFactor,
    ),
    fraudAlertBaselineWindow: PromDuration(
      'Baseline window of the fraud-alert rate.',
      alertDefaults.fraudAlertBaselineWindow,
    ),
    rulePrecisionFloor: Positive(
      'Precision from analysts’ verdicts (confirmed fraud / resolved) below which a rule raises FraudRulePrecisionLow.',
      alertDefaults.rulePrecisionFloor,
      1,
    ),
    rulePrecisionMinResolved: Type.Integer({
      description: 'Resolved alerts a rule needs before its precision is judged (FraudRulePrecisionLow).',
      default: alertDefaults.rulePrecisionMinResolved,
      minimum: 1,
      format: 'int64',
    }),
    deliveryBacklogThreshold: Type.Integer({
      description:
        'Pending webhook deliveries of one endpoint that are a backlog (AlertDeliveryBacklogHigh).',
      default: alertDefaults.deliveryBacklogThreshold,
      minimum: 1,
      format: 'int64',
    }),
  },
  {
    default: {},
    additionalProperties: false,
    description:
      'Thresholds of the pipeline’s alerts in its PrometheusRule (docs/runbooks.md); unset fields keep the platform defaults.',
  },
);
export type AlertThresholdsSpec = Static<typeof AlertThresholdsSpec>;
