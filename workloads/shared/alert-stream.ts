/**
 * A consumer of the alerts topic for programs that act on alerts (cases, alert delivery): its own
 * consumer group, every message parsed with the warehouse loader's parser (one alert shape), invalid
 * messages counted and logged by offset and reason (the loader quarantines the same message), the
 * valid ones handed to `handle` per batch, and the offsets committed only after `handle` resolved.
 * A crash replays the batch, so `handle` must be idempotent on the alert key.
 */
import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import type { Logger } from '../../lib/log.ts';
import { type AlertRow, parseAlertMessage, type QuarantineReason } from '../warehouse-loader/rows.ts';

export interface AlertStreamOptions {
  kafka: Kafka;
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
  const consumer: Consumer = opts.kafka.consumer({
    groupId: opts.groupId,
    allowAutoTopicCreation: false,
    sessionTimeout,
    heartbeatInterval: Math.max(500, Math.floor(sessionTimeout / 10)),
  });
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
      const alerts: AlertRow[] = [];
      for (const m of batch.messages) {
        const source = { topic: batch.topic, partition: batch.partition, offset: m.offset };
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
      await opts.handle(alerts);
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
