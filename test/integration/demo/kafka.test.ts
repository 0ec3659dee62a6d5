/**
 * The demo's Kafka helpers (demo/kafka.ts) against the harness broker: the reads the demo's report and
 * its waits rely on (topic ends, committed offsets, a whole topic read once with its headers) and the
 * reset's group deletion. `make demo` needs the real node; these run without it.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  committedOffsets,
  deleteGroupsOnceEmpty,
  demoAdmin,
  firstHeader,
  groupIds,
  readWholeTopic,
  topicEnds,
} from '../../../demo/kafka.ts';
import { requireInfra } from '../../../infra/lib/state.ts';
import { createBatchConsumer } from '../../../workloads/shared/batch-consumer.ts';
import { type BytesMessage, createProducer, ensureTopic } from '../../../workloads/shared/kafka-client.ts';

const bootstrap = requireInfra('kafka').bootstrapServers;
const connection = { brokers: [bootstrap], clientId: 'demo-kafka-test' };
const suffix = randomBytes(4).toString('hex');
const topic = `demo_kafka_${suffix}`;
const admin = demoAdmin(bootstrap, 'demo-kafka-test');

/** Record i: key k<i>, a dlq-reason header, and on every third record the header twice. */
function record(i: number): BytesMessage {
  const headers = new Map<Buffer, Buffer>([
    [Buffer.from('dlq-reason'), Buffer.from(`reason-${i % 2}: detail`)],
  ]);
  const message: BytesMessage = { topic, key: Buffer.from(`k${i}`), value: Buffer.from(`v${i}`), headers };
  if (i % 3 === 0)
    // Repeated header names cannot be two Map keys of equal text: two distinct Buffers of it.
    headers.set(Buffer.from('dlq-reason'), Buffer.from('second value'));
  return message;
}

beforeAll(async () => {
  await ensureTopic(connection, topic, { partitions: 3 });
  const producer = createProducer(connection);
  try {
    await producer.send({ messages: Array.from({ length: 30 }, (_, i) => record(i)) });
  } finally {
    await producer.close();
  }
}, 60_000);

afterAll(async () => {
  await admin.deleteTopics({ topics: [topic] }).catch(() => {});
  await admin.close();
});

describe("the demo's Kafka helpers", () => {
  it('topicEnds gives every partition its first and next offsets', async () => {
    const ends = await topicEnds(admin, topic);
    expect(ends.map((e) => e.partition)).toEqual([0, 1, 2]);
    expect(ends.every((e) => e.low === 0n)).toBe(true);
    expect(ends.reduce((n, e) => n + Number(e.high), 0)).toBe(30);
    await expect(topicEnds(admin, `demo_kafka_absent_${suffix}`)).rejects.toThrow();
  });

  it('readWholeTopic hands over every record once, with the first value of a repeated header', async () => {
    const seen: string[] = [];
    const reasons = new Map<string, number>();
    const ends = await readWholeTopic(bootstrap, topic, `demo-kafka-read-${suffix}`, 30_000, (m) => {
      seen.push(m.key?.toString() ?? '');
      const r = firstHeader(m, 'dlq-reason') ?? 'none';
      reasons.set(r, (reasons.get(r) ?? 0) + 1);
    });
    expect(ends.reduce((n, e) => n + Number(e.high - e.low), 0)).toBe(30);
    expect(seen.sort()).toEqual(Array.from({ length: 30 }, (_, i) => `k${i}`).sort());
    expect(Object.fromEntries(reasons)).toEqual({ 'reason-0: detail': 15, 'reason-1: detail': 15 });
  });

  it('committedOffsets reads a group’s commits (-1 where none); deleteGroupsOnceEmpty waits for its members', async () => {
    const groupId = `demo-kafka-group-${suffix}`;
    const ends = await topicEnds(admin, topic);
    const partitions = ends.map((e) => e.partition);
    let committedAll: () => void = () => {};
    const allCommitted = new Promise<void>((resolve) => {
      committedAll = resolve;
    });
    const left = new Set(ends.filter((e) => e.high > 0n).map((e) => e.partition));
    const consumer = createBatchConsumer(connection, {
      groupId,
      topics: [topic],
      eachBatch: async (batch) => {
        await consumer.commit([{ topic, partition: batch.partition, offset: batch.lastOffset + 1n }]);
        if (batch.lastOffset + 1n >= (ends[batch.partition]?.high ?? 0n)) left.delete(batch.partition);
        if (left.size === 0) committedAll();
      },
    });
    expect(await committedOffsets(admin, groupId, topic, partitions)).toEqual(
      new Map(partitions.map((p) => [p, -1n])),
    );
    await consumer.start();
    let leavingStarted = false;
    let stopped = false;
    try {
      await allCommitted;
      expect(await committedOffsets(admin, groupId, topic, partitions)).toEqual(
        new Map(ends.map((e) => [e.partition, e.high > 0n ? e.high : -1n])),
      );
      expect(await groupIds(admin)).toContain(groupId);
      // The member leaves a few seconds into the deletion: until then Kafka answers NON_EMPTY_GROUP.
      const leaving = new Promise((r) => setTimeout(r, 3_000)).then(async () => {
        leavingStarted = true;
        await consumer.stop();
        stopped = true;
      });
      const absent = `demo-kafka-absent-${suffix}`;
      await deleteGroupsOnceEmpty(admin, [groupId, absent], 60_000);
      expect(leavingStarted).toBe(true);
      await leaving;
      expect(await groupIds(admin)).not.toContain(groupId);
    } finally {
      if (!stopped) await consumer.stop();
    }
  }, 90_000);
});
