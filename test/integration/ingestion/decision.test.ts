/**
 * GET /v1/applications/{id}/decision against a real warehouse (PostgreSQL, migrated): 404 for an id
 * the warehouse does not know, 202 for a loaded, undecided application (after waiting no longer than
 * asked), and a waiting request answered as soon as the decision is issued (NOTIFY), with the record
 * as issued and its reason texts.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IssuedDecision } from '../../../api/decision.ts';
import { decisionRecords } from '../../../workloads/decision-service/records.ts';
import type { IngestionApiHandle } from '../../../workloads/ingestion-api/server.ts';
import { BUILT_IN_CHAMPION, modelSet, registerModels } from '../../../workloads/risk-scorer/models.ts';
import { loadModelFile } from '../../../workloads/risk-scorer/scorecard/model.ts';
import { createPool, type Pool } from '../../../workloads/warehouse/db.ts';
import { ensureDecisionReaderRole } from '../../../workloads/warehouse/reader-role.ts';
import { parseAlertMessage, parseApplicationMessage } from '../../../workloads/warehouse-loader/rows.ts';
import { writeBatch } from '../../../workloads/warehouse-loader/writer.ts';
import {
  createTestDatabase,
  postgresUrl,
  rng,
  syntheticApplication,
  type TestDatabase,
} from '../warehouse/support.ts';
import { harnessBrokers, startApi, uniqueTopic } from './support.ts';

const A = '00000000-0000-4000-8000-00000000000a';
const B = '00000000-0000-4000-8000-00000000000b';

describe('decision route on a real warehouse', () => {
  let db: TestDatabase;
  let pool: Pool;
  let api: IngestionApiHandle;
  const champion = modelSet(loadModelFile(BUILT_IN_CHAMPION)).champion;
  // The API reads as the decision reader role, as rendered (SELECT on the route's columns only).
  const role = `decision_reader_${randomBytes(4).toString('hex')}`;
  const password = 'decision-reader-password-0123456789';

  beforeAll(async () => {
    db = await createTestDatabase('ingest_decision');
    pool = createPool(db.url, 2);
    await registerModels(pool, modelSet(champion.model));
    const r = rng(7);
    const apps = [A, B].map((applicationId) => syntheticApplication(r, { applicationId }));
    await writeBatch(
      pool,
      {
        groupId: 'seed',
        topic: 'apps',
        partition: 0,
        kind: 'applications',
        fetchedOffset: '0',
        messages: apps.map((a, i) => ({
          offset: String(i),
          key: null,
          value: Buffer.from(JSON.stringify(a)),
        })),
      },
      { applications: parseApplicationMessage, alerts: parseAlertMessage },
    );
    const owner = await pool.connect();
    try {
      await ensureDecisionReaderRole(owner, role, password);
    } finally {
      owner.release();
    }
    const readerUrl = new URL(db.url);
    readerUrl.username = role;
    readerUrl.password = password;
    api = await startApi(harnessBrokers(), uniqueTopic('ingest_decision'), {
      DATABASE_URL: readerUrl.toString(),
      DECISION_MAX_WAIT_MS: '30000',
    });
  }, 120_000);

  afterAll(async () => {
    await api?.close();
    await pool?.end();
    await db?.drop();
    const admin = new pg.Client({ connectionString: postgresUrl() });
    await admin.connect();
    await admin.query(`DROP ROLE IF EXISTS ${role}`).finally(() => admin.end());
  });

  const get = async (id: string, query = '') => {
    const t0 = Date.now();
    const res = await fetch(`${api.url}/v1/applications/${id}/decision${query}`);
    return { status: res.status, body: (await res.json()) as Record<string, unknown>, ms: Date.now() - t0 };
  };

  it('answers 400 for a malformed id or waitMs, naming the problem, without waiting', async () => {
    for (const [id, query] of [
      ['not-a-uuid', ''],
      ['00000000-0000-4000-8000-00000000000', '?waitMs=5000'],
      ["0'; DROP TABLE decision_record; --", ''],
      [B, '?waitMs=-1'],
      [B, '?waitMs=abc'],
      [B, '?waitMs=1&waitMs=2'],
    ] as const) {
      const r = await get(encodeURIComponent(id), query);
      expect(r.status, `${id}${query}`).toBe(400);
      expect(r.body.status).toBe(400);
      expect(String(r.body.detail ?? r.body.title).length).toBeGreaterThan(0);
    }
  });

  it('answers 404 for an unknown id and 202 for a loaded application without a decision', async () => {
    expect((await get('00000000-0000-4000-8000-0000000000ff')).status).toBe(404);
    expect((await get('00000000-0000-4000-8000-0000000000ff', '?waitMs=200')).status).toBe(404);
    const pending = await get(B, '?waitMs=300');
    expect(pending.status).toBe(202);
    expect(pending.body).toEqual({ applicationId: B, status: 'pending' });
    expect(pending.ms).toBeGreaterThanOrEqual(280);
    // Bounded: it gave up after its wait (a loaded CI machine adds seconds, never a second wait).
    expect(pending.ms).toBeLessThan(10_000);
  });

  it('answers a waiting request as soon as the decision is issued, with the record as issued', async () => {
    const waiting = get(A, '?waitMs=30000');
    await new Promise((r) => setTimeout(r, 400));
    const issuedAt = new Date();
    const { standing } = await decisionRecords(pool).issue([
      {
        applicationId: A,
        decision: 'decline',
        scoreDecision: 'refer',
        policyRules: ['debt_to_income'],
        reasonCodes: ['P03'],
        fraudSeverity: null,
        approvedAmount: 0,
        modelKey: champion.key,
        modelChecksum: champion.checksum,
        source: 'stream',
        runId: 'test',
        issuedAt,
      },
    ]);
    expect(standing).toHaveLength(1);
    const answered = await waiting;
    expect(answered.status).toBe(200);
    // Answered when the decision was issued, long before its wait would have ended.
    expect(answered.ms).toBeLessThan(15_000);
    const body = answered.body as unknown as IssuedDecision;
    expect(body).toEqual({
      applicationId: A,
      decision: 'decline',
      reasons: [{ code: 'P03', text: 'Income insufficient for the amount of credit requested' }],
      model: { key: champion.key, checksum: champion.checksum },
      source: 'stream',
      issuedAt: issuedAt.toISOString(),
    });
    // No waiting once it exists.
    const again = await get(A, '?waitMs=30000');
    expect(again.status).toBe(200);
    expect(again.ms).toBeLessThan(15_000);
  });
});
