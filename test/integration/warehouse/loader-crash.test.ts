import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool, type Pool } from '../../../workloads/warehouse/db.ts';
import {
  createTopics,
  deleteTopics,
  type KafkaConnection,
  produce,
  testKafka,
  topicEnds,
  withAdmin,
} from '../support/kafka.ts';
import { createTestDatabase, kafkaBrokers, rng, syntheticApplication, type TestDatabase } from './support.ts';

const REPO = join(import.meta.dirname, '..', '..', '..');
const N = 15_000;
const DUPLICATES = 300;
const ALERTS = 40;
const suffix = randomBytes(4).toString('hex');
const appsTopic = `wh_apps_${suffix}`;
const alertsTopic = `wh_alerts_${suffix}`;
const groupPrefix = `wh-test-${suffix}`;

let db: TestDatabase;
let pool: Pool;
let kafka: KafkaConnection;
let child: ChildProcess | undefined;
const ids: string[] = [];

function startLoader(): ChildProcess {
  const c = spawn(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'warehouse-loader'], {
    cwd: REPO,
    env: {
      ...process.env,
      DATABASE_URL: db.url,
      KAFKA_BROKERS: kafkaBrokers().join(','),
      APPLICATIONS_TOPIC: appsTopic,
      ALERTS_TOPIC: alertsTopic,
      KAFKA_GROUP_PREFIX: groupPrefix,
      OPS_PORT: '0',
      // the killed loader's partitions are handed to the restarted one after this
      KAFKA_SESSION_TIMEOUT_MS: '6000',
      LOG_LEVEL: 'error',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return c;
}

const exited = (c: ChildProcess) =>
  new Promise<void>((resolve) =>
    c.exitCode !== null || c.signalCode !== null ? resolve() : c.once('exit', () => resolve()),
  );

async function scalar(sql: string, params: unknown[] = []): Promise<number> {
  return Number((await pool.query<{ n: string }>(sql, params)).rows[0]?.n ?? 0);
}

beforeAll(async () => {
  db = await createTestDatabase('wh_loader');
  pool = createPool(db.url);
  kafka = testKafka('wh-loader-test', kafkaBrokers());
  await createTopics(kafka, [
    { topic: appsTopic, numPartitions: 3 },
    { topic: alertsTopic, numPartitions: 1 },
  ]);
  const r = rng(99);
  const apps = Array.from({ length: N }, () => syntheticApplication(r));
  for (const a of apps) ids.push(a.applicationId);
  const message = (a: (typeof apps)[number]) => ({ key: a.applicant.customerId, value: JSON.stringify(a) });
  await produce(kafka, appsTopic, apps.map(message), 1000);
  // Producer retries: the same applications again, at new offsets.
  await produce(kafka, appsTopic, apps.slice(0, DUPLICATES).map(message));
  // Bad input: schema-invalid events and bytes that are not JSON.
  const invalid = { ...apps[0], applicationId: 'not-a-uuid', loan: { ...apps[0]?.loan, amount: -1 } };
  await produce(kafka, appsTopic, [
    { key: 'bad-1', value: JSON.stringify(invalid) },
    { key: 'bad-2', value: '{"applicationId": ' },
    { key: 'bad-3', value: JSON.stringify({ hello: 'world' }) },
  ]);
  const alert = (i: number) => ({
    applicationId: apps[i]?.applicationId,
    ruleId: 'velocity-device',
    ruleVersion: '2',
    severity: i % 2 === 0 ? 'high' : 'medium',
    reasonCode: 'DEVICE_VELOCITY',
    mode: 'live',
    eventTime: '2026-10-05T10:00:00Z',
    detectedAt: '2026-10-05T10:00:02Z',
    evidence: { count: 4 },
  });
  await produce(kafka, alertsTopic, [
    ...Array.from({ length: ALERTS }, (_, i) => ({ key: String(i), value: JSON.stringify(alert(i)) })),
    ...Array.from({ length: 5 }, (_, i) => ({ key: String(i), value: JSON.stringify(alert(i)) })), // replays
    { key: 'bad', value: JSON.stringify({ ...alert(0), severity: 'extreme' }) },
  ]);
}, 180_000);

afterAll(async () => {
  if (child && child.exitCode === null) {
    child.kill('SIGKILL');
    await exited(child);
  }
  if (kafka) await deleteTopics(kafka, [appsTopic, alertsTopic]);
  await pool?.end();
  await db?.drop();
});

describe('warehouse loader', () => {
  it('killed with SIGKILL in the middle of a batch transaction and restarted, loads every application exactly once', async () => {
    child = startLoader();
    // Wait until the loader has committed some batches AND has a transaction open, then kill it.
    let loadedAtKill = -1;
    const deadline = Date.now() + 90_000;
    while (Date.now() < deadline) {
      const s = await pool.query<{ open: string; loaded: string }>(
        `SELECT (SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()
                 AND application_name = 'warehouse-loader' AND xact_start IS NOT NULL) AS open,
                (SELECT count(*) FROM fact_application) AS loaded`,
      );
      const row = s.rows[0];
      if (row && Number(row.open) > 0 && Number(row.loaded) > 0) {
        child.kill('SIGKILL');
        loadedAtKill = Number(row.loaded);
        break;
      }
      await new Promise((r) => setTimeout(r, 2));
    }
    await exited(child);
    expect(child.signalCode).toBe('SIGKILL');
    expect(loadedAtKill).toBeGreaterThan(0);
    expect(loadedAtKill).toBeLessThan(N);

    // What the crash left is consistent: every loaded row sits below its partition's stored offset.
    const beyond = await scalar(
      `SELECT count(*) AS n FROM fact_application a JOIN loader_offsets o
         ON o.topic = a.source_topic AND o.partition = a.source_partition
       WHERE a.source_offset >= o.next_offset`,
    );
    expect(beyond).toBe(0);

    child = startLoader();
    const ends = await withAdmin(kafka, async (admin) => {
      const out: Array<{ topic: string; partition: number; high: string }> = [];
      for (const topic of [appsTopic, alertsTopic])
        for (const [partition, high] of await topicEnds(admin, topic))
          out.push({ topic, partition, high: String(high) });
      return out;
    });
    const caughtUp = async () => {
      const stored = await pool.query<{ topic: string; partition: number; next_offset: string }>(
        `SELECT topic, partition, next_offset FROM loader_offsets WHERE group_id = $1`,
        [`${groupPrefix}.warehouse-loader`],
      );
      return ends.every((e) =>
        stored.rows.some(
          (s) => s.topic === e.topic && s.partition === e.partition && s.next_offset === e.high,
        ),
      );
    };
    const until = Date.now() + 120_000;
    while (!(await caughtUp())) {
      if (Date.now() > until) throw new Error('loader did not catch up within 120 s');
      await new Promise((r) => setTimeout(r, 250));
    }
    child.kill('SIGTERM');
    await exited(child);
    expect(child.exitCode).toBe(0);

    expect(await scalar('SELECT count(*) AS n FROM fact_application')).toBe(N);
    expect(await scalar('SELECT count(DISTINCT application_id) AS n FROM fact_application')).toBe(N);
    expect(
      await scalar('SELECT count(*) AS n FROM fact_application WHERE application_id = ANY($1::uuid[])', [
        ids,
      ]),
    ).toBe(N);
    expect(await scalar('SELECT count(*) AS n FROM fact_fraud_alert')).toBe(ALERTS);

    const quarantined = await pool.query<{ source_topic: string; reason: string; message_key: string }>(
      'SELECT source_topic, reason, message_key FROM quarantine ORDER BY source_topic, message_key',
    );
    expect(
      quarantined.rows.map((q) => [
        q.source_topic === appsTopic ? 'apps' : 'alerts',
        q.message_key,
        q.reason,
      ]),
    ).toEqual([
      ['alerts', 'bad', 'schema_invalid'],
      ['apps', 'bad-1', 'schema_invalid'],
      ['apps', 'bad-2', 'not_json'],
      ['apps', 'bad-3', 'schema_invalid'],
    ]);
  }, 300_000);
});
