/**
 * The environment variables the platform's programs read, written once. The constructs (cdk8s/)
 * set them from the CreditPipeline spec, and each program's config loader reads them through the
 * per-program maps below (`loadConfig(schema, DETECTOR_ENV)`, lib/config.ts), which name every
 * setting of that program's config schema, so an error names the variable.
 */
import { LOG_LEVEL_ENV } from '../lib/log.ts';

export const ENV = {
  /** Comma-separated host:port list. */
  kafkaBrokers: 'KAFKA_BROKERS',
  kafkaTls: 'KAFKA_TLS',
  kafkaSaslMechanism: 'KAFKA_SASL_MECHANISM',
  kafkaSaslUsername: 'KAFKA_SASL_USERNAME',
  kafkaSaslPassword: 'KAFKA_SASL_PASSWORD',
  kafkaCaFile: 'KAFKA_CA_FILE',
  kafkaClientId: 'KAFKA_CLIENT_ID',
  kafkaSessionTimeoutMs: 'KAFKA_SESSION_TIMEOUT_MS',
  applicationsTopic: 'APPLICATIONS_TOPIC',
  deadLetterTopic: 'DLQ_TOPIC',
  alertsTopic: 'ALERTS_TOPIC',
  verdictsTopic: 'VERDICTS_TOPIC',
  decisionsTopic: 'DECISIONS_TOPIC',
  /** Consumer group prefix, so pipelines sharing a Kafka cluster do not share groups. */
  consumerGroupPrefix: 'KAFKA_GROUP_PREFIX',
  /** HMAC key of national IDs (ingestion API, generator's Kafka target). */
  pseudonymizationKey: 'PSEUDONYMIZATION_KEY',
  /** postgres:// URL of the warehouse. */
  databaseUrl: 'DATABASE_URL',
  /** mongodb:// URL of the alert store. */
  mongoUrl: 'MONGO_URL',
  mongoDatabase: 'MONGO_DATABASE',
  mongoAlertsCollection: 'MONGO_ALERTS_COLLECTION',
  /** Fraud rule set file (YAML/JSON); unset: the detector's built-in rules. */
  rulesFile: 'RULES_FILE',
  rulesPollMs: 'RULES_POLL_MS',
  detectorAppId: 'DETECTOR_APP_ID',
  repartitionPartitions: 'REPARTITION_PARTITIONS',
  repartitionRetentionMs: 'REPARTITION_RETENTION_MS',
  maxStateEntries: 'MAX_STATE_ENTRIES',
  /** Champion scorecard file (YAML/JSON); unset: the built-in model. */
  modelFile: 'MODEL_FILE',
  /** Challenger scorecard file, or `none`; unset: the built-in challenger. */
  challengerModelFile: 'CHALLENGER_MODEL_FILE',
  /** Id shared by every index of one scoring run: the Job's name, from the downward API. */
  runId: 'RUN_ID',
  /** Shards of a scoring run (= Indexed Job completions). */
  shardCount: 'SHARD_COUNT',
  /** This pod's shard: set by Kubernetes in an Indexed Job. */
  shardIndex: 'JOB_COMPLETION_INDEX',
  scorerPageSize: 'SCORER_PAGE_SIZE',
  scorerLockTimeoutMs: 'SCORER_LOCK_TIMEOUT_MS',
  scorerDecisionGraceSeconds: 'SCORER_DECISION_GRACE_SECONDS',
  metricsLingerSeconds: 'METRICS_LINGER_SECONDS',
  migrationsDir: 'MIGRATIONS_DIR',
  /** Password of the warehouse's read-only role; set: the migration keeps that role. */
  readerPassword: 'WAREHOUSE_READER_PASSWORD',
  /** Password of the role the ingestion API reads decisions with; set: the migration keeps that role. */
  decisionReaderPassword: 'WAREHOUSE_DECISION_READER_PASSWORD',
  /** Port of the ingestion API's HTTP server. */
  httpPort: 'HTTP_PORT',
  httpHost: 'HTTP_HOST',
  maxBatch: 'MAX_BATCH',
  maxBodyBytes: 'MAX_BODY_BYTES',
  maxBatchBodyBytes: 'MAX_BATCH_BODY_BYTES',
  produceTimeoutMs: 'PRODUCE_TIMEOUT_MS',
  retryAfterSeconds: 'RETRY_AFTER_SECONDS',
  /** Base URL of the ingestion API (generator's API target). */
  ingestionUrl: 'INGESTION_URL',
  /** Port of /metrics, /healthz and /readyz (lib/ops-server.ts). */
  opsPort: 'OPS_PORT',
  opsHost: 'OPS_HOST',
  logLevel: LOG_LEVEL_ENV,
  /** Name of the CreditPipeline, for logs and metric target labels. */
  pipelineName: 'PIPELINE_NAME',
  /** Webhook endpoints of the alert-delivery process, as JSON (workloads/alert-delivery/config.ts). */
  alertWebhooks: 'ALERT_WEBHOOKS',
  /** Attempts per alert and endpoint before a dead letter. */
  deliveryMaxAttempts: 'DELIVERY_MAX_ATTEMPTS',
  /** Namespace whose `cases` RBAC the cases service checks (the pod's own). */
  casesNamespace: 'CASES_NAMESPACE',
  /** Ingestion API: how far (ms) a submittedAt may be ahead of the server's clock before a 400. */
  maxClockSkewMs: 'MAX_CLOCK_SKEW_MS',
  /** Fraud detector: how far (ms) before its receipt an application is still evaluated by window rules. */
  eventTimeHorizonMs: 'EVENT_TIME_HORIZON_MS',
} as const;

