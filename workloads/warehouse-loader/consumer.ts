/**
 * The loader's Kafka loop. Delivery semantics live here: autoCommit off; every batch goes through
 * writeBatch (rows + offsets in one PostgreSQL transaction); on each group join the consumer seeks
 * every assigned partition to the offset stored in the warehouse. Kafka's own committed offset is
 * only a hint written after the database commit; the warehouse's loader_offsets is the truth.
 *
 * A batch that fails with a data error (SQLSTATE class 22/23) is retried message by message and a
 * message that still fails is quarantined with the database's error, so one bad message can neither
 * stop the loader nor be lost.
 */
import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import type { Logger } from '../../lib/log.ts';
import type { Pool } from '../warehouse/db.ts';
import type { LoaderMetrics } from './metrics.ts';
import { parseAlertMessage, parseApplicationMessage, quarantineRow } from './rows.ts';
import {
  type BatchInput,
  type BatchOutcome,
  type Parsers,
  storedOffsets,
  type TopicKind,
  writeBatch,
} from './writer.ts';

export interface LoaderOptions {
  kafka: Kafka;
  pool: Pool;
  groupId: string;
  applicationsTopic: string;
  alertsTopic: string;
  log: Logger;
  metrics: LoaderMetrics;
  /** Consumer-group session timeout: how long a crashed loader holds its partitions (default 30 s). */
  sessionTimeoutMs?: number;
}

export interface RunningLoader {
  consumer: Consumer;
  /** True once the consumer joined its group. */
  joined(): boolean;
  stop(): Promise<void>;
}

const PARSERS: Parsers = { applications: parseApplicationMessage, alerts: parseAlertMessage };

/** The offset the batch was fetched from: set by kafkajs at run time, missing from its typings. */
function fetchedOffsetOf(batch: EachBatchPayload['batch']): string {
  const fetched = (batch as unknown as { fetchedOffset?: unknown }).fetchedOffset;
  return fetched === undefined || fetched === null ? (batch.firstOffset() ?? '0') : String(fetched);
}

function isDataError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('22') || code.startsWith('23'));
}

export async function startLoader(opts: LoaderOptions): Promise<RunningLoader> {
  const { kafka, pool, groupId, log, metrics } = opts;
  const topics = [opts.applicationsTopic, opts.alertsTopic];
  const sessionTimeout = opts.sessionTimeoutMs ?? 30_000;
  const consumer = kafka.consumer({
    groupId,
    allowAutoTopicCreation: false,
    sessionTimeout,
    heartbeatInterval: Math.max(500, Math.floor(sessionTimeout / 10)),
  });
  const seekedBack = new Set<string>();
  let hasJoined = false;

  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    hasJoined = true;
    seekedBack.clear();
    const assignment = payload.memberAssignment as Record<string, number[]>;
    storedOffsets(pool, groupId, topics)
      .then((stored) => {
        for (const [topic, partitions] of Object.entries(assignment)) {
          for (const partition of partitions) {
            const offset = stored.get(topic)?.get(partition);
            if (offset !== undefined) consumer.seek({ topic, partition, offset });
          }
        }
        log.info({ assignment }, 'joined group; seeking assigned partitions to the stored offsets');
      })
      .catch((err: unknown) => log.error({ err }, 'could not read stored offsets'));
  });

  await consumer.connect();
  await consumer.subscribe({ topics, fromBeginning: true });

  const write = async (input: BatchInput): Promise<BatchOutcome> => {
    try {
      return await writeBatch(pool, input, PARSERS);
    } catch (err) {
      if (!isDataError(err)) throw err;
      log.warn(
        { topic: input.topic, partition: input.partition, code: (err as { code: string }).code },
        'data error in batch; retrying message by message',
      );
    }
    let outcome: BatchOutcome | undefined;
    for (const m of input.messages) {
      const single = { ...input, messages: [m], fetchedOffset: m.offset, allowGap: true };
      try {
        outcome = await writeBatch(pool, single, PARSERS);
      } catch (err) {
        if (!isDataError(err)) throw err;
        const message = err instanceof Error ? err.message : String(err);
        const unloadable = (s: Parameters<Parsers['alerts']>[0], k: Buffer | null, v: Buffer | null) => ({
          ok: false as const,
          quarantine: quarantineRow(s, k, v, 'unloadable', [{ path: '/', message }], undefined),
        });
        outcome = await writeBatch(pool, single, { applications: unloadable, alerts: unloadable });
      }
    }
    if (outcome === undefined) throw new Error('empty batch');
    return outcome;
  };

  const eachBatch = async ({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload) => {
    if (!isRunning() || isStale() || batch.messages.length === 0) return;
    const { topic, partition } = batch;
    const kind: TopicKind = topic === opts.applicationsTopic ? 'applications' : 'alerts';
    const tp = `${topic}/${partition}`;
    const end = metrics.batchDuration.startTimer({ topic });
    const outcome = await write({
      groupId,
      topic,
      partition,
      kind,
      fetchedOffset: fetchedOffsetOf(batch),
      messages: batch.messages,
      allowGap: seekedBack.has(tp),
    }).catch((err: unknown) => {
      // Nothing was committed; kafkajs retries the batch from the same offset.
      metrics.batches.inc({ topic, outcome: 'error' });
      log.error({ topic, partition, err }, 'batch failed; it will be retried');
      throw err;
    });
    end();
    if (outcome.status === 'behind_stored') {
      // Fetched past the stored offset (no Kafka commit yet, or one lost): go back once.
      seekedBack.add(tp);
      metrics.batches.inc({ topic, outcome: 'seek_back' });
      log.warn(
        { topic, partition, fetched: fetchedOffsetOf(batch), stored: outcome.storedOffset },
        'seeking back to the stored offset',
      );
      consumer.seek({ topic, partition, offset: outcome.storedOffset });
      return;
    }
    const lastOffset = batch.lastOffset();
    resolveOffset(lastOffset);
    metrics.batches.inc({ topic, outcome: outcome.status });
    if (outcome.status === 'written') {
      const table = kind === 'applications' ? 'fact_application' : 'fact_fraud_alert';
      metrics.rowsWritten.inc({ table }, kind === 'applications' ? outcome.applications : outcome.alerts);
      const dupes = kind === 'applications' ? outcome.duplicateApplications : outcome.duplicateAlerts;
      if (dupes > 0) metrics.duplicates.inc({ table }, dupes);
      for (const q of outcome.quarantined) {
        metrics.quarantined.inc({ topic, reason: q.reason });
        log.warn(
          { topic, partition, offset: q.source.offset, reason: q.reason, errors: q.errors.slice(0, 5) },
          'message quarantined',
        );
      }
      if (outcome.quarantined.length > 0)
        metrics.rowsWritten.inc({ table: 'quarantine' }, outcome.quarantined.length);
    }
    const lag = Number(batch.offsetLag());
    if (Number.isFinite(lag)) metrics.consumerLag.set({ topic, partition: String(partition) }, lag);
    // A hint for tools that read Kafka's group offsets; the warehouse stays the source of truth.
    await consumer
      .commitOffsets([{ topic, partition, offset: String(BigInt(lastOffset) + 1n) }])
      .catch((err: unknown) => log.debug({ err }, 'offset hint commit failed'));
    await heartbeat();
  };

  await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch });
  return {
    consumer,
    joined: () => hasJoined,
    stop: () => consumer.disconnect(),
  };
}
