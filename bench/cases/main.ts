/**
 * Cases benchmark on the harness's PostgreSQL.
 *
 * 1. Cases opened per second: BENCH_CASES alerts (default 100 000, one application each, plus a second
 *    rule on every tenth) through `openCasesFromAlerts` in batches of BENCH_BATCH (500, what one
 *    Kafka batch of the opener carries), each batch one transaction with its audit events. Ceiling in
 *    the same run: the same rows by one set-based INSERT … ON CONFLICT DO NOTHING into a bare copy of
 *    fraud_case (no evidence, no audit, no severity update).
 * 2. The queue with that many cases: p50/p99 of the first page (GET /v1/cases?status=open,investigating,
 *    limit 50, total count included) through the service's HTTP API, of the store's `listCases` alone,
 *    and of a plain SQL ceiling (the same ORDER BY … LIMIT 50 on fraud_case without rules or counts);
 *    plus a filtered page (one rule, severity high).
 * Writes bench/results/cases.md.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../infra/lib/paths.ts';
import { createLogger } from '../../lib/log.ts';
import { createTestDatabase } from '../../test/integration/warehouse/support.ts';
import type { Authenticator } from '../../workloads/cases/auth.ts';
import { startCasesService } from '../../workloads/cases/server.ts';
import { listCases, openCasesFromAlerts } from '../../workloads/cases/store.ts';
import { createPool, type Pool } from '../../workloads/warehouse/db.ts';
import type { AlertRow } from '../../workloads/warehouse-loader/rows.ts';

const CASES = Number(process.env.BENCH_CASES ?? 100_000);
const BATCH = Number(process.env.BENCH_BATCH ?? 500);
const QUERIES = Number(process.env.BENCH_QUERIES ?? 200);
const RULES = [
  ['synthetic-identity-dob', 'critical'],
  ['device-shared-customers', 'high'],
  ['velocity-national-id', 'high'],
  ['known-bad-email', 'medium'],
  ['ip-shared-customers', 'low'],
] as const;

function alertsFor(start: number, n: number): AlertRow[] {
  const out: AlertRow[] = [];
  const now = new Date().toISOString();
  for (let i = start; i < start + n; i++) {
    const app = randomUUID();
    const rules = i % 10 === 0 ? [RULES[i % 5]!, RULES[(i + 1) % 5]!] : [RULES[i % 5]!];
    for (const [rule, severity] of rules)
      out.push({
        alertId: `${app}:${rule}:1`,
        applicationId: app,
        ruleId: rule,
        ruleVersion: '1',
        severity,
        reasonCode: rule.toUpperCase(),
        mode: 'live',
        eventTime: now,
        detectedAt: now,
        dateKey: 20260101,
        evidence: {
          kind: 'velocity',
          keyField: 'nationalIdHash',
          count: 3,
          threshold: 3,
          applicationIds: [app],
        },
        source: { topic: 'bench', partition: 0, offset: String(i) },
      });
  }
  return out;
}

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] as number;
}

async function timed(n: number, fn: () => Promise<unknown>): Promise<{ p50: number; p99: number }> {
  for (let i = 0; i < 10; i++) await fn();
  const ms: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn();
    ms.push(performance.now() - t);
  }
  return { p50: percentile(ms, 50), p99: percentile(ms, 99) };
}

async function ceilingInsert(pool: Pool, batches: AlertRow[][]): Promise<number> {
  await pool.query(
    'CREATE TABLE bench_case (application_id uuid PRIMARY KEY, severity text, opened_at timestamptz DEFAULT now())',
  );
  const t0 = performance.now();
  for (const b of batches)
    await pool.query(
      `INSERT INTO bench_case (application_id, severity)
       SELECT DISTINCT ON (application_id) application_id, severity
       FROM jsonb_to_recordset($1::jsonb) AS x(application_id uuid, severity text)
       ON CONFLICT DO NOTHING`,
      [JSON.stringify(b.map((a) => ({ application_id: a.applicationId, severity: a.severity })))],
    );
  return performance.now() - t0;
}

async function main(): Promise<void> {
  const db = await createTestDatabase('bench_cases');
  const pool = createPool(db.url, 8);
  try {
    const batches: AlertRow[][] = [];
    for (let start = 0; start < CASES; start += BATCH)
      batches.push(alertsFor(start, Math.min(BATCH, CASES - start)));
    const alerts = batches.reduce((n, b) => n + b.length, 0);

    const t0 = performance.now();
    let opened = 0;
    for (const b of batches) opened += (await openCasesFromAlerts(pool, b)).opened;
    const openMs = performance.now() - t0;
    const t1 = performance.now();
    for (const b of batches.slice(0, 20)) await openCasesFromAlerts(pool, b);
    const replayMs = performance.now() - t1;
    const ceilingMs = await ceilingInsert(pool, batches);
    await pool.query('VACUUM ANALYZE fraud_case, fraud_case_alert, fraud_case_event');
    // A realistic queue: most cases resolved, the rest open or being investigated.
    await pool.query(
      `UPDATE fraud_case SET status = CASE WHEN case_id % 10 < 8 THEN 'legitimate' ELSE status END,
              resolved_at = CASE WHEN case_id % 10 < 8 THEN now() END, resolved_by = 'bench'
       WHERE case_id % 10 < 8`,
    );
    await pool.query(`UPDATE fraud_case SET status = 'investigating' WHERE case_id % 10 = 8`);
    await pool.query('VACUUM ANALYZE fraud_case');

    const auth: Authenticator = {
      authenticate: async () => ({ username: 'bench', uid: 'bench', groups: [], extra: {} }),
      authorize: async () => true,
    };
    const service = await startCasesService(
      {
        databaseUrl: db.url,
        kafkaBrokers: 'unused:9092',
        kafkaTls: false,
        applicationsTopic: 'a',
        deadLetterTopic: 'b',
        alertsTopic: 'c',
        groupPrefix: '',
        namespace: 'bench',
        authCacheTtlMs: 0,
        openCases: false,
        httpPort: 0,
        httpHost: '127.0.0.1',
        opsPort: 0,
        opsHost: '127.0.0.1',
      },
      { auth, log: createLogger('bench-cases') },
    );
    const get = (q: string) =>
      fetch(`${service.url}/v1/cases?${q}`, { headers: { authorization: 'Bearer x' } }).then((r) => {
        if (r.status !== 200) throw new Error(`HTTP ${r.status}`);
        return r.json();
      });
    const queueHttp = await timed(QUERIES, () => get('status=open,investigating&limit=50'));
    const filteredHttp = await timed(QUERIES, () =>
      get('status=open,investigating&severity=high&rule=velocity-national-id&limit=50'),
    );
    const queueStore = await timed(QUERIES, () =>
      listCases(pool, { statuses: ['open', 'investigating'], limit: 50, offset: 0 }),
    );
    const ceiling = await timed(QUERIES, () =>
      pool.query(
        `SELECT case_id, application_id, status, severity, assignee, opened_at FROM fraud_case
         WHERE status = ANY($1::text[]) ORDER BY severity_rank DESC, opened_at, case_id LIMIT 50`,
        [['open', 'investigating']],
      ),
    );
    await service.close();

    const f = (x: number) => x.toFixed(1);
    const rate = (n: number, ms: number) => Math.round((n / ms) * 1000).toLocaleString('en');
    const md = `# Cases benchmark

${new Date().toISOString()} · harness PostgreSQL on loopback · ${CASES.toLocaleString('en')} cases (${alerts.toLocaleString('en')} live alerts), batches of ${BATCH}

## Opening cases from the alert stream

| path | time | cases/s |
| --- | ---: | ---: |
| openCasesFromAlerts (case + evidence + audit + severity, one transaction per batch) | ${f(openMs / 1000)} s | ${rate(opened, openMs)} |
| replay of 20 batches (everything already there: nothing written) | ${f(replayMs / 1000)} s | ${rate(20 * BATCH, replayMs)} |
| ceiling: bare INSERT … ON CONFLICT DO NOTHING of the case rows only | ${f(ceilingMs / 1000)} s | ${rate(CASES, ceilingMs)} |

## The queue with ${CASES.toLocaleString('en')} cases (20 % unresolved), first page of 50, ${QUERIES} queries each

| query | p50 ms | p99 ms |
| --- | ---: | ---: |
| GET /v1/cases?status=open,investigating (HTTP, JSON, total count) | ${f(queueHttp.p50)} | ${f(queueHttp.p99)} |
| GET … &severity=high&rule=velocity-national-id | ${f(filteredHttp.p50)} | ${f(filteredHttp.p99)} |
| listCases (store only: page + rules + alert counts + total) | ${f(queueStore.p50)} | ${f(queueStore.p99)} |
| ceiling: plain ORDER BY severity_rank DESC, opened_at LIMIT 50 | ${f(ceiling.p50)} | ${f(ceiling.p99)} |
`;
    mkdirSync(join(repoRoot, 'bench', 'results'), { recursive: true });
    writeFileSync(join(repoRoot, 'bench', 'results', 'cases.md'), md);
    process.stdout.write(md);
  } finally {
    await pool.end();
    await db.drop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
