/**
 * The demo's look at the harness broker, through the platform's Kafka client
 * (workloads/shared/kafka-client.ts, batch-consumer.ts): topic ends, a group's committed offsets,
 * consumer groups deleted once their members are gone, and a one-off read of a whole topic.
 */
import { type Admin, findErrorBy } from '@platformatic/kafka';
import { partitionCounts } from '../lib/kafka-topics.ts';
import { createBatchConsumer, type StreamMessage } from '../workloads/shared/batch-consumer.ts';
import { createAdmin, describeKafkaError } from '../workloads/shared/kafka-client.ts';

/** An admin client on the harness broker; close it after use. */
export function demoAdmin(bootstrap: string, clientId: string): Admin {
  return createAdmin({ brokers: [bootstrap], clientId });
}

export async function withDemoAdmin<T>(
  bootstrap: string,
  clientId: string,
  fn: (admin: Admin) => Promise<T>,
): Promise<T> {
  const admin = demoAdmin(bootstrap, clientId);
  try {
    return await fn(admin);
  } finally {
    await admin.close().catch(() => {});
  }
}

export interface PartitionEnds {
  partition: number;
  /** Offset of the first record still held. */
  low: bigint;
  /** Offset of the next record written. */
  high: bigint;
}

/** The first and next offsets of every partition of `topic` (a topic the broker does not know: throws). */
export async function topicEnds(admin: Admin, topic: string): Promise<PartitionEnds[]> {
  const count = (await partitionCounts(admin, [topic])).get(topic);
  if (count === undefined) throw new Error(`topic ${topic} does not exist`);
  const at = async (timestamp: bigint): Promise<Map<number, bigint>> => {
    const [listed] = await admin.listOffsets({
      topics: [
        {
          name: topic,
          partitions: Array.from({ length: count }, (_, i) => ({ partitionIndex: i, timestamp })),
        },
      ],
    });
    return new Map((listed?.partitions ?? []).map((p) => [p.partitionIndex, p.offset]));
  };
  // Kafka's ListOffsets timestamps: -2 the earliest offset, -1 the latest.
  const [low, high] = await Promise.all([at(-2n), at(-1n)]);
  return Array.from({ length: count }, (_, partition) => ({
    partition,
    low: low.get(partition) ?? 0n,
    high: high.get(partition) ?? 0n,
  }));
}

/** A group's committed offset per partition of `topic` (-1 where it has none). */
export async function committedOffsets(
  admin: Admin,
  groupId: string,
  topic: string,
  partitions: readonly number[],
): Promise<Map<number, bigint>> {
  const [group] = await admin.listConsumerGroupOffsets({
    groups: [{ groupId, topics: [{ name: topic, partitionIndexes: [...partitions] }] }],
  });
  const listed = group?.topics.find((t) => t.name === topic)?.partitions ?? [];
  return new Map(
    partitions.map((p) => [p, listed.find((l) => l.partitionIndex === p)?.committedOffset ?? -1n]),
  );
}

/** The ids of the broker's consumer groups. */
export async function groupIds(admin: Admin): Promise<string[]> {
  return [...(await admin.listGroups()).keys()];
}

/**
 * Deletes consumer groups, waiting for those that still have members: the previous run's pods were
 * force-deleted, and their members stay in the group until their sessions expire (Kafka answers
 * NON_EMPTY_GROUP until then). A group already gone is fine.
 */
export async function deleteGroupsOnceEmpty(
  admin: Admin,
  groups: readonly string[],
  timeoutMs = 120_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let left = [...groups];
  for (;;) {
    const failed: { groupId: string; type: string }[] = [];
    for (const groupId of left) {
      try {
        await admin.deleteGroups({ groups: [groupId] });
      } catch (err) {
        if (!(err instanceof Error)) throw err;
        if (findErrorBy(err, 'apiId', 'GROUP_ID_NOT_FOUND') !== null) continue;
        const type =
          findErrorBy(err, 'apiId', 'NON_EMPTY_GROUP') !== null ? 'NON_EMPTY_GROUP' : describeKafkaError(err);
        failed.push({ groupId, type });
      }
    }
    if (failed.length === 0) return;
    left = failed.map((g) => g.groupId);
    const other = failed.find((g) => g.type !== 'NON_EMPTY_GROUP');
    if (other !== undefined || Date.now() > deadline)
      throw new Error(
        `could not delete the consumer groups: ${failed.map((g) => `${g.groupId} (${g.type})`).join(', ')}`,
      );
    await new Promise((r) => setTimeout(r, 2_000));
  }
}

/** The first value of header `name` as text (a repeated header keeps its first value, as written). */
export function firstHeader(message: StreamMessage, name: string): string | undefined {
  for (const [k, v] of message.headerEntries) if (k === name && v !== null) return v.toString();
  return undefined;
}

/**
 * Reads every record `topic` held when the read began, from its start, with a one-off consumer group
 * (`groupId`), handing each to `each`; gives up after `timeoutMs` with what it read by then. Returns the
 * partitions' ends it read up to.
 */
export async function readWholeTopic(
  bootstrap: string,
  topic: string,
  groupId: string,
  timeoutMs: number,
  each: (message: StreamMessage) => void,
): Promise<PartitionEnds[]> {
  const ends = await withDemoAdmin(bootstrap, groupId, (admin) => topicEnds(admin, topic));
  // A partition is done once its next offset reaches the end it had when the read began.
  const remaining = new Map(ends.filter((e) => e.high > e.low).map((e) => [e.partition, e.high]));
  if (remaining.size === 0) return ends;
  // Each record once, even when a batch is handed over again (after a rebalance, a failed handler).
  const next = new Map(ends.map((e) => [e.partition, e.low]));
  let finished: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    finished = resolve;
  });
  const consumer = createBatchConsumer(
    { brokers: [bootstrap], clientId: groupId },
    {
      groupId,
      topics: [topic],
      fromBeginning: true,
      eachBatch: (batch) => {
        const end = remaining.get(batch.partition);
        if (end === undefined) return;
        for (const m of batch.messages)
          if (m.offset < end && m.offset >= (next.get(batch.partition) ?? 0n)) {
            next.set(batch.partition, m.offset + 1n);
            each(m);
          }
        if (batch.lastOffset + 1n >= end) remaining.delete(batch.partition);
        if (remaining.size === 0) finished();
      },
    },
  );
  const timer = setTimeout(finished, timeoutMs);
  try {
    await Promise.race([consumer.start().then(() => done), done]);
  } finally {
    clearTimeout(timer);
    await consumer.stop().catch(() => {});
  }
  return ends;
}
