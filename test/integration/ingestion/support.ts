/** Helpers of the ingestion integration tests: a unique topic, the API on a free port, reading a topic. */
import { randomBytes } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import { requireInfra } from '../../../infra/lib/state.ts';
import { loadIngestionConfig } from '../../../workloads/ingestion-api/config.ts';
import { type IngestionApiHandle, startIngestionApi } from '../../../workloads/ingestion-api/server.ts';
import { createKafka, ensureTopic } from '../../../workloads/shared/kafka.ts';

export const TEST_KEY = 'integration-test-pseudonymization-key';

export function harnessBrokers(): string {
  return process.env.TEST_KAFKA_BROKERS ?? requireInfra('kafka').bootstrapServers;
}

export function uniqueTopic(prefix: string): string {
  return `${prefix}_${randomBytes(4).toString('hex')}`;
}

export function testKafka(brokers: string): Kafka {
  return createKafka({ brokers: brokers.split(','), clientId: 'ingestion-test' });
}

export async function startApi(
  brokers: string,
  topic: string,
  env: Record<string, string> = {},
): Promise<IngestionApiHandle> {
  await ensureTopic(testKafka(brokers), topic, { partitions: 3 });
  const config = loadIngestionConfig({
    KAFKA_BROKERS: brokers,
    APPLICATIONS_TOPIC: topic,
    PSEUDONYMIZATION_KEY: TEST_KEY,
    HTTP_PORT: '0',
    HTTP_HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    ...env,
  });
  const api = await startIngestionApi(config);
  await api.waitUntilReady(60_000);
  return api;
}

export async function post(
  url: string,
  body: unknown,
  contentType = 'application/json',
): Promise<{ status: number; headers: Headers; json: Record<string, unknown> }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': contentType },
    body: typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    json = { text };
  }
  return { status: res.status, headers: res.headers, json };
}

/** Messages on the topic (sum of high watermarks over partitions). */
export async function messageCount(kafka: Kafka, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.reduce((sum, p) => sum + Number(p.high), 0);
  } finally {
    await admin.disconnect();
  }
}

export interface ReadMessage {
  key: string;
  value: string;
  partition: number;
  headers: Record<string, string>;
}

/** Reads the whole topic from the beginning (up to its current end). */
export async function readTopic(kafka: Kafka, topic: string, timeoutMs = 30_000): Promise<ReadMessage[]> {
  const expected = await messageCount(kafka, topic);
  const messages: ReadMessage[] = [];
  if (expected === 0) return messages;
  const consumer = kafka.consumer({ groupId: `${topic}-reader-${randomBytes(3).toString('hex')}` });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`read ${messages.length} of ${expected} messages in ${timeoutMs} ms`)),
        timeoutMs,
      );
      void consumer.run({
        eachMessage: async ({ message, partition }) => {
          const headers: Record<string, string> = {};
          for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = String(v);
          messages.push({
            key: message.key?.toString() ?? '',
            value: message.value?.toString() ?? '',
            partition,
            headers,
          });
          if (messages.length >= expected) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return messages;
}
