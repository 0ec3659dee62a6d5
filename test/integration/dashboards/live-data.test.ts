/**
 * The dashboards and alert rules against live data: the platform's real programs run as child
 * processes against the harness's Kafka, PostgreSQL, Mongo-wire server and Kubernetes control plane,
 * the harness's Prometheus scrapes them (file SD, labelled as prometheus-operator would), and then
 *
 * - every PromQL expression of every dashboard panel and alert rule parses (Prometheus evaluates it),
 * - every dashboard expression returns data for this test's namespace (a panel with no data fails),
 * - every SQL panel query runs against the warehouse the programs filled and returns rows,
 * - faults make the matching alert go pending or firing in Prometheus's /api/v1/alerts, with the rules
 *   file loaded into the harness's Prometheus.
 *
 * Everything this file creates is named after one random id: topics, database, consumer groups,
 * Kubernetes namespace, scrape targets (namespace label) and the rules file.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CreditPipeline } from '../../../api/v1alpha1.ts';
import { type AlertRuleOptions, alertRuleGroups } from '../../../dashboards/alerts/rules.ts';
import { rulesFile } from '../../../dashboards/alerts/rules-file.ts';
import { buildDashboards } from '../../../dashboards/index.ts';
import {
  alertExpressions,
  expandPromMacros,
  expandSqlMacros,
  promQueries,
  sqlQueries,
} from '../../../dashboards/inspect.ts';
import * as names from '../../../dashboards/metric-names.ts';
import { docRelationships, docTables } from '../../../dashboards/powerbi/model-doc.ts';
import { repoRoot } from '../../../infra/lib/paths.ts';
import { freePort, sleep, waitUntil } from '../../../infra/lib/process.ts';
import { addRuleFile, removeRuleFile } from '../../../infra/lib/prometheus-targets.ts';
import { requireInfra } from '../../../infra/lib/state.ts';
import { createNamespace, kubectl, kubectlOk, waitCrdsEstablished } from '../operator/support.ts';
import { createTopics, deleteTopics, produce, testKafka, withAdmin } from '../support/kafka.ts';
import { createTestDatabase, type TestDatabase } from '../warehouse/support.ts';
import {
  activeAlerts,
  isEmpty,
  query,
  queryRange,
  rulesOfFile,
  runToCompletion,
  scrape,
  startWorkload,
  type Workload,
  waitHttpOk,
} from './support.ts';

// ---------------------------------------------------------------------------------------------
// Which programs this test runs. A dashboard expression is checked for data when every metric it
// names comes from a program that runs here; the list of programs not run is declared, so a
// missing program is a visible, deliberate gap and not a silently skipped panel.

type Program = 'ingestion-api' | 'fraud-detector' | 'warehouse-loader' | 'operator' | 'cases';

/** Programs whose code is not in the repository yet (none: every program runs). */
const NOT_RUN: readonly Program[] = [];

const PRODUCERS: ReadonlyArray<readonly [Program, readonly string[]]> = [
  ['ingestion-api', Object.values(names.ingestion)],
  ['fraud-detector', Object.values(names.detector)],
  ['warehouse-loader', [...Object.values(names.loader), ...Object.values(names.scoring)]],
  ['operator', Object.values(names.operator)],
];

function producersOf(expr: string): Program[] {
  return PRODUCERS.filter(([, metrics]) => metrics.some((m) => expr.includes(m))).map(([p]) => p);
}

// ---------------------------------------------------------------------------------------------

const id = randomBytes(4).toString('hex');
const namespace = `dash-live-${id}`;
const pipeline = 'demo';
const topics = {
  applications: `dash_${id}_credit_apps`,
  alerts: `dash_${id}_fraud_alerts`,
  dlq: `dash_${id}_credit_apps_dlq`,
  // Its own, never the default `credit_verdicts`: that name belongs to the demo's pipeline on the
  // same broker, which needs it with as many partitions as its applications topic.
  verdicts: `dash_${id}_credit_verdicts`,
};
const rulesName = `dashboards-live-${id}`;
const mongoDatabase = `dash_live_${id}`;
/** Rate window substituted for `$__rate_interval` (the harness scrapes every 2 s). */
const RATE_WINDOW = '30s';
/** The Credit risk dashboard's default time range (now-30d). */
const SQL_LOOKBACK = '30 days';
const APPLICATIONS = 600;
/** Loan outcomes the generator writes for the accepted applications (the validation panels' data). */
const outcomesFile = join(tmpdir(), `dash-live-${id}-outcomes.csv`);

