/**
 * The platform's Kafka connection settings: one schema and shared env names, composed by every workload
 * into its own config schema; the clients themselves are built by workloads/shared/kafka-client.ts
 * (@platformatic/kafka):
 *
 *   const Config = Type.Object({ ...KafkaSettings, ...TopicSettings, httpPort: ... });
 *   const config = loadConfig(Config, { ...KAFKA_ENV, ...TOPIC_ENV, httpPort: ENV.httpPort }); // api/env.ts
 *   const producer = createProducer(kafkaConnection(config, 'ingestion-api'));           // kafka-client.ts
 *
 * The kafkajs part at the end of this file (createKafka, createIdempotentProducer, ensureTopic,
 * assertCoPartitioned on a kafkajs client) is only left for integration tests that have not moved to
 * kafka-client.ts yet (issue 15); it goes with kafkajs.
 */
import { readFileSync } from 'node:fs';
import { type Static, Type } from '@sinclair/typebox';
import {
  type Admin,
  Kafka,
  type KafkaConfig,
  type LogEntry,
  logLevel,
  Partitioners,
  type Producer,
  type SASLOptions,
} from 'kafkajs';
import { DEFAULT_TOPICS } from '../../api/topics.ts';
import { SASL_MECHANISMS, type SaslMechanism } from '../../api/v1alpha1.ts';
import { coPartitionProblem, createTopicsWithLeaders } from '../../lib/kafka-topics.ts';
import { createLogger, type Logger } from '../../lib/log.ts';
import { StringEnum } from '../../lib/string-enum.ts';

/** Connection settings; spread into a workload's config schema (env names: api/env.ts KAFKA_ENV). */
export const KafkaSettings = {
  kafkaBrokers: Type.String({ minLength: 1, description: 'Comma-separated host:port list' }),
  kafkaTls: Type.Boolean({ default: false }),
  kafkaCaFile: Type.Optional(Type.String({ minLength: 1 })),
  kafkaSaslMechanism: Type.Optional(StringEnum(SASL_MECHANISMS)),
  kafkaSaslUsername: Type.Optional(Type.String({ minLength: 1 })),
  kafkaSaslPassword: Type.Optional(Type.String({ minLength: 1 })),
};
const KafkaSettingsObject = Type.Object(KafkaSettings);
export type KafkaSettings = Static<typeof KafkaSettingsObject>;

/** Topic names with the platform's defaults (api/topics.ts, as in the CRD; env names: TOPIC_ENV). */
export const TopicSettings = {
  applicationsTopic: Type.String({ default: DEFAULT_TOPICS.applications, minLength: 1, maxLength: 249 }),
  deadLetterTopic: Type.String({ default: DEFAULT_TOPICS.deadLetter, minLength: 1, maxLength: 249 }),
  alertsTopic: Type.String({ default: DEFAULT_TOPICS.alerts, minLength: 1, maxLength: 249 }),
};
const TopicSettingsObject = Type.Object(TopicSettings);
export type TopicSettings = Static<typeof TopicSettingsObject>;

export interface KafkaConnection {
  brokers: readonly string[];
  clientId: string;
  tls?: boolean;
  /** PEM file of the CA that signed the brokers' certificates. */
  caFile?: string;
  sasl?: { mechanism: SaslMechanism; username: string; password: string };
  connectionTimeoutMs?: number;
  requestTimeoutMs?: number;
  retry?: KafkaRetry;
}

/** Retries of a failed request: how many, and the first wait between two (ms). */
export interface KafkaRetry {
  retries?: number;
  initialRetryTime?: number;
}

/** Connection from loaded settings; a SASL mechanism without credentials is a config error. */
export function kafkaConnection(settings: KafkaSettings, clientId: string): KafkaConnection {
  const connection: KafkaConnection = {
    brokers: settings.kafkaBrokers
      .split(',')
      .map((b) => b.trim())
      .filter((b) => b !== ''),
    clientId,
    tls: settings.kafkaTls,
  };
  if (settings.kafkaCaFile !== undefined) connection.caFile = settings.kafkaCaFile;
  if (settings.kafkaSaslMechanism !== undefined) {
    if (settings.kafkaSaslUsername === undefined || settings.kafkaSaslPassword === undefined)
      throw new Error(
        'KAFKA_SASL_MECHANISM is set but KAFKA_SASL_USERNAME or KAFKA_SASL_PASSWORD is missing',
      );
    connection.sasl = {
      mechanism: settings.kafkaSaslMechanism,
      username: settings.kafkaSaslUsername,
      password: settings.kafkaSaslPassword,
    };
  }
  return connection;
}

// ---------------------------------------------------------------------------------------------
// kafkajs, for the integration tests still on it (issue 15: delete once none imports these).

