/**
 * The platform's alerting rules, written once: the operator renders them into a PrometheusRule
 * (`spec.groups` is `alertRuleGroups(opts)`), and `dashboards/build.ts` writes the same groups as a
 * plain Prometheus rules file for promtool and the local harness.
 * Every alert has a section in docs/runbooks.md; its `runbook_url` annotation points there.
 */
import { type AlertThresholdsSpec, alertDefaults } from '../../api/alert-thresholds.ts';
import {
  cases,
  delivery,
  detector,
  type JobNames,
  jobs,
  kubeStateMetrics,
  loader,
  operator,
  scoring,
} from '../metric-names.ts';
import { duration, type Matchers, selector } from './promql.ts';

/** The per-part conditions of a CreditPipeline (Ready summarises them). */
const PART_CONDITIONS = 'TopicsReady|StorageReady|DetectorReady|ScoringReady|MonitoringReady';

export interface AlertingRule {
  alert: string;
  expr: string;
  for?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface RuleGroup {
  name: string;
  interval?: string;
  rules: AlertingRule[];
}

/** Where and how the rules are built; the thresholds (api/alert-thresholds.ts) default to `alertDefaults`. */
export interface AlertRuleOptions extends Partial<AlertThresholdsSpec> {
  /** Label matchers added to every selector, scoping the rules to one pipeline (e.g. `{ namespace: 'credit' }`). */
  matchers?: Matchers;
  /**
   * Label matchers of the operator's own series. The operator runs once per cluster, usually in its own
   * namespace, so the pipeline `matchers` do not apply to it. Default: none.
   */
  operatorMatchers?: Matchers;
  /**
   * Whether to include the operator's group. Default true; a per-pipeline PrometheusRule sets false and
   * the operator's chart ships `operatorAlertRuleGroups()` once instead.
   */
  includeOperator?: boolean;
  /** Labels added to every alert (e.g. `{ team: 'credit-risk' }` for Alertmanager routing). */
  labels?: Readonly<Record<string, string>>;
  /** Regular expressions for the scrape `job` label of each program (defaults in metric-names.ts). */
  jobs?: Partial<JobNames>;
  /** Base URL of docs/runbooks.md; each alert links to its section (`#<alert name in lower case>`). */
  runbookBaseUrl?: string;
  /** How often Prometheus evaluates the groups (default: its global evaluation interval). */
  evaluationInterval?: string;
}

export const DEFAULT_RUNBOOK_BASE_URL =
  'https://github.com/credit-platform/credit-platform/blob/main/docs/runbooks.md';

/** The anchor GitHub gives the runbook heading `## <AlertName>`. */
export function runbookAnchor(alert: string): string {
  return alert.toLowerCase();
}

type NumericThreshold = {
  [K in keyof AlertThresholdsSpec]: AlertThresholdsSpec[K] extends number ? K : never;
}[keyof AlertThresholdsSpec];
type DurationThreshold = Exclude<keyof AlertThresholdsSpec, NumericThreshold>;

function positive(value: number, setting: string): number {
  if (!Number.isFinite(value) || value <= 0)
    throw new Error(`${setting}: must be a positive number, got ${value}`);
  return value;
}

export function alertRuleGroups(opts: AlertRuleOptions = {}): RuleGroup[] {
  const m = opts.matchers ?? {};
  const job = { ...jobs, ...opts.jobs };
  const base = opts.runbookBaseUrl ?? DEFAULT_RUNBOOK_BASE_URL;
  const num = (k: NumericThreshold) => positive(opts[k] ?? alertDefaults[k], k);
  const dur = (k: DurationThreshold) => duration(opts[k] ?? alertDefaults[k], k);
  const downFor = dur('detectorDownFor');
  const lagThreshold = num('consumerLagThreshold');
  const lagFor = dur('consumerLagFor');
  const dlqRatio = num('dlqRatioThreshold');
  const p99 = num('e2eLatencyP99Seconds');
  const maxAge = num('scoringMaxAgeSeconds');
  const psi = num('psiThreshold');
  const factor = num('fraudAlertRateFactor');
  const baseline = dur('fraudAlertBaselineWindow');
  const precisionFloor = num('rulePrecisionFloor');
  const minResolved = num('rulePrecisionMinResolved');
  const backlogThreshold = num('deliveryBacklogThreshold');
  const interval =
    opts.evaluationInterval === undefined
      ? {}
      : { interval: duration(opts.evaluationInterval, 'evaluationInterval') };

  const rule = (
    alert: string,
    severity: 'critical' | 'warning',
    expr: string,
    forDuration: string | undefined,
    summary: string,
    description: string,
    labels: Record<string, string> = {},
  ): AlertingRule => ({
    alert,
    expr,
    ...(forDuration === undefined ? {} : { for: forDuration }),
    labels: { ...opts.labels, severity, ...labels, ...m },
    annotations: { summary, description, runbook_url: `${base}#${runbookAnchor(alert)}` },
  });

  const s = (metric: string, extra: Matchers = {}, regex: Matchers = {}): string =>
    selector(metric, m, extra, regex);
  const maxAgeText = maxAge % 3600 === 0 ? `${maxAge / 3600}h` : `${maxAge}s`;
  const lagOf = (metric: string, consumer: string): string =>
    `label_replace(max by (topic, partition) (${s(metric)}), "consumer", "${consumer}", "", "") > ${lagThreshold}`;

  const fraudDetection: RuleGroup = {
    name: 'credit-platform.fraud-detection',
    ...interval,
    rules: [
      rule(
        'FraudDetectorDown',
        'critical',
        `absent(${s('up', {}, { job: job.fraudDetector })} == 1)`,
        downFor,
        'No fraud detector is up',
        'No fraud-detector scrape target has been up for ' +
          `${downFor}: applications are not being checked for fraud.`,
      ),
      rule(
        'FraudDetectorNotConsuming',
        'critical',
        `sum(${s(detector.consumerLag)}) > 0 and sum(rate(${s(detector.eventsConsumed)}[5m])) == 0`,
        '5m',
        'The fraud detector is up but not consuming',
        'Applications are waiting on the topic ({{ $value }} behind in total) but the detector has consumed none for 5 minutes.',
      ),
      rule(
        'ConsumerLagHigh',
        'warning',
        `${lagOf(detector.consumerLag, 'fraud-detector')} or ${lagOf(loader.consumerLag, 'warehouse-loader')}`,
        lagFor,
        'A consumer is falling behind',
        `The {{ $labels.consumer }} is {{ $value }} messages behind on {{ $labels.topic }}/{{ $labels.partition }} (threshold ${lagThreshold}) for ${lagFor}.`,
      ),
      rule(
        'DeadLetterSpike',
        'warning',
        `sum(rate(${s(detector.dlq)}[5m])) / (sum(rate(${s(detector.dlq)}[5m])) + sum(rate(${s(detector.eventsConsumed)}[5m]))) > ${dlqRatio}`,
        '5m',
        'Many events are going to the dead-letter topic',
        `{{ $value | humanizePercentage }} of the events on the applications topic failed the contract over 5 minutes (threshold ${dlqRatio * 100}%).`,
      ),
      rule(
        'EndToEndLatencyP99High',
        'warning',
        `histogram_quantile(0.99, sum by (le) (rate(${s(`${detector.e2eLatency}_bucket`)}[5m]))) > ${p99}`,
        '10m',
        'End-to-end latency p99 is over its objective',
        `99% of fraud alerts should be written within ${p99}s of the application's submission; p99 is {{ $value | humanizeDuration }}.`,
      ),
      rule(
        'FraudAlertRateAnomaly',
        'warning',
        `(sum(rate(${s(detector.alerts)}[15m])) / sum(rate(${s(detector.eventsConsumed)}[15m])))` +
          ` > ${factor} * (sum(rate(${s(detector.alerts)}[${baseline}] offset 15m))` +
          ` / sum(rate(${s(detector.eventsConsumed)}[${baseline}] offset 15m)))`,
        '15m',
        'Fraud alerts per application are far above normal',
        `The share of applications raising a fraud alert over 15 minutes is more than ${factor}× its ${baseline} baseline: an attack, or a faulty rule.`,
      ),
    ],
  };

  const riskScoring: RuleGroup = {
    name: 'credit-platform.risk-scoring',
    ...interval,
    rules: [
      rule(
        'RiskScoringRunFailed',
        'warning',
        `sum by (namespace, job_name) (increase(${s(kubeStateMetrics.jobFailed, {}, { job_name: job.riskScorerJobs })}[1h])) > 0`,
        undefined,
        'A risk scoring run failed',
        'Scoring Job {{ $labels.namespace }}/{{ $labels.job_name }} had failed pods in the last hour; applications stay unscored until a run succeeds.',
      ),
      rule(
        'RiskScoringRunMissing',
        'warning',
        `time() - max by (model, role) (${s(scoring.lastSuccess)}) > ${maxAge}`,
        '15m',
        'No successful risk scoring run within its schedule',
        `The last successful scoring run of {{ $labels.model }} ({{ $labels.role }}) finished more than ${maxAgeText} ago.`,
        { cause: 'stale' },
      ),
      rule(
        'RiskScoringRunMissing',
        'warning',
        `absent(${s(scoring.lastSuccess)})`,
        maxAgeText,
        'No successful risk scoring run within its schedule',
        `No scoring run has succeeded for any model in ${maxAgeText} (or the warehouse loader that reports them is not scraped).`,
        { cause: 'none' },
      ),
      rule(
        'ScorecardPopulationShift',
        'warning',
        `max by (model, role) (${s(scoring.lastRunPsi)}) > ${psi}`,
        undefined,
        'Population stability index above the drift threshold',
        `PSI of the last run of {{ $labels.model }} ({{ $labels.role }}) is {{ $value }} (threshold ${psi}): the applicant population no longer matches the scorecard's development sample.`,
      ),
    ],
  };

  const fraudOperations: RuleGroup = {
    name: 'credit-platform.fraud-operations',
    ...interval,
    rules: [
      rule(
        'FraudRulePrecisionLow',
        'warning',
        `max by (rule, rule_version) (${s(cases.rulePrecision)}) < ${precisionFloor}` +
          ` and max by (rule, rule_version) (${s(cases.ruleResolved)}) >= ${minResolved}`,
        '30m',
        'Analysts find most alerts of a fraud rule legitimate',
        `Only {{ $value | humanizePercentage }} of the resolved alerts of rule {{ $labels.rule }} v{{ $labels.rule_version }} were confirmed as fraud (floor ${precisionFloor * 100}%, judged after ${minResolved} verdicts): the rule costs analysts' time and applicants' friction.`,
      ),
      rule(
        'AlertDeliveryDeadLetters',
        'warning',
        `sum by (endpoint) (increase(${s(delivery.deliveries, { outcome: 'dead' })}[15m])) > 0`,
        undefined,
        'Fraud alerts could not be delivered to a webhook',
        'Deliveries to endpoint {{ $labels.endpoint }} gave up after their last attempt ({{ $value | humanize }} in 15 minutes); those alerts reached nobody through it.',
      ),
      rule(
        'AlertDeliveryBacklogHigh',
        'warning',
        `max by (endpoint) (${s(delivery.backlog)}) > ${backlogThreshold}`,
        '15m',
        'Fraud alerts are piling up for a webhook',
        `{{ $value }} alerts wait for endpoint {{ $labels.endpoint }} (threshold ${backlogThreshold}) for 15 minutes: the receiver is down, slow or refusing.`,
      ),
    ],
  };

  const om = opts.operatorMatchers ?? {};
  const operatorGroup: RuleGroup = {
    name: 'credit-platform.operator',
    ...interval,
    rules: [
      {
        ...rule(
          'OperatorReconcileErrors',
          'warning',
          `sum(rate(${selector(operator.reconcileErrors, om)}[5m])) > 0`,
          '15m',
          'The CreditPipeline operator keeps failing to reconcile',
          'Reconciles have been failing for 15 minutes ({{ $value | humanize }} errors/s); the pipelines may not match their specs.',
        ),
        labels: { ...opts.labels, severity: 'warning', ...om },
      },
      {
        ...rule(
          'CreditPipelinePartNotReady',
          'warning',
          `max by (pipeline_namespace, pipeline, type, reason) (${selector(operator.pipelineCondition, om, { status: 'False' }, { type: PART_CONDITIONS })}) > 0`,
          '15m',
          'A part of a CreditPipeline has not been ready for 15 minutes',
          '{{ $labels.type }} of CreditPipeline {{ $labels.pipeline_namespace }}/{{ $labels.pipeline }} has been False for 15 minutes (reason {{ $labels.reason }}); `kubectl describe creditpipeline` shows the message.',
        ),
        labels: { ...opts.labels, severity: 'warning', ...om },
      },
      {
        ...rule(
          'CreditPipelineDegraded',
          'critical',
          `max by (pipeline_namespace, pipeline, reason) (${selector(operator.pipelineCondition, om, { type: 'Degraded', status: 'True' })}) > 0`,
          '10m',
          'A CreditPipeline cannot be applied',
          'CreditPipeline {{ $labels.pipeline_namespace }}/{{ $labels.pipeline }} has been Degraded for 10 minutes (reason {{ $labels.reason }}): its spec is not what runs.',
        ),
        labels: { ...opts.labels, severity: 'critical', ...om },
      },
    ],
  };

  return opts.includeOperator === false
    ? [fraudDetection, riskScoring, fraudOperations]
    : [fraudDetection, riskScoring, fraudOperations, operatorGroup];
}

/** The operator's own alert group, for the chart that deploys the operator (once per cluster). */
export function operatorAlertRuleGroups(
  opts: Pick<AlertRuleOptions, 'operatorMatchers' | 'labels' | 'runbookBaseUrl' | 'evaluationInterval'> = {},
): RuleGroup[] {
  return alertRuleGroups(opts).filter((g) => g.name === 'credit-platform.operator');
}
