/**
 * Window stage: consumes the repartition topic, where all applications of one key share a partition,
 * and keeps the window state of each assigned partition (core/windows.ts).
 *
 * Recovery: every commit carries, in the offset's metadata, the partition's checkpoint (the smallest
 * offset still in state and the clock before it). When a partition is (re)assigned, the new owner
 * reads the committed offset and checkpoint, seeks back to the checkpoint and replays up to the
 * committed offset without emitting (state and "already flagged" marks only), then continues live.
 * So alerts are never emitted from a partial state, and an alert written before a crash is not
 * emitted from a different state after it. A partition kept through a rebalance keeps its state and resumes where it was (io/commit-pipeline.ts); one that moves is rebuilt by its new owner.
 */
import type { FraudAlert } from '../../../api/alert.ts';
import { type VerdictPart, verdictRecords } from '../../../api/verdict.ts';
import { isPacked } from '../../../lib/packed-records.ts';
import {
  type BatchConsumer,
  type CommittedOffset,
  createBatchConsumer,
  type PartitionBatch,
} from '../../shared/batch-consumer.ts';
import { type EventTimes, eventTimes } from '../core/event-time.ts';
import { decodeRepartitionKey, parsePacked, parseWindowRecord } from '../core/repartition.ts';
import { SOURCE_HEADER, sourcePartition, windowPart } from '../core/verdict.ts';
import { type Checkpoint, PartitionWindows, type WindowRecord } from '../core/windows.ts';
import type { CompiledRuleSet } from '../rules/compile.ts';
import { COMMIT_INTERVAL_MS, CommitPipeline, MAX_PENDING_MESSAGES } from './commit-pipeline.ts';
import { deadLetter } from './dead-letter.ts';
import type { OutMessage } from './output-writer.ts';
import { MAX_BYTES_PER_PARTITION, type StageHandle, type StageOptions } from './source-stage.ts';

export interface WindowStageOptions extends StageOptions {
  maxStateEntries: number;
  /** How far before its receipt an application's window time may be (core/event-time.ts). */
  horizonMs: number;
}

interface PartitionState {
  windows: PartitionWindows;
  /** Offsets below this were processed before (replay: no emission). */
  liveFrom: bigint;
  /**
   * Where reading was sent to rebuild the state (the checkpoint, or the committed offset), until the
   * first batch is read: a later first offset means retention removed the span (logged).
   */
  expectFrom: bigint | undefined;
  rulesVersion: CompiledRuleSet;
}

export interface WindowStageHandle extends StageHandle {
  /** Window state of the partitions this instance holds (metrics, tests). */
  partitions(): Map<number, PartitionWindows>;
}

