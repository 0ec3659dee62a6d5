/**
 * The shared batch consumer (workloads/shared/batch-consumer.ts) across a broker outage: fetches and
 * heartbeats fail while the broker is away; when the same broker (same ports, same data) returns, the
 * member is back in its group by itself and reads on from its commits, losing nothing. Uses a throwaway
 * broker of its own (the harness's is shared with other tests). Counts distinct records (a replay
 * after the outage may hand a record over twice).
 */
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kafkaInstanceHome, startKafkaInstance } from '../../../infra/components/kafka.ts';
import { stopDaemon } from '../../../infra/lib/process.ts';
import type { KafkaInfo } from '../../../infra/lib/state.ts';
import { createLogger } from '../../../lib/log.ts';
import { type BatchConsumer, createBatchConsumer } from '../../../workloads/shared/batch-consumer.ts';
import { createProducer } from '../../../workloads/shared/kafka-client.ts';
import { createTopics, testKafka } from '../support/kafka.ts';

const name = `kafka-bc-outage-${process.pid}`;
const topic = `bc_outage_${randomUUID().slice(0, 8)}`;
let broker: KafkaInfo;
let consumer: BatchConsumer | undefined;

const connection = (clientId: string) => testKafka(clientId, broker.bootstrapServers);

beforeAll(async () => {
  broker = await startKafkaInstance({ name });
  await createTopics(connection('bc-outage-admin'), [{ topic, numPartitions: 2 }], 120_000);
}, 240_000);

afterAll(async () => {
  await consumer?.stop().catch(() => undefined);
  await stopDaemon(name);
  rmSync(kafkaInstanceHome(name), { recursive: true, force: true });
});

async function produce(from: number, count: number): Promise<void> {
  const producer = createProducer(connection('bc-outage-producer'));
  try {
    await producer.send({
      messages: Array.from({ length: count }, (_, i) => ({
        topic,
        partition: (from + i) % 2,
        key: Buffer.from(`k${from + i}`),
        value: Buffer.from(`record-${from + i}`),
      })),
    });
  } finally {
    await producer.close();
  }
}

async function waitFor(what: string, check: () => boolean, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('batch consumer across a broker outage', () => {
  it('is back in its group when the broker returns and reads on, losing nothing', async () => {
    const lines: string[] = [];
    const log = createLogger('bc-outage-test', { write: (line: string) => void lines.push(line) });
    const values = new Set<string>();
    const generations: number[] = [];
    const c = createBatchConsumer(connection('bc-outage'), {
      groupId: `bc-outage-${randomUUID().slice(0, 8)}`,
      topics: [topic],
      maxWaitTime: 100,
      sessionTimeout: 10_000,
      heartbeatInterval: 500,
      retryMs: 100,
      log,
      onAssigned: (a) => {
        generations.push(a.generation);
      },
      eachBatch: async (batch) => {
        for (const m of batch.messages) values.add(m.value?.toString() ?? '');
        await c.commit([{ topic, partition: batch.partition, offset: batch.lastOffset + 1n }]).catch(() => {
          // The broker is away, or the group rebalances: read again from the last commit.
        });
      },
    });
    consumer = c;
    await c.start();
    await produce(0, 20);
    await waitFor('the first 20 records', () => values.size === 20, 60_000);

    await stopDaemon(name);
    // The member notices: its fetches fail (logged), its heartbeats too.
    await waitFor('a failed fetch', () => lines.some((l) => l.includes('fetch failed')), 60_000);

    await startKafkaInstance({ name, port: broker.port, controllerPort: broker.controllerPort });
    await produce(20, 20);
    await waitFor('all 40 records after the outage', () => values.size === 40, 180_000);
    expect([...values].sort()).toEqual(Array.from({ length: 40 }, (_, i) => `record-${i}`).sort());
    // Its commits land again: the group's committed offsets reach the end of both partitions.
    const ends = async () => (await c.committed([{ topic, partitions: [0, 1] }])).map((x) => x.offset);
    const until = Date.now() + 60_000;
    let last: Array<bigint | null> = [];
    while (Date.now() < until) {
      last = await ends().catch(() => []);
      if (last.length === 2 && last.every((o) => o === 20n)) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(last).toEqual([20n, 20n]);
    await c.stop();
  }, 420_000);
});
