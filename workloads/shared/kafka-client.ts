/**
 * @platformatic/kafka clients built from the platform's connection settings (workloads/shared/kafka.ts
 * `KafkaConnection`, the one schema and env names). The platform is moving its Kafka traffic from kafkajs
 * to this client, component by component, because it measured faster on this machine's broker
 * (bench/kafka-client: two piped hops at 1,000/s p50 / p99 21–23 / 42–65 ms against kafkajs's 32–68 /
 * 69–854; see issue 15). Until every component is moved, both clients talk to the same topics; the
 * wire format is Kafka's, and keys land on the same partitions (the Java client's murmur2, below).
 *
 *   const producer = createProducer(kafkaConnection(config, 'ingestion-api'));
 *   await producer.send({ messages: [{ topic, key, value, headers }] });
 */
import { readFileSync } from 'node:fs';
import {
  type BaseOptions,
  Consumer,
  type ConsumerOptions,
  compatibilityPartitioner,
  Producer,
  type ProducerOptions,
  type SASLMechanismValue,
} from '@platformatic/kafka';
import type { KafkaConnection } from './kafka.ts';

/** Keys and values are bytes: the platform's own codecs (JSON, packed records) encode them. */
export type BytesProducer = Producer<Buffer, Buffer, Buffer, Buffer>;
export type BytesConsumer = Consumer<Buffer, Buffer, Buffer, Buffer>;

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
      mechanism: connection.sasl.mechanism as SASLMechanismValue,
      username: connection.sasl.username,
      password: connection.sasl.password,
    };
  return options;
}

export interface ProducerSettings {
  /** Retries of one send before it fails (bounded, so a caller waiting on it fails fast). */
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
  if (settings.retries !== undefined) options.retries = settings.retries;
  return new Producer(options);
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
