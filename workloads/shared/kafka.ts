/**
 * The platform's Kafka connection settings: one schema and shared env names, composed by every workload
 * into its own config schema; the clients themselves are built by workloads/shared/kafka-client.ts
 * (@platformatic/kafka):
 *
 *   const Config = Type.Object({ ...KafkaSettings, ...TopicSettings, httpPort: ... });
 *   const config = loadConfig(Config, { ...KAFKA_ENV, ...TOPIC_ENV, httpPort: ENV.httpPort }); // api/env.ts
 *   const producer = createProducer(kafkaConnection(config, 'ingestion-api'));           // kafka-client.ts
 */
import { type Static, Type } from '@sinclair/typebox';
import { DEFAULT_TOPICS } from '../../api/topics.ts';
import { SASL_MECHANISMS, type SaslMechanism } from '../../api/v1alpha1.ts';
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
