/**
 * The alerts topic → cases. A consumer group of its own reads the detector's alert messages (the same
 * shape and parser as the warehouse loader), opens cases and adds evidence in one transaction per
 * batch, and commits the Kafka offsets only after that transaction: a crash replays the batch, and the
 * natural keys (application_id, alert_id) make the replay change nothing.
 *
 * A message that is not a valid alert is counted and logged (offset and reasons, no payload) and
 * skipped here; the warehouse loader, reading the same topic, keeps it in its `quarantine` table.
 */
import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import type { Logger } from '../../lib/log.ts';
import type { Pool } from '../warehouse/db.ts';
import { type AlertRow, parseAlertMessage } from '../warehouse-loader/rows.ts';
import type { CasesMetrics } from './metrics.ts';
import { openCasesFromAlerts } from './store.ts';

export interface OpenerOptions {
  kafka: Kafka;
  pool: Pool;
  groupId: string;
  alertsTopic: string;
  log: Logger;
  metrics: CasesMetrics;
  sessionTimeoutMs?: number;
}

export interface RunningOpener {
  joined(): boolean;
  stop(): Promise<void>;
}

export async function startCaseOpener(opts: OpenerOptions): Promise<RunningOpener> {
  const { kafka, pool, log, metrics } = opts;
  const sessionTimeout = opts.sessionTimeoutMs ?? 30_000;
  const consumer: Consumer = kafka.consumer({
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
        const parsed = parseAlertMessage(
          { topic: batch.topic, partition: batch.partition, offset: m.offset },
          m.key,
          m.value,
        );
        if (parsed.ok) alerts.push(parsed.row);
        else {
          metrics.invalidAlerts.inc({ reason: parsed.quarantine.reason });
          log.warn(
            {
              topic: batch.topic,
              partition: batch.partition,
              offset: m.offset,
              reason: parsed.quarantine.reason,
              errors: parsed.quarantine.errors.slice(0, 5),
            },
            'not a valid alert message; skipped (the warehouse loader quarantines it)',
          );
        }
      }
      const end = metrics.batchDuration.startTimer();
      const outcome = await openCasesFromAlerts(pool, alerts);
      end();
      metrics.casesOpened.inc(outcome.opened);
      metrics.alertsAdded.inc(outcome.alertsAdded);
      metrics.duplicateAlerts.inc(outcome.duplicates);
      metrics.shadowAlerts.inc(alerts.filter((a) => a.mode === 'shadow').length);
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