const kafka = testKafka(`dash-live-${id}`);
const prometheus = requireInfra('prometheus');
const dashboards = buildDashboards();
const workloads = new Map<string, Workload>();
const unscrape: Array<() => void> = [];
let db: TestDatabase;

/** The rules as this test loads them: scoped to its namespace, with `for` periods a test can wait out. */
const ruleOptions: AlertRuleOptions = {
  matchers: { namespace },
  operatorMatchers: { namespace },
  evaluationInterval: '2s',
  detectorDownFor: '4s',
};

async function startScraped(
  component: Program,
  subcommand: string,
  env: Record<string, string>,
): Promise<Workload> {
  const port = await freePort();
  const portEnv: Record<string, string> =
    component === 'operator' ? { METRICS_PORT: String(port), METRICS_HOST: '127.0.0.1' } : {};
  const w = startWorkload(`dash-live-${id}-${component}`, subcommand, {
    OPS_PORT: String(port),
    OPS_HOST: '127.0.0.1',
    ...portEnv,
    ...env,
  });
  workloads.set(component, w);
  await waitHttpOk(`${component} /metrics`, port, '/metrics');
  unscrape.push(scrape(`dash-live-${id}-${component}`, port, { pipeline, component, namespace }));
  return w;
}

async function createOurTopics(): Promise<void> {
  await createTopics(
    kafka,
    Object.values(topics).map((topic) => ({ topic, numPartitions: 3 })),
  );
}

/**
 * Messages a producer bypassing the API might write: not JSON, or JSON outside the contract. The
 * detector dead-letters them (Dead-letter rate panel, DeadLetterSpike alert).
 */
async function produceOffContract(n: number): Promise<void> {
  const messages = Array.from({ length: n }, (_, i) => ({
    key: `off-contract-${i}`,
    value: i % 2 === 0 ? `not json ${i}` : JSON.stringify({ applicationId: `x-${i}`, schemaVersion: 'v0' }),
  }));
  await produce(kafka, topics.applications, messages, n);
}

/** Submissions the API must reject (400): a missing field and a wrong type. */
async function postInvalidSubmissions(apiPort: number, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const res = await fetch(`http://127.0.0.1:${apiPort}/v1/applications`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ applicationId: randomUUID(), loan: { amount: 'lots' } }),
    });
    expect(res.status).toBe(400);
  }
}

async function count(sql: string): Promise<number> {
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    return Number((await client.query<{ n: string }>(sql)).rows[0]?.n ?? 0);
  } finally {
    await client.end();
  }
}

/** A CreditPipeline whose reconciles fail: a ResourceQuota forbids the Secrets the operator generates. */
function startFailingPipeline(): void {
  kubectlOk(['apply', '--server-side', '--force-conflicts', '-f', join(repoRoot, 'crds')]);
  waitCrdsEstablished(['creditpipelines.creditplatform.dev']);
  createNamespace(namespace);
  kubectlOk(
    ['apply', '--server-side', '-f', '-'],
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'ResourceQuota',
      metadata: { name: 'no-secrets', namespace },
      spec: { hard: { secrets: '0' } },
    }),
  );
  // The smallest valid pipeline: everything else takes the CRD's defaults.
  const cp = {
    apiVersion: 'creditplatform.dev/v1alpha1',
    kind: 'CreditPipeline',
    metadata: { name: pipeline, namespace },
    spec: { kafka: { strimziCluster: 'credit-kafka' } },
  } satisfies Pick<CreditPipeline, 'apiVersion' | 'kind' | 'metadata'> & { spec: object };
  kubectlOk(['apply', '--server-side', '-f', '-'], JSON.stringify(cp));
}

