/**
 * The delivery process's configuration: the endpoints (`spec.alerting.webhooks[]` of the
 * CreditPipeline, rendered by the operator into ALERT_WEBHOOKS as JSON) and the retry policy. A
 * signing key never sits in that JSON: each endpoint names the environment variable holding it (the
 * operator fills it from the endpoint's Secret reference).
 */
import { type Static, Type } from '@sinclair/typebox';
import { ENV, KAFKA_ENV, TOPIC_ENV } from '../../api/env.ts';
import { loadConfig } from '../../lib/config.ts';
import { KafkaSettings, TopicSettings } from '../shared/kafka.ts';

const Severity = Type.Union([
  Type.Literal('low'),
  Type.Literal('medium'),
  Type.Literal('high'),
  Type.Literal('critical'),
]);

export const WebhookEndpoint = Type.Object(
  {
    name: Type.String({
      pattern: '^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$',
      description: 'Unique; the metrics label',
    }),
    url: Type.String({ pattern: '^https?://', maxLength: 2048 }),
    format: Type.Union([Type.Literal('json'), Type.Literal('slack')], { default: 'json' }),
    severities: Type.Optional(Type.Array(Severity, { minItems: 1, description: 'Default: all' })),
    rules: Type.Optional(
      Type.Array(Type.String({ minLength: 1 }), { minItems: 1, description: 'Default: all' }),
    ),
    modes: Type.Array(Type.Union([Type.Literal('live'), Type.Literal('shadow')]), {
      default: ['live'],
      minItems: 1,
    }),
    signingKeyEnv: Type.Optional(
      Type.String({
        pattern: '^[A-Z_][A-Z0-9_]*$',
        description: 'Env var with the HMAC key (required for json)',
      }),
    ),
    timeoutMs: Type.Integer({ default: 5000, minimum: 100, maximum: 60_000 }),
  },
  { additionalProperties: false },
);
export type WebhookEndpoint = Static<typeof WebhookEndpoint>;

export const DeliveryConfig = Type.Object({
  databaseUrl: Type.String({ pattern: '^postgres(ql)?://' }),
  ...KafkaSettings,
  ...TopicSettings,
  groupPrefix: Type.String({ default: '' }),
  webhooks: Type.Array(WebhookEndpoint, { default: [] }),
  maxAttempts: Type.Integer({ default: 10, minimum: 1, maximum: 100 }),
  initialBackoffMs: Type.Integer({ default: 1000, minimum: 10 }),
  maxBackoffMs: Type.Integer({ default: 600_000, minimum: 10 }),
  concurrency: Type.Integer({ default: 8, minimum: 1, maximum: 256 }),
  pollMs: Type.Integer({ default: 1000, minimum: 10 }),
  opsPort: Type.Integer({ default: 9090, minimum: 0, maximum: 65535 }),
  opsHost: Type.String({ default: '0.0.0.0' }),
});
export type DeliveryConfig = Static<typeof DeliveryConfig>;

export const DELIVERY_ENV = {
  databaseUrl: 'DATABASE_URL',
  ...KAFKA_ENV,
  ...TOPIC_ENV,
  groupPrefix: 'KAFKA_GROUP_PREFIX',
  webhooks: ENV.alertWebhooks,
  maxAttempts: ENV.deliveryMaxAttempts,
  initialBackoffMs: 'DELIVERY_INITIAL_BACKOFF_MS',
  maxBackoffMs: 'DELIVERY_MAX_BACKOFF_MS',
  concurrency: 'DELIVERY_CONCURRENCY',
  pollMs: 'DELIVERY_POLL_MS',
  opsPort: 'OPS_PORT',
  opsHost: 'OPS_HOST',
} as const;

/** An endpoint with its key resolved. */
export interface ResolvedEndpoint extends WebhookEndpoint {
  signingKey: string | null;
}

export function loadDeliveryConfig(env: NodeJS.ProcessEnv = process.env): {
  config: DeliveryConfig;
  endpoints: ResolvedEndpoint[];
} {
  const config = loadConfig(DeliveryConfig, DELIVERY_ENV, env);
  return { config, endpoints: resolveEndpoints(config.webhooks, env) };
}

/** Checks names are unique and keys present (json endpoints must be signed). */
export function resolveEndpoints(
  webhooks: readonly WebhookEndpoint[],
  env: NodeJS.ProcessEnv,
): ResolvedEndpoint[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  const out = webhooks.map((w, i) => {
    if (seen.has(w.name)) problems.push(`ALERT_WEBHOOKS/${i}/name: ${w.name} is used twice`);
    seen.add(w.name);
    let key: string | null = null;
    if (w.signingKeyEnv !== undefined) {
      key = env[w.signingKeyEnv] ?? null;
      if (key === null || key.length < 16)
        problems.push(
          `${w.signingKeyEnv}: the signing key of webhook ${w.name} is missing or shorter than 16 characters`,
        );
    } else if (w.format === 'json')
      problems.push(`ALERT_WEBHOOKS/${i}/signingKeyEnv: json webhooks are signed; name the key's env var`);
    return { ...w, signingKey: key };
  });
  if (problems.length > 0) throw new Error(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
  return out;
}

export function deliveryGroupId(config: Pick<DeliveryConfig, 'groupPrefix'>): string {
  return config.groupPrefix === '' ? 'alert-delivery' : `${config.groupPrefix}.alert-delivery`;
}
