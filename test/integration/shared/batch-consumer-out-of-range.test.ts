/**
 * The shared batch consumer (workloads/shared/batch-consumer.ts) when a partition's offset is out of
 * range on the real broker: a committed offset or a seek below the log start (records deleted by
 * retention) reads on from the earliest record left, and the batch says where its fetch started.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireInfra } from '../../../infra/lib/state.ts';
import {
  type BatchConsumer,
  createBatchConsumer,
  type PartitionBatch,
} from '../../../workloads/shared/batch-consumer.ts';
import type { KafkaConnection } from '../../../workloads/shared/kafka.ts';
import { createAdmin, createProducer, ensureTopic } from '../../../workloads/shared/kafka-client.ts';

const connection = (clientId: string): KafkaConnection => ({
  brokers: [requireInfra('kafka').bootstrapServers],
  clientId,
});
const admin = createAdmin(connection('bc-oor-admin'));
const topic = `bc_oor_${randomUUID().slice(0, 8)}`;
let consumer: BatchConsumer | undefined;

async function waitFor(what: string, check: () => boolean, timeoutMs = 60_000): Promise<void> {
  for (const until = Date.now() + timeoutMs; !check(); ) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

beforeAll(async () => {
  await ensureTopic(connection('bc-oor-admin'), topic, { partitions: 1 });
  const producer = createProducer(connection('bc-oor-producer'));
  try {
    // 20 records, one record batch each (retention deletes whole batches only up to the given offset).
    for (let i = 0; i < 20; i++)
      await producer.send({ messages: [{ topic, key: Buffer.from(`k${i}`), value: Buffer.from(`v${i}`) }] });
  } finally {
    await producer.close();
  }
  await admin.deleteRecords({ topics: [{ name: topic, partitions: [{ partition: 0, offset: 8n }] }] });
}, 60_000);

afterAll(async () => {
  await consumer?.stop().catch(() => undefined);
  await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
  await admin.close().catch(() => undefined);
});

describe('batch consumer, offsets out of range', () => {
  it('reads on from the earliest record left, after a committed offset and after a seek below it', async () => {
    const groupId = `bc-oor-${randomUUID().slice(0, 8)}`;
    // The group's committed offset was deleted by retention.
    await admin.alterConsumerGroupOffsets({
      groupId,
      topics: [{ name: topic, partitionOffsets: [{ partition: 0, offset: 3n }] }],
    });
    const batches: PartitionBatch[] = [];
    consumer = createBatchConsumer(connection('bc-oor'), {
      groupId,
      topics: [topic],
      maxWaitTime: 100,
      sessionTimeout: 10_000,
      heartbeatInterval: 500,
      eachBatch: (batch) => {
        batches.push(batch);
      },
    });
    await consumer.start();
    const offsets = () => new Set(batches.flatMap((b) => b.messages.map((m) => m.offset)));
    await waitFor('records 8 to 19', () => offsets().has(19n));
    expect([...offsets()].sort((a, b) => Number(a - b))).toEqual(
      Array.from({ length: 12 }, (_, i) => BigInt(8 + i)),
    );
    expect(batches[0]?.fetchedOffset).toBe(8n);
    expect(batches[0]?.firstOffset).toBe(8n);

    // A seek below the log start: read from the earliest record left again.
    const before = batches.length;
    consumer.seek(topic, 0, 1n);
    await waitFor('the records again after the seek', () =>
      batches.slice(before).some((b) => b.lastOffset === 19n),
    );
    const again = batches.slice(before);
    expect(again[0]?.fetchedOffset).toBe(8n);
    expect(again.flatMap((b) => b.messages.map((m) => m.offset))).toEqual(
      Array.from({ length: 12 }, (_, i) => BigInt(8 + i)),
    );
  }, 90_000);
});
