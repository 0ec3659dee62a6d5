/**
 * Kafka in the integration tests, through the platform's own client (workloads/shared/kafka-client.ts
 * and batch-consumer.ts, @platformatic/kafka): topics, records written, a topic read back, offsets.
 * A test holds a `KafkaConnection` (brokers and a client id); every helper opens its own client and
 * closes it before it returns.
 *
 *   const kafka = testKafka('my-test');
 *   await createTopics(kafka, [{ topic, numPartitions: 3 }]);
 *   await produce(kafka, topic, [{ key: 'k', value: JSON.stringify(event), headers: { h: 'v' } }]);
 *   const records = await readTopic(kafka, topic, { until: 10 });        // or 'end', or a condition
 */
import { randomUUID } from 'node:crypto';
import type { Admin } from '@platformatic/kafka';
import { requireInfra } from '../../../infra/lib/state.ts';
import { createTopicsWithLeaders, type NewTopic } from '../../../lib/kafka-topics.ts';
import { createBatchConsumer } from '../../../workloads/shared/batch-consumer.ts';
import type { KafkaConnection } from '../../../workloads/shared/kafka.ts';
import { type BytesMessage, createProducer, withAdmin } from '../../../workloads/shared/kafka-client.ts';

export type { KafkaConnection };
export { withAdmin };

/** The harness's broker (TEST_KAFKA_BROKERS overrides it, e.g. to run against another one). */
export function harnessBrokers(): string[] {
  return [process.env.TEST_KAFKA_BROKERS ?? requireInfra('kafka').bootstrapServers];
}

/** A connection to the harness's broker, or to `brokers` (a throwaway broker of a test's own). */
export function testKafka(
  clientId = 'test',
  brokers: string | readonly string[] = harnessBrokers(),
): KafkaConnection {
  const list = typeof brokers === 'string' ? brokers.split(',') : [...brokers];
  return { clientId, brokers: list.map((b) => b.trim()).filter((b) => b !== '') };
}

/** Runs `fn` with an admin client, closed afterwards. */
/** Creates topics and waits until every partition has a leader (replication factor 1 unless given). */
export async function createTopics(
  kafka: KafkaConnection,
  topics: readonly NewTopic[],
  timeoutMs?: number,
): Promise<void> {
  await withAdmin(kafka, (admin) =>
    createTopicsWithLeaders(
      admin,
      topics.map((t) => ({ replicationFactor: 1, ...t })),
      timeoutMs,
    ),
  );
}

/** Deletes topics, as a test's clean-up: topics already gone, or a broker away, are not an error. */
export async function deleteTopics(kafka: KafkaConnection, topics: readonly string[]): Promise<void> {
  if (topics.length === 0) return;
  await withAdmin(kafka, (admin) => admin.deleteTopics({ topics: [...topics] })).catch(() => undefined);
}

/** A record to write: text or bytes; a header given a list is written once per value, in order. */
export interface TestRecord {
  key?: string | Buffer | null;
  value: string | Buffer | null;
  headers?: Readonly<Record<string, string | readonly string[]>>;
  /** Written to this partition; by default the key's (the Java client's murmur2), as the platform's writers. */
  partition?: number;
}

const bytes = (v: string | Buffer | null | undefined): Buffer | undefined =>
  v === null || v === undefined ? undefined : typeof v === 'string' ? Buffer.from(v) : v;

function toMessage(topic: string, r: TestRecord): BytesMessage {
  // Distinct Buffer keys are distinct entries: a repeated name stays repeated.
  const headers = new Map<Buffer, Buffer>();
  for (const [name, v] of Object.entries(r.headers ?? {}))
    for (const one of typeof v === 'string' ? [v] : v) headers.set(Buffer.from(name), Buffer.from(one));
  const m: BytesMessage = { topic, headers };
  const key = bytes(r.key);
  const value = bytes(r.value);
  if (key !== undefined) m.key = key;
  if (value !== undefined) m.value = value;
  if (r.partition !== undefined) m.partition = r.partition;
  return m;
}

/**
 * Writes records with the platform's producer (idempotent, acks=all), `batchSize` to a send, in order.
 */
export async function produce(
  kafka: KafkaConnection,
  topic: string,
  records: readonly TestRecord[],
  batchSize = 500,
): Promise<void> {
  const producer = createProducer(kafka);
  try {
    for (let i = 0; i < records.length; i += batchSize)
      await producer.send({ messages: records.slice(i, i + batchSize).map((r) => toMessage(topic, r)) });
  } finally {
    await producer.close().catch(() => undefined);
  }
}

/** A record as read: key, value and header values as UTF-8 text. */
export interface ReadRecord {
  topic: string;
  partition: number;
  offset: bigint;
  timestamp: number;
  key: string | null;
  value: string | null;
  /** Header values by name (a repeated name: its last value). */
  headers: Record<string, string>;
  /** Every header as written, in order (repeated names repeated, null values kept). */
  headerEntries: ReadonlyArray<readonly [string, string | null]>;
}

export interface ReadOptions {
  /**
   * When reading stops: once this many distinct records are read, once every partition is read up to
   * its end as it was when the read began ('end'), or once the condition holds for what was read.
   */
  until: number | 'end' | ((records: readonly ReadRecord[]) => boolean);
  /** Default 30 s. */
  timeoutMs?: number;
  /**
   * Keeps one record per value of this (besides per partition and offset): a topic written at least
   * once may carry the same content twice, at two offsets.
   */
  distinctBy?: (record: ReadRecord) => string;
  /** What a read that timed out does: throws (default), or returns what it read so far. */
  ifIncomplete?: 'throw' | 'return';
}

