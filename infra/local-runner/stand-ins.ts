/**
 * What the runner cannot run as a process it backs with the harness's real servers:
 * - the managed PostgreSQL and FerretDB StatefulSet pods (their images): the pod is "running" on the
 *   harness server, and the image's first-start behaviour (POSTGRES_USER/PASSWORD/DB) is applied to it;
 * - a Strimzi-managed Kafka cluster: `<cluster>-kafka-bootstrap` resolves to the harness broker, and
 *   KafkaTopic objects are created in it (the Topic Operator's job) with their status set Ready.
 */
import type { V1Container } from '@kubernetes/client-node';
import { Kafka, logLevel } from 'kafkajs';
import pg from 'pg';
import type { InfraState } from '../lib/state.ts';

export interface StandIn {
  /** Loopback port that serves the container's port. */
  localPortFor(containerPort: number): number;
  /** First-start work the image would do (create role and database, ...). */
  prepare(env: Record<string, string>): Promise<void>;
  describe: string;
}

export function standInFor(container: V1Container, infra: InfraState): StandIn | undefined {
  const image = container.image ?? '';
  if (/(^|\/)postgres(:|@|$)/.test(image) && infra.postgres) {
    const pgInfo = infra.postgres;
    return {
      describe: `harness PostgreSQL ${pgInfo.version} on 127.0.0.1:${pgInfo.port}`,
      localPortFor: () => pgInfo.port,
      prepare: (env) => ensurePostgresRole(pgInfo.url, env),
    };
  }
  if (/(^|\/)ferretdb(:|@|$)/.test(image) && infra.mongo) {
    const mongo = infra.mongo;
    return {
      describe: `harness ${mongo.flavor} ${mongo.version} on 127.0.0.1:${mongo.port}`,
      localPortFor: () => mongo.port,
      prepare: async () => {},
    };
  }
  return undefined;
}

/** The postgres image's entrypoint creates POSTGRES_USER with POSTGRES_PASSWORD and POSTGRES_DB. */
async function ensurePostgresRole(adminUrl: string, env: Record<string, string>): Promise<void> {
  const user = env.POSTGRES_USER ?? 'postgres';
  const password = env.POSTGRES_PASSWORD ?? '';
  const db = env.POSTGRES_DB ?? user;
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const ident = (s: string) => `"${s.replace(/"/g, '""')}"`;
    const lit = (s: string) => `'${s.replace(/'/g, "''")}'`;
    const role = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [user]);
    // The image's user is a superuser; CREATEROLE is what the platform needs of it (the migration Job
    // keeps the warehouse's reader roles, workloads/warehouse/reader-role.ts).
    await client.query(
      `${role.rowCount === 0 ? 'CREATE' : 'ALTER'} ROLE ${ident(user)} LOGIN CREATEROLE PASSWORD ${lit(password)}`,
    );
    // The harness role administers the databases it stands in for (and can drop them on reset).
    await client.query(`GRANT ${ident(user)} TO CURRENT_USER`).catch(() => {});
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [db]);
    if (exists.rowCount === 0) await client.query(`CREATE DATABASE ${ident(db)} OWNER ${ident(user)}`);
  } finally {
    await client.end();
  }
}

export interface KafkaTopicObject {
  metadata: { name: string; namespace: string };
  spec?: {
    topicName?: string;
    partitions?: number;
    replicas?: number;
    config?: Record<string, string | number>;
  };
}

/** Topic Operator stand-in: creates each KafkaTopic in the harness broker, grows partitions (never deletes data). */
export async function ensureTopics(
  bootstrap: string,
  topics: readonly KafkaTopicObject[],
): Promise<string[]> {
  const kafka = new Kafka({ clientId: 'local-runner', brokers: [bootstrap], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((t) => !existing.has(t.spec?.topicName ?? t.metadata.name));
    if (missing.length > 0) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((t) => ({
          topic: t.spec?.topicName ?? t.metadata.name,
          numPartitions: t.spec?.partitions ?? 3,
          replicationFactor: 1, // one local broker stands in for the cluster
          configEntries: Object.entries(t.spec?.config ?? {}).map(([name, value]) => ({
            name,
            value: String(value),
          })),
        })),
      });
    }
    // Like Strimzi's Topic Operator: a KafkaTopic asking for more partitions than the topic has grows it.
    const present = topics.filter((t) => existing.has(t.spec?.topicName ?? t.metadata.name));
    if (present.length > 0) {
      const name = (t: KafkaTopicObject) => t.spec?.topicName ?? t.metadata.name;
      const meta = await admin.fetchTopicMetadata({ topics: present.map(name) });
      const grow = present.filter((t) => {
        const have = meta.topics.find((m) => m.name === name(t))?.partitions.length ?? 0;
        return t.spec?.partitions !== undefined && have < t.spec.partitions;
      });
      if (grow.length > 0)
        await admin.createPartitions({
          topicPartitions: grow.map((t) => ({ topic: name(t), count: t.spec?.partitions ?? 0 })),
        });
    }
    return missing.map((t) => t.spec?.topicName ?? t.metadata.name);
  } finally {
    await admin.disconnect();
  }
}
