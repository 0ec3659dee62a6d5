/** The decision service's configuration: one schema, read from the environment (lib/config.ts). */
import { hostname } from 'node:os';
import { type Static, Type } from '@sinclair/typebox';
import { DECISION_ENV, PORTS } from '../../api/env.ts';
import { DEFAULT_TOPICS } from '../../api/topics.ts';
import { loadConfig } from '../../lib/config.ts';
import { KafkaSettings, TopicSettings } from '../shared/kafka.ts';

const Topic = (dflt: string, description: string) =>
  Type.String({ default: dflt, minLength: 1, maxLength: 249, description });

export const DecisionServiceConfig = Type.Object({
  ...KafkaSettings,
  applicationsTopic: TopicSettings.applicationsTopic,
  verdictsTopic: Topic(DEFAULT_TOPICS.verdicts, 'Verdict parts of the fraud detector (api/verdict.ts)'),
  decisionsTopic: Topic(DEFAULT_TOPICS.decisions, 'Where issued decisions are published (api/decision.ts)'),
  groupPrefix: Type.String({ default: '', description: 'Prefix of the consumer group' }),
  databaseUrl: Type.String({ pattern: '^postgres(ql)?://' }),
  modelFile: Type.Optional(
    Type.String({
      minLength: 1,
      description: 'Champion scorecard (YAML/JSON); unset: the built-in champion',
    }),
  ),
  opsPort: Type.Integer({ default: PORTS.ops, minimum: 0, maximum: 65535 }),
  opsHost: Type.String({ default: '0.0.0.0' }),
  sessionTimeoutMs: Type.Integer({ default: 30_000, minimum: 6_000, maximum: 300_000 }),
  maxWriteBatch: Type.Integer({
    default: 1000,
    minimum: 1,
    maximum: 5000,
    description:
      'Most decisions per warehouse insert; what completes while inserts are in flight goes in the next one',
  }),
  writerId: Type.String({
    default: hostname(),
    minLength: 1,
    maxLength: 253,
    description: 'Recorded as run_id of the stream decisions this process issues (the pod name)',
  }),
});
export type DecisionServiceConfig = Static<typeof DecisionServiceConfig>;

export function loadDecisionServiceConfig(env: NodeJS.ProcessEnv = process.env): DecisionServiceConfig {
  return loadConfig(DecisionServiceConfig, DECISION_ENV, env);
}
