/**
 * The alerts topic → the outbox. Its own consumer group reads the detector's alert messages (the
 * warehouse loader's parser: one alert shape), picks the endpoints that want each alert, inserts the
 * rows insert-if-absent, and only then commits the offsets. Detection never waits on delivery: the
 * detector writes the topic and moves on; a slow or dead receiver only grows the outbox.
 */
import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import type { Logger } from '../../lib/log.ts';
import type { Pool } from '../warehouse/db.ts';
import { parseAlertMessage } from '../warehouse-loader/rows.ts';
import type { ResolvedEndpoint } from './config.ts';
import type { DeliveryMetrics } from './metrics.ts';
import { enqueue } from './outbox.ts';
import { type AlertPayload, toPayload, wants } from './payload.ts';

export interface EnqueuerOptions {
  kafka: Kafka;
  pool: Pool;
  groupId: string;
  alertsTopic: string;
  endpoints: readonly ResolvedEndpoint[];
  metrics: DeliveryMetrics;
  log: Logger;
  onEnqueued: () => void;
}

export interface RunningEnqueuer {
  joined(): boolean;
  stop(): Promise<void>;
}

export async function startEnqueuer(opts: EnqueuerOptions): Promise<RunningEnqueuer> {
  const { pool, metrics, log } = opts;
  const consumer: Consumer = opts.kafka.consumer({ groupId: opts.groupId, allowAutoTopicCreation: false });
  let joined = false;
  consumer.on(consumer.events.GROUP_JOIN, () => {
    joined = true;
  });
  await consumer.connect();
  await consumer.subscribe({ topics: [opts.alertsTopic], fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload) => {
      if (!isRunning() || isStale() || batch.messages.length === 0) return;
      const items: Array<{ endpoint: string; payload: AlertPayload }> = [];
      for (const m of batch.messages) {
        const parsed = parseAlertMessage(
          { topic: batch.topic, partition: batch.partition, offset: m.offset },
          m.key,
          m.value,
        );
        if (!parsed.ok) {
          metrics.invalidAlerts.inc({ reason: parsed.quarantine.reason });
          log.warn(
            {
              topic: batch.topic,
              partition: batch.partition,
              offset: m.offset,
              reason: parsed.quarantine.reason,
            },
            'not a valid alert message; not delivered (the warehouse loader quarantines it)',
          );
          continue;
        }
        const payload = toPayload(parsed.row);
        for (const e of opts.endpoints) if (wants(e, payload)) items.push({ endpoint: e.name, payload });
      }
      const inserted = await enqueue(pool, items);
      for (const [endpoint, n] of inserted) metrics.enqueued.inc({ endpoint }, n);
      if (inserted.size > 0) opts.onEnqueued();
      const last = batch.lastOffset();
      resolveOffset(last);
      await consumer.commitOffsets([
        { topic: batch.topic, partition: batch.partition, offset: String(BigInt(last) + 1n) },
      ]);
      await heartbeat();
    },
  });
  return { joined: () => joined, stop: () => consumer.disconnect() };
}
