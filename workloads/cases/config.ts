/** The cases service's configuration: one schema, read from the environment at start-up. */
import { type Static, Type } from '@sinclair/typebox';
import { ENV, KAFKA_ENV, TOPIC_ENV } from '../../api/env.ts';
import { loadConfig } from '../../lib/config.ts';
import { KafkaSettings, TopicSettings } from '../shared/kafka.ts';

export const CasesConfig = Type.Object({
  databaseUrl: Type.String({ pattern: '^postgres(ql)?://' }),
  ...KafkaSettings,
  ...TopicSettings,
  groupPrefix: Type.String({ default: '' }),
  /** The namespace whose `cases` RBAC decides (the CreditPipeline's; the pod's own via the downward API). */
  namespace: Type.String({ minLength: 1, maxLength: 63, pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$' }),
  /** Kubeconfig file for TokenReview/SubjectAccessReview; unset: in-cluster credentials. */
  kubeconfig: Type.Optional(Type.String({ minLength: 1 })),
  /** Audiences a token must carry (TokenReview spec.audiences); unset: the API server's own. */
  tokenAudiences: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
  authCacheTtlMs: Type.Integer({ default: 30_000, minimum: 0, maximum: 300_000 }),
  /** Whether this replica also opens cases from the alerts topic (consumer group `<prefix>.cases`). */
  openCases: Type.Boolean({ default: true }),
  httpPort: Type.Integer({ default: 8080, minimum: 0, maximum: 65535 }),
  httpHost: Type.String({ default: '0.0.0.0' }),
  opsPort: Type.Integer({ default: 9090, minimum: 0, maximum: 65535 }),
  opsHost: Type.String({ default: '0.0.0.0' }),
});
export type CasesConfig = Static<typeof CasesConfig>;

export const CASES_ENV = {
  databaseUrl: 'DATABASE_URL',
  ...KAFKA_ENV,
  ...TOPIC_ENV,
  groupPrefix: 'KAFKA_GROUP_PREFIX',
  namespace: ENV.casesNamespace,
  kubeconfig: 'KUBECONFIG',
  tokenAudiences: 'CASES_TOKEN_AUDIENCES',
  authCacheTtlMs: 'CASES_AUTH_CACHE_TTL_MS',
  openCases: 'CASES_OPEN_FROM_ALERTS',
  httpPort: 'HTTP_PORT',
  httpHost: 'HTTP_HOST',
  opsPort: 'OPS_PORT',
  opsHost: 'OPS_HOST',
} as const;

export function loadCasesConfig(env: NodeJS.ProcessEnv = process.env): CasesConfig {
  return loadConfig(CasesConfig, CASES_ENV, env);
}

export function casesGroupId(config: Pick<CasesConfig, 'groupPrefix'>): string {
  return config.groupPrefix === '' ? 'cases' : `${config.groupPrefix}.cases`;
}