/**
 * Reads a topic from its start in a consumer group of its own (the platform's batch consumer) until
 * `options.until` holds. Each record counts once, by partition and offset: a batch handed over again
 * (the reader's group rebalanced under load) adds nothing.
 */
export async function readTopic(
  kafka: KafkaConnection,
  topic: string,
  options: ReadOptions,
): Promise<ReadRecord[]> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const { until, distinctBy } = options;
  const ends = until === 'end' ? await withAdmin(kafka, (admin) => topicEnds(admin, topic)) : undefined;
  const out: ReadRecord[] = [];
  const seen = new Set<string>();
  const seenContent = new Set<string>();
  /** Next offset to read per partition (records are handed over in offset order per partition). */
  const next = new Map<number, bigint>();
  const complete = (): boolean => {
    if (typeof until === 'number') return out.length >= until;
    if (typeof until === 'function') return until(out);
    return [...(ends ?? [])].every(([p, end]) => (next.get(p) ?? 0n) >= end);
  };
  if (complete()) return out;

  let finish: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => {
    finish = resolve;
  });
  const timer = setTimeout(finish, timeoutMs);
  const consumer = createBatchConsumer(
    { ...kafka, clientId: `${kafka.clientId}-reader` },
    {
      groupId: `test-reader-${randomUUID()}`,
      topics: [topic],
      fromBeginning: true,
      maxWaitTime: 200,
      eachBatch: (batch) => {
        for (const m of batch.messages) {
          const at = `${batch.partition}:${m.offset}`;
          if (seen.has(at)) continue;
          seen.add(at);
          if (m.offset + 1n > (next.get(batch.partition) ?? 0n)) next.set(batch.partition, m.offset + 1n);
          const record: ReadRecord = {
            topic: batch.topic,
            partition: batch.partition,
            offset: m.offset,
            timestamp: m.timestamp,
            key: m.key?.toString('utf8') ?? null,
            value: m.value?.toString('utf8') ?? null,
            headers: Object.fromEntries(Object.entries(m.headers).map(([k, v]) => [k, v.toString('utf8')])),
            headerEntries: m.headerEntries.map(([k, v]) => [k, v?.toString('utf8') ?? null] as const),
          };
          if (distinctBy !== undefined) {
            const id = distinctBy(record);
            if (seenContent.has(id)) continue;
            seenContent.add(id);
          }
          out.push(record);
        }
        if (complete()) finish();
      },
    },
  );
  const started = consumer.start();
  // Stopped before its first join (timed out): start() rejects, which says nothing more.
  started.catch(() => undefined);
  try {
    await Promise.race([started, finished]);
    await finished;
  } finally {
    clearTimeout(timer);
    await consumer.stop();
  }
  if (!complete() && options.ifIncomplete !== 'return')
    throw new Error(
      `read ${out.length} records of ${topic} in ${timeoutMs} ms without reaching ${
        typeof until === 'function' ? 'the condition' : until === 'end' ? 'its end' : `${until} records`
      }`,
    );
  return out;
}

/** The end (the next offset to be written, the high watermark) of every partition of a topic. */
export async function topicEnds(admin: Admin, topic: string): Promise<Map<number, bigint>> {
  const meta = await admin.metadata({ topics: [topic], forceUpdate: true });
  const count = meta.topics.get(topic)?.partitionsCount ?? 0;
  const [listed] = await admin.listOffsets({
    topics: [
      {
        name: topic,
        partitions: Array.from({ length: count }, (_, p) => ({ partitionIndex: p, timestamp: -1n })),
      },
    ],
  });
  return new Map((listed?.partitions ?? []).map((p) => [p.partitionIndex, p.offset]));
}

/** Records on a topic: the sum of its partitions' ends (nothing deleted in a test's topic). */
export async function recordCount(kafka: KafkaConnection, topic: string): Promise<number> {
  const ends = await withAdmin(kafka, (admin) => topicEnds(admin, topic));
  return [...ends.values()].reduce((sum, e) => sum + Number(e), 0);
}

export interface CommittedOffset {
  offset: bigint;
  metadata: string | null;
}

/** A group's committed offsets (and metadata) on a topic's partitions; partitions without one are absent. */
export async function committedOffsets(
  admin: Admin,
  groupId: string,
  topic: string,
): Promise<Map<number, CommittedOffset>> {
  const [group] = await admin.listConsumerGroupOffsets({ groups: [groupId] });
  const out = new Map<number, CommittedOffset>();
  for (const t of group?.topics ?? [])
    if (t.name === topic)
      for (const p of t.partitions)
        if (p.committedOffset >= 0n)
          out.set(p.partitionIndex, {
            offset: p.committedOffset,
            metadata:
              p.metadata === null || p.metadata === undefined || p.metadata === '' ? null : p.metadata,
          });
  return out;
}

/** Records of a topic a group has not committed yet (all of them for a partition without a commit). */
export async function groupBehind(admin: Admin, groupId: string, topic: string): Promise<bigint> {
  const [ends, committed] = await Promise.all([
    topicEnds(admin, topic),
    committedOffsets(admin, groupId, topic),
  ]);
  let behind = 0n;
  for (const [p, end] of ends) {
    const at = committed.get(p)?.offset ?? 0n;
    if (end > at) behind += end - at;
  }
  return behind;
}