/** The checkpoint stored in a commit's metadata; undefined when there is none or it is unreadable. */
function parseCheckpoint(metadata: string | null): Checkpoint | undefined {
  if (metadata === null || metadata === '') return undefined;
  try {
    const c = JSON.parse(metadata) as Partial<Checkpoint>;
    if (typeof c.replayFrom !== 'number' || !(c.clockBefore === null || typeof c.clockBefore === 'number'))
      return undefined;
    return { replayFrom: c.replayFrom, clockBefore: c.clockBefore };
  } catch {
    return undefined;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startWindowStage(o: WindowStageOptions): Promise<WindowStageHandle> {
  const topic = o.repartitionTopic;
  const states = new Map<number, PartitionState>();
  let joined = false;
  let stopping = false;
  // Assigned before any batch, join or commit can use it (they all start with `start`).
  let consumer: BatchConsumer | undefined;

  /**
   * The state of a partition from its committed offset and checkpoint: empty, its clock from the
   * checkpoint, and reading sent back to the checkpoint, replayed without emitting up to the committed
   * offset. `from`: where to read when the group has no offset for it (after a failed write, where this
   * member started reading it); otherwise the consumer's start (the earliest record) stands.
   */
  const install = (c: CommittedOffset, from?: bigint): void => {
    const checkpoint = parseCheckpoint(c.metadata);
    const committed = c.offset ?? undefined;
    const rules = o.rules();
    const st: PartitionState = {
      windows: new PartitionWindows(rules, {
        maxEntries: o.maxStateEntries,
        clock: checkpoint?.clockBefore ?? null,
        horizonMs: o.horizonMs,
      }),
      liveFrom: committed ?? -1n,
      expectFrom: undefined,
      rulesVersion: rules,
    };
    states.set(c.partition, st);
    const replayFrom = checkpoint === undefined ? committed : BigInt(checkpoint.replayFrom);
    let at = from;
    if (committed !== undefined)
      at = replayFrom !== undefined && replayFrom < committed ? replayFrom : committed;
    if (at === undefined) return;
    if (committed !== undefined && at < committed)
      o.log.info(
        { partition: c.partition, replayFrom: at.toString(), committed: committed.toString() },
        'replaying the window span before emitting',
      );
    st.expectFrom = at;
    consumer?.seek(topic, c.partition, at);
  };

  /** After a failed write: the partition's state is rebuilt from its last commit and checkpoint. */
  const rebuild = async (partition: number, from: bigint): Promise<void> => {
    const generation = consumer?.generation;
    for (let attempt = 0; ; attempt++) {
      const still = () => !stopping && consumer?.generation === generation && !states.has(partition);
      try {
        const [c] = (await consumer?.committed([{ topic, partitions: [partition] }])) ?? [];
        if (!still()) return;
        install(c ?? { topic, partition, offset: null, metadata: null }, from);
        return;
      } catch (err) {
        if (!still()) return;
        o.log.warn({ err: (err as Error).message, partition }, 'reading the checkpoint failed; retrying');
        await sleep(Math.min(5_000, 200 * 2 ** Math.min(attempt, 5)));
      }
    }
  };

  const pipeline = new CommitPipeline({
    commit: (offsets) => (consumer as BatchConsumer).commit(offsets.map((c) => ({ topic, ...c }))),
    maxPending: MAX_PENDING_MESSAGES,
    minIntervalMs: COMMIT_INTERVAL_MS,
    log: o.log,
    onFailure: (partition, from) => {
      // The state goes with the writes that failed: rebuilt from the last checkpoint, then live again.
      // Batches of the partition read meanwhile are dropped (the rebuild seeks back over them).
      o.metrics.writeFailures.inc({ stage: 'window' });
      states.delete(partition);
      void rebuild(partition, from);
    },
    onCommitted: (partition, offset, highWatermark) =>
      o.metrics.consumerLag.set(
        { topic, partition: String(partition) },
        Math.max(0, Number(highWatermark - offset)),
      ),
  });
  consumer = createBatchConsumer(o.connection, {
    groupId: o.groupId,
    topics: [topic],
    maxBytesPerPartition: MAX_BYTES_PER_PARTITION,
    log: o.log,
    // Runs on every join before any batch of it (the previous generation's handlers have finished).
    onAssigned: (a) => {
      const assigned = new Set(a.partitions.find((t) => t.topic === topic)?.partitions ?? []);
      // A partition kept through the rebalance keeps its state, its pending commits and its position
      // (where processing was, replay included); one lost, or kept before any batch of it was
      // processed, is dropped here and rebuilt from its checkpoint (by its next owner).
      const resume = pipeline.rebalanced(assigned);
      for (const partition of [...states.keys()]) {
        if (resume.has(partition)) continue;
        states.delete(partition);
        pipeline.forget(partition);
      }
      for (const [partition, offset] of resume) {
        if (states.has(partition)) consumer?.seek(topic, partition, offset);
        else pipeline.forget(partition);
      }
      for (const c of a.committed) if (c.topic === topic && !states.has(c.partition)) install(c);
      joined = true;
      o.log.info(
        {
          assigned: [...assigned],
          kept: [...resume.keys()].filter((p) => states.has(p)),
          generation: a.generation,
        },
        'window stage joined; state of new partitions rebuilt from their checkpoints',
      );
    },
    eachBatch: (batch) => (stopping ? undefined : handleBatch(o, states, pipeline, batch)),
  });
  await consumer.start();
  const started = consumer;
  // The state gauges count the partitions' windows when Prometheus scrapes, so they are never stale.
  o.metrics.setStateSource(() => {
    let keys = 0;
    let entries = 0;
    for (const s of states.values()) {
      const st = s.windows.currentStats();
      keys += st.keys;
      entries += st.entries;
    }
    return { keys, entries };
  });
  return {
    consumer: started,
    joined: () => joined,
    partitions: () => new Map([...states].map(([p, s]) => [p, s.windows])),
    stop: async () => {
      stopping = true;
      await pipeline.drain(10_000);
      o.metrics.setStateSource(() => ({ keys: 0, entries: 0 }));
      await started.stop();
    },
  };
}

async function handleBatch(
  o: WindowStageOptions,
  states: Map<number, PartitionState>,
  pipeline: CommitPipeline,
  batch: PartitionBatch,
): Promise<void> {
  const first = batch.messages[0];
  if (first === undefined || batch.isStale()) return;
  const partition = batch.partition;
  const st = states.get(partition);
  // Being rebuilt after a failed write: the rebuild seeks back over this batch.
  if (st === undefined) return;
  if (st.expectFrom !== undefined) {
    if (batch.firstOffset > st.expectFrom)
      o.log.warn(
        { partition, wanted: st.expectFrom.toString(), got: batch.firstOffset.toString() },
        'checkpoint offset no longer retained; rebuilding from what is left',
      );
    st.expectFrom = undefined;
  }
  const rules = o.rules();
  if (rules !== st.rulesVersion) {
    st.windows.setRules(rules);
    st.rulesVersion = rules;
  }
  const before = { ...st.windows.currentStats() };
  const now = new Date();
  const checkedAt = now.toISOString();
  const alerts: FraudAlert[] = [];
  /** Receipt time (ms) of the application whose arrival raised each alert (latency histogram). */
  const receipts: number[] = [];
  const outputs: OutMessage[] = [];
  /** Window parts of the batch, written packed per partition (api/verdict.ts). */
  const verdicts: Array<{ part: VerdictPart; partition: number | undefined }> = [];
  let replayed = 0;
  /** Window inputs (an application under one key) processed: the batch's weight in the pipeline. */
  let inputs = 0;
  const windows = st.windows;
  const liveFrom = st.liveFrom;
  /** One application under one key: state, alerts, its window part. */
  const apply = (
    keyPath: string,
    key: string,
    offset: number,
    record: WindowRecord,
    times: EventTimes | undefined,
    emit: boolean,
    sourcePartitionNumber: number | undefined,
  ) => {
    inputs++;
    const r = windows.process({ keyPath, key, offset, record, times }, emit, now);
    // A duplicate (re-published by a crashed source stage) had its part published the first time.
    if (emit && r.outcome !== 'duplicate') {
      verdicts.push({
        part: windowPart({
          applicationId: record.applicationId,
          customerId: record.customerId,
          keyPath,
          checkedAt,
          alerts: r.alerts,
        }),
        partition: sourcePartitionNumber,
      });
    }
    if (emit && r.alerts.length > 0) {
      const received = Date.parse(record.receivedAt ?? record.submittedAt);
      for (const a of r.alerts) {
        alerts.push(a);
        receipts.push(received);
      }
    }
  };
  // Processing is synchronous up to the handover: no rebalance or seek can make the batch stale meanwhile.
  for (const message of batch.messages) {
    const offset = message.offset;
    const emit = offset >= liveFrom;
    if (!emit) replayed++;
    const text = message.value === null ? undefined : message.value.toString('utf8');
    const bad = (error: string) => {
      if (!emit) return;
      outputs.push({
        topic: o.deadLetterTopic,
        message: deadLetter({ topic: batch.topic, partition, message }, 'bad-repartition-key', error),
      });
      o.metrics.dlq.inc({ reason: 'bad-repartition-key' });
    };
    if (isPacked(message.headers)) {
      const packed = text === undefined ? undefined : parsePacked(text);
      if (packed === undefined) {
        bad('unreadable packed repartition message');
        continue;
      }
      const at = Number(offset);
      for (const app of packed.apps) {
        // The packed application is its own WindowRecord (the state keeps none of it but values).
        const partitionNumber = sourcePartition(app.source);
        // Its times are the same under each of its keys: parsed once.
        const times = eventTimes(app.submittedAt, app.receivedAt);
        for (const [keyPath, key] of app.keys) apply(keyPath, key, at, app, times, emit, partitionNumber);
      }
      if (packed.invalid > 0)
        bad(`${packed.invalid} unreadable applications in a packed repartition message`);
      continue;
    }
    // One application under one key (the format before packing; still read, e.g. on replay).
    const key = message.key === null ? undefined : decodeRepartitionKey(message.key.toString('utf8'));
    const record = text === undefined ? undefined : parseWindowRecord(text);
    if (key === undefined || record === undefined) {
      bad('unreadable repartition message');
      continue;
    }
    const header = message.headers[SOURCE_HEADER];
    apply(
      key.keyPath,
      key.key,
      Number(offset),
      record,
      undefined,
      emit,
      sourcePartition(header === undefined ? undefined : header.toString('utf8')),
    );
  }
  for (const message of verdictRecords(verdicts)) outputs.push({ topic: o.verdictsTopic, message });
  const verdictParts = verdicts.length;
  const after = st.windows.currentStats();
  o.metrics.lateEvents.inc(after.late - before.late);
  o.metrics.beyondHorizon.inc(after.beyondHorizon - before.beyondHorizon);
  o.metrics.duplicates.inc(after.duplicates - before.duplicates);
  o.metrics.forcedEvictions.inc(after.forcedEvictions - before.forcedEvictions);
  o.metrics.replayedMessages.inc(replayed);
  const next = batch.lastOffset + 1n;
  // (No rebalance can come between processing and handing the writes over: no await in between.)
  if (next <= liveFrom) {
    // Still replaying: the committed offset and checkpoint already cover this span.
    pipeline.processedUpTo(partition, next);
    return;
  }
  // biome-ignore lint/complexity/useMathMinMax: offsets are bigints
  pipeline.started(partition, liveFrom > batch.firstOffset ? liveFrom : batch.firstOffset);
  const checkpoint = JSON.stringify(st.windows.checkpoint(Number(next)));
  const t0 = performance.now();
  const messages = batch.messages.length;
  const alertCount = alerts.length;
  const work = Promise.all([o.writer.add(outputs), o.sink.write(alerts, receipts)]).then(() => {
    o.metrics.verdictParts.inc({ stage: 'window' }, verdictParts);
    o.log.debug(
      { partition, messages, replayed, alerts: alertCount, writeMs: Math.round(performance.now() - t0) },
      'window batch written',
    );
  });
  await pipeline.add(partition, next, checkpoint, batch.highWatermark, work, Math.max(1, inputs));
}
