/**
 * The decision service on real Kafka and PostgreSQL, behind a real fraud detector: every valid
 * application gets exactly one issued decision (poison none); the decision is the batch scorer's
 * pure function of the application and its verdict's alerts; 1 and 3 replicas issue identical
 * decisions; a SIGKILL mid-stream and a restart lose nothing and issue nothing twice; every decision
 * is on the decisions topic as issued.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IssuedDecision } from '../../../api/decision.ts';
import { type VerdictAlert, type VerdictPart, verdictRecordParts } from '../../../api/verdict.ts';
import { repoRoot } from '../../../infra/lib/paths.ts';
import type { DecisionServiceConfig } from '../../../workloads/decision-service/config.ts';
import { decideApplication } from '../../../workloads/decision-service/decide.ts';
import { type DecisionService, startDecisionService } from '../../../workloads/decision-service/service.ts';
import { type FraudDetector, startFraudDetector } from '../../../workloads/fraud-detector/detector.ts';
import { BUILT_IN_CHAMPION, modelSet } from '../../../workloads/risk-scorer/models.ts';
import { loadModelFile } from '../../../workloads/risk-scorer/scorecard/model.ts';
import {
  asMessages,
  createTopics,
  detectorConfig,
  dropDatabase,
  kafkaClient,
  produce,
  type TestTopics,
  traffic,
  waitDrained,
} from '../fraud-detector/support.ts';
import { createTopics as createTestTopics, type ReadRecord, readTopic } from '../support/kafka.ts';
import { createTestDatabase, type TestDatabase } from '../warehouse/support.ts';

const COUNT = 1200;

interface RecordRow {
  application_id: string;
  decision: string;
  score_decision: string;
  policy_rules: string[];
  reason_codes: string[];
  fraud_severity: string | null;
  model_key: string;
  model_checksum: string;
  source: string;
  revision: number;
}

function serviceConfig(
  topics: TestTopics,
  decisionsTopic: string,
  db: TestDatabase,
  group: string,
): DecisionServiceConfig {
  return {
    kafkaBrokers: detectorConfig(topics).kafkaBrokers,
    kafkaTls: false,
    applicationsTopic: topics.applications,
    verdictsTopic: topics.verdicts,
    decisionsTopic,
    groupPrefix: group,
    databaseUrl: db.url,
    opsPort: 0,
    opsHost: '127.0.0.1',
    sessionTimeoutMs: 10_000,
    maxWriteBatch: 1000,
    writerId: `test-${group}`,
  };
}

async function records(db: TestDatabase): Promise<RecordRow[]> {
  const c = new pg.Client({ connectionString: db.url });
  await c.connect();
  try {
    const r = await c.query<RecordRow>(
      `SELECT application_id, decision, score_decision, policy_rules, reason_codes, fraud_severity, model_key,
              model_checksum, source, revision
       FROM decision_record ORDER BY application_id, revision`,
    );
    return r.rows;
  } finally {
    await c.end();
  }
}

async function waitForRecords(db: TestDatabase, count: number, timeoutMs = 180_000): Promise<RecordRow[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const rows = await records(db);
    if (rows.length >= count) return rows;
    if (Date.now() > deadline)
      throw new Error(`only ${rows.length} of ${count} decisions after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

/** What must be equal across runs: the decision, not who wrote it or when. */
const content = (rows: RecordRow[]) =>
  rows.map((r) => ({
    id: r.application_id,
    decision: r.decision,
    scoreDecision: r.score_decision,
    rules: r.policy_rules,
    reasons: r.reason_codes,
    severity: r.fraud_severity,
    model: `${r.model_key}#${r.model_checksum}`,
  }));

