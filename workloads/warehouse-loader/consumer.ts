/**
 * The loader's Kafka loop, on the shared batch consumer (workloads/shared/batch-consumer.ts,
 * @platformatic/kafka). Delivery semantics live here: every batch goes through writeBatch (rows +
 * offsets in one PostgreSQL transaction); on each group join, before anything of the new generation is
 * fetched, every assigned partition is sought to the offset stored in the warehouse. Kafka's own
 * committed offset is only a hint written after the database commit; the warehouse's loader_offsets is
 * the truth. A batch fetched from past the stored offset (its stored row was written after the join
 * read it, or the records from there on were deleted by retention: the fetch then starts at the log's
 * start) makes the partition seek back to the stored offset once; a batch that still starts past it is
 * loaded and the gap logged (those records are gone).
 *
 * A batch that fails with a data error (SQLSTATE class 22/23) is retried message by message and a
 * message that still fails is quarantined with the database's error, so one bad message can neither
 * stop the loader nor be lost.
 *
 * Kafka is read with the platform's batch consumer over @platformatic/kafka
 * (workloads/shared/batch-consumer.ts): the seek to the stored offsets happens in its assignment
 * callback, before the partitions are fetched.
 */
import type { Logger } from '../../lib/log.ts';
import { createBatchConsumer, type PartitionBatch } from '../shared/batch-consumer.ts';
import type { KafkaConnection } from '../shared/kafka.ts';
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
  connection: KafkaConnection;
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
  /** True once the consumer joined its group. */
  joined(): boolean;
  stop(): Promise<void>;
}

const PARSERS: Parsers = { applications: parseApplicationMessage, alerts: parseAlertMessage };

function isDataError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('22') || code.startsWith('23'));
}

export async function startLoader(opts: LoaderOptions): Promise<RunningLoader> {
  const { pool, groupId, log, metrics } = opts;
  const topics = [opts.applicationsTopic, opts.alertsTopic];
  const sessionTimeout = opts.sessionTimeoutMs ?? 30_000;
  /**
   * Partitions just sought back to their stored offset: if the next batch still starts past it, the
   * records in between are gone (retention) and the batch is loaded with the gap reported.
   */
  const seekedBack = new Set<string>();
  let hasJoined = false;
  let stopping = false;

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

  const eachBatch = async (batch: PartitionBatch) => {
    if (stopping || batch.isStale()) return;
    const { topic, partition } = batch;
    const kind: TopicKind = topic === opts.applicationsTopic ? 'applications' : 'alerts';
    const tp = `${topic}/${partition}`;
    const end = metrics.batchDuration.startTimer({ topic });
    const outcome = await write({
      groupId,
      topic,
      partition,
      kind,
      fetchedOffset: String(batch.fetchedOffset),
      messages: batch.messages.map((m) => ({ offset: String(m.offset), key: m.key, value: m.value })),
      allowGap: seekedBack.has(tp),
    }).catch((err: unknown) => {
      // Nothing was committed; the batch consumer reads the batch again from the same offset.
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
        { topic, partition, fetched: String(batch.fetchedOffset), stored: outcome.storedOffset },
        'seeking back to the stored offset',
      );
      consumer.seek(topic, partition, BigInt(outcome.storedOffset));
      return;
    }
    // Read from the stored offset on again: a later gap gets its own seek back first.
    seekedBack.delete(tp);
    metrics.batches.inc({ topic, outcome: outcome.status });
    if (outcome.status === 'written') {
      if (outcome.gap !== undefined)
        log.warn(
          { topic, partition, from: outcome.gap.from, to: outcome.gap.to },
          'records gone from Kafka before they were loaded (retention?); loading on from the earliest one left',
        );
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
    const next = batch.lastOffset + 1n;
    const lag = Math.max(0, Number(batch.highWatermark - next));
    metrics.consumerLag.set({ topic, partition: String(partition) }, lag);
    // A hint for tools that read Kafka's group offsets; the warehouse stays the source of truth.
    await consumer
      .commit([{ topic, partition, offset: next }])
      .catch((err: unknown) => log.debug({ err }, 'offset hint commit failed'));
  };

  const consumer = createBatchConsumer(opts.connection, {
    groupId,
    topics,
    fromBeginning: true,
    // One batch at a time, as before: batches of different partitions upsert shared rows (dim_date,
    // dim_applicant), and one transaction at a time cannot deadlock. Fetching still runs ahead.
    partitionsConcurrently: 1,
    sessionTimeout,
    heartbeatInterval: Math.max(500, Math.floor(sessionTimeout / 10)),
    log: log.child({ component: 'kafka' }),
    // Every join, before any fetch of the new generation: the warehouse's offsets win over Kafka's.
    // A failure here (warehouse unreachable) makes the consumer set the join up again shortly.
    onAssigned: async (a) => {
      seekedBack.clear();
      const stored = await storedOffsets(pool, groupId, topics);
      for (const { topic, partitions } of a.partitions)
        for (const partition of partitions) {
          const offset = stored.get(topic)?.get(partition);
          if (offset !== undefined) consumer.seek(topic, partition, BigInt(offset));
        }
      hasJoined = true;
      log.info(
        { generation: a.generation, assignment: a.partitions },
        'joined group; assigned partitions sought to the stored offsets',
      );
    },
    eachBatch,
  });
  await consumer.start();
  return {
    joined: () => hasJoined,
    stop: async () => {
      stopping = true;
      await consumer.stop();
    },
  };
}
