/**
 * The Prometheus metric names the dashboards and alert rules chart, in one place.
 * Each name is what the named program registers with prom-client; a unit test reads the
 * programs' sources and fails when a name here is not registered by its producer.
 */

/** ingestion-api (workloads/ingestion-api/metrics.ts). */
export const ingestion = {
  /** Counter{route, method, status}: HTTP requests answered. */
  httpRequests: 'ingestion_http_requests_total',
  /** Histogram{route}: request duration in seconds. */
  httpDuration: 'ingestion_http_request_duration_seconds',
  /** Counter{outcome="accepted"|"rejected"|"unavailable"}: applications by outcome (pre-initialised). */
  applications: 'ingestion_applications_total',
  /** Counter{field}: failing contract fields of rejected submissions. */
  validationFailures: 'ingestion_validation_failures_total',
} as const;

/** fraud-detector (workloads/fraud-detector/metrics.ts). */
export const detector = {
  /** Counter: application events consumed and evaluated. */
  eventsConsumed: 'fraud_detector_events_consumed_total',
  /** Counter{rule, severity}: fraud alerts raised. */
  alerts: 'fraud_detector_alerts_total',
  /** Counter{rule}: hits of shadow rules (evaluated, not alerting). */
  shadowHits: 'fraud_detector_shadow_hits_total',
  /** Histogram: seconds from the server's receipt of the application that raised the alert (receivedAt) to the alert being written. */
  e2eLatency: 'fraud_detector_e2e_latency_seconds',
  /** Gauge{topic, partition}: messages behind the partition's high watermark. */
  consumerLag: 'fraud_detector_consumer_lag',
  /** Gauge{version} = 1: the rule-set version in force. */
  ruleSetInfo: 'fraud_detector_ruleset_info',
  /** Counter{reason}: events on the applications topic that fail the contract, sent to the dead-letter topic. */
  dlq: 'fraud_detector_dlq_messages_total',
} as const;

/** warehouse-loader (workloads/warehouse-loader/metrics.ts). */
export const loader = {
  /** Counter{table}: rows written to the warehouse. */
  rowsWritten: 'warehouse_loader_rows_written_total',
  /** Counter{topic, reason}: messages that went to the quarantine table. */
  quarantined: 'warehouse_loader_quarantined_total',
  /** Gauge{topic, partition}: messages behind the high watermark after the last batch. */
  consumerLag: 'warehouse_loader_consumer_lag',
} as const;

/**
 * Scoring runs, read from the warehouse's `scoring_run` table at scrape time and exported by the
 * warehouse loader (workloads/warehouse/scoring-run-metrics.ts): the risk scorer is a short-lived Job,
 * so what must outlive its pods is recorded in the warehouse. Labels: model (name@version), role.
 */
export const scoring = {
  /** Gauge{model, role}: unix time the last fully successful run finished. */
  lastSuccess: 'warehouse_scoring_last_success_timestamp_seconds',
  /** Gauge{model, role}: population stability index of the last successful run. */
  lastRunPsi: 'warehouse_scoring_last_run_psi',
  /** Gauge{model, role}: scores the last successful run wrote. */
  lastRunScores: 'warehouse_scoring_last_run_scores',
} as const;

/**
 * cases (workloads/cases/metrics.ts). Precision and the backlog are read from the warehouse at scrape
 * time; labels: rule (id), rule_version, status.
 */
export const cases = {
  /** Counter: cases opened from live alerts. */
  opened: 'cases_opened_total',
  /** Gauge{rule, rule_version}: confirmed fraud / resolved alerts of the rule (absent until one is resolved). */
  rulePrecision: 'cases_rule_precision',
  /** Gauge{rule, rule_version}: resolved alerts of the rule (the sample behind the precision). */
  ruleResolved: 'cases_rule_resolved_alerts',
  /** Gauge{status}: cases by status. */
  byStatus: 'cases_by_status',
} as const;

/** alert-delivery (workloads/alert-delivery/metrics.ts). Labels: endpoint (its name in the spec). */
export const delivery = {
  /** Counter{endpoint, outcome="delivered"|"dead"}: finished deliveries. */
  deliveries: 'alert_delivery_deliveries_total',
  /** Counter{endpoint, result}: HTTP attempts (success, http_error, timeout, network_error). */
  attempts: 'alert_delivery_attempts_total',
  /** Histogram{endpoint}: seconds from detection to successful delivery. */
  latency: 'alert_delivery_latency_seconds',
  /** Gauge{endpoint}: deliveries waiting (pending outbox rows). */
  backlog: 'alert_delivery_backlog',
} as const;

/** kube-state-metrics (kube-prometheus-stack), for the scorer's Jobs. */
export const kubeStateMetrics = {
  /** Gauge{namespace, job_name}: failed pods of a Job. */
  jobFailed: 'kube_job_status_failed',
} as const;

/** operator (operator/metrics.ts). */
export const operator = {
  /** Counter{result="success"|"error"|"requeue"}: reconciles finished. */
  reconciles: 'credit_operator_reconciles_total',
  /** Counter{step}: reconciles that ended in an error, by the step that failed. */
  reconcileErrors: 'credit_operator_reconcile_errors_total',
  /** Histogram{result}: reconcile duration in seconds. */
  reconcileDuration: 'credit_operator_reconcile_duration_seconds',
  /** Gauge: keys waiting in the work queue. */
  queueDepth: 'credit_operator_workqueue_depth',
  /** Gauge{pipeline_namespace, pipeline, type, status, reason} = 1: each CreditPipeline condition (leader only). */
  pipelineCondition: 'credit_operator_pipeline_condition',
} as const;

/**
 * prom-client default metrics (collectDefaultMetrics), which every program exposes, some under a
 * prefix (the operator's are `credit_operator_process_…`): these are name *suffixes*, matched with
 * `{__name__=~"(.+_)?<suffix>"}` (see `anyPrefix`).
 */
export const process_ = {
  cpuSeconds: 'process_cpu_seconds_total',
  residentMemory: 'process_resident_memory_bytes',
  eventLoopLagP99: 'nodejs_eventloop_lag_p99_seconds',
} as const;

/** A name matcher of a default metric under any program's prefix, for `sel('', …)`-style selectors. */
export function anyPrefix(suffix: string): string {
  return `__name__=~"(.+_)?${suffix}"`;
}

/**
 * Regular expressions matching the scrape `job` label of each program. prometheus-operator sets
 * `job` to the Service name, `<pipeline>-<component>`; a plain
 * scrape config may use the bare component name. Both match.
 */
export const jobs = {
  ingestionApi: '(.+-)?ingestion-api',
  fraudDetector: '(.+-)?fraud-detector',
  warehouseLoader: '(.+-)?warehouse-loader',
  operator: '(.+-)?operator',
  /** Job objects (kube-state-metrics `job_name`) of the scorer's CronJob: `<pipeline>-risk-scorer-<n>`. */
  riskScorerJobs: '(.+-)?risk-scorer-.+',
} as const;

export type JobNames = { [K in keyof typeof jobs]: string };
