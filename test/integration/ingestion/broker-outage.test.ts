/**
 * Kafka goes away under the ingestion API: it must answer 503 with Retry-After (never 202 for an
 * unwritten message), report not-ready, and recover by itself when the broker returns, losing nothing
 * it acknowledged. Uses a throwaway broker of its own (the harness's is shared with other tests).
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kafkaInstanceHome, startKafkaInstance } from '../../../infra/components/kafka.ts';
import { readPid, stopDaemon } from '../../../infra/lib/process.ts';
import type { KafkaInfo } from '../../../infra/lib/state.ts';
import type { ApplicationEvent } from '../../../workloads/contract/application.ts';
import { generateApplications } from '../../../workloads/generator/generate.ts';
import type { IngestionApiHandle } from '../../../workloads/ingestion-api/server.ts';
import type { KafkaConnection } from '../support/kafka.ts';
import { post, readTopic, startApi, testKafka, uniqueTopic } from './support.ts';

const name = `kafka-ingest-outage-${process.pid}`;
const topic = uniqueTopic('ingest_outage');
let broker: KafkaInfo;
let api: IngestionApiHandle;
let kafka: KafkaConnection;

beforeAll(async () => {
  broker = await startKafkaInstance({ name });
  kafka = testKafka(broker.bootstrapServers);
  api = await startApi(broker.bootstrapServers, topic, {
    PRODUCE_TIMEOUT_MS: '4000',
    RETRY_AFTER_SECONDS: '2',
  });
}, 240_000);

/** Signals the broker's process group (the daemon leads it), or the process alone. */
function signalBroker(sig: NodeJS.Signals): void {
  const pid = readPid(name);
  if (pid === undefined) throw new Error('no broker pid recorded');
  try {
    process.kill(-pid, sig);
  } catch {
    process.kill(pid, sig);
  }
}

afterAll(async () => {
  await api?.close();
  await stopDaemon(name);
  rmSync(kafkaInstanceHome(name), { recursive: true, force: true });
});

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('ingestion API when Kafka is unreachable', () => {
  it('answers 503 + Retry-After while the broker is down, recovers, and loses nothing it accepted', async () => {
    const apps = generateApplications({ seed: 77, count: 40 }).map((a) => a.submission);
    const accepted = new Set<string>();
    const refused: typeof apps = [];

    for (const s of apps.slice(0, 15)) {
      const res = await post(`${api.url}/v1/applications`, s);
      expect(res.status).toBe(202);
      accepted.add(s.applicationId);
    }

    await stopDaemon(name);
    for (const s of apps.slice(15, 30)) {
      const t0 = Date.now();
      const res = await post(`${api.url}/v1/applications`, s);
      expect(res.status, `application posted while the broker was down`).toBe(503);
      expect(res.headers.get('retry-after')).toBe('2');
      expect(res.headers.get('content-type')).toBe('application/problem+json');
      expect(Date.now() - t0).toBeLessThan(10_000);
      refused.push(s);
    }
    const batch = await post(`${api.url}/v1/applications:batch`, { applications: apps.slice(30, 35) });
    expect(batch.status).toBe(503);
    refused.push(...apps.slice(30, 35));
    expect((await fetch(`${api.url}/readyz`)).status).toBe(503);
    expect(await (await fetch(`${api.url}/healthz`)).text()).toBe('ok\n');
    expect(await (await fetch(`${api.url}/metrics`)).text()).toMatch(/ingestion_kafka_connected 0/);

    // The same broker (same ports, same data) comes back; the API notices without a restart.
    await startKafkaInstance({ name, port: broker.port, controllerPort: broker.controllerPort });
    await waitFor('the API to become ready again', async () => (await fetch(`${api.url}/readyz`)).ok, 60_000);

    // Clients retry what was refused; the rest arrive normally.
    for (const s of [...refused, ...apps.slice(35)]) {
      const res = await post(`${api.url}/v1/applications`, s);
      expect(res.status).toBe(202);
      accepted.add(s.applicationId);
    }

    const messages = await readTopic(kafka, topic, 60_000);
    const ids = messages.map((m) => (JSON.parse(m.value) as ApplicationEvent).applicationId);
    // Nothing acknowledged is lost; what was acknowledged once before the outage is there once.
    for (const id of accepted) expect(ids).toContain(id);
    for (const s of apps.slice(0, 15)) expect(ids.filter((id) => id === s.applicationId)).toHaveLength(1);
    expect(new Set(ids)).toEqual(accepted);
    const metrics = await (await fetch(`${api.url}/metrics`)).text();
    expect(metrics).toMatch(/ingestion_applications_total\{outcome="unavailable"\} 2\d/);
    expect(metrics).toMatch(/ingestion_kafka_connected 1/);
  });

  it('answers 503 within its produce timeout while the broker hangs (no answers, no refusals), then recovers', async () => {
    // Runs after the test above: the broker is up and the API ready.
    await waitFor('the API to be ready', async () => (await fetch(`${api.url}/readyz`)).ok, 60_000);
    const apps = generateApplications({ seed: 78, count: 12 }).map((a) => a.submission);
    const accepted = new Set<string>();
    const first = apps[0] as (typeof apps)[number];
    expect((await post(`${api.url}/v1/applications`, first)).status).toBe(202);
    accepted.add(first.applicationId);

    // A broker that stops answering (SIGSTOP: connections stay open, requests get no reply) is the
    // case a refused connection does not cover: the API must not hold the request beyond
    // PRODUCE_TIMEOUT_MS (4 s here), whatever the client's own retries and timeouts do.
    signalBroker('SIGSTOP');
    const unanswered: string[] = [];
    try {
      for (const s of apps.slice(1, 4)) {
        const t0 = Date.now();
        const res = await post(`${api.url}/v1/applications`, s);
        expect(res.status, 'a post while the broker hangs').toBe(503);
        expect(res.headers.get('retry-after')).toBe('2');
        expect(Date.now() - t0).toBeLessThan(15_000);
        unanswered.push(s.applicationId);
      }
      expect((await fetch(`${api.url}/readyz`)).status).toBe(503);
    } finally {
      signalBroker('SIGCONT');
    }

    await waitFor('the API to become ready again', async () => (await fetch(`${api.url}/readyz`)).ok, 90_000);
    for (const s of apps.slice(1)) {
      // Clients re-post what got 503 (a 503 may hide a write that landed late: downstream keys on the id).
      let status = 0;
      await waitFor(
        `a 202 for ${s.applicationId}`,
        async () => {
          status = (await post(`${api.url}/v1/applications`, s)).status;
          return status === 202;
        },
        60_000,
      );
      accepted.add(s.applicationId);
    }
    const ids = new Set(
      (await readTopic(kafka, topic, 60_000)).map(
        (m) => (JSON.parse(m.value) as ApplicationEvent).applicationId,
      ),
    );
    for (const id of accepted) expect(ids.has(id), id).toBe(true);
    expect(await (await fetch(`${api.url}/metrics`)).text()).toMatch(/ingestion_kafka_connected 1/);
  });
});
