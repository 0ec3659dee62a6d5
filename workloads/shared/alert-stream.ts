/**
 * A consumer of the alerts topic for programs that act on alerts (cases, alert delivery): its own
 * consumer group, every message parsed with the warehouse loader's parser (one alert shape), invalid
 * messages counted and logged by offset and reason (the loader quarantines the same message), the
 * valid ones handed to `handle` per batch, and the offsets committed only after `handle` resolved.
 * A crash replays the batch, so `handle` must be idempotent on the alert key. Kafka is read with the
 * platform's batch consumer over @platformatic/kafka (batch-consumer.ts).
 */
import type { Logger } from '../../lib/log.ts';
import { type AlertRow, parseAlertMessage, type QuarantineReason } from '../warehouse-loader/rows.ts';
import { createBatchConsumer } from './batch-consumer.ts';
import type { KafkaConnection } from './kafka.ts';

export interface AlertStreamOptions {
  connection: KafkaConnection;
  groupId: string;
  alertsTopic: string;
  log: Logger;
  /** Called once per message that is not a valid alert. */
  onInvalid: (reason: QuarantineReason) => void;
  /** Writes a batch's alerts (possibly none); offsets are committed after it resolves. */
  handle: (alerts: AlertRow[]) => Promise<void>;
  sessionTimeoutMs?: number;
}

export interface RunningAlertStream {
  /** True once the consumer joined its group. */
  joined(): boolean;
  stop(): Promise<void>;
}

export async function consumeAlerts(opts: AlertStreamOptions): Promise<RunningAlertStream> {
  const sessionTimeout = opts.sessionTimeoutMs ?? 30_000;
  let joined = false;
  let stopping = false;
  // One partition's batches one after the other (the batch consumer's rule); partitions side by side.
  const consumer = createBatchConsumer(opts.connection, {
    groupId: opts.groupId,
    topics: [opts.alertsTopic],
    sessionTimeout,
    heartbeatInterval: Math.max(500, Math.floor(sessionTimeout / 10)),
    log: opts.log.child({ component: 'kafka' }),
    onAssigned: () => {
      joined = true;
    },
    eachBatch: async (batch) => {
      if (stopping || batch.isStale()) return;
      const alerts: AlertRow[] = [];
      for (const m of batch.messages) {
        const source = { topic: batch.topic, partition: batch.partition, offset: m.offset.toString() };
        const parsed = parseAlertMessage(source, m.key, m.value);
        if (parsed.ok) {
          alerts.push(parsed.row);
          continue;
        }
        opts.onInvalid(parsed.quarantine.reason);
        opts.log.warn(
          { ...source, reason: parsed.quarantine.reason, errors: parsed.quarantine.errors.slice(0, 5) },
          'not a valid alert message; skipped (the warehouse loader quarantines it)',
        );
      }
      // A failure here throws: the batch is handed over again (the writes are idempotent on the alert key).
      await opts.handle(alerts);
      if (batch.isStale()) return;
      await consumer.commit([
        { topic: batch.topic, partition: batch.partition, offset: batch.lastOffset + 1n },
      ]);
    },
  });
  await consumer.start();
  return {
    joined: () => joined,
    stop: async () => {
      stopping = true;
      await consumer.stop();
    },
  };
}