/** Kafka connection settings (workloads/shared/kafka.ts `KafkaSettings`). */
export const KAFKA_ENV = {
  kafkaBrokers: ENV.kafkaBrokers,
  kafkaTls: ENV.kafkaTls,
  kafkaCaFile: ENV.kafkaCaFile,
  kafkaSaslMechanism: ENV.kafkaSaslMechanism,
  kafkaSaslUsername: ENV.kafkaSaslUsername,
  kafkaSaslPassword: ENV.kafkaSaslPassword,
} as const;

/** The pipeline's topic names (workloads/shared/kafka.ts `TopicSettings`). */
export const TOPIC_ENV = {
  applicationsTopic: ENV.applicationsTopic,
  deadLetterTopic: ENV.deadLetterTopic,
  alertsTopic: ENV.alertsTopic,
} as const;

/** `credit-platform ingestion-api` (workloads/ingestion-api/config.ts). */
export const INGESTION_ENV = {
  ...KAFKA_ENV,
  applicationsTopic: ENV.applicationsTopic,
  pseudonymizationKey: ENV.pseudonymizationKey,
  httpPort: ENV.httpPort,
  httpHost: ENV.httpHost,
  opsPort: ENV.opsPort,
  maxBatch: ENV.maxBatch,
  maxBodyBytes: ENV.maxBodyBytes,
  maxBatchBodyBytes: ENV.maxBatchBodyBytes,
  produceTimeoutMs: ENV.produceTimeoutMs,
  retryAfterSeconds: ENV.retryAfterSeconds,
  maxClockSkewMs: ENV.maxClockSkewMs,
  kafkaClientId: ENV.kafkaClientId,
  databaseUrl: ENV.databaseUrl,
  decisionMaxWaitMs: 'DECISION_MAX_WAIT_MS',
} as const;

/** `credit-platform fraud-detector` (workloads/fraud-detector/config.ts). */
export const DETECTOR_ENV = {
  ...KAFKA_ENV,
  ...TOPIC_ENV,
  verdictsTopic: ENV.verdictsTopic,
  groupPrefix: ENV.consumerGroupPrefix,
  appId: ENV.detectorAppId,
  mongoUrl: ENV.mongoUrl,
  mongoDatabase: ENV.mongoDatabase,
  alertsCollection: ENV.mongoAlertsCollection,
  rulesFile: ENV.rulesFile,
  rulesPollMs: ENV.rulesPollMs,
  repartitionPartitions: ENV.repartitionPartitions,
  repartitionRetentionMs: ENV.repartitionRetentionMs,
  maxStateEntries: ENV.maxStateEntries,
  eventTimeHorizonMs: ENV.eventTimeHorizonMs,
  opsPort: ENV.opsPort,
  opsHost: ENV.opsHost,
} as const;

