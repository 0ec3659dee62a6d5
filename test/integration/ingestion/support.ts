/** Helpers of the ingestion integration tests: a unique topic, the API on a free port, reading a topic. */
import { randomBytes } from 'node:crypto';
import { loadIngestionConfig } from '../../../workloads/ingestion-api/config.ts';
import { type IngestionApiHandle, startIngestionApi } from '../../../workloads/ingestion-api/server.ts';
import { ensureTopic } from '../../../workloads/shared/kafka-client.ts';
import {
  harnessBrokers as brokerList,
  testKafka as connection,
  type KafkaConnection,
  readTopic as readRecords,
  recordCount,
} from '../support/kafka.ts';

export const TEST_KEY = 'integration-test-pseudonymization-key';

export function harnessBrokers(): string {
  return brokerList().join(',');
}

export function uniqueTopic(prefix: string): string {
  return `${prefix}_${randomBytes(4).toString('hex')}`;
}

export function testKafka(brokers: string): KafkaConnection {
  return connection('ingestion-test', brokers);
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
export const messageCount = recordCount;

export interface ReadMessage {
  key: string;
  value: string;
  partition: number;
  headers: Record<string, string>;
}

/** Reads the whole topic from the beginning (up to its end when the read begins), each record once. */
export async function readTopic(
  kafka: KafkaConnection,
  topic: string,
  timeoutMs = 30_000,
): Promise<ReadMessage[]> {
  const records = await readRecords(kafka, topic, { until: 'end', timeoutMs });
  return records.map((r) => ({
    key: r.key ?? '',
    value: r.value ?? '',
    partition: r.partition,
    headers: r.headers,
  }));
}
