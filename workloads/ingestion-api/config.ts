/** Configuration of the ingestion API: one schema, read from the environment once at start-up. */
import { type Static, Type } from '@sinclair/typebox';
import { INGESTION_ENV, PORTS } from '../../api/env.ts';
import { loadConfig } from '../../lib/config.ts';
import { DEFAULT_MAX_CLOCK_SKEW_MS } from '../contract/semantics.ts';
import { KafkaSettings, TopicSettings } from '../shared/kafka.ts';
import { DEFAULT_DECISION_MAX_WAIT_MS } from './decisions.ts';

/** Most applications one `POST /v1/applications:batch` may carry (documented in the OpenAPI document). */
export const DEFAULT_MAX_BATCH = 500;

export const IngestionConfig = Type.Object({
  ...KafkaSettings,
  applicationsTopic: TopicSettings.applicationsTopic,
  pseudonymizationKey: Type.String({
    minLength: 16,
    description: 'HMAC key for national IDs (from a Secret); the same key everywhere',
  }),
  httpPort: Type.Integer({ default: PORTS.http, minimum: 0, maximum: 65535 }),
  httpHost: Type.String({ default: '0.0.0.0' }),
  /** A second listener with only /metrics, /healthz, /readyz (the Deployment probes it); 0 = none. */
  opsPort: Type.Integer({ default: 0, minimum: 0, maximum: 65535 }),
  maxBatch: Type.Integer({ default: DEFAULT_MAX_BATCH, minimum: 1, maximum: 5000 }),
  maxBodyBytes: Type.Integer({
    default: 64 * 1024,
    minimum: 1024,
    description: 'Body limit of a single post',
  }),
  maxBatchBodyBytes: Type.Integer({
    default: 4 * 1024 * 1024,
    minimum: 1024,
    description: 'Body limit of a batch',
  }),
  produceTimeoutMs: Type.Integer({
    default: 5_000,
    minimum: 100,
    description: 'Longest wait for a Kafka ack',
  }),
  retryAfterSeconds: Type.Integer({ default: 5, minimum: 1, description: 'Retry-After of a 503' }),
  maxClockSkewMs: Type.Integer({
    default: DEFAULT_MAX_CLOCK_SKEW_MS,
    minimum: 0,
    maximum: 86_400_000,
    description: 'How far submittedAt may be ahead of the server clock (else 400)',
  }),
  kafkaClientId: Type.String({ default: 'ingestion-api', minLength: 1 }),
  databaseUrl: Type.Optional(
    Type.String({
      pattern: '^postgres(ql)?://',
      description: 'Warehouse the decision route reads (decision_record); unset: that route answers 503',
    }),
  ),
  decisionMaxWaitMs: Type.Integer({
    default: DEFAULT_DECISION_MAX_WAIT_MS,
    minimum: 0,
    maximum: 60_000,
    description: 'Cap of the decision route’s waitMs',
  }),
});
export type IngestionConfig = Static<typeof IngestionConfig>;

export function loadIngestionConfig(env: NodeJS.ProcessEnv = process.env): IngestionConfig {
  return loadConfig(IngestionConfig, INGESTION_ENV, env);
}
