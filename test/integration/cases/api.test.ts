/**
 * The cases service against the real servers: alerts on a Kafka topic open cases in PostgreSQL (a
 * replay opens none), tokens are checked by the harness's kube-apiserver (TokenReview) and actions by
 * RBAC (SubjectAccessReview), bad input changes nothing, and verdicts become outcome labels and
 * per-rule precision.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../lib/log.ts';
import { type CasesHandle, startCasesService } from '../../../workloads/cases/server.ts';
import type { CaseDetail } from '../../../workloads/cases/store.ts';
import { BUILT_IN_CHAMPION, loadModelSet, registerModels } from '../../../workloads/risk-scorer/models.ts';
import { createPool, type Pool } from '../../../workloads/warehouse/db.ts';
import { issueDecision } from '../../../workloads/warehouse/decision-records.ts';
import { uniqueName } from '../operator/support.ts';
import type { KafkaConnection } from '../support/kafka.ts';
import {
  createTestDatabase,
  kafkaBrokers,
  rng,
  syntheticApplication,
  type TestDatabase,
} from '../warehouse/support.ts';
import {
  type CaseIdentities,
  createAlertsTopic,
  createCaseIdentities,
  detectorAlert,
  kafkaClient,
  loadApplications,
  produce,
  waitFor,
} from './support.ts';

let db: TestDatabase;
let pool: Pool;
let kafka: KafkaConnection;
let topic: string;
let ids: CaseIdentities;
let service: CasesHandle;
const log = createLogger('cases-test');

function config(groupPrefix: string) {
  return {
    databaseUrl: db.url,
    kafkaBrokers: kafkaBrokers().join(','),
    kafkaTls: false,
    applicationsTopic: 'unused',
    deadLetterTopic: 'unused',
    alertsTopic: topic,
    groupPrefix,
    namespace: ids.namespace,
    kubeconfig: ids.serviceKubeconfig,
    authCacheTtlMs: 0,
    openCases: true,
    httpPort: 0,
    httpHost: '127.0.0.1',
    opsPort: 0,
    opsHost: '127.0.0.1',
  };
}

// Application A: two live rules (device ring critical, velocity high) and a linked application
// sharing its national-ID hash; B: velocity only; C: a shadow alert only (no case).
const r = rng(16);
const appA = syntheticApplication(r);
const appA2 = syntheticApplication(r);
appA2.applicant.nationalIdHash = appA.applicant.nationalIdHash;
const appB = syntheticApplication(r);
const A = appA.applicationId;
const B = appB.applicationId;
const C = randomUUID();
const linkedByDevice = randomUUID();
const alerts = [
  detectorAlert(A, 'velocity-national-id', {
    evidence: {
      kind: 'velocity',
      keyField: 'nationalIdHash',
      count: 3,
      threshold: 3,
      windowMs: 3_600_000,
      applicationIds: [A, appA2.applicationId],
    },
  }),
  detectorAlert(A, 'device-shared-customers', {
    severity: 'critical',
    ruleKind: 'distinctCount',
    evidence: {
      kind: 'distinctCount',
      keyField: 'deviceId',
      count: 3,
      distinctCount: 3,
      threshold: 3,
      windowMs: 3_600_000,
      applicationIds: [A, linkedByDevice],
    },
  }),
  detectorAlert(B, 'velocity-national-id'),
  detectorAlert(C, 'ip-shared-customers', { mode: 'shadow', severity: 'medium' }),
];

async function call(
  path: string,
  token: string | null,
  init: { method?: string; body?: unknown; contentType?: string } = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const headers: Record<string, string> = {};
  if (token !== null) headers.authorization = `Bearer ${token}`;
  if (init.body !== undefined) headers['content-type'] = init.contentType ?? 'application/json';
  const res = await fetch(`${service.url}${path}`, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers,
    body:
      init.body === undefined
        ? undefined
        : typeof init.body === 'string'
          ? init.body
          : JSON.stringify(init.body),
  });
  return { status: res.status, body: (await res.json().catch(() => ({}))) as Record<string, unknown> };
}

async function count(sql: string, params: unknown[] = []): Promise<number> {
  return Number((await pool.query<{ n: string }>(sql, params)).rows[0]?.n);
}

async function caseOf(applicationId: string): Promise<number> {
  return count('SELECT case_id AS n FROM fraud_case WHERE application_id = $1', [applicationId]);
}

/** Everything an action could change, to prove a refused one changed nothing. */
async function snapshot(): Promise<string> {
  const q = await pool.query(
    `SELECT (SELECT json_agg(c ORDER BY case_id) FROM fraud_case c) AS cases,
            (SELECT count(*) FROM fraud_case_event) AS events,
            (SELECT count(*) FROM fact_alert_outcome) AS labels`,
  );
  return JSON.stringify(q.rows[0]);
}