function spawnService(config: DecisionServiceConfig): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'cli', 'main.ts'), 'decision-service'], {
    env: {
      ...process.env,
      KAFKA_BROKERS: config.kafkaBrokers,
      APPLICATIONS_TOPIC: config.applicationsTopic,
      VERDICTS_TOPIC: config.verdictsTopic,
      DECISIONS_TOPIC: config.decisionsTopic,
      KAFKA_GROUP_PREFIX: config.groupPrefix,
      DATABASE_URL: config.databaseUrl,
      OPS_PORT: '0',
      OPS_HOST: '127.0.0.1',
      POD_NAME: config.writerId,
      DECISION_WRITE_BATCH: String(config.maxWriteBatch),
      // The killed process's member leaves the group when its session expires: not the 30 s default.
      KAFKA_SESSION_TIMEOUT_MS: String(config.sessionTimeoutMs),
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
}

/** Every part on the verdicts topic, read up to the high watermark of each partition. */
async function readVerdicts(topic: string): Promise<VerdictPart[]> {
  const records = await readTopic(kafkaClient('ds-verdicts'), topic, { until: 'end', timeoutMs: 60_000 });
  return records.flatMap((r) => verdictRecordParts({ value: r.value, headers: r.headers }).parts);
}

async function readDecisions(topic: string, atLeast: number, timeoutMs = 30_000): Promise<IssuedDecision[]> {
  const decision = (r: ReadRecord) => JSON.parse(r.value ?? '{}') as IssuedDecision;
  // Distinct applications: after a crash the topic may carry a decision twice (at least once).
  const records = await readTopic(kafkaClient('ds-reader'), topic, {
    until: (rs) => new Set(rs.map((r) => decision(r).applicationId)).size >= atLeast,
    timeoutMs,
    ifIncomplete: 'return',
  });
  return records.map(decision);
}

describe('decision service (real Kafka, real PostgreSQL, real detector)', () => {
  const kafka = kafkaClient('ds-test');
  let topics: TestTopics;
  let detector: FraudDetector;
  const { events } = traffic(23, COUNT);
  const dbs: TestDatabase[] = [];
  const services: DecisionService[] = [];
  const children: ChildProcess[] = [];
  const decisionsTopics = { one: '', three: '', crash: '' };

  beforeAll(async () => {
    topics = await createTopics(kafka, 3);
    for (const k of Object.keys(decisionsTopics) as Array<keyof typeof decisionsTopics>) {
      decisionsTopics[k] = `ds_decisions_${k}_${topics.suffix}`;
    }
    await createTestTopics(
      kafka,
      Object.values(decisionsTopics).map((topic) => ({ topic, numPartitions: 3 })),
    );
    await produce(kafka, topics.applications, [
      ...asMessages(events.slice(0, 600)),
      { key: 'C-poison', value: '{"applicationId": "not a uuid"}' },
      ...asMessages(events.slice(600)),
    ]);
    detector = await startFraudDetector(detectorConfig(topics));
    await waitDrained(kafka, detectorConfig(topics), 180_000);
  }, 300_000);

  afterAll(async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    for (const s of services) await s.close().catch(() => undefined);
    await detector?.close();
    if (topics) await dropDatabase(detectorConfig(topics).mongoDatabase as string);
    for (const db of dbs) await db.drop().catch(() => undefined);
  });

  let reference: RecordRow[];

  it('issues exactly one decision per valid application, none for poison, as the scorecard decides', async () => {
    const db = await createTestDatabase('ds_one');
    dbs.push(db);
    services.push(
      await startDecisionService(serviceConfig(topics, decisionsTopics.one, db, `one${topics.suffix}`)),
    );
    reference = await waitForRecords(db, events.length);
    // A little longer: nothing more arrives (no second record, nothing for the poison).
    await new Promise((r) => setTimeout(r, 1500));
    reference = await records(db);
    expect(reference).toHaveLength(events.length);
    expect(new Set(reference.map((r) => r.application_id))).toEqual(
      new Set(events.map((e) => e.applicationId.toLowerCase())),
    );
    expect(reference.every((r) => r.revision === 1 && r.source === 'stream')).toBe(true);
    const mix = new Set(reference.map((r) => r.decision));
    expect(mix.has('approve') && mix.has('decline')).toBe(true);
    // Declines and refers carry reasons; approvals none; fraud (P01) where a live alert fired.
    for (const r of reference) {
      if (r.decision === 'approve') expect(r.reason_codes).toEqual([]);
      else expect(r.reason_codes.length).toBeGreaterThan(0);
    }
    expect(reference.some((r) => r.policy_rules.includes('fraud_alert'))).toBe(true);
  }, 240_000);

  it('decides each application as the batch scorer’s pure code does, from the alerts of its verdict', async () => {
    // The verdict of each application, put together from the topic independently of the service.
    const alerts = new Map<string, Map<string, VerdictAlert>>();
    for (const part of await readVerdicts(topics.verdicts)) {
      const id = part.applicationId.toLowerCase();
      const mine = alerts.get(id) ?? new Map<string, VerdictAlert>();
      for (const a of part.alerts) mine.set(a.alertId, a);
      alerts.set(id, mine);
    }
    expect(alerts.size).toBe(events.length);
    const { champion } = modelSet(loadModelFile(BUILT_IN_CHAMPION));
    const expected = events
      .map((e) => {
        const d = decideApplication(
          champion,
          e,
          [...(alerts.get(e.applicationId.toLowerCase())?.values() ?? [])],
          new Date(),
          'expected',
        ).record;
        return {
          id: d.applicationId,
          decision: d.decision,
          scoreDecision: d.scoreDecision,
          rules: [...d.policyRules],
          reasons: [...d.reasonCodes],
          severity: d.fraudSeverity,
          model: `${d.modelKey}#${d.modelChecksum}`,
        };
      })
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    expect(content(reference)).toEqual(expected);
    // Fraud alerts in verdicts moved some decisions (otherwise this proves little).
    expect(expected.some((d) => d.severity !== null)).toBe(true);
  }, 120_000);

  it('publishes every decision on the decisions topic as issued', async () => {
    const published = await readDecisions(decisionsTopics.one, events.length);
    const byId = new Map(published.map((d) => [d.applicationId, d]));
    expect(byId.size).toBe(events.length);
    for (const r of reference) {
      const d = byId.get(r.application_id);
      expect(d?.decision, r.application_id).toBe(r.decision);
      expect(d?.reasons.map((x) => x.code)).toEqual(r.reason_codes);
      expect(d?.model).toEqual({ key: r.model_key, checksum: r.model_checksum });
      expect(d?.reasons.every((x) => x.text.length > 0)).toBe(true);
    }
  }, 60_000);

  it('issues the same decisions with three replicas', async () => {
    const db = await createTestDatabase('ds_three');
    dbs.push(db);
    const config = serviceConfig(topics, decisionsTopics.three, db, `three${topics.suffix}`);
    for (let i = 0; i < 3; i++)
      services.push(await startDecisionService({ ...config, writerId: `replica-${i}` }));
    await waitForRecords(db, events.length);
    await new Promise((r) => setTimeout(r, 1500));
    const rows = await records(db);
    expect(rows).toHaveLength(events.length);
    expect(content(rows)).toEqual(content(reference));
  }, 240_000);

  it('loses nothing and issues nothing twice across a SIGKILL mid-stream and a restart', async () => {
    const db = await createTestDatabase('ds_crash');
    dbs.push(db);
    // Small inserts, so the stream is written in many steps.
    const config = {
      ...serviceConfig(topics, decisionsTopics.crash, db, `crash${topics.suffix}`),
      maxWriteBatch: 20,
      writerId: 'first-process',
    };
    // A mid-stream point that depends neither on the machine's speed nor on which applications each
    // insert carries: a test trigger holds every insert of the first process once HELD_AFTER records
    // are in (on an advisory lock this test holds), so it is killed with inserts in flight, decisions
    // written and not yet published or committed, and most applications undecided. Then the lock goes:
    // the held inserts of the dead process may still land (as any in flight at a crash may).
    const HELD_AFTER = 100;
    const holder = new pg.Client({ connectionString: db.url });
    holder.on('error', () => undefined);
    await holder.connect();
    let atKill: number;
    try {
      await holder.query(`
        CREATE FUNCTION test_hold_first_process() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF NEW.run_id = 'first-process' AND (SELECT count(*) FROM decision_record) >= ${HELD_AFTER} THEN
            PERFORM pg_advisory_xact_lock_shared(17, 1);
          END IF;
          RETURN NEW;
        END $$;
        CREATE TRIGGER test_hold_first_process BEFORE INSERT ON decision_record
          FOR EACH ROW EXECUTE FUNCTION test_hold_first_process();
        SELECT pg_advisory_lock(17, 1);`);
      const first = spawnService(config);
      children.push(first);
      const deadline = Date.now() + 120_000;
      for (;;) {
        const n = (await records(db)).length;
        if (n >= HELD_AFTER) break;
        if (first.exitCode !== null) throw new Error(`the first process exited (${first.exitCode})`);
        if (Date.now() > deadline) throw new Error(`the first process decided only ${n} in 120 s`);
        await new Promise((r) => setTimeout(r, 50));
      }
      first.kill('SIGKILL');
      await new Promise((r) =>
        first.exitCode !== null || first.signalCode !== null ? r(undefined) : first.once('exit', r),
      );
      atKill = (await records(db)).length;
    } finally {
      await holder.query('SELECT pg_advisory_unlock_all()').catch(() => undefined);
      await holder.end().catch(() => undefined);
    }
    const second = spawnService({ ...config, writerId: 'after-restart' });
    children.push(second);
    await waitForRecords(db, events.length);
    await new Promise((r) => setTimeout(r, 1500));
    const rows = await records(db);
    second.kill('SIGTERM');
    // Held: at most the two inserts in flight when the count reached HELD_AFTER got through.
    expect(atKill).toBeGreaterThanOrEqual(HELD_AFTER);
    expect(atKill).toBeLessThan(events.length / 2);
    expect(rows).toHaveLength(events.length);
    expect(content(rows)).toEqual(content(reference));
    // The topic has every decision at least once, each copy equal to the record.
    const published = await readDecisions(decisionsTopics.crash, events.length);
    const seen = new Map<string, IssuedDecision>();
    for (const d of published) {
      const before = seen.get(d.applicationId);
      if (before !== undefined) expect(d).toEqual(before);
      seen.set(d.applicationId, d);
    }
    expect(seen.size).toBe(events.length);
  }, 300_000);
});
