/**
 * The loader's offsets on the real broker and database (in process): the warehouse's loader_offsets
 * decide where a partition is read from on a group join, whatever Kafka's committed offset says; a
 * partition whose stored offset is gone from Kafka (retention) is sought back once and then loaded from
 * the earliest record left; the Kafka offset is committed after the warehouse write, as a hint.
 */
import { randomBytes } from 'node:crypto';
import type { Admin } from '@platformatic/kafka';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../lib/log.ts';
import type { KafkaConnection } from '../../../workloads/shared/kafka.ts';
import { createAdmin, createProducer, ensureTopic } from '../../../workloads/shared/kafka-client.ts';
import { createPool, type Pool } from '../../../workloads/warehouse/db.ts';
import { type RunningLoader, startLoader } from '../../../workloads/warehouse-loader/consumer.ts';
import { createLoaderMetrics, type LoaderMetrics } from '../../../workloads/warehouse-loader/metrics.ts';
import { createTestDatabase, kafkaBrokers, rng, syntheticApplication, type TestDatabase } from './support.ts';

const N = 30;
const suffix = randomBytes(4).toString('hex');
const connection: KafkaConnection = { brokers: kafkaBrokers(), clientId: 'wh-offsets-test' };
const log = createLogger('loader-offsets-test');

let db: TestDatabase;
let pool: Pool;
let admin: Admin;
const topics: string[] = [];
const loaders: RunningLoader[] = [];

/** A one-partition applications topic with N applications (offsets 0..N-1) and an empty alerts topic. */
async function topicsWithApplications(name: string): Promise<{ apps: string; alerts: string }> {
  const apps = `wh_off_${name}_${suffix}`;
  const alerts = `wh_off_${name}_alerts_${suffix}`;
  await ensureTopic(connection, apps, { partitions: 1 });
  await ensureTopic(connection, alerts, { partitions: 1 });
  topics.push(apps, alerts);
  const producer = createProducer(connection);
  try {
    const r = rng(name.length);
    await producer.send({
      messages: Array.from({ length: N }, () => {
        const a = syntheticApplication(r);
        return {
          topic: apps,
          key: Buffer.from(a.applicant.customerId),
          value: Buffer.from(JSON.stringify(a)),
        };
      }),
    });
  } finally {
    await producer.close();
  }
  return { apps, alerts };
}

async function run(groupId: string, t: { apps: string; alerts: string }): Promise<LoaderMetrics> {
  const metrics = createLoaderMetrics();
  const loader = await startLoader({
    connection,
    pool,
    groupId,
    applicationsTopic: t.apps,
    alertsTopic: t.alerts,
    log,
    metrics,
    sessionTimeoutMs: 6_000,
  });
  loaders.push(loader);
  expect(loader.joined()).toBe(true);
  return metrics;
}

async function storedOffset(groupId: string, topic: string): Promise<number | undefined> {
  const { rows } = await pool.query<{ next_offset: string }>(
    'SELECT next_offset FROM loader_offsets WHERE group_id = $1 AND topic = $2 AND partition = 0',
    [groupId, topic],
  );
  return rows[0] === undefined ? undefined : Number(rows[0].next_offset);
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  for (const until = Date.now() + timeoutMs; !(await check()); ) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function loadedOffsets(topic: string): Promise<number[]> {
  const { rows } = await pool.query<{ o: string }>(
    'SELECT source_offset AS o FROM fact_application WHERE source_topic = $1 ORDER BY source_offset',
    [topic],
  );
  return rows.map((r) => Number(r.o));
}

async function kafkaCommitted(groupId: string, topic: string): Promise<bigint | undefined> {
  const [group] = await admin.listConsumerGroupOffsets({
    groups: [{ groupId, topics: [{ name: topic, partitionIndexes: [0] }] }],
  });
  return group?.topics.find((t) => t.name === topic)?.partitions.find((p) => p.partitionIndex === 0)
    ?.committedOffset;
}

async function batchesWith(metrics: LoaderMetrics, topic: string, outcome: string): Promise<number> {
  const { values } = await metrics.batches.get();
  return values.find((v) => v.labels.topic === topic && v.labels.outcome === outcome)?.value ?? 0;
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

beforeAll(async () => {
  db = await createTestDatabase('wh_offsets');
  pool = createPool(db.url);
  admin = createAdmin(connection);
}, 60_000);

afterAll(async () => {
  await Promise.all(loaders.map((l) => l.stop().catch(() => undefined)));
  if (topics.length > 0) await admin?.deleteTopics({ topics }).catch(() => undefined);
  await admin?.close().catch(() => undefined);
  await pool?.end();
  await db?.drop();
});

describe('warehouse loader offsets', () => {
  it('reads each partition from the offset stored in the warehouse, not from a Kafka offset ahead of it', async () => {
    const t = await topicsWithApplications('hint');
    const groupId = `wh-off-hint-${suffix}`;
    // The warehouse loaded up to 10 (e.g. restored from a backup); Kafka's group offset says 25.
    await pool.query(
      'INSERT INTO loader_offsets (group_id, topic, partition, next_offset) VALUES ($1, $2, 0, 10)',
      [groupId, t.apps],
    );
    await admin.alterConsumerGroupOffsets({
      groupId,
      topics: [{ name: t.apps, partitionOffsets: [{ partition: 0, offset: 25n }] }],
    });
    const metrics = await run(groupId, t);
    await waitFor('the stored offset at the end', async () => (await storedOffset(groupId, t.apps)) === N);
    expect(await loadedOffsets(t.apps)).toEqual(range(10, N));
    expect(await batchesWith(metrics, t.apps, 'seek_back')).toBe(0);
    // The hint follows the warehouse (committed after the write).
    await waitFor('the Kafka offset hint', async () => (await kafkaCommitted(groupId, t.apps)) === BigInt(N));
  }, 120_000);

  it('seeks back once to a stored offset deleted by retention, then loads from the earliest record left', async () => {
    const t = await topicsWithApplications('retention');
    const groupId = `wh-off-retention-${suffix}`;
    // The loader stopped at 3; records 0..11 were deleted meanwhile.
    await pool.query(
      'INSERT INTO loader_offsets (group_id, topic, partition, next_offset) VALUES ($1, $2, 0, 3)',
      [groupId, t.apps],
    );
    await admin.deleteRecords({ topics: [{ name: t.apps, partitions: [{ partition: 0, offset: 12n }] }] });
    const metrics = await run(groupId, t);
    await waitFor('the stored offset at the end', async () => (await storedOffset(groupId, t.apps)) === N);
    expect(await loadedOffsets(t.apps)).toEqual(range(12, N));
    expect(await batchesWith(metrics, t.apps, 'seek_back')).toBe(1);
    expect(await batchesWith(metrics, t.apps, 'error')).toBe(0);
  }, 120_000);
});
