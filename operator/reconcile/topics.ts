/**
 * Direct topic management (spec.kafka.topicManagement: direct): the operator creates the topics
 * through the Kafka admin API, grows partitions, and, with deletionPolicy Delete, deletes the topics
 * when the CreditPipeline goes (behind a finalizer). Topic descriptions come from
 * `desiredTopics` (cdk8s/topics.ts), the same ones the KafkaTopic construct renders. The admin is
 * @platformatic/kafka's, with the connection options every workload uses
 * (workloads/shared/kafka-client.ts `clientOptions`).
 */
import { Admin, type AdminOptions } from '@platformatic/kafka';
import type { CreditPipeline } from '../../api/v1alpha1.ts';
import { type DesiredTopic, desiredTopics } from '../../cdk8s/topics.ts';
import { createTopicsWithLeaders, partitionCounts } from '../../lib/kafka-topics.ts';
import type { KafkaConnection } from '../../workloads/shared/kafka.ts';
import { clientOptions, describeKafkaError } from '../../workloads/shared/kafka-client.ts';
import type { DirectTopicsOutcome } from './status.ts';

/** Client credentials from spec.kafka.authSecretRef (decoded Secret data). */
export type KafkaCredentials = Record<string, string>;

export interface TopicManager {
  ensure(cp: CreditPipeline, credentials: KafkaCredentials | undefined): Promise<DirectTopicsOutcome>;
  remove(cp: CreditPipeline, credentials: KafkaCredentials | undefined): Promise<void>;
}

/**
 * The admin client's options for a pipeline: its bootstrap servers, TLS with the Secret's CA and
 * client certificate (PEM text, not files, so set here rather than through `KafkaConnection.caFile`),
 * SASL with the Secret's username and password.
 */
export function adminOptions(cp: CreditPipeline, credentials: KafkaCredentials | undefined): AdminOptions {
  const k = cp.spec.kafka;
  if (k.bootstrapServers === undefined)
    throw new Error('direct topic management needs spec.kafka.bootstrapServers');
  const connection: KafkaConnection = {
    clientId: `credit-platform-operator.${cp.metadata.namespace ?? 'default'}.${cp.metadata.name}`,
    brokers: k.bootstrapServers.split(','),
    connectionTimeoutMs: 5_000,
    requestTimeoutMs: 15_000,
    retry: { retries: 2, initialRetryTime: 200 },
  };
  if (k.sasl !== undefined)
    connection.sasl = {
      mechanism: k.sasl,
      username: credentials?.username ?? '',
      password: credentials?.password ?? '',
    };
  // How long the controller may take over a create, a partition change or a delete before it answers.
  const options: AdminOptions = { ...clientOptions(connection), timeout: 10_000 };
  if (k.tls) {
    const ca = credentials?.['ca.crt'];
    const cert = credentials?.['tls.crt'];
    const key = credentials?.['tls.key'];
    options.tls = { ...(ca ? { ca: [ca] } : {}), ...(cert ? { cert } : {}), ...(key ? { key } : {}) };
  }
  return options;
}

export class KafkaTopicManager implements TopicManager {
  private async withAdmin<T>(
    cp: CreditPipeline,
    credentials: KafkaCredentials | undefined,
    fn: (a: Admin) => Promise<T>,
  ): Promise<T> {
    const admin = new Admin(adminOptions(cp, credentials));
    try {
      return await fn(admin);
    } finally {
      await admin.close().catch(() => {});
    }
  }

  async ensure(cp: CreditPipeline, credentials: KafkaCredentials | undefined): Promise<DirectTopicsOutcome> {
    const wanted = desiredTopics(cp);
    try {
      return await this.withAdmin(cp, credentials, async (admin) => {
        const existing = new Set(await admin.listTopics());
        // A topic another caller (a second operator replica, a person) creates between the list and the
        // create is left as its creator made it (createTopicsWithLeaders waits for it, refuses nothing).
        for (const t of wanted.filter((w) => !existing.has(w.name)))
          await createTopicsWithLeaders(admin, [
            {
              topic: t.name,
              numPartitions: t.partitions,
              replicationFactor: t.replicationFactor,
              configEntries: Object.entries(t.config).map(([name, value]) => ({ name, value })),
            },
          ]);
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
        message: `Could not create the topics on ${cp.spec.kafka.bootstrapServers}: ${describeKafkaError(err)}`,
      };
    }
  }

  private async growPartitions(admin: Admin, topics: DesiredTopic[]): Promise<void> {
    if (topics.length === 0) return;
    const counts = await partitionCounts(
      admin,
      topics.map((t) => t.name),
    );
    const grow = topics.filter((t) => (counts.get(t.name) ?? t.partitions) < t.partitions);
    if (grow.length > 0)
      await admin.createPartitions({ topics: grow.map((t) => ({ name: t.name, count: t.partitions })) });
  }

  async remove(cp: CreditPipeline, credentials: KafkaCredentials | undefined): Promise<void> {
    const names = desiredTopics(cp).map((t) => t.name);
    await this.withAdmin(cp, credentials, async (admin) => {
      const existing = new Set(await admin.listTopics());
      const present = names.filter((n) => existing.has(n));
      if (present.length === 0) return;
      await admin.deleteTopics({ topics: present });
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