beforeAll(async () => {
  db = await createTestDatabase('cases_api');
  pool = createPool(db.url);
  kafka = kafkaClient();
  topic = await createAlertsTopic(kafka, 'cases');
  ids = createCaseIdentities(uniqueName('cases'));
  await loadApplications(pool, [appA, appA2, appB]);
  service = await startCasesService(config(`t${randomUUID().slice(0, 6)}`), { log });
});

afterAll(async () => {
  await service?.close();
  await pool?.end();
  await db?.drop();
  ids?.cleanup();
});

describe('cases opened from the alert stream', () => {
  it('opens one case per application with live alerts, at the highest severity; shadow and invalid messages open none', async () => {
    await produce(kafka, topic, [...alerts, 'not json', JSON.stringify({ applicationId: 'x' })]);
    await waitFor('two cases with three alerts', async () =>
      (await count('SELECT count(*) AS n FROM fraud_case_alert')) === 3 ? true : undefined,
    );
    const cases = await pool.query<{ application_id: string; severity: string; status: string }>(
      'SELECT application_id, severity, status FROM fraud_case ORDER BY severity_rank DESC',
    );
    expect(cases.rows).toEqual([
      { application_id: A, severity: 'critical', status: 'open' },
      { application_id: B, severity: 'high', status: 'open' },
    ]);
    // The customer id the detector put in the alert is personal data: not stored.
    const dump = JSON.stringify((await pool.query('SELECT * FROM fraud_case_alert')).rows);
    expect(dump).not.toContain('C-PERSONAL-0001');
    expect(await count(`SELECT count(*) AS n FROM fraud_case_event WHERE action = 'opened'`)).toBe(2);
  });

  it('opens no second case when the whole stream is replayed (a new consumer group and the same alerts again)', async () => {
    const before = await snapshot();
    await produce(kafka, topic, alerts);
    const replay = await startCasesService(config(`replay${randomUUID().slice(0, 6)}`), { log });
    try {
      await waitFor('the replaying consumer to read everything', async () => {
        const text = await replay.metrics.registry.getSingleMetricAsString('cases_duplicate_alerts_total');
        const m = /cases_duplicate_alerts_total (\d+)/.exec(text);
        return m !== null && Number(m[1]) >= 6 ? true : undefined;
      });
    } finally {
      await replay.close();
    }
    // The first service saw the re-sent alerts too: give it a moment to be sure it wrote nothing.
    await waitFor('the first service to consume the re-sent alerts', async () => {
      const text = await service.metrics.registry.getSingleMetricAsString('cases_duplicate_alerts_total');
      const m = /cases_duplicate_alerts_total (\d+)/.exec(text);
      return m !== null && Number(m[1]) >= 3 ? true : undefined;
    });
    expect(await snapshot()).toBe(before);
  });
});

