/**
 * Source stage: consumes the applications topic (keyed by customerId). Per message: parse and
 * validate against the contract (poison → dead-letter topic), evaluate the per-application rules
 * (expression, list), and publish the application to the repartition topic once per window-rule key.
 * Offsets are committed only after the repartition messages, the dead letters and the alerts are
 * written.
 */
import type { Consumer, EachBatchPayload, Kafka, Message, Producer } from 'kafkajs';
import type { Logger } from '../../../lib/log.ts';
import type { ApplicationEvent } from '../../contract/application.ts';
import { eventValidator } from '../../contract/validate.ts';
import type { FraudAlert } from '../core/alert.ts';
import { evaluateEventRules } from '../core/event-rules.ts';
import { encodeRepartitionKey, KEY_PATH_HEADER, repartitionKeys } from '../core/repartition.ts';
import type { DetectorMetrics } from '../metrics.ts';
import type { CompiledRuleSet } from '../rules/compile.ts';
import type { AlertSink } from './alert-sink.ts';
import { deadLetter } from './dead-letter.ts';

export interface StageHandle {
  consumer: Consumer;
  joined(): boolean;
  stop(): Promise<void>;
}

export interface SourceStageOptions {
  kafka: Kafka;
  producer: Producer;
  groupId: string;
  applicationsTopic: string;
  repartitionTopic: string;
  deadLetterTopic: string;
  rules: () => CompiledRuleSet;
  sink: AlertSink;
  metrics: DetectorMetrics;
  log: Logger;
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
  const out = [repartition, dlq];
  const alerts: FraudAlert[] = [];
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
    alerts.push(...evaluateEventRules(rules, event, now));
    for (const k of repartitionKeys(rules, event, receiptTime(event, message.timestamp))) {
      repartition.messages.push({
        key: encodeRepartitionKey(k),
        value: JSON.stringify(k.record),
        headers: {
          [KEY_PATH_HEADER]: k.keyPath,
          'fd-source': `${batch.topic}/${batch.partition}/${message.offset}`,
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
    o.sink.write(alerts).then(() => {
      alertsMs = performance.now() - t0;
    }),
  ]);
  const t2 = performance.now();
  const next = (BigInt(last) + 1n).toString();
  await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: next }]);
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

/**
 * The server's receipt time of an application: `receivedAt` when the event carries it, else the Kafka
 * record's timestamp (set by the producer that wrote it, not by a client of the API).
 */
function receiptTime(event: ApplicationEvent, kafkaTimestamp: string): string {
  const stamped = (event as { receivedAt?: unknown }).receivedAt;
  if (typeof stamped === 'string') return stamped;
  const ms = Number(kafkaTimestamp);
  return Number.isFinite(ms) && ms > 0 ? new Date(ms).toISOString() : event.submittedAt;
}
