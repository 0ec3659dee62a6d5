/**
 * Source stage: consumes the applications topic (keyed by customerId). Per message: parse and
 * validate against the contract (poison → dead-letter topic), evaluate the per-application rules
 * (expression, list), and publish the application to the repartition topic under each window-rule key,
 * with its receipt time (core/event-time.ts), packed: one message per batch and repartition partition. An application beyond the event-time horizon is not
 * published there (window rules cannot evaluate it): it is counted and recorded on the dead-letter
 * topic with reason `beyond-horizon`, after the per-application rules ran on it.
 * Every valid application also gets its source verdict part (api/verdict.ts): the per-application
 * alerts and the key paths its window parts will come from; the batch's parts go out packed, in one
 * verdicts record on the batch's own partition number.
 * Offsets are committed only after the repartition messages, the verdict parts, the dead letters and
 * the alerts are written (io/commit-pipeline.ts: the next batch is processed meanwhile).
 */
import type { FraudAlert } from '../../../api/alert.ts';
import { type VerdictPart, verdictRecords } from '../../../api/verdict.ts';
import type { Logger } from '../../../lib/log.ts';
import type { ApplicationEvent } from '../../contract/application.ts';
import { eventValidator } from '../../contract/validate.ts';
import {
  type BatchConsumer,
  createBatchConsumer,
  type PartitionBatch,
  type StreamMessage,
} from '../../shared/batch-consumer.ts';
import type { KafkaConnection } from '../../shared/kafka.ts';
import { checkApplication } from '../core/check-application.ts';
import { packByPartition, type RepartitionKey } from '../core/repartition.ts';
import type { DetectorMetrics } from '../metrics.ts';
import type { CompiledRuleSet } from '../rules/compile.ts';
import type { AlertSink } from './alert-sink.ts';
import { COMMIT_INTERVAL_MS, CommitPipeline, MAX_PENDING_MESSAGES } from './commit-pipeline.ts';
import { type DeadLetterReason, deadLetter } from './dead-letter.ts';
import type { OutMessage, OutputWriter } from './output-writer.ts';

export interface StageHandle {
  consumer: BatchConsumer;
  joined(): boolean;
  stop(): Promise<void>;
}

/** What both stages of the detector run with. */
export interface StageOptions {
  /** Where the stage's consumer connects (its group member: workloads/shared/batch-consumer.ts). */
  connection: KafkaConnection;
  /** The stage's Kafka output (group-committed produce requests). */
  writer: OutputWriter;
  groupId: string;
  repartitionTopic: string;
  /** Partitions of the repartition topic (where each key goes). */
  repartitionPartitions: number;
  deadLetterTopic: string;
  /** Where the verdict parts go (api/verdict.ts). */
  verdictsTopic: string;
  rules: () => CompiledRuleSet;
  sink: AlertSink;
  metrics: DetectorMetrics;
  log: Logger;
  /** How far before its receipt an application's window time may be for window rules to run on it. */
  horizonMs: number;
}

export interface SourceStageOptions extends StageOptions {
  applicationsTopic: string;
}

/** Fetched per partition and request: a few thousand applications. */
export const MAX_BYTES_PER_PARTITION = 512 * 1024;

export async function startSourceStage(o: SourceStageOptions): Promise<StageHandle> {
  let joined = false;
  let stopping = false;
  // Assigned before any batch or commit can reach the pipeline (both start after `start`).
  let consumer: BatchConsumer | undefined;
  const pipeline = new CommitPipeline({
    commit: (offsets) =>
      (consumer as BatchConsumer).commit(offsets.map((c) => ({ topic: o.applicationsTopic, ...c }))),
    maxPending: MAX_PENDING_MESSAGES,
    minIntervalMs: COMMIT_INTERVAL_MS,
    log: o.log,
    onFailure: (partition, from) => {
      o.metrics.writeFailures.inc({ stage: 'source' });
      consumer?.seek(o.applicationsTopic, partition, from);
    },
    onCommitted: (partition, offset, highWatermark) =>
      o.metrics.consumerLag.set(
        { topic: o.applicationsTopic, partition: String(partition) },
        Math.max(0, Number(highWatermark - offset)),
      ),
  });
  consumer = createBatchConsumer(o.connection, {
    groupId: o.groupId,
    topics: [o.applicationsTopic],
    maxBytesPerPartition: MAX_BYTES_PER_PARTITION,
    log: o.log,
    onAssigned: (a) => {
      // Partitions kept through a rebalance resume where processing was (their pending commits stand);
      // the others start at the group's committed offset (the consumer's default).
      const assigned = new Set(a.partitions.find((t) => t.topic === o.applicationsTopic)?.partitions ?? []);
      for (const [partition, offset] of pipeline.rebalanced(assigned))
        consumer?.seek(o.applicationsTopic, partition, offset);
      joined = true;
    },
    eachBatch: (batch) => (stopping ? undefined : handleBatch(o, pipeline, batch)),
  });
  await consumer.start();
  const started = consumer;
  return {
    consumer: started,
    joined: () => joined,
    stop: async () => {
      stopping = true;
      await pipeline.drain(10_000);
      await started.stop();
    },
  };
}

