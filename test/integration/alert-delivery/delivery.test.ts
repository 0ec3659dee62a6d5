/**
 * Webhook delivery against the real servers (Kafka, PostgreSQL) and a real HTTP receiver on loopback
 * that fails, times out and recovers: nothing lost, nothing doubled per idempotency key, signatures
 * verifiable with the key, dead letters with the last error, and a delivering process killed with
 * SIGKILL while requests hang loses no pending delivery.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../../infra/lib/paths.ts';
import { createLogger } from '../../../lib/log.ts';
import {
  type DeliveryConfig,
  deliveryGroupId,
  resolveEndpoints,
  type WebhookEndpoint,
} from '../../../workloads/alert-delivery/config.ts';
import { type DeliveryHandle, startAlertDelivery } from '../../../workloads/alert-delivery/service.ts';
import { verifySignature } from '../../../workloads/alert-delivery/signature.ts';
import { createPool, type Pool } from '../../../workloads/warehouse/db.ts';
import {
  createAlertsTopic,
  detectorAlert,
  kafkaClient,
  produce,
  waitFor,
  waitForGroupCaughtUp,
} from '../cases/support.ts';
import type { KafkaConnection } from '../support/kafka.ts';
import { createTestDatabase, kafkaBrokers, type TestDatabase } from '../warehouse/support.ts';

const KEY = 'receiver-shared-key-0123456789';
const log = createLogger('delivery-test');

type Behaviour = 'ok' | 'fail' | 'hang' | 'rate-limit';

/** A receiver whose behaviour the test switches; it verifies signatures and records what it accepted. */
class Receiver {
  behaviour: Behaviour = 'ok';
  /** Behaviour for the next n requests, then back to `behaviour`. */
  script: Behaviour[] = [];
  requests = 0;
  badSignatures = 0;
  /** Idempotency key → times acknowledged with 2xx. */
  accepted = new Map<string, number>();
  bodies: unknown[] = [];
  private server: Server;
  private hanging = new Set<ServerResponse>();
  url = '';
  constructor(private readonly key: string | null) {
    this.server = createServer((req, res) => this.handle(req, res));
  }
  async start(): Promise<this> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', () => r()));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`;
    return this;
  }
  private async handle(req: IncomingMessage, res: ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    this.requests++;
    const now = this.script.shift() ?? this.behaviour;
    if (now === 'hang') {
      this.hanging.add(res);
      return;
    }
    if (now === 'fail') return void res.writeHead(500).end('boom');
    if (now === 'rate-limit') return void res.writeHead(429, { 'retry-after': '0' }).end();
    if (this.key !== null) {
      const v = verifySignature(req.headers['x-credit-signature'] as string | undefined, body, this.key);
      if (!v.ok) {
        this.badSignatures++;
        return void res.writeHead(401).end(v.reason);
      }
    }
    const id = req.headers['idempotency-key'] as string;
    this.accepted.set(id, (this.accepted.get(id) ?? 0) + 1);
    this.bodies.push(JSON.parse(body));
    res.writeHead(204).end();
  }
  releaseHanging() {
    for (const r of this.hanging) r.destroy();
    this.hanging.clear();
  }
  async stop() {
    this.releaseHanging();
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

let db: TestDatabase;
let pool: Pool;
let kafka: KafkaConnection;

beforeAll(async () => {
  db = await createTestDatabase('delivery');
  pool = createPool(db.url);
  kafka = kafkaClient('delivery-test');
});
afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

function deliveryConfig(
  topic: string,
  webhooks: WebhookEndpoint[],
  over: Partial<DeliveryConfig> = {},
): DeliveryConfig {
  return {
    databaseUrl: db.url,
    kafkaBrokers: kafkaBrokers().join(','),
    kafkaTls: false,
    applicationsTopic: 'unused',
    deadLetterTopic: 'unused',
    alertsTopic: topic,
    groupPrefix: `t${randomUUID().slice(0, 6)}`,
    webhooks,
    maxAttempts: 30,
    initialBackoffMs: 20,
    maxBackoffMs: 300,
    concurrency: 4,
    pollMs: 50,
    opsPort: 0,
    opsHost: '127.0.0.1',
    ...over,
  };
}

const hook = (name: string, url: string, over: Partial<WebhookEndpoint> = {}): WebhookEndpoint => ({
  name,
  url,
  format: 'json',
  modes: ['live'],
  signingKeyEnv: 'TEST_WEBHOOK_KEY',
  timeoutMs: 300,
  ...over,
});

const alertsFor = (n: number) =>
  Array.from({ length: n }, () => detectorAlert(randomUUID(), 'velocity-national-id'));

async function rows(endpoint: string) {
  return (
    await pool.query<{ alert_id: string; status: string; attempts: number; last_error: string | null }>(
      'SELECT alert_id, status, attempts, last_error FROM alert_delivery WHERE endpoint = $1',
      [endpoint],
    )
  ).rows;
}

async function metric(handle: DeliveryHandle, name: string): Promise<string> {
  return handle.metrics.registry.getSingleMetricAsString(name);
}

describe('webhook delivery', () => {
  it('delivers every alert once per idempotency key through failures, timeouts and rate limits, signed', async () => {
    const topic = await createAlertsTopic(kafka, 'dl');
    const receiver = await new Receiver(KEY).start();
    const slack = await new Receiver(null).start();
    // 12 errors, 6 timeouts, 2 rate limits, then healthy.
    receiver.script = [...Array(12).fill('fail'), ...Array(6).fill('hang'), 'rate-limit', 'rate-limit'];
    const endpoints = resolveEndpoints(
      [
        hook('ops', receiver.url),
        hook('chat', slack.url, { format: 'slack', signingKeyEnv: undefined, severities: ['high'] }),
      ],
      { TEST_WEBHOOK_KEY: KEY },
    );
    const handle = await startAlertDelivery(
      deliveryConfig(
        topic,
        endpoints.map(({ signingKey: _k, ...w }) => w),
      ),
      endpoints,
      { log },
    );
    try {
      const alerts = alertsFor(25);
      const shadow = detectorAlert(randomUUID(), 'ip-shared-customers', { mode: 'shadow' });
      await produce(kafka, topic, [...alerts, shadow, 'not an alert']);
      await waitFor(
        'all 25 delivered to both endpoints',
        async () => {
          const all = [...(await rows('ops')), ...(await rows('chat'))];
          return all.length === 50 && all.every((r) => r.status === 'delivered') ? true : undefined;
        },
        90_000,
      );
      const ids = alerts.map((a) => a.alertId).sort();
      expect([...receiver.accepted.keys()].sort()).toEqual(ids);
      // Once per idempotency key, except where the sender gave up waiting on an answer the receiver
      // still sent (a loaded machine can be slower than the request timeout) and so retried: the
      // receiver sees the same key again, which is what the key is for.
      const attemptsOf = new Map((await rows('ops')).map((r) => [r.alert_id, r.attempts]));
      for (const [key, n] of receiver.accepted)
        if (n > 1) expect(attemptsOf.get(key), `${key} accepted ${n} times`).toBeGreaterThanOrEqual(n);
      expect(receiver.badSignatures).toBe(0);
      expect(receiver.accepted.has(shadow.alertId)).toBe(false);
      expect(receiver.bodies[0]).toMatchObject({
        type: 'credit.fraud-alert.v1',
        ruleId: 'velocity-national-id',
      });
      expect(JSON.stringify(receiver.bodies)).not.toContain('C-PERSONAL-0001');
      expect([...slack.accepted.keys()].sort()).toEqual(ids);
      expect((slack.bodies[0] as { text: string }).text).toContain('HIGH fraud alert');
      expect((await rows('ops')).some((r) => r.attempts > 1)).toBe(true);

      // Each scripted answer is one attempt: 12 errors + 2 rate limits are http_error, 6 hangs time
      // out. On a loaded machine an answer can come after the request timeout: that attempt counts as
      // a timeout (and, for a success, is tried again), so the split may move toward timeouts.
      const attempts = await metric(handle, 'alert_delivery_attempts_total');
      const ops = (result: string) =>
        Number(new RegExp(`endpoint="ops",result="${result}"\\} (\\d+)`).exec(attempts)?.[1] ?? 'NaN');
      expect(ops('http_error')).toBeLessThanOrEqual(14);
      expect(ops('timeout')).toBeGreaterThanOrEqual(6);
      expect(ops('http_error') + ops('timeout')).toBeGreaterThanOrEqual(20);
      expect(ops('success')).toBeGreaterThanOrEqual(25);
      // Every request the receiver saw was counted (one aborted before the receiver read it is too).
      expect(ops('http_error') + ops('timeout') + ops('success')).toBeGreaterThanOrEqual(receiver.requests);
      expect(await metric(handle, 'alert_delivery_deliveries_total')).toMatch(
        /endpoint="ops",outcome="delivered"\} 25/,
      );
      expect(await metric(handle, 'alert_delivery_backlog')).toMatch(/endpoint="ops"\} 0/);

      // A replay of the topic (a new consumer group) adds no delivery.
      const before = receiver.requests;
      const replayConfig = deliveryConfig(
        topic,
        endpoints.map(({ signingKey: _k, ...w }) => w),
      );
      const replay = await startAlertDelivery(replayConfig, endpoints, { log });
      await waitForGroupCaughtUp(kafka, deliveryGroupId(replayConfig), topic);
      await replay.close();
      expect((await rows('ops')).length).toBe(25);
      expect(receiver.requests).toBe(before);
    } finally {
      await handle.close();
      await receiver.stop();
      await slack.stop();
    }
  });

  it('dead-letters after the last attempt with the last error, and keeps delivering elsewhere', async () => {
    const topic = await createAlertsTopic(kafka, 'dl');
    const broken = await new Receiver(KEY).start();
    broken.behaviour = 'fail';
    const endpoints = resolveEndpoints([hook('broken', broken.url)], { TEST_WEBHOOK_KEY: KEY });
    const handle = await startAlertDelivery(
      deliveryConfig(
        topic,
        endpoints.map(({ signingKey: _k, ...w }) => w),
        { maxAttempts: 3 },
      ),
      endpoints,
      { log },
    );
    try {
      await produce(kafka, topic, alertsFor(4));
      await waitFor('four dead letters', async () => {
        const r = await rows('broken');
        return r.length === 4 && r.every((x) => x.status === 'dead') ? r : undefined;
      });
      const r = await rows('broken');
      expect(r.every((x) => x.attempts === 3 && x.last_error === 'HTTP 500 Internal Server Error')).toBe(
        true,
      );
      expect(broken.requests).toBe(12);
      expect(await metric(handle, 'alert_delivery_deliveries_total')).toMatch(
        /endpoint="broken",outcome="dead"\} 4/,
      );
      expect(await metric(handle, 'alert_delivery_dead_letters')).toMatch(/endpoint="broken"\} 4/);
    } finally {
      await handle.close();
      await broken.stop();
    }
  });

  it('loses no pending delivery when the delivering process is killed mid-request (SIGKILL), and doubles none', async () => {
    const topic = await createAlertsTopic(kafka, 'dl');
    const receiver = await new Receiver(KEY).start();
    receiver.behaviour = 'hang';
    const config = deliveryConfig(topic, [hook('restart', receiver.url, { timeoutMs: 2000 })], {
      concurrency: 8,
    });
    const env = {
      ...process.env,
      DATABASE_URL: config.databaseUrl,
      KAFKA_BROKERS: config.kafkaBrokers,
      ALERTS_TOPIC: topic,
      KAFKA_GROUP_PREFIX: config.groupPrefix,
      ALERT_WEBHOOKS: JSON.stringify(config.webhooks),
      TEST_WEBHOOK_KEY: KEY,
      DELIVERY_INITIAL_BACKOFF_MS: '20',
      DELIVERY_MAX_BACKOFF_MS: '200',
      DELIVERY_POLL_MS: '50',
      DELIVERY_CONCURRENCY: '8',
      OPS_PORT: '0',
      LOG_LEVEL: 'warn',
    };
    const spawnDelivery = (): ChildProcess =>
      spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'cli', 'main.ts'), 'alert-delivery'], {
        cwd: repoRoot,
        env,
        stdio: ['ignore', 'ignore', 'inherit'],
      });
    const alerts = alertsFor(20);
    let child = spawnDelivery();
    try {
      await produce(kafka, topic, alerts);
      // The 20 alerts may reach the process in more than one fetch: kill it once all are recorded and
      // eight requests hang.
      await waitFor(
        'all 20 recorded and eight requests hanging in the first process',
        async () => (receiver.requests >= 8 && (await rows('restart')).length === 20 ? true : undefined),
        60_000,
      );
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      const pending = await rows('restart');
      expect(pending.length).toBe(20);
      expect(pending.every((r) => r.status === 'pending')).toBe(true);
      receiver.releaseHanging();
      receiver.behaviour = 'ok';
      child = spawnDelivery();
      await waitFor(
        'all 20 delivered by the second process',
        async () => {
          const r = await rows('restart');
          return r.every((x) => x.status === 'delivered') ? true : undefined;
        },
        90_000,
      );
      expect([...receiver.accepted.keys()].sort()).toEqual(alerts.map((a) => a.alertId).sort());
      expect([...receiver.accepted.values()].every((n) => n === 1)).toBe(true);
      expect((await rows('restart')).length).toBe(20);
    } finally {
      child.kill('SIGKILL');
      await receiver.stop();
    }
  });
});
