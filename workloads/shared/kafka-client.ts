/**
 * @platformatic/kafka clients built from the platform's connection settings (workloads/shared/kafka.ts
 * `KafkaConnection`, the one schema and env names): the platform's one Kafka client. It replaced kafkajs
 * (no release since 2023) after measuring faster on this machine's broker (bench/kafka-client/README.md:
 * two piped hops at 1,000/s p50 / p99 21–23 / 42–65 ms against kafkajs's 32–68 / 69–854; issue 15). Keys
 * land on the same partitions as the Java client's (murmur2, below).
 *
 *   const producer = createProducer(kafkaConnection(config, 'ingestion-api'));
 *   await producer.send({ messages: [{ topic, key, value, headers }] });
 */
import { readFileSync } from 'node:fs';
import {
  Admin,
  type BaseOptions,
  Consumer,
  type ConsumerOptions,
  compatibilityPartitioner,
  type MessageToProduce,
  Producer,
  type ProducerOptions,
  type SASLMechanismValue,
} from '@platformatic/kafka';
import type { SaslMechanism } from '../../api/v1alpha1.ts';
import {
  coPartitionProblem,
  createTopicsWithLeaders,
  isNotReadyYet,
  partitionCounts,
} from '../../lib/kafka-topics.ts';
import type { KafkaConnection } from './kafka.ts';

/** Keys and values are bytes: the platform's own codecs (JSON, packed records) encode them. */
export type BytesProducer = Producer<Buffer, Buffer, Buffer, Buffer>;
export type BytesConsumer = Consumer<Buffer, Buffer, Buffer, Buffer>;

/**
 * The platform's SASL mechanism names (the CRD's and KAFKA_SASL_MECHANISM's, kafkajs's spelling) in
 * this client's spelling: it refuses lower case ("SASL mechanism plain not supported") on connect.
 */
export const SASL_MECHANISMS: Readonly<Record<SaslMechanism, SASLMechanismValue>> = {
  plain: 'PLAIN',
  'scram-sha-256': 'SCRAM-SHA-256',
  'scram-sha-512': 'SCRAM-SHA-512',
};

/** The connection part of every client's options (brokers, TLS, SASL, timeouts, retries). */
export function clientOptions(connection: KafkaConnection): BaseOptions {
  if (connection.brokers.length === 0) throw new Error('no Kafka brokers configured (KAFKA_BROKERS)');
  const options: BaseOptions = {
    clientId: connection.clientId,
    bootstrapBrokers: [...connection.brokers],
    connectTimeout: connection.connectionTimeoutMs ?? 3_000,
    requestTimeout: connection.requestTimeoutMs ?? 10_000,
    retries: connection.retry?.retries ?? 8,
    retryDelay: connection.retry?.initialRetryTime ?? 200,
    // Topics are created by the operator (or ensureTopic in tests and the demo), never by a write.
    autocreateTopics: false,
  };
  if (connection.tls || connection.caFile !== undefined)
    options.tls = connection.caFile === undefined ? {} : { ca: [readFileSync(connection.caFile, 'utf8')] };
  if (connection.sasl !== undefined)
    options.sasl = {
      mechanism: SASL_MECHANISMS[connection.sasl.mechanism],
      username: connection.sasl.username,
      password: connection.sasl.password,
    };
  return options;
}

export interface ProducerSettings {
  /**
   * Retries of one send before it fails (bounded, so a caller waiting on it fails fast). 0 means none.
   * (The client itself reads a number ≤ 1 on an idempotent producer as "unbounded"; this maps 0 to its
   * `false` and 1 to 2, so a small budget stays small.)
   */
  retries?: number;
}

/**
 * An idempotent producer, `acks=all` on every send, keys placed by the Java client's murmur2
 * (compatibilityPartitioner: @platformatic/kafka's default partitioner places keys elsewhere).
 */
