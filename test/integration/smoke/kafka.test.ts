import { randomUUID } from 'node:crypto';
import { type Consumer, Kafka, logLevel, Partitioners } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { waitUntil } from '../../../infra/lib/process.ts';
import { requireInfra } from '../../../infra/lib/state.ts';
import { createTopicsWithLeaders } from '../../../lib/kafka-topics.ts';

describe('harness Kafka (KRaft, single node)', () => {
  const info = requireInfra('kafka');
  const kafka = new Kafka({
    clientId: 'smoke-kafka',
    brokers: [info.bootstrapServers],
    logLevel: logLevel.WARN,
  });
  const admin = kafka.admin();
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  const consumers: Consumer[] = [];
  const topic = `smoke-kafka-${randomUUID()}`;

  afterAll(async () => {
    await Promise.all(consumers.map((c) => c.disconnect()));
    await producer.disconnect();
    await admin.deleteTopics({ topics: [topic] }).catch(() => {});
    await admin.disconnect();
  });

  it('does not create topics on first use (tests create them with the admin API)', async () => {
    await admin.connect();
    const stray = `smoke-kafka-absent-${randomUUID()}`;
    // Its own client with logging off: the broker's refusal is the expected outcome here.
    const quiet = new Kafka({
      clientId: 'smoke-kafka-absent',
      brokers: [info.bootstrapServers],
      logLevel: logLevel.NOTHING,
    });
    const metadataProducer = quiet.producer({
      createPartitioner: Partitioners.DefaultPartitioner,
      allowAutoTopicCreation: true,
      retry: { retries: 1, initialRetryTime: 100 },
    });
    await metadataProducer.connect();
    try {
      await expect(
        metadataProducer.send({ topic: stray, messages: [{ value: 'x' }], acks: -1, timeout: 2_000 }),
      ).rejects.toThrow(/does not host this topic-partition/);
    } finally {
      await metadataProducer.disconnect();
    }
    expect(await admin.listTopics()).not.toContain(stray);
  });

  it('creates a topic with 3 partitions, produces, and a consumer group reads every message and commits past it', async () => {
    await admin.connect();
    // Not kafkajs's waitForLeaders: KRaft answers UNKNOWN_TOPIC_OR_PARTITION for a moment under load.
    await createTopicsWithLeaders(admin, [{ topic, numPartitions: 3 }]);
    const meta = await admin.fetchTopicMetadata({ topics: [topic] });
    expect(meta.topics[0]?.partitions).toHaveLength(3);

    await producer.connect();
    const sent = Array.from({ length: 30 }, (_, i) => ({ key: `k${i}`, value: `v${i}` }));
    await producer.send({ topic, messages: sent, acks: -1 });

    const groupId = `smoke-group-${randomUUID()}`;
    const consumer = kafka.consumer({ groupId });
    consumers.push(consumer);
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    // Delivery is at least once: a rebalance under load (the group's first join can repeat) may hand
    // a partition over before its offsets are committed and redeliver a batch. So: every message
    // arrives, nothing arrives that was not sent, and the commits then cover exactly what was sent.
    const received = new Set<string>();
    let deliveries = 0;
    const done = new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: async ({ message }) => {
          deliveries++;
          received.add(`${message.key?.toString()}=${message.value?.toString()}`);
          if (received.size === sent.length) resolve();
        },
      });
    });
    await done;
    expect([...received].sort()).toEqual(sent.map((m) => `${m.key}=${m.value}`).sort());
    expect(deliveries).toBeGreaterThanOrEqual(sent.length);

    // The group committed offsets past every message (kafkajs commits after each batch).
    await waitUntil(
      `group ${groupId} to commit all ${sent.length} offsets`,
      async () => {
        const offsets = await admin.fetchOffsets({ groupId, topics: [topic] });
        return offsets[0]?.partitions.reduce((n, p) => n + Number(p.offset), 0) === sent.length;
      },
      { timeoutMs: 60_000 },
    );
  });
});
