/**
 * The Prometheus metric names the dashboards and alert rules chart, in one place.
 * Each name is what the named program registers with prom-client; a unit test reads the
 * programs' sources and fails when a name here is not registered by its producer.
 */

/** ingestion-api (workloads/ingestion-api). */
export const ingestion = {
  /** Counter{route, method, status}: HTTP requests answered. */
  httpRequests: 'ingestion_http_requests_total',
  /** Histogram{route}: request duration in seconds. */
  httpDuration: 'ingestion_http_request_duration_seconds',
  /** Counter{outcome}: applications accepted (produced) or rejected. */
  applications: 'ingestion_applications_total',
  /** Counter{reason}: events written to the dead-letter topic. */
  dlq: 'ingestion_dlq_messages_total',
} as const;

/** fraud-detector (workloads/fraud-detector). */
export const detector = {
  /** Counter: application events consumed and evaluated. */
  eventsConsumed: 'fraud_detector_events_consumed_total',
  /** Counter{rule, severity}: fraud alerts raised. */
  alerts: 'fraud_detector_alerts_total',
  /** Counter{rule}: hits of shadow rules (evaluated, not alerting). */
  shadowHits: 'fraud_detector_shadow_hits_total',
  /** Histogram: seconds from submission to the detector's decision. */
  e2eLatency: 'fraud_detector_e2e_latency_seconds',
  /** Gauge{topic, partition}: messages behind the partition's high watermark. */
  consumerLag: 'fraud_detector_consumer_lag',
  /** Gauge{version} = 1: the rule-set version in force. */
  ruleSetInfo: 'fraud_detector_ruleset_info',
  /** Counter{reason}: events the detector sent to the dead-letter topic. */
  dlq: 'fraud_detector_dlq_messages_total',
} as const;

/** warehouse-loader (workloads/warehouse-loader). */
export const loader = {
  /** Counter{table}: rows written to the warehouse. */
  rowsWritten: 'warehouse_loader_rows_written_total',
  /** Gauge{topic, partition}: messages behind the high watermark. */
  consumerLag: 'warehouse_loader_consumer_lag',
} as const;

/** risk-scorer (workloads/risk-scorer). */
export const scorer = {
  /** Histogram: duration of a scoring run (one shard) in seconds. */
  runDuration: 'risk_scorer_run_duration_seconds',
  /** Counter{outcome="success"|"failure"}: scoring runs finished. */
  runs: 'risk_scorer_runs_total',
  /** Gauge: unix time of the last successful run. */
  lastSuccess: 'risk_scorer_last_success_timestamp_seconds',
  /** Gauge{feature}: population stability index of the last run against the baseline. */
  psi: 'risk_scorer_psi',
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

/** A selector of a default metric under any program's prefix. */
export function anyPrefix(suffix: string): string {
  return `{__name__=~"(.+_)?${suffix}"}`;
}

/**
 * The `job` label of each program's scrape target. In Kubernetes the ServiceMonitor rendered by the
 * operator sets `jobLabel`; the local harness sets the same names in its file-SD targets.
 */
export const jobs = {
  ingestionApi: 'ingestion-api',
  fraudDetector: 'fraud-detector',
  warehouseLoader: 'warehouse-loader',
  riskScorer: 'risk-scorer',
  operator: 'operator',
} as const;

export type JobNames = { [K in keyof typeof jobs]: string };