export function createProducer(connection: KafkaConnection, settings: ProducerSettings = {}): BytesProducer {
  const options: ProducerOptions<Buffer, Buffer, Buffer, Buffer> = {
    ...clientOptions(connection),
    idempotent: true,
    acks: -1,
    partitioner: compatibilityPartitioner,
    autocreateTopics: false,
  };
  const retries = settings.retries ?? options.retries;
  if (typeof retries === 'number') options.retries = retries <= 0 ? false : Math.max(2, retries);
  return new Producer(options);
}

/** A record for a BytesProducer. */
export type BytesMessage = MessageToProduce<Buffer, Buffer, Buffer, Buffer>;

/** The platform's text form of a record: a string key and value (JSON), string header values. */
export interface TextMessage {
  key: string;
  value: string;
  headers?: Readonly<Record<string, string>>;
}

/**
 * A text record as bytes for `topic` (UTF-8; header keys too: with the no-op serializers, the client
 * writes keys, values and headers as they are given, so each must already be a Buffer).
 */
export function bytesMessage(topic: string, message: TextMessage): BytesMessage {
  const headers = new Map<Buffer, Buffer>();
  if (message.headers !== undefined)
    for (const k in message.headers) headers.set(headerKey(k), Buffer.from(message.headers[k] as string));
  return { topic, key: Buffer.from(message.key), value: Buffer.from(message.value), headers };
}

/** Header names come from code (a handful): each encoded once, not once per record. */
const headerKeys = new Map<string, Buffer>();
function headerKey(name: string): Buffer {
  let b = headerKeys.get(name);
  if (b === undefined) {
    b = Buffer.from(name);
    if (headerKeys.size < 256) headerKeys.set(name, b);
  }
  return b;
}

/** An error and everything it wraps (the client's MultipleErrors list, `cause` chains), depth-first. */
function errorChain(err: unknown, out: unknown[] = [], depth = 0): unknown[] {
  if (err === undefined || err === null || depth > 8) return out;
  out.push(err);
  if (err instanceof AggregateError) for (const e of err.errors) errorChain(e, out, depth + 1);
  if (err instanceof Error && err.cause !== undefined) errorChain(err.cause, out, depth + 1);
  return out;
}

/** Broker refusals of the records themselves: retrying the same records cannot succeed. */
const RECORD_REFUSALS = new Set([
  'MESSAGE_TOO_LARGE',
  'RECORD_LIST_TOO_LARGE',
  'INVALID_RECORD',
  'CORRUPT_MESSAGE',
  'INVALID_TIMESTAMP',
]);

/**
 * What a failed client call means for a caller that answers for it: `timeout` (no answer in time),
 * `unavailable` (no connection, no leader, a retriable broker error: try again later), `rejected` (the
 * broker refused these records, e.g. too large for the topic: Kafka itself is fine) or `error`.
 * The client wraps retried failures in MultipleErrors; the whole chain is read.
 */
export function kafkaFailureKind(err: unknown): 'timeout' | 'unavailable' | 'rejected' | 'error' {
  const chain = errorChain(err);
  const text = chain.map((e) => (e instanceof Error ? e.message : String(e))).join(' | ');
  const prop = (e: unknown, key: string): unknown =>
    e instanceof Error ? (e as unknown as Record<string, unknown>)[key] : undefined;
  if (chain.some((e) => RECORD_REFUSALS.has(String(prop(e, 'apiId'))))) return 'rejected';
  if (chain.some((e) => prop(e, 'code') === 'PLT_KFK_TIMEOUT') || /timed? ?out/i.test(text)) return 'timeout';
  if (
    chain.some(
      (e) =>
        prop(e, 'code') === 'PLT_KFK_NETWORK' ||
        prop(e, 'hasStaleMetadata') === true ||
        prop(e, 'canRetry') === true,
    ) ||
    /connect|ECONNREFUSED|ECONNRESET|broker|leader|not available/i.test(text)
  )
    return 'unavailable';
  return 'error';
}