/** kafkajs log entries go to the platform logger (JSON, redacting), WARN and above only. */
function logCreator(log: Logger) {
  return () =>
    ({ level, log: entry }: LogEntry) => {
      const { message, timestamp: _t, logger: _l, ...rest } = entry;
      // Said once per producer about a deliberate choice (see IdempotentProducerOptions.retries).
      if (message.startsWith('Limiting retries for the idempotent producer')) return;
      // Refused connections repeat several times a second while a broker is down; the workload logs
      // the outage once itself (e.g. the ingestion sink's "Kafka unavailable"), so these go to debug.
      if (/Connection error|Failed to connect to seed broker|ECONNREFUSED|Connection timeout/.test(message)) {
        log.debug(rest, message);
        return;
      }
      if (level === logLevel.ERROR) log.error(rest, message);
      else if (level === logLevel.WARN) log.warn(rest, message);
      else log.debug(rest, message);
    };
}

/** @deprecated kafkajs goes (issue 15): use kafka-client.ts `createProducer`, `createAdmin`, ... */
export function createKafka(connection: KafkaConnection, log: Logger = createLogger('kafkajs')): Kafka {
  if (connection.brokers.length === 0) throw new Error('no Kafka brokers configured (KAFKA_BROKERS)');
  const config: KafkaConfig = {
    clientId: connection.clientId,
    brokers: [...connection.brokers],
    connectionTimeout: connection.connectionTimeoutMs ?? 3_000,
    requestTimeout: connection.requestTimeoutMs ?? 10_000,
    retry: connection.retry ?? { initialRetryTime: 200, maxRetryTime: 5_000, retries: 8 },
    logLevel: logLevel.WARN,
    logCreator: logCreator(log),
  };
  if (connection.tls || connection.caFile !== undefined)
    config.ssl = connection.caFile === undefined ? true : { ca: [readFileSync(connection.caFile, 'utf8')] };
  if (connection.sasl !== undefined) config.sasl = connection.sasl as SASLOptions;
  return new Kafka(config);
}

export interface IdempotentProducerOptions {
  /**
   * Retries of one send before it fails. kafkajs's default for idempotent producers is unbounded,
   * which would hang a caller (an HTTP request) while the broker is down; a bounded budget lets it
   * fail fast, and the caller re-sends (downstream keys on the application id, so a re-send is safe).
   */
  retries?: number;
  maxRetryTimeMs?: number;
}

/**
 * An idempotent producer (`acks=all` on every send, enforced by kafkajs for idempotent producers;
 * one in-flight request per broker so ordering per partition holds across retries).
 */
/** @deprecated kafkajs goes (issue 15): kafka-client.ts `createProducer` is the idempotent producer. */
export function createIdempotentProducer(kafka: Kafka, options: IdempotentProducerOptions = {}): Producer {
  return kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    // The Java client's murmur2 partitioning: the same key lands on the same partition from every writer.
    createPartitioner: Partitioners.DefaultPartitioner,
    allowAutoTopicCreation: false,
    retry: {
      retries: options.retries ?? 5,
      initialRetryTime: 100,
      maxRetryTime: options.maxRetryTimeMs ?? 2_000,
    },
  });
}

/**
 * Creates a topic when it is missing (tests; in a cluster the operator owns topics).
 * @deprecated kafkajs goes (issue 15): kafka-client.ts `ensureTopic` takes a KafkaConnection.
 */
export async function ensureTopic(
  kafka: Kafka,
  topic: string,
  options: { partitions?: number; replicationFactor?: number } = {},
): Promise<void> {
  const admin: Admin = kafka.admin();
  await admin.connect();
  try {
    const existing = await admin.listTopics();
    if (existing.includes(topic)) return;
    await createTopicsWithLeaders(admin, [
      { topic, numPartitions: options.partitions ?? 3, replicationFactor: options.replicationFactor ?? 1 },
    ]);
  } finally {
    await admin.disconnect();
  }
}

/**
 * Refuses to run on topics that must be co-partitioned and are not: the verdicts topic holds an
 * application's verdict parts on the application's own partition number (api/verdict.ts), so it needs
 * exactly the applications topic's partition count. A mismatch (a topic created by hand or by another
 * program with other settings) would otherwise stall the join silently; this names both counts.
 * Topics that do not exist yet are left to their creator.
 * @deprecated kafkajs goes (issue 15): kafka-client.ts `assertCoPartitioned` takes a KafkaConnection.
 */
export async function assertCoPartitioned(kafka: Kafka, topics: readonly string[]): Promise<void> {
  const admin: Admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const present = topics.filter((t) => existing.has(t));
    if (present.length < 2) return;
    // Right after a topic is created its metadata may not be served yet: ask again for a while.
    let meta: Awaited<ReturnType<Admin['fetchTopicMetadata']>> | undefined;
    for (let attempt = 0; meta === undefined; attempt++) {
      try {
        meta = await admin.fetchTopicMetadata({ topics: present });
      } catch (err) {
        const unknown = (err as { type?: string }).type === 'UNKNOWN_TOPIC_OR_PARTITION';
        if (!unknown || attempt >= 20) throw err;
        await new Promise((r) => setTimeout(r, 250 * Math.min(attempt + 1, 4)));
      }
    }
    const counts = present.map((t) => ({
      topic: t,
      partitions: meta?.topics.find((m) => m.name === t)?.partitions.length ?? 0,
    }));
    const problem = coPartitionProblem(counts);
    if (problem !== undefined) throw new Error(problem);
  } finally {
    await admin.disconnect();
  }
}
