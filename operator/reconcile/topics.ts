/**
 * Direct topic management (spec.kafka.topicManagement: direct): the operator creates the topics
 * through the Kafka admin API, grows partitions, and, with deletionPolicy Delete, deletes the topics
 * when the CreditPipeline goes (behind a finalizer). Topic descriptions come from
 * `desiredTopics` (cdk8s/topics.ts), the same ones the KafkaTopic construct renders.
 */
import { type Admin, Kafka, type KafkaConfig, logLevel, type SASLOptions } from 'kafkajs';
import type { CreditPipeline } from '../../api/v1alpha1.ts';
import { type DesiredTopic, desiredTopics } from '../../cdk8s/topics.ts';
import { createTopicsWithLeaders } from '../../lib/kafka-topics.ts';
import type { DirectTopicsOutcome } from './status.ts';

/** Client credentials from spec.kafka.authSecretRef (decoded Secret data). */
export type KafkaCredentials = Record<string, string>;

export interface TopicManager {
  ensure(cp: CreditPipeline, credentials: KafkaCredentials | undefined): Promise<DirectTopicsOutcome>;
  remove(cp: CreditPipeline, credentials: KafkaCredentials | undefined): Promise<void>;
}

export function kafkaConfig(cp: CreditPipeline, credentials: KafkaCredentials | undefined): KafkaConfig {
  const k = cp.spec.kafka;
  if (k.bootstrapServers === undefined)
    throw new Error('direct topic management needs spec.kafka.bootstrapServers');
  const cfg: KafkaConfig = {
    clientId: `credit-platform-operator.${cp.metadata.namespace ?? 'default'}.${cp.metadata.name}`,
    brokers: k.bootstrapServers.split(','),
    connectionTimeout: 5_000,
    requestTimeout: 15_000,
    retry: { retries: 2, initialRetryTime: 200 },
    logLevel: logLevel.NOTHING,
  };
  if (k.tls) {
    const ca = credentials?.['ca.crt'];
    const cert = credentials?.['tls.crt'];
    const key = credentials?.['tls.key'];
    cfg.ssl = { ...(ca ? { ca: [ca] } : {}), ...(cert ? { cert } : {}), ...(key ? { key } : {}) };
  }
  if (k.sasl !== undefined) {
    const username = credentials?.username ?? '';
    const password = credentials?.password ?? '';
    cfg.sasl = { mechanism: k.sasl, username, password } as SASLOptions;
  }
  return cfg;
}

export class KafkaTopicManager implements TopicManager {
  private async withAdmin<T>(
    cp: CreditPipeline,
    credentials: KafkaCredentials | undefined,
    fn: (a: Admin) => Promise<T>,
  ): Promise<T> {
    const admin = new Kafka(kafkaConfig(cp, credentials)).admin();
    await admin.connect();
    try {
      return await fn(admin);
    } finally {
      await admin.disconnect();
    }
  }

  async ensure(cp: CreditPipeline, credentials: KafkaCredentials | undefined): Promise<DirectTopicsOutcome> {
    const wanted = desiredTopics(cp);
    try {
      return await this.withAdmin(cp, credentials, async (admin) => {
        const existing = new Set(await admin.listTopics());
        const missing = wanted.filter((t) => !existing.has(t.name));
        if (missing.length > 0) {
          await createTopicsWithLeaders(
            admin,
            missing.map((t) => ({
              topic: t.name,
              numPartitions: t.partitions,
              replicationFactor: t.replicationFactor,
              configEntries: Object.entries(t.config).map(([name, value]) => ({ name, value })),
            })),
          );
        }
        await this.growPartitions(
          admin,
          wanted.filter((t) => existing.has(t.name)),
        );
        return { ok: true, topics: wanted.map((t) => t.name) } as const;
      });
    } catch (err) {
      return {
        ok: false,
        reason: 'KafkaAdminFailed',
        message: `Could not create the topics on ${cp.spec.kafka.bootstrapServers}: ${err instanceof Error ? err.message : String(err)}`,
      };
    }
  }

  private async growPartitions(admin: Admin, topics: DesiredTopic[]): Promise<void> {
    if (topics.length === 0) return;
    const meta = await admin.fetchTopicMetadata({ topics: topics.map((t) => t.name) });
    const grow = topics.filter((t) => {
      const have = meta.topics.find((m) => m.name === t.name)?.partitions.length ?? t.partitions;
      return have < t.partitions;
    });
    if (grow.length > 0)
      await admin.createPartitions({
        topicPartitions: grow.map((t) => ({ topic: t.name, count: t.partitions })),
      });
  }

  async remove(cp: CreditPipeline, credentials: KafkaCredentials | undefined): Promise<void> {
    const names = desiredTopics(cp).map((t) => t.name);
    await this.withAdmin(cp, credentials, async (admin) => {
      const existing = new Set(await admin.listTopics());
      const present = names.filter((n) => existing.has(n));
      if (present.length === 0) return;
      await admin.deleteTopics({ topics: present, timeout: 15_000 });
      // The controller has committed the deletion; the broker's metadata may still list the topics for
      // a moment. The pipeline goes only once they are gone, so a pipeline created again under the same
      // name does not meet its old topics (a retry of the reconcile carries on from here).
      const deadline = Date.now() + 15_000;
      for (;;) {
        const listed = new Set(await admin.listTopics());
        const left = present.filter((n) => listed.has(n));
        if (left.length === 0) return;
        if (Date.now() > deadline)
          throw new Error(`topics still listed after their deletion: ${left.join(', ')}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    });
  }
}