describe('authentication and authorisation (TokenReview, SubjectAccessReview)', () => {
  it('answers 401 without a token or with one the cluster does not accept', async () => {
    const none = await call('/v1/cases', null);
    expect(none.status).toBe(401);
    expect(none.body.detail).toMatch(/bearer token/);
    expect((await call('/v1/cases', 'not-a-real-token')).status).toBe(401);
  });

  it('answers 403 to an authenticated user without the verb, naming it', async () => {
    const res = await call('/v1/cases', ids.tokens.outsider);
    expect(res.status).toBe(403);
    expect(res.body.detail).toContain("'list'");
  });

  it('reports who the caller is and which verbs RBAC grants them', async () => {
    const analyst = await call('/v1/whoami', ids.tokens.analyst);
    expect(analyst.body).toMatchObject({
      username: ids.users.analyst,
      verbs: { get: true, list: true, update: true, resolve: true, assign: false },
    });
    const lead = await call('/v1/whoami', ids.tokens.lead);
    expect(lead.body).toMatchObject({ verbs: { assign: true } });
  });

  it('serves the page and the OpenAPI document without data, and no API data anonymously', async () => {
    const page = await fetch(`${service.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    const doc = (await (await fetch(`${service.url}/openapi.json`)).json()) as {
      paths: Record<string, unknown>;
    };
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/v1/cases', '/v1/cases/{caseId}', '/v1/cases/{caseId}/status']),
    );
    expect((await call(`/v1/cases/${await caseOf(A)}`, null)).status).toBe(401);
  });
});

describe('the queue and a case', () => {
  it('lists by severity then age, and filters by status, severity, rule and age', async () => {
    const all = await call('/v1/cases', ids.tokens.analyst);
    expect(all.status).toBe(200);
    const list = all.body.cases as Array<{ applicationId: string; rules: string[] }>;
    expect(list.map((c) => c.applicationId)).toEqual([A, B]);
    expect(list[0]?.rules).toEqual(['device-shared-customers', 'velocity-national-id']);
    const only = async (q: string) =>
      ((await call(`/v1/cases?${q}`, ids.tokens.analyst)).body.cases as Array<{ applicationId: string }>).map(
        (c) => c.applicationId,
      );
    expect(await only('severity=high')).toEqual([B]);
    expect(await only('rule=device-shared-customers')).toEqual([A]);
    expect(await only('status=investigating')).toEqual([]);
    expect(await only('olderThan=1d')).toEqual([]);
    expect(await only('newerThan=1h&status=open,investigating')).toEqual([A, B]);
    const bad = await call('/v1/cases?status=closed', ids.tokens.analyst);
    expect(bad.status).toBe(400);
    expect(bad.body.detail).toContain('unknown status closed');
  });

  it('shows evidence, pseudonymised facts and applications linked by device and national-ID hash', async () => {
    const res = await call(`/v1/cases/${await caseOf(A)}`, ids.tokens.analyst);
    expect(res.status).toBe(200);
    const c = res.body as unknown as CaseDetail;
    expect(c.alerts.map((a) => a.ruleId).sort()).toEqual(['device-shared-customers', 'velocity-national-id']);
    expect(c.facts?.nationalIdHash).toBe(appA.applicant.nationalIdHash);
    expect(c.linked).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          applicationId: linkedByDevice,
          via: 'deviceId',
          ruleId: 'device-shared-customers',
        }),
        expect.objectContaining({ applicationId: appA2.applicationId, via: 'nationalIdHash' }),
      ]),
    );
    const text = JSON.stringify(c);
    for (const personal of [
      appA.applicant.email,
      appA.applicant.lastName,
      appA.channel.deviceId,
      'C-PERSONAL-0001',
    ])
      expect(text).not.toContain(personal);
  });

  it('answers 404 for unknown and malformed case ids', async () => {
    expect((await call('/v1/cases/999999', ids.tokens.analyst)).status).toBe(404);
    expect((await call('/v1/cases/abc', ids.tokens.analyst)).status).toBe(404);
    expect((await call('/v1/cases/999999/notes', ids.tokens.analyst, { body: { text: 'x' } })).status).toBe(
      404,
    );
  });
});

describe('actions', () => {
  it('lets an analyst take a case but not give it to someone else; a lead can', async () => {
    const id = await caseOf(A);
    const take = await call(`/v1/cases/${id}/assignee`, ids.tokens.analyst, {
      body: { assignee: ids.users.analyst },
    });
    expect(take.status).toBe(200);
    expect(take.body.assignee).toBe(ids.users.analyst);
    const before = await snapshot();
    const give = await call(`/v1/cases/${id}/assignee`, ids.tokens.analyst, {
      body: { assignee: 'someone-else' },
    });
    expect(give.status).toBe(403);
    expect(give.body.detail).toContain("'assign'");
    expect(await snapshot()).toBe(before);
    const lead = await call(`/v1/cases/${await caseOf(B)}/assignee`, ids.tokens.lead, {
      body: { assignee: ids.users.analyst },
    });
    expect(lead.status).toBe(200);
  });

  it('refuses bad input with a clear 4xx and changes nothing', async () => {
    const id = await caseOf(A);
    const before = await snapshot();
    const cases: Array<[string, unknown, number, RegExp, string?]> = [
      ['notes', { text: '<script>alert(document.cookie)</script>' }, 400, /markup/],
      ['notes', { text: 'ok <img src=x onerror=alert(1)>' }, 400, /markup/],
      ['notes', { text: 'x'.repeat(2001) }, 400, /longer than 2000/],
      ['notes', { text: '' }, 400, /empty/],
      ['notes', { text: 'fine', extra: 1 }, 400, /unknown field/],
      ['notes', '{"text": ', 400, /not valid JSON/],
      ['notes', { text: 'fine' }, 415, /Content-Type/, 'text/plain'],
      ['status', { status: 'closed' }, 400, /status must be one of/],
      ['status', { status: 'open' }, 409, /from open to open/],
      ['assignee', { assignee: '<b>x</b>' }, 400, /may contain only/],
      ['assignee', {}, 400, /assignee is required/],
    ];
    for (const [path, body, status, detail, contentType] of cases) {
      const res = await call(`/v1/cases/${id}/${path}`, ids.tokens.analyst, {
        body,
        ...(contentType === undefined ? {} : { contentType }),
      });
      expect(res.status, `${path} ${JSON.stringify(body)}`).toBe(status);
      expect(String(res.body.detail)).toMatch(detail);
    }
    expect((await call(`/v1/cases/${id}`, ids.tokens.analyst, { method: 'DELETE' })).status).toBe(405);
    expect(await snapshot()).toBe(before);
  });

  it('moves a case to investigating, takes notes, and refuses going back', async () => {
    const id = await caseOf(A);
    expect(
      (await call(`/v1/cases/${id}/status`, ids.tokens.analyst, { body: { status: 'investigating' } }))
        .status,
    ).toBe(200);
    const note = await call(`/v1/cases/${id}/notes`, ids.tokens.analyst, {
      body: { text: 'Device seen on 3 customers; phoning the branch. 2 > 1 & "quotes" ok' },
    });
    expect(note.status).toBe(200);
    const before = await snapshot();
    const back = await call(`/v1/cases/${id}/status`, ids.tokens.analyst, { body: { status: 'open' } });
    expect(back.status).toBe(409);
    expect(back.body.detail).toContain('from investigating to open');
    expect(await snapshot()).toBe(before);
    // The outsider cannot write either, and learns nothing from the attempt.
    expect((await call(`/v1/cases/${id}/notes`, ids.tokens.outsider, { body: { text: 'hi' } })).status).toBe(
      403,
    );
    expect(
      (await call(`/v1/cases/${id}/status`, ids.tokens.outsider, { body: { status: 'legitimate' } })).status,
    ).toBe(403);
    expect(await snapshot()).toBe(before);
  });

  it('resolves with a verdict: final, labels every alert, and moves the rules’ precision', async () => {
    const a = await caseOf(A);
    const b = await caseOf(B);
    const fraud = await call(`/v1/cases/${a}/status`, ids.tokens.analyst, {
      body: { status: 'confirmed_fraud' },
    });
    expect(fraud.status).toBe(200);
    expect(fraud.body).toMatchObject({ status: 'confirmed_fraud', resolvedBy: ids.users.analyst });
    const labels = await pool.query(
      'SELECT rule_id, verdict, labelled_by FROM fact_alert_outcome ORDER BY rule_id',
    );
    expect(labels.rows).toEqual([
      { rule_id: 'device-shared-customers', verdict: 'confirmed_fraud', labelled_by: ids.users.analyst },
      { rule_id: 'velocity-national-id', verdict: 'confirmed_fraud', labelled_by: ids.users.analyst },
    ]);
    const precision = async (rule: string) =>
      (
        (await call('/v1/rules/precision', ids.tokens.analyst)).body.rules as Array<{
          ruleId: string;
          precision: number | null;
          resolved: number;
        }>
      ).find((x) => x.ruleId === rule);
    expect(await precision('velocity-national-id')).toMatchObject({ precision: 1, resolved: 1 });
    expect(
      (await call(`/v1/cases/${b}/status`, ids.tokens.analyst, { body: { status: 'legitimate' } })).status,
    ).toBe(200);
    expect(await precision('velocity-national-id')).toMatchObject({ precision: 0.5, resolved: 2 });

    const before = await snapshot();
    const again = await call(`/v1/cases/${a}/status`, ids.tokens.analyst, { body: { status: 'legitimate' } });
    expect(again.status).toBe(409);
    expect(again.body.detail).toContain('final');
    expect((await call(`/v1/cases/${a}/assignee`, ids.tokens.lead, { body: { assignee: 'x' } })).status).toBe(
      409,
    );
    expect(await snapshot()).toBe(before);

    // The same figures reach Prometheus.
    const metrics = await (await fetch(`http://127.0.0.1:${service.opsPort}/metrics`)).text();
    expect(metrics).toMatch(/cases_rule_precision\{rule="velocity-national-id",rule_version="1"\} 0\.5/);
  });

  it('labels an alert that arrives after the verdict with it (the verdict is about the application)', async () => {
    await produce(kafka, topic, [detectorAlert(A, 'synthetic-identity-dob', { severity: 'critical' })]);
    const label = await waitFor('the late alert to be labelled', async () => {
      const q = await pool.query<{ verdict: string }>(
        `SELECT verdict FROM fact_alert_outcome WHERE rule_id = 'synthetic-identity-dob'`,
      );
      return q.rows[0];
    });
    expect(label.verdict).toBe('confirmed_fraud');
  });

  it('keeps a full audit trail: who did what, when', async () => {
    const c = (await call(`/v1/cases/${await caseOf(A)}`, ids.tokens.analyst)).body as unknown as CaseDetail;
    expect(c.events.map((e) => [e.actor, e.action])).toEqual([
      ['system:alerts', 'opened'],
      ['system:alerts', 'alert_added'],
      ['system:alerts', 'alert_added'],
      [ids.users.analyst, 'assigned'],
      [ids.users.analyst, 'status_changed'],
      [ids.users.analyst, 'noted'],
      [ids.users.analyst, 'resolved'],
      ['system:alerts', 'alert_added'],
    ]);
    expect(c.events.find((e) => e.action === 'noted')?.detail.text).toContain('phoning the branch');
  });
});

describe('a late live alert on an approved application', () => {
  it('opens a review that shows the issued decision, and leaves the decision record as it was issued', async () => {
    const late = syntheticApplication(rng(171));
    await loadApplications(pool, [late]);
    const models = loadModelSet(BUILT_IN_CHAMPION, 'none');
    await registerModels(pool, models);
    const issuedAt = new Date(Date.now() - 60_000);
    const { record } = await issueDecision(pool, {
      applicationId: late.applicationId,
      decision: 'approve',
      scoreDecision: 'approve',
      policyRules: [],
      reasonCodes: [],
      fraudSeverity: null,
      approvedAmount: late.loan.amount,
      modelKey: models.champion.key,
      modelChecksum: models.champion.checksum,
      source: 'stream',
      runId: 'decision-service-0',
      issuedAt,
    });
    const records = async () =>
      JSON.stringify((await pool.query('SELECT * FROM decision_record ORDER BY record_id')).rows);
    const before = await records();

    // A window rule completes a minute after the approval.
    await produce(kafka, topic, [
      detectorAlert(late.applicationId, 'velocity-device', { severity: 'critical' }),
    ]);
    const caseId = await waitFor('the review case', async () => {
      const n = await count('SELECT case_id AS n FROM fraud_case WHERE application_id = $1', [
        late.applicationId,
      ]);
      return Number.isFinite(n) ? n : undefined;
    });
    const c = (await call(`/v1/cases/${caseId}`, ids.tokens.analyst)).body as unknown as CaseDetail;
    expect(c.decision).toEqual({
      issued: {
        recordId: Number(record.recordId),
        revision: 1,
        decision: 'approve',
        reasonCodes: [],
        modelKey: models.champion.key,
        source: 'stream',
        issuedAt: issuedAt.toISOString(),
        supersedeReason: null,
      },
      current: null,
      alertsAfterIssue: 1,
      reviewApproval: true,
    });
    // The audit trail names the decision the alert came after.
    expect(c.events.find((e) => e.action === 'alert_added')?.detail.issuedDecision).toEqual({
      recordId: Number(record.recordId),
      decision: 'approve',
    });
    // Resolving the case as fraud does not touch the record either.
    const resolved = await call(`/v1/cases/${caseId}/status`, ids.tokens.analyst, {
      body: { status: 'confirmed_fraud' },
    });
    expect(resolved.status).toBe(200);
    expect(await records()).toBe(before);
  });
});