/** One line for a log: the error and the distinct messages it wraps (no record contents). */
export function describeKafkaError(err: unknown): string {
  const [first, ...rest] = errorChain(err).map((e) => (e instanceof Error ? e.message : String(e)));
  const causes = [...new Set(rest)].filter((m) => m !== first).slice(0, 3);
  return causes.length === 0 ? String(first) : `${first} (${causes.join('; ')})`;
}

export interface ConsumerSettings {
  groupId: string;
  /** Upper bound of one fetch's wait on the broker when nothing is new (ms). */
  maxWaitTime?: number;
  maxBytesPerPartition?: number;
  sessionTimeout?: number;
  heartbeatInterval?: number;
}

/** A consumer-group member; offsets are committed by the caller, after its writes land. */
export function createConsumer(connection: KafkaConnection, settings: ConsumerSettings): BytesConsumer {
  const options: ConsumerOptions<Buffer, Buffer, Buffer, Buffer> = {
    ...clientOptions(connection),
    groupId: settings.groupId,
    autocommit: false,
    maxWaitTime: settings.maxWaitTime ?? 500,
    sessionTimeout: settings.sessionTimeout ?? 30_000,
    heartbeatInterval: settings.heartbeatInterval ?? 3_000,
  };
  if (settings.maxBytesPerPartition !== undefined)
    options.maxBytesPerPartition = settings.maxBytesPerPartition;
  return new Consumer(options);
}

/** An admin client (topics, metadata, groups); close it after use. */
export function createAdmin(connection: KafkaConnection): Admin {
  return new Admin(clientOptions(connection));
}

/** Runs `fn` with an admin client that is closed afterwards, whatever `fn` does. */
export async function withAdmin<T>(
  connection: KafkaConnection,
  fn: (admin: Admin) => Promise<T>,
): Promise<T> {
  const admin = createAdmin(connection);
  try {
    return await fn(admin);
  } finally {
    await admin.close().catch(() => {});
  }
}

/**
 * Creates a topic when it is missing and waits for its leaders (tests, the local demo; in a cluster the
 * operator owns topics). A topic created meanwhile by someone else counts as present.
 */
export async function ensureTopic(
  connection: KafkaConnection,
  topic: string,
  options: { partitions?: number; replicationFactor?: number } = {},
): Promise<void> {
  await withAdmin(connection, async (admin) => {
    if ((await admin.listTopics()).includes(topic)) return;
    const spec = {
      topic,
      numPartitions: options.partitions ?? 3,
      replicationFactor: options.replicationFactor ?? 1,
    };
    // A topic another caller creates meanwhile counts as present (createTopicsWithLeaders waits for it).
    await createTopicsWithLeaders(admin, [spec]);
  });
}

/**
 * Refuses to run on topics that must be co-partitioned and are not (lib/kafka-topics.ts
 * `coPartitionProblem` says which and how to fix it): the verdicts topic holds an application's verdict
 * parts on the application's own partition number (api/verdict.ts), so it needs exactly the
 * applications topic's partition count. Topics that do not exist yet are left to their creator.
 */
export async function assertCoPartitioned(
  connection: KafkaConnection,
  topics: readonly string[],
): Promise<void> {
  await withAdmin(connection, async (admin) => {
    const existing = new Set(await admin.listTopics());
    const present = topics.filter((t) => existing.has(t));
    if (present.length < 2) return;
    // Right after a topic is created its metadata may not be served yet: ask again for a while.
    let counts: Map<string, number> | undefined;
    for (let attempt = 0; counts === undefined; attempt++) {
      try {
        counts = await partitionCounts(admin, present);
      } catch (err) {
        if (!isNotReadyYet(err) || attempt >= 20) throw err;
        await new Promise((r) => setTimeout(r, 250 * Math.min(attempt + 1, 4)));
      }
    }
    const problem = coPartitionProblem(present.map((t) => ({ topic: t, partitions: counts?.get(t) ?? 0 })));
    if (problem !== undefined) throw new Error(problem);
  });
}
