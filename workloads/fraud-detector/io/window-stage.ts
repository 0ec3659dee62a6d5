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
import type { Admin, Consumer, EachBatchPayload } from 'kafkajs';
import type { FraudAlert } from '../../../api/alert.ts';
import { type VerdictPart, verdictRecords } from '../../../api/verdict.ts';
import { isPacked } from '../../../lib/packed-records.ts';
import { decodeRepartitionKey, parsePacked, parseWindowRecord } from '../core/repartition.ts';
import { SOURCE_HEADER, sourcePartition, windowPart } from '../core/verdict.ts';
import { type Checkpoint, PartitionWindows, type WindowRecord } from '../core/windows.ts';
import type { CompiledRuleSet } from '../rules/compile.ts';
import { COMMIT_INTERVAL_MS, CommitPipeline, MAX_PENDING_MESSAGES } from './commit-pipeline.ts';
import { deadLetter } from './dead-letter.ts';
import type { OutMessage } from './output-writer.ts';
import type { StageHandle, StageOptions } from './source-stage.ts';

export interface WindowStageOptions extends StageOptions {
  maxStateEntries: number;
  /** How far before its receipt an application's window time may be (core/event-time.ts). */
  horizonMs: number;
}

interface PartitionState {
  windows: PartitionWindows;
  /** Offsets below this were processed before (replay: no emission). */
  liveFrom: bigint;
  /** Set while waiting for the seek back to the checkpoint to take effect. */
  awaitingOffset: bigint | undefined;
  seekAttempts: number;
  rulesVersion: CompiledRuleSet;
}

export interface WindowStageHandle extends StageHandle {
  /** Window state of the partitions this instance holds (metrics, tests). */
  partitions(): Map<number, PartitionWindows>;
}

export async function startWindowStage(o: WindowStageOptions): Promise<WindowStageHandle> {
  const consumer = o.kafka.consumer({
    groupId: o.groupId,
    allowAutoTopicCreation: false,
    maxBytesPerPartition: 512 * 1024,
  });
  const admin = o.kafka.admin();
  await admin.connect();
  const states = new Map<number, PartitionState>();
  let generation = 0;
  let joined = false;
  let stopping = false;
  const pipeline = new CommitPipeline({
    consumer,
    topic: o.repartitionTopic,
    maxPending: MAX_PENDING_MESSAGES,
    minIntervalMs: COMMIT_INTERVAL_MS,
    log: o.log,
    onFailure: (partition, from) => {
      // The state goes with the writes that failed: rebuilt from the last checkpoint, then live again.
      states.delete(partition);
      consumer.seek({ topic: o.repartitionTopic, partition, offset: from });
    },
    onCommitted: (partition, offset, highWatermark) =>
      o.metrics.consumerLag.set(
        { topic: o.repartitionTopic, partition: String(partition) },
        Math.max(0, Number(BigInt(highWatermark) - BigInt(offset))),
      ),
  });
  consumer.on(consumer.events.GROUP_JOIN, (e) => {
    generation++;
    // A partition kept through the rebalance keeps its state, its pending commits and its position;
    // one lost (or still seeking back to its checkpoint) is dropped and rebuilt by its next owner.
    const assigned = new Set(e.payload.memberAssignment[o.repartitionTopic] ?? []);
    for (const [partition, st] of states) {
      if (assigned.has(partition) && st.awaitingOffset === undefined) continue;
      states.delete(partition);
      pipeline.forget(partition);
    }
    for (const [partition, offset] of pipeline.rebalanced(assigned)) {
      if (states.has(partition)) consumer.seek({ topic: o.repartitionTopic, partition, offset });
      else pipeline.forget(partition);
    }
    joined = true;
    o.log.info(
      { assigned: [...assigned], kept: [...states.keys()], generation },
      'window stage joined; state of new partitions rebuilt from checkpoints as they are read',
    );
  });
  await consumer.connect();
  await consumer.subscribe({ topic: o.repartitionTopic, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: 3,
    eachBatch: async (payload) => {
      if (stopping) return;
      const gen = generation;
      await handleBatch(o, consumer, admin, states, pipeline, payload, () => gen === generation);
    },
  });
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
    consumer,
    joined: () => joined,
    partitions: () => new Map([...states].map(([p, s]) => [p, s.windows])),
    stop: async () => {
      stopping = true;
      await pipeline.drain(10_000);
      o.metrics.setStateSource(() => ({ keys: 0, entries: 0 }));
      await consumer.disconnect();
      await admin.disconnect();
    },
  };
}

async function readCheckpoint(
  admin: Admin,
  groupId: string,
  topic: string,
  partition: number,
): Promise<{ committed: bigint | undefined; checkpoint: Checkpoint | undefined }> {
  const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] });
  const p = entry?.partitions.find((x) => x.partition === partition);
  if (p === undefined || p.offset === '-1' || p.offset === '')
    return { committed: undefined, checkpoint: undefined };
  let checkpoint: Checkpoint | undefined;
  try {
    if (p.metadata) checkpoint = JSON.parse(p.metadata) as Checkpoint;
  } catch {
    checkpoint = undefined;
  }
  return { committed: BigInt(p.offset), checkpoint };
}

