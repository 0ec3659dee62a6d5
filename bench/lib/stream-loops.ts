/**
 * The Flink-free ceilings the benchmarks print beside their figures, on @platformatic/kafka as the
 * workloads build it (workloads/shared/kafka-client.ts: idempotent acks=all producer, Java-client
 * partitioning, commits by the caller):
 * - `consumeLoop`: a consumer group reads preloaded records, JSON.parse each, commits per batch (the
 *   plain consume loop); with `target`, every batch is also produced there before the commit (the pipe:
 *   what one stream stage costs at least);
 * - `pipeStage`: the same consume + produce + commit stage, running until closed (latency floors).
 * A batch is what the consumer's stream has buffered (one fetch's worth), at most 1,000 records.
 */
import type { Message } from '@platformatic/kafka';
import type { KafkaConnection } from '../../workloads/shared/kafka.ts';
import { createConsumer, createProducer } from '../../workloads/shared/kafka-client.ts';

type BytesMessage = Message<Buffer, Buffer, Buffer, Buffer>;

const MAX_BATCH = 1000;

export interface LoopResult {
  records: number;
  ms: number;
  /** Per batch: produce + commit, ms (pipe only), sorted. */
  batchMs: number[];
  batches: number;
}

/** Commits, per partition, the offset after the batch's last record of it. */
async function commitBatch(batch: BytesMessage[]): Promise<void> {
  const last = new Map<number, BytesMessage>();
  for (const m of batch) last.set(m.partition, m);
  await Promise.all([...last.values()].map((m) => m.commit()));
}

/** Reads `count` records of `topic` from the start (plain loop, or the pipe to `target`). */
export async function consumeLoop(
  connection: KafkaConnection,
  o: { topic: string; count: number; groupId: string; target?: string },
): Promise<LoopResult> {
  const producer = o.target === undefined ? undefined : createProducer(connection);
  const consumer = createConsumer(connection, { groupId: o.groupId, maxBytesPerPartition: 512 * 1024 });
  const stream = await consumer.consume({
    topics: [o.topic],
    mode: 'committed',
    fallbackMode: 'earliest',
    autocommit: false,
  });
  const batchMs: number[] = [];
  let seen = 0;
  let batches = 0;
  let started = 0;
  let pending: BytesMessage[] = [];
  const flush = async (): Promise<void> => {
    const batch = pending;
    pending = [];
    const s = performance.now();
    if (producer !== undefined && o.target !== undefined) {
      const topic = o.target;
      await producer.send({ messages: batch.map((m) => ({ topic, key: m.key, value: m.value })) });
    }
    await commitBatch(batch);
    if (producer !== undefined) batchMs.push(performance.now() - s);
    batches++;
    seen += batch.length;
  };
  try {
    for await (const m of stream as AsyncIterable<BytesMessage>) {
      if (started === 0) started = performance.now();
      JSON.parse(m.value.toString('utf8'));
      pending.push(m);
      if (stream.readableLength === 0 || pending.length >= MAX_BATCH || seen + pending.length >= o.count)
        await flush();
      if (seen >= o.count) break;
    }
    return {
      records: seen,
      ms: performance.now() - started,
      batchMs: batchMs.sort((a, b) => a - b),
      batches,
    };
  } finally {
    await stream.close();
    await consumer.close();
    await producer?.close();
  }
}

export interface RunningStage {
  close(): Promise<void>;
}

/** A consume + produce + commit stage from `from` to `to`, records' timestamps carried over. */
export async function pipeStage(
  connection: KafkaConnection,
  o: { from: string; to: string; groupId: string },
): Promise<RunningStage> {
  const producer = createProducer(connection);
  const consumer = createConsumer(connection, { groupId: o.groupId, maxWaitTime: 100 });
  const stream = await consumer.consume({
    topics: [o.from],
    mode: 'committed',
    fallbackMode: 'earliest',
    autocommit: false,
  });
  let stopping = false;
  const loop = (async () => {
    let pending: BytesMessage[] = [];
    for await (const m of stream as AsyncIterable<BytesMessage>) {
      pending.push(m);
      if (stream.readableLength > 0 && pending.length < MAX_BATCH) continue;
      const batch = pending;
      pending = [];
      await producer.send({
        messages: batch.map((b) => ({
          topic: o.to,
          key: b.key,
          value: b.value,
          headers: b.headers,
          timestamp: b.timestamp,
        })),
      });
      await commitBatch(batch);
      if (stopping) break;
    }
  })();
  return {
    close: async () => {
      stopping = true;
      await stream.close();
      await loop.catch(() => undefined);
      await consumer.close();
      await producer.close();
    },
  };
}
