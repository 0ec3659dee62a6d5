/**
 * Source stage: consumes the applications topic (keyed by customerId). Per message: parse and
 * validate against the contract (poison → dead-letter topic), evaluate the per-application rules
 * (expression, list), and publish the application to the repartition topic once per window-rule key,
 * with its receipt time (core/event-time.ts). An application beyond the event-time horizon is not
 * published there (window rules cannot evaluate it): it is counted and recorded on the dead-letter
 * topic with reason `beyond-horizon`, after the per-application rules ran on it.
 * Every valid application also gets its source verdict part (api/verdict.ts): the per-application
 * alerts and the key paths its window parts will come from.
 * Offsets are committed only after the repartition messages, the verdict parts, the dead letters and
 * the alerts are written.
 */
import type { Consumer, EachBatchPayload, Kafka, Message, Producer } from 'kafkajs';
import type { FraudAlert } from '../../../api/alert.ts';
import type { Logger } from '../../../lib/log.ts';
import type { ApplicationEvent } from '../../contract/application.ts';
import { eventValidator } from '../../contract/validate.ts';
import { evaluateEventRules } from '../core/event-rules.ts';
import { eventTimes, isBeyondHorizon, receiptTime } from '../core/event-time.ts';
import { encodeRepartitionKey, KEY_PATH_HEADER, repartitionKeys } from '../core/repartition.ts';
import { SOURCE_HEADER, sourcePart, verdictMessage } from '../core/verdict.ts';
import type { DetectorMetrics } from '../metrics.ts';
import type { CompiledRuleSet } from '../rules/compile.ts';
import type { AlertSink } from './alert-sink.ts';
import { deadLetter } from './dead-letter.ts';

export interface StageHandle {
  consumer: Consumer;
  joined(): boolean;
  stop(): Promise<void>;
}

/** What both stages of the detector run with. */
export interface StageOptions {
  kafka: Kafka;
  producer: Producer;
  groupId: string;
  repartitionTopic: string;
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

export async function startSourceStage(o: SourceStageOptions): Promise<StageHandle> {
  const consumer = o.kafka.consumer({
    groupId: o.groupId,
    allowAutoTopicCreation: false,
    maxBytesPerPartition: 512 * 1024,
  });
  let joined = false;
  consumer.on(consumer.events.GROUP_JOIN, () => {
    joined = true;
  });
  await consumer.connect();
  await consumer.subscribe({ topic: o.applicationsTopic, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: 3,
    eachBatch: (payload) => handleBatch(o, consumer, payload),
  });
  return {
    consumer,
    joined: () => joined,
    stop: () => consumer.disconnect(),
  };
}

async function handleBatch(
  o: SourceStageOptions,
  consumer: Consumer,
  payload: EachBatchPayload,
): Promise<void> {
  const { batch } = payload;
  if (batch.messages.length === 0) return;
  const rules = o.rules();
  const now = new Date();
  const repartition = { topic: o.repartitionTopic, messages: [] as Message[] };
  const dlq = { topic: o.deadLetterTopic, messages: [] as Message[] };
  const verdicts = { topic: o.verdictsTopic, messages: [] as Message[] };
  const out = [repartition, dlq, verdicts];
  const alerts: FraudAlert[] = [];
  /** Receipt time (ms) of the application behind each alert, for the latency histogram. */
  const receipts: number[] = [];
  let last: string | undefined;
  for (const message of batch.messages) {
    if (!payload.isRunning() || payload.isStale()) break;
    last = message.offset;
    const source = { topic: batch.topic, partition: batch.partition, message };
    let parsed: unknown;
    try {
      if (message.value === null) throw new Error('empty message value');
      parsed = JSON.parse(message.value.toString('utf8'));
    } catch (err) {
      dlq.messages.push(deadLetter(source, 'unparseable', (err as Error).message));
      o.metrics.dlq.inc({ reason: 'unparseable' });
      continue;
    }
    const v = eventValidator.validate(parsed);
    if (!v.ok) {
      const error = v.errors
        .slice(0, 10)
        .map((e) => `${e.path}: ${e.message}`)
        .join('; ');
      dlq.messages.push(deadLetter(source, 'schema-invalid', error));
      o.metrics.dlq.inc({ reason: 'schema-invalid' });
      continue;
    }
    const event: ApplicationEvent = v.value;
    o.metrics.eventsConsumed.inc();
    const receivedAt = receiptTime(event, message.timestamp);
    const times = eventTimes(event.submittedAt, receivedAt);
    const raised = evaluateEventRules(rules, event, now, times);
    alerts.push(...raised);
    for (const _ of raised) receipts.push(times?.received ?? now.getTime());
    const beyond = times !== undefined && isBeyondHorizon(times, o.horizonMs);
    const keys = beyond ? [] : repartitionKeys(rules, event, receivedAt);
    verdicts.messages.push(
      verdictMessage(
        sourcePart({
          applicationId: event.applicationId,
          customerId: event.applicant.customerId,
          checkedAt: now,
          ruleSetVersion: rules.version,
          alerts: raised,
          windowKeys: keys.map((k) => k.keyPath),
          beyondHorizon: beyond,
        }),
        batch.partition,
      ),
    );
    if (times !== undefined && beyond) {
      // Recorded, not dropped: the per-application rules ran; window rules cannot (no state that far back).
      const hours = ((times.received - times.window) / 3_600_000).toFixed(1);
      dlq.messages.push(
        deadLetter(
          source,
          'beyond-horizon',
          `submittedAt is ${hours} h before receivedAt, beyond the event-time horizon of ${o.horizonMs / 3_600_000} h: per-application rules ran, window rules did not`,
        ),
      );
      o.metrics.beyondHorizon.inc();
      continue;
    }
    for (const k of keys) {
      repartition.messages.push({
        key: encodeRepartitionKey(k),
        value: JSON.stringify(k.record),
        headers: {
          [KEY_PATH_HEADER]: k.keyPath,
          [SOURCE_HEADER]: `${batch.topic}/${batch.partition}/${message.offset}`,
        },
      });
    }
  }
  if (last === undefined) return;
  const t0 = performance.now();
  const topicMessages = out.filter((t) => t.messages.length > 0);
  let produceMs = 0;
  let alertsMs = 0;
  await Promise.all([
    topicMessages.length === 0
      ? undefined
      : o.producer.sendBatch({ topicMessages, acks: -1 }).then(() => {
          produceMs = performance.now() - t0;
        }),
    o.sink.write(alerts, receipts).then(() => {
      alertsMs = performance.now() - t0;
    }),
  ]);
  const t2 = performance.now();
  const next = (BigInt(last) + 1n).toString();
  await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: next }]);
  o.metrics.verdictParts.inc({ stage: 'source' }, verdicts.messages.length);
  o.log.debug(
    {
      partition: batch.partition,
      messages: batch.messages.length,
      alerts: alerts.length,
      produceMs: Math.round(produceMs),
      alertsMs: Math.round(alertsMs),
      commitMs: Math.round(performance.now() - t2),
    },
    'source batch',
  );
  payload.resolveOffset(last);
  o.metrics.consumerLag.set(
    { topic: batch.topic, partition: String(batch.partition) },
    Math.max(0, Number(BigInt(batch.highWatermark) - BigInt(next))),
  );
  await payload.heartbeat();
}
