import { randomUUID } from 'node:crypto';
import { Producer } from '@platformatic/kafka';
import { afterAll, describe, expect, it } from 'vitest';
import { waitUntil } from '../../../infra/lib/process.ts';
import { requireInfra } from '../../../infra/lib/state.ts';
import { createTopicsWithLeaders, partitionCounts } from '../../../lib/kafka-topics.ts';
import { type BatchConsumer, createBatchConsumer } from '../../../workloads/shared/batch-consumer.ts';
import {
  bytesMessage,
  clientOptions,
  createAdmin,
  createProducer,
} from '../../../workloads/shared/kafka-client.ts';

describe('harness Kafka (KRaft, single node)', () => {
  const info = requireInfra('kafka');
  const connection = { brokers: [info.bootstrapServers], clientId: 'smoke-kafka' };
  const admin = createAdmin(connection);
  const producer = createProducer(connection);
  const consumers: BatchConsumer[] = [];
  const topic = `smoke-kafka-${randomUUID()}`;

  afterAll(async () => {
    await Promise.all(consumers.map((c) => c.stop()));
    await producer.close();
    await admin.deleteTopics({ topics: [topic] }).catch(() => {});
    await admin.close();
  });

  it('does not create topics on first use (tests create them with the admin API)', async () => {
    const stray = `smoke-kafka-absent-${randomUUID()}`;
    // A producer that asks the broker to create the topics it writes to: the broker must refuse.
    const asking = new Producer({
      ...clientOptions({ ...connection, clientId: 'smoke-kafka-absent' }),
      autocreateTopics: true,
      retries: 1,
      retryDelay: 100,
    });
    try {
      const failure = await asking
        .send({ messages: [{ topic: stray, value: Buffer.from('x') }], acks: -1 })
        .then(
          () => undefined,
          (err: unknown) => err,
        );
      // The broker answered the metadata request (which asked it to create the topic) without the topic.
      expect(failure).toBeInstanceOf(Error);
      expect((failure as Error).message).toBe(`Unknown topic ${stray}.`);
    } finally {
      await asking.close(true);
    }
    expect(await admin.listTopics()).not.toContain(stray);
  });

  it('creates a topic with 3 partitions, produces, and a consumer group reads every message and commits past it', async () => {
    // Not only the create: KRaft answers UNKNOWN_TOPIC_OR_PARTITION for a moment under load.
    await createTopicsWithLeaders(admin, [{ topic, numPartitions: 3 }]);
    expect((await partitionCounts(admin, [topic])).get(topic)).toBe(3);

    const sent = Array.from({ length: 30 }, (_, i) => ({ key: `k${i}`, value: `v${i}` }));
    await producer.send({ messages: sent.map((m) => bytesMessage(topic, m)) });

    const groupId = `smoke-group-${randomUUID()}`;
    // Delivery is at least once: a rebalance under load (the group's first join can repeat) may hand
    // a partition over before its offsets are committed and redeliver a batch. So: every message
    // arrives, nothing arrives that was not sent, and the commits then cover exactly what was sent.
    const received = new Set<string>();
    let deliveries = 0;
    let allReceived: () => void = () => {};
    const done = new Promise<void>((resolve) => {
      allReceived = resolve;
    });
    const consumer = createBatchConsumer(connection, {
      groupId,
      topics: [topic],
      eachBatch: async (batch) => {
        for (const m of batch.messages) {
          deliveries++;
          received.add(`${m.key?.toString()}=${m.value?.toString()}`);
        }
        await consumer.commit([
          { topic: batch.topic, partition: batch.partition, offset: batch.lastOffset + 1n },
        ]);
        if (received.size === sent.length) allReceived();
      },
    });
    consumers.push(consumer);
    await consumer.start();
    await done;
    expect([...received].sort()).toEqual(sent.map((m) => `${m.key}=${m.value}`).sort());
    expect(deliveries).toBeGreaterThanOrEqual(sent.length);

    // The group committed offsets past every message: each partition's commit reaches its end. The
    // producer is idempotent, so the log holds each message once: the ends add up to what was sent.
    const [listed] = await admin.listOffsets({
      topics: [{ name: topic, partitions: [0, 1, 2].map((p) => ({ partitionIndex: p, timestamp: -1n })) }],
    });
    const ends = listed?.partitions ?? [];
    expect(ends.reduce((n, p) => n + Number(p.offset), 0)).toBe(sent.length);
    await waitUntil(
      `group ${groupId} to commit every partition to its end`,
      async () => {
        const [group] = await admin.listConsumerGroupOffsets({
          groups: [{ groupId, topics: [{ name: topic, partitionIndexes: [0, 1, 2] }] }],
        });
        const committed = group?.topics.find((t) => t.name === topic)?.partitions ?? [];
        return ends.every(
          (e) => committed.find((p) => p.partitionIndex === e.partitionIndex)?.committedOffset === e.offset,
        );
      },
      { timeoutMs: 60_000 },
    );
  });
});