beforeAll(async () => {
  db = await createTestDatabase('dash_live', false);
  await runToCompletion(`dash-live-${id}-migrate`, 'migrate', { DATABASE_URL: db.url });
  await createOurTopics();

  const brokers = requireInfra('kafka').bootstrapServers;
  const kafkaEnv = {
    KAFKA_BROKERS: brokers,
    APPLICATIONS_TOPIC: topics.applications,
    ALERTS_TOPIC: topics.alerts,
    DLQ_TOPIC: topics.dlq,
    VERDICTS_TOPIC: topics.verdicts,
    KAFKA_GROUP_PREFIX: `dash-live-${id}-`,
  };
  await startScraped('warehouse-loader', 'warehouse-loader', { DATABASE_URL: db.url, ...kafkaEnv });
  await startScraped('fraud-detector', 'fraud-detector', {
    ...kafkaEnv,
    MONGO_URL: `${requireInfra('mongo').url.replace(/\/$/, '')}/${mongoDatabase}`,
  });
  const apiPort = await freePort();
  await startScraped('ingestion-api', 'ingestion-api', {
    ...kafkaEnv,
    HTTP_PORT: String(apiPort),
    HTTP_HOST: '127.0.0.1',
    PSEUDONYMIZATION_KEY: randomBytes(24).toString('hex'),
  });
  await waitHttpOk('ingestion-api /readyz', apiPort, '/readyz');

  startFailingPipeline();
  // The case queue: opens cases from the detector's alerts (precision and case panels).
  await startScraped('cases', 'cases', {
    DATABASE_URL: db.url,
    ...kafkaEnv,
    KUBECONFIG: requireInfra('kube').kubeconfig,
    CASES_NAMESPACE: namespace,
    HTTP_PORT: String(await freePort()),
    HTTP_HOST: '127.0.0.1',
  });
  await startScraped('operator', 'operator', {
    KUBECONFIG: requireInfra('kube').kubeconfig,
    WATCH_NAMESPACES: namespace,
    LEADER_ELECTION: 'false',
    READINESS_MODE: 'applied',
    WORKERS: '1',
    RETRY_BASE_DELAY_MS: '200',
    RETRY_MAX_DELAY_MS: '2000',
  });

  // Generator traffic through the API (with its labelled fraud scenarios), a few submissions the API
  // rejects, and a few off-contract messages (under 1%, below the DeadLetterSpike threshold).
  await runToCompletion(`dash-live-${id}-generator`, 'generator', {}, [
    '--seed',
    '7',
    '--count',
    String(APPLICATIONS),
    '--rate',
    '40',
    '--target',
    'api',
    '--url',
    `http://127.0.0.1:${apiPort}`,
    '--outcomes',
    outcomesFile,
    '--quiet',
  ]);
  await postInvalidSubmissions(apiPort, 5);
  await produceOffContract(3);
  await waitUntil(
    `${APPLICATIONS} applications in the warehouse`,
    async () => (await count('SELECT count(*) AS n FROM fact_application')) >= APPLICATIONS,
    { timeoutMs: 120_000, intervalMs: 1000 },
  );
  await waitUntil(
    'cases opened from the live alerts',
    async () => (await count('SELECT count(*) AS n FROM fraud_case_alert')) > 0,
    { timeoutMs: 60_000, intervalMs: 1000 },
  );
  await runToCompletion(`dash-live-${id}-risk-scorer`, 'risk-scorer', {
    DATABASE_URL: db.url,
    OPS_PORT: '-1',
  });
  // The generator's loan outcomes, loaded as an operator would (validation panels).
  await runToCompletion(`dash-live-${id}-load-outcomes`, 'load-outcomes', { DATABASE_URL: db.url }, [
    '--file',
    outcomesFile,
  ]);

  await addRuleFile(rulesName, rulesFile(ruleOptions), prometheus);
  // Rate windows need a few scrapes after the traffic.
  await sleep(12_000);
}, 600_000);

afterAll(async () => {
  for (const undo of unscrape) undo();
  await removeRuleFile(rulesName, prometheus).catch(() => undefined);
  await Promise.all([...workloads.values()].map((w) => w.stop()));
  kubectl(['delete', 'namespace', namespace, '--wait=false']);
  // Ours, and the detector's internal topics (named after the group prefix).
  const mine = (await withAdmin(kafka, (admin) => admin.listTopics()).catch(() => [])).filter(
    (t) => Object.values(topics).includes(t) || t.startsWith(`dash-live-${id}-`),
  );
  await deleteTopics(kafka, mine);
  await db?.drop();
  const mongo = new MongoClient(requireInfra('mongo').url);
  await mongo.connect();
  await mongo
    .db(mongoDatabase)
    .dropDatabase()
    .catch(() => undefined);
  await mongo.close();
}, 120_000);