async function handleBatch(
  o: WindowStageOptions,
  consumer: Consumer,
  admin: Admin,
  states: Map<number, PartitionState>,
  pipeline: CommitPipeline,
  payload: EachBatchPayload,
  current: () => boolean,
): Promise<void> {
  const { batch } = payload;
  const first = batch.messages[0];
  if (first === undefined || payload.isStale()) return;
  const partition = batch.partition;
  let st = states.get(partition);
  if (st === undefined) {
    const { committed, checkpoint } = await readCheckpoint(admin, o.groupId, o.repartitionTopic, partition);
    const rules = o.rules();
    st = {
      windows: new PartitionWindows(rules, {
        maxEntries: o.maxStateEntries,
        clock: checkpoint?.clockBefore ?? null,
        horizonMs: o.horizonMs,
      }),
      liveFrom: committed ?? -1n,
      awaitingOffset: undefined,
      seekAttempts: 0,
      rulesVersion: rules,
    };
    if (!current()) return;
    states.set(partition, st);
    const replayFrom = checkpoint !== undefined ? BigInt(checkpoint.replayFrom) : committed;
    if (replayFrom !== undefined && committed !== undefined && replayFrom < committed) {
      st.awaitingOffset = replayFrom;
      o.log.info(
        { partition, replayFrom: replayFrom.toString(), committed: committed.toString() },
        'replaying the window span before emitting',
      );
      if (BigInt(first.offset) !== replayFrom) {
        consumer.seek({ topic: batch.topic, partition, offset: replayFrom.toString() });
        return;
      }
    } else if (committed !== undefined && BigInt(first.offset) !== committed) {
      // Reading resumes at the committed offset (after a failed write, the fetch position is past it).
      st.awaitingOffset = committed;
      consumer.seek({ topic: batch.topic, partition, offset: committed.toString() });
      return;
    }
  }
  if (st.awaitingOffset !== undefined) {
    // Batches fetched before the seek took effect are skipped; retention may have removed the
    // checkpoint offset itself, in which case the earliest remaining offset is accepted.
    const firstOffset = BigInt(first.offset);
    if (firstOffset > st.awaitingOffset && firstOffset >= st.liveFrom && st.seekAttempts < 5) {
      st.seekAttempts++;
      if (payload.isStale()) return;
      consumer.seek({ topic: batch.topic, partition, offset: st.awaitingOffset.toString() });
      return;
    }
    if (firstOffset > st.awaitingOffset) {
      o.log.warn(
        { partition, wanted: st.awaitingOffset.toString(), got: first.offset },
        'checkpoint offset no longer retained; rebuilding from what is left',
      );
    }
    st.awaitingOffset = undefined;
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
  let last: string | undefined;
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
    emit: boolean,
    sourcePartitionNumber: number | undefined,
  ) => {
    inputs++;
    const r = windows.process({ keyPath, key, offset, record }, emit, now);
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
  for (const message of batch.messages) {
    if (!payload.isRunning() || payload.isStale()) break;
    last = message.offset;
    const offset = BigInt(message.offset);
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
        for (const [keyPath, key] of app.keys) apply(keyPath, key, at, app, emit, partitionNumber);
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
    const header = message.headers?.[SOURCE_HEADER];
    apply(
      key.keyPath,
      key.key,
      Number(offset),
      record,
      emit,
      sourcePartition(header === undefined ? undefined : String(header)),
    );
  }
  if (last === undefined) return;
  for (const message of verdictRecords(verdicts)) outputs.push({ topic: o.verdictsTopic, message });
  const verdictParts = verdicts.length;
  const after = st.windows.currentStats();
  o.metrics.lateEvents.inc(after.late - before.late);
  o.metrics.beyondHorizon.inc(after.beyondHorizon - before.beyondHorizon);
  o.metrics.duplicates.inc(after.duplicates - before.duplicates);
  o.metrics.forcedEvictions.inc(after.forcedEvictions - before.forcedEvictions);
  o.metrics.replayedMessages.inc(replayed);
  const next = BigInt(last) + 1n;
  payload.resolveOffset(last);
  // (No rebalance can come between processing and handing the writes over: no await in between.)
  if (next <= liveFrom) {
    // Still replaying: the committed offset and checkpoint already cover this span.
    pipeline.processedUpTo(partition, next.toString());
    return;
  }
  pipeline.started(partition, liveFrom > BigInt(first.offset) ? liveFrom.toString() : first.offset);
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
  await pipeline.add(partition, next.toString(), checkpoint, batch.highWatermark, work, Math.max(1, inputs));
}