/** `credit-platform decision-service` (workloads/decision-service/config.ts). */
export const DECISION_ENV = {
  ...KAFKA_ENV,
  applicationsTopic: ENV.applicationsTopic,
  verdictsTopic: ENV.verdictsTopic,
  decisionsTopic: ENV.decisionsTopic,
  groupPrefix: ENV.consumerGroupPrefix,
  databaseUrl: ENV.databaseUrl,
  modelFile: ENV.modelFile,
  opsPort: ENV.opsPort,
  opsHost: ENV.opsHost,
  sessionTimeoutMs: ENV.kafkaSessionTimeoutMs,
  writerId: 'POD_NAME',
  /** Most decisions per warehouse insert (the service group-commits what completes meanwhile). */
  maxWriteBatch: 'DECISION_WRITE_BATCH',
} as const;

/** `credit-platform warehouse-loader` (workloads/warehouse-loader/main.ts). */
export const LOADER_ENV = {
  databaseUrl: ENV.databaseUrl,
  ...KAFKA_ENV,
  ...TOPIC_ENV,
  groupPrefix: ENV.consumerGroupPrefix,
  sessionTimeoutMs: ENV.kafkaSessionTimeoutMs,
  opsPort: ENV.opsPort,
  opsHost: ENV.opsHost,
} as const;

/** `credit-platform risk-scorer` (workloads/risk-scorer/main.ts). */
export const SCORER_ENV = {
  databaseUrl: ENV.databaseUrl,
  modelFile: ENV.modelFile,
  challengerModelFile: ENV.challengerModelFile,
  shardCount: ENV.shardCount,
  shardIndex: ENV.shardIndex,
  runId: ENV.runId,
  opsPort: ENV.opsPort,
  opsHost: ENV.opsHost,
  metricsLingerSeconds: ENV.metricsLingerSeconds,
  pageSize: ENV.scorerPageSize,
  lockTimeoutMs: ENV.scorerLockTimeoutMs,
  decisionGraceSeconds: ENV.scorerDecisionGraceSeconds,
} as const;

/** `credit-platform load-outcomes` (workloads/outcomes/main.ts). */
export const LOAD_OUTCOMES_ENV = {
  databaseUrl: ENV.databaseUrl,
} as const;

/** `credit-platform migrate` (workloads/warehouse/migrate-main.ts). */
export const MIGRATE_ENV = {
  databaseUrl: ENV.databaseUrl,
  migrationsDir: ENV.migrationsDir,
  readerPassword: ENV.readerPassword,
  decisionReaderPassword: ENV.decisionReaderPassword,
} as const;

/**
 * `credit-platform operator` (operator/config.ts); the chart's Deployment sets them. LEASE_NAMESPACE
 * falls back to POD_NAMESPACE (the downward API).
 */
export const OPERATOR_ENV = {
  watchNamespaces: 'WATCH_NAMESPACES',
  metricsPort: 'METRICS_PORT',
  metricsHost: 'METRICS_HOST',
  leaderElection: 'LEADER_ELECTION',
  leaseName: 'LEASE_NAME',
  leaseNamespace: 'LEASE_NAMESPACE',
  leaseDurationSeconds: 'LEASE_DURATION_SECONDS',
  renewDeadlineSeconds: 'RENEW_DEADLINE_SECONDS',
  retryPeriodSeconds: 'RETRY_PERIOD_SECONDS',
  identity: 'POD_NAME',
  workers: 'WORKERS',
  applyConcurrency: 'APPLY_CONCURRENCY',
  statusCoalesceMs: 'STATUS_COALESCE_MS',
  operatorImage: 'OPERATOR_IMAGE',
  readinessMode: 'READINESS_MODE',
  capabilityPollSeconds: 'CAPABILITY_POLL_SECONDS',
  retryBaseDelayMs: 'RETRY_BASE_DELAY_MS',
  retryMaxDelayMs: 'RETRY_MAX_DELAY_MS',
  kubeconfig: 'KUBECONFIG',
} as const;
/** The namespace of the operator's pod (downward API); the default of LEASE_NAMESPACE. */
export const POD_NAMESPACE_ENV = 'POD_NAMESPACE';

/** Ports every workload uses. */
export const PORTS = { http: 8080, ops: 9090, postgres: 5432, mongo: 27017, ferretdbDebug: 8088 } as const;

/** Where the rules and model files are mounted. */
export const MOUNTS = {
  rulesDir: '/etc/credit-platform/rules',
  modelDir: '/etc/credit-platform/model',
  challengerDir: '/etc/credit-platform/challenger',
  kafkaCertsDir: '/etc/credit-platform/kafka',
  tmp: '/tmp',
} as const;