const promPanels = promQueries(dashboards);
const alertExprs = alertExpressions(alertRuleGroups(ruleOptions));

describe('PromQL of every dashboard panel and alert rule', () => {
  it.each(promPanels.map((q) => [`${q.dashboard} / ${q.panel} ${q.refId}`, q] as const))(
    '%s parses',
    async (_name, q) => {
      await expect(query(expandPromMacros(q.query, RATE_WINDOW, namespace))).resolves.toBeDefined();
    },
  );

  it.each(alertExprs.map((a) => [`${a.group} / ${a.alert}`, a] as const))('%s parses', async (_name, a) => {
    await expect(query(a.expr)).resolves.toBeDefined();
  });

  it('loaded into Prometheus, every rule evaluates without error', async () => {
    const file = join(prometheus.rulesDir, `${rulesName}.yml`);
    const rules = await rulesOfFile(file, prometheus);
    expect(rules.length).toBe(alertExprs.length);
    for (const r of rules) expect(r.lastError ?? '', r.name).toBe('');
  });
});

describe('every dashboard expression returns data from the running programs', () => {
  const checked = promPanels.filter((q) => producersOf(q.query).every((p) => !NOT_RUN.includes(p)));
  const left = promPanels.filter((q) => !checked.includes(q));

  it('leaves out only panels of the programs declared as not run', () => {
    for (const q of left)
      expect(
        producersOf(q.query).some((p) => NOT_RUN.includes(p)),
        q.panel,
      ).toBe(true);
  });

  it.each(checked.map((q) => [`${q.dashboard} / ${q.panel} ${q.refId}`, q] as const))(
    '%s is not empty',
    async (_name, q) => {
      const expr = expandPromMacros(q.query, RATE_WINDOW, namespace);
      // Grafana asks time-series panels for a range and stat/table panels for an instant.
      const run = () => (q.instant ? query(expr) : queryRange(expr, 120, 2));
      await waitUntil(`data for ${expr}`, async () => !isEmpty(await run()), {
        timeoutMs: 60_000,
        intervalMs: 2000,
      });
      expect(isEmpty(await run())).toBe(false);
    },
  );
});

describe('every SQL panel query returns rows from the warehouse', () => {
  it.each(sqlQueries(dashboards).map((q) => [`${q.dashboard} / ${q.panel} ${q.refId}`, q] as const))(
    '%s',
    async (_name, q) => {
      const client = new pg.Client({ connectionString: db.url });
      await client.connect();
      try {
        const result = await client.query(expandSqlMacros(q.query, SQL_LOOKBACK));
        expect(result.rowCount).toBeGreaterThan(0);
        if (!q.instant) expect(result.fields.map((f) => f.name)).toContain('time');
      } finally {
        await client.end();
      }
    },
  );
});

describe('the Power BI model of docs/powerbi.md matches the warehouse', () => {
  const doc = readFileSync(join(repoRoot, 'docs', 'powerbi.md'), 'utf8');

  it('imports only tables and columns that exist', async () => {
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      for (const t of docTables(doc)) {
        const cols = await client.query<{ column_name: string }>(
          'SELECT column_name FROM information_schema.columns WHERE table_name = $1',
          [t.source],
        );
        const have = new Set(cols.rows.map((r) => r.column_name));
        expect(have.size, t.source).toBeGreaterThan(0);
        for (const c of t.columns) expect(have.has(c), `${t.source}.${c}`).toBe(true);
      }
    } finally {
      await client.end();
    }
  });

  it("relates on keys that are unique on the 'one' side in the loaded data", async () => {
    const sources = new Map(docTables(doc).map((t) => [t.name, t.source]));
    for (const { to } of docRelationships(doc)) {
      const table = sources.get(to.table)!;
      const dupes = await count(
        `SELECT count(*) AS n FROM (SELECT ${to.column} FROM ${table} GROUP BY 1 HAVING count(*) > 1) d`,
      );
      expect(dupes, `${to.table}[${to.column}]`).toBe(0);
    }
  });
});

