/**
 * The environment variables the workloads read, in one place. Each workload's config loader
 * (workloads/<name>/config.ts, `loadConfig(schema, envNames)`) uses these names; the constructs
 * set them from the CreditPipeline spec.
 */
export const ENV = {
  /** Comma-separated host:port list. */
  kafkaBrokers: 'KAFKA_BROKERS',
  kafkaTls: 'KAFKA_TLS',
  kafkaSaslMechanism: 'KAFKA_SASL_MECHANISM',
  kafkaSaslUsername: 'KAFKA_SASL_USERNAME',
  kafkaSaslPassword: 'KAFKA_SASL_PASSWORD',
  kafkaCaFile: 'KAFKA_CA_FILE',
  applicationsTopic: 'APPLICATIONS_TOPIC',
  deadLetterTopic: 'DLQ_TOPIC',
  alertsTopic: 'ALERTS_TOPIC',
  /** HMAC key of national IDs (ingestion API). */
  pseudonymizationKey: 'PSEUDONYMIZATION_KEY',
  /** postgres:// URL of the warehouse. */
  databaseUrl: 'DATABASE_URL',
  /** mongodb:// URL of the alert store. */
  mongoUrl: 'MONGO_URL',
  /** Fraud rule set file (YAML/JSON); unset: the detector's built-in rules. */
  rulesFile: 'RULES_FILE',
  /** Champion scorecard file (YAML/JSON); unset: the built-in model. */
  modelFile: 'MODEL_FILE',
  /** Challenger scorecard file, or `none`; unset: the built-in challenger. */
  challengerModelFile: 'CHALLENGER_MODEL_FILE',
  /** Id shared by every index of one scoring run: the Job's name, from the downward API. */
  runId: 'RUN_ID',
  /** Shards of a scoring run (= Indexed Job completions); each pod's shard is JOB_COMPLETION_INDEX. */
  shardCount: 'SHARD_COUNT',
  /** Port of the ingestion API's HTTP server. */
  httpPort: 'HTTP_PORT',
  /** Port of /metrics, /healthz and /readyz (lib/ops-server.ts). */
  opsPort: 'OPS_PORT',
  logLevel: 'LOG_LEVEL',
  /** Name of the CreditPipeline, for logs and metric target labels. */
  pipelineName: 'PIPELINE_NAME',
  /** Consumer group prefix, so pipelines sharing a Kafka cluster do not share groups. */
  consumerGroupPrefix: 'KAFKA_GROUP_PREFIX',
  /** Ingestion API: how far (ms) a submittedAt may be ahead of the server's clock before a 400. */
  maxClockSkewMs: 'MAX_CLOCK_SKEW_MS',
  /** Fraud detector: how far (ms) before its receipt an application is still evaluated by window rules. */
  eventTimeHorizonMs: 'EVENT_TIME_HORIZON_MS',
} as const;
export type EnvName = (typeof ENV)[keyof typeof ENV];

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
