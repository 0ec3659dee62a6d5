/** The detector's configuration: one schema, read from the environment at start-up (lib/config.ts). */
import { type Static, Type } from '@sinclair/typebox';
import { ALERTS_COLLECTION, ALERTS_DATABASE } from '../../api/alert.ts';
import { DETECTOR_ENV, PORTS } from '../../api/env.ts';
import { DEFAULT_APP_ID, DEFAULT_TOPICS, REPARTITION_RETENTION_MS } from '../../api/topics.ts';
import { loadConfig } from '../../lib/config.ts';
import { KafkaSettings, TopicSettings } from '../shared/kafka.ts';
import { DEFAULT_HORIZON_MS } from './core/event-time.ts';

export const DetectorConfig = Type.Object({
  ...KafkaSettings,
  ...TopicSettings,
  verdictsTopic: Type.String({
    default: DEFAULT_TOPICS.verdicts,
    minLength: 1,
    maxLength: 249,
    description: 'Verdict parts (api/verdict.ts); as many partitions as the applications topic',
  }),
  groupPrefix: Type.String({ default: '', description: 'Prefix of consumer groups and internal topics' }),
  appId: Type.String({
    default: DEFAULT_APP_ID,
    pattern: '^[A-Za-z0-9._-]{1,100}$',
    description: 'Names the consumer groups and the repartition topic (<prefix>.<appId>-repartition)',
  }),
  mongoUrl: Type.String({ pattern: '^mongodb(\\+srv)?://' }),
  mongoDatabase: Type.Optional(
    Type.String({ minLength: 1, description: `Default: the database in MONGO_URL, else ${ALERTS_DATABASE}` }),
  ),
  alertsCollection: Type.String({ default: ALERTS_COLLECTION, minLength: 1 }),
  rulesFile: Type.Optional(
    Type.String({ minLength: 1, description: 'YAML/JSON rule set; unset: the built-in rules' }),
  ),
  rulesPollMs: Type.Integer({
    default: 5000,
    minimum: 100,
    description: 'mtime polling period of the rules file',
  }),
  repartitionPartitions: Type.Optional(
    Type.Integer({ minimum: 1, description: 'Default: as many as the applications topic' }),
  ),
  repartitionRetentionMs: Type.Integer({ default: REPARTITION_RETENTION_MS, minimum: 60_000 }),
  maxStateEntries: Type.Integer({ default: 2_000_000, minimum: 1000, description: 'Per partition' }),
  eventTimeHorizonMs: Type.Integer({
    default: DEFAULT_HORIZON_MS,
    minimum: 60_000,
    maximum: 30 * 86_400_000,
    description:
      'How far before its receipt an application may have been submitted and still be evaluated by window rules (state is kept that long)',
  }),
  opsPort: Type.Integer({ default: PORTS.ops, minimum: 0, maximum: 65535 }),
  opsHost: Type.String({ default: '0.0.0.0' }),
});
export type DetectorConfig = Static<typeof DetectorConfig>;

export function loadDetectorConfig(env: NodeJS.ProcessEnv = process.env): DetectorConfig {
  return loadConfig(DetectorConfig, DETECTOR_ENV, env);
}