describe('faults make the matching alert go pending or firing', () => {
  /** The single value of an instant query; fails unless it is a positive number. */
  const liveValue = async (expr: string): Promise<number> => {
    const r = await query(expr);
    const value = Number(((r.result[0] as { value: [number, string] } | undefined)?.value ?? [0, 'NaN'])[1]);
    expect(value, expr).toBeGreaterThan(0);
    return value;
  };

  /**
   * Loads the rules once more with a threshold lowered below the live value (and a `fault` label to
   * tell these alerts apart), and waits for the alert to reach one of `states`.
   */
  const expectActiveWithRules = async (
    alert: string,
    fault: string,
    thresholds: AlertRuleOptions,
    states: ReadonlyArray<'pending' | 'firing'>,
  ): Promise<void> => {
    const name = `${rulesName}-${fault}`;
    await addRuleFile(name, rulesFile({ ...ruleOptions, ...thresholds, labels: { fault } }), prometheus);
    try {
      await waitUntil(
        `${alert} ${states.join(' or ')}`,
        async () =>
          (await activeAlerts(prometheus)).some(
            (a) => a.labels.alertname === alert && a.labels.fault === fault && states.includes(a.state),
          ),
        { timeoutMs: 30_000, intervalMs: 1000 },
      );
    } finally {
      await removeRuleFile(name, prometheus);
    }
  };

  const alertOf = async (name: string): Promise<string | undefined> =>
    (await activeAlerts(prometheus)).find(
      (a) => a.labels.alertname === name && a.labels.namespace === namespace,
    )?.state;

  it('a producer writing off-contract events → DeadLetterSpike pending', async () => {
    expect(await alertOf('DeadLetterSpike')).toBeUndefined();
    await produceOffContract(300);
    await waitUntil('DeadLetterSpike pending', async () => (await alertOf('DeadLetterSpike')) !== undefined, {
      timeoutMs: 60_000,
      intervalMs: 1000,
    });
    expect(['pending', 'firing']).toContain(await alertOf('DeadLetterSpike'));
  });

  it('the live end-to-end p99 over a (lowered) objective → EndToEndLatencyP99High pending', async () => {
    const bucket = `${names.detector.e2eLatency}_bucket{namespace="${namespace}"}`;
    const p99 = await liveValue(`histogram_quantile(0.99, sum by (le) (rate(${bucket}[5m])))`);
    await expectActiveWithRules('EndToEndLatencyP99High', 'latency', { e2eLatencyP99Seconds: p99 / 2 }, [
      'pending',
      'firing',
    ]);
  });

  it('the fraud detector stopped → FraudDetectorDown firing', async () => {
    expect(await alertOf('FraudDetectorDown')).toBeUndefined();
    await workloads.get('fraud-detector')!.stop();
    await waitUntil(
      'FraudDetectorDown firing',
      async () => (await alertOf('FraudDetectorDown')) === 'firing',
      {
        timeoutMs: 60_000,
        intervalMs: 1000,
      },
    );
  });

  it('a CreditPipeline the operator cannot reconcile → OperatorReconcileErrors', async () => {
    await waitUntil(
      'OperatorReconcileErrors pending',
      async () => (await alertOf('OperatorReconcileErrors')) !== undefined,
      {
        timeoutMs: 60_000,
        intervalMs: 1000,
      },
    );
    expect(['pending', 'firing']).toContain(await alertOf('OperatorReconcileErrors'));
  });

  it('the live PSI above a (lowered) threshold → ScorecardPopulationShift firing', async () => {
    const psi = await liveValue(`max(${names.scoring.lastRunPsi}{namespace="${namespace}"})`);
    await expectActiveWithRules('ScorecardPopulationShift', 'psi', { psiThreshold: psi / 2 }, ['firing']);
  });

  it('the warehouse loader stopped → RiskScoringRunMissing (no successful run reported) pending', async () => {
    expect(await alertOf('RiskScoringRunMissing')).toBeUndefined();
    await workloads.get('warehouse-loader')!.stop();
    await waitUntil(
      'RiskScoringRunMissing pending',
      async () => (await alertOf('RiskScoringRunMissing')) !== undefined,
      {
        timeoutMs: 60_000,
        intervalMs: 1000,
      },
    );
    expect(['pending', 'firing']).toContain(await alertOf('RiskScoringRunMissing'));
  });
});