function handleBatch(o: SourceStageOptions, pipeline: CommitPipeline, batch: PartitionBatch): Promise<void> {
  const first = batch.messages[0];
  if (first === undefined || batch.isStale()) return Promise.resolve();
  pipeline.started(batch.partition, first.offset);
  const rules = o.rules();
  const now = new Date();
  const checkedAt = now.toISOString();
  const outputs: OutMessage[] = [];
  const toRepartition: Array<{ keys: RepartitionKey[]; source: string }> = [];
  const alerts: FraudAlert[] = [];
  /** Receipt time (ms) of the application behind each alert, for the latency histogram. */
  const receipts: number[] = [];
  const verdicts: Array<{ part: VerdictPart; partition: number }> = [];
  /** Valid applications of the batch (counted once per batch, not per message). */
  let consumed = 0;
  const dead = (message: StreamMessage, reason: DeadLetterReason, error: string) => {
    const source = { topic: batch.topic, partition: batch.partition, message };
    outputs.push({ topic: o.deadLetterTopic, message: deadLetter(source, reason, error) });
  };
  // Processing is synchronous to the end: no rebalance or seek can make the batch stale meanwhile.
  for (const message of batch.messages) {
    let parsed: unknown;
    try {
      if (message.value === null) throw new Error('empty message value');
      parsed = JSON.parse(message.value.toString('utf8'));
    } catch (err) {
      dead(message, 'unparseable', (err as Error).message);
      o.metrics.dlq.inc({ reason: 'unparseable' });
      continue;
    }
    const v = eventValidator.validate(parsed);
    if (!v.ok) {
      const error = v.errors
        .slice(0, 10)
        .map((e) => `${e.path}: ${e.message}`)
        .join('; ');
      dead(message, 'schema-invalid', error);
      o.metrics.dlq.inc({ reason: 'schema-invalid' });
      continue;
    }
    const event: ApplicationEvent = v.value;
    consumed++;
    const {
      times,
      raised,
      beyondHorizon: beyond,
      keys,
      part,
    } = checkApplication(rules, event, String(message.timestamp), now, checkedAt, o.horizonMs);
    for (const a of raised) {
      alerts.push(a);
      receipts.push(times?.received ?? now.getTime());
    }
    verdicts.push({ part, partition: batch.partition });
    if (times !== undefined && beyond) {
      // Recorded, not dropped: the per-application rules ran; window rules cannot (no state that far back).
      const hours = ((times.received - times.window) / 3_600_000).toFixed(1);
      dead(
        message,
        'beyond-horizon',
        `submittedAt is ${hours} h before receivedAt, beyond the event-time horizon of ${o.horizonMs / 3_600_000} h: per-application rules ran, window rules did not`,
      );
      o.metrics.beyondHorizon.inc();
      continue;
    }
    if (keys.length > 0)
      toRepartition.push({ keys, source: `${batch.topic}/${batch.partition}/${message.offset}` });
  }
  o.metrics.eventsConsumed.inc(consumed);
  for (const message of packByPartition(toRepartition, o.repartitionPartitions))
    outputs.push({ topic: o.repartitionTopic, message });
  for (const message of verdictRecords(verdicts)) outputs.push({ topic: o.verdictsTopic, message });
  const verdictParts = verdicts.length;
  const t0 = performance.now();
  const messages = batch.messages.length;
  const alertCount = alerts.length;
  const work = Promise.all([o.writer.add(outputs), o.sink.write(alerts, receipts)]).then(() => {
    o.metrics.verdictParts.inc({ stage: 'source' }, verdictParts);
    o.log.debug(
      {
        partition: batch.partition,
        messages,
        alerts: alertCount,
        writeMs: Math.round(performance.now() - t0),
      },
      'source batch written',
    );
  });
  return pipeline.add(batch.partition, batch.lastOffset + 1n, undefined, batch.highWatermark, work, messages);
}
