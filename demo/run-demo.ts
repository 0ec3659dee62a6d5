/**
 * The demo path, end to end on this machine: chart → operator → CreditPipeline → every workload a
 * pod on the harness node (containerd, kubelet) exactly as rendered → generator traffic → alerts,
 * scores and decisions → summary, with the checks a platform team makes on real pods
 * (demo/node-checks.ts). `make demo` runs it with the defaults; the e2e test runs a smaller one and
 * asserts on the numbers.
 */

import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { MongoClient } from 'mongodb';
import pg from 'pg';
import { parse as parseYaml } from 'yaml';
import { ALERTS_COLLECTION } from '../api/alert.ts';
import { ENV } from '../api/env.ts';
import { childNames, consumerGroupPrefix } from '../api/names.ts';
import { DEFAULT_TOPICS } from '../api/topics.ts';
import { repoRoot, stateDir } from '../infra/lib/paths.ts';
import { requireInfra } from '../infra/lib/state.ts';
import { nodeNamespace } from '../infra/node/cluster-access.ts';
import { NODE_IP } from '../infra/node/config.ts';
import { buildImage, ensureImages, imageSourceLabel } from '../infra/node/images.ts';
import { pipelineOnNode } from '../infra/node/pipeline.ts';
import { generate } from '../workloads/generator/main.ts';
import { DEFAULT_OUTCOME_OPTIONS } from '../workloads/generator/outcomes.ts';
import { bytesMessage, createProducer } from '../workloads/shared/kafka-client.ts';
import {
  helm,
  kubectl,
  kubectlJson,
  localAddress,
  requireNode,
  serviceEndpoints,
  waitForCondition,
  workloadEnv,
} from './cluster.ts';
import { streamDecisions } from './decision-latency.ts';
import { detectionQuality } from './detection-quality.ts';
import {
  type FraudOpsSetup,
  fraudOpsHelmValues,
  prepareFraudOps,
  receiverKeyFromPipeline,
  runFraudOpsLoop,
} from './fraud-ops.ts';
import {
  committedOffsets,
  deleteGroupsOnceEmpty,
  firstHeader,
  groupIds,
  readWholeTopic,
  topicEnds,
  withDemoAdmin,
} from './kafka.ts';
import {
  checkExecIdentity,
  checkPodsOnNode,
  checkRestarted,
  checkShimParents,
  killContainerProcess,
} from './node-checks.ts';
import type { Count, DemoSummary } from './summary.ts';
import { DEMO_OUTCOMES_FILE, validateOnOutcomes, validationChecks } from './validation-report.ts';

export interface DemoOptions {
  /** Applications to generate. */
  count: number;
  /** Applications per second sent to the ingestion API. */
  rate: number;
  seed: number;
  /** The CreditPipeline manifest. */
  pipelineFile: string;
  /** Malformed records produced straight to the applications topic, to show the dead-letter path. */
  poisonMessages: number;
  /** Invalid applications posted to the API, to show 400s that lose nothing. */
  invalidPosts: number;
  /** Minimum recall per targeted scenario for the run to count as working. */
  minRecall: number;
  progress: (step: string, detail?: string) => void;
}

export const DEFAULT_DEMO: Omit<DemoOptions, 'progress'> = {
  count: 20_000,
  rate: 400,
  seed: 42,
  pipelineFile: join(repoRoot, 'examples', 'creditpipeline.yaml'),
  poisonMessages: 5,
  invalidPosts: 10,
  minRecall: 0.9,
};

export const OPERATOR_NAMESPACE = 'credit-system';
const RELEASE = 'credit-platform';
/** Applications per POST of the generated traffic (the ingestion API's batch endpoint). */
const TRAFFIC_BATCH = 200;

export interface PipelineDoc {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  spec?: { topics?: Partial<Record<keyof typeof DEFAULT_TOPICS, string>> };
}

export function readManifests(file: string): PipelineDoc[] {
  return readFileSync(file, 'utf8')
    .split(/^---$/m)
    .map((d) => parseYaml(d) as PipelineDoc | null)
    .filter((d): d is PipelineDoc => d !== null && typeof d === 'object');
}

/** Runs the demo; returns the summary (its `checks` say whether the pipeline really worked). */
export async function runDemo(opts: DemoOptions): Promise<DemoSummary> {
  const t0 = Date.now();
  const say = opts.progress;
  requireNode();
  say('node', 'workloads run as pods on the harness node; building (if changed) and importing the images');
  const images = ensureImages(['platform', 'postgres', 'ferretdb']);
  // Direct topic management on the harness broker (Strimzi's operators are not obtainable here), the
  // managed stores from the images built here.
  const docs = readManifests(opts.pipelineFile).map((d) =>
    pipelineOnNode(d, { postgres: images.postgres ?? '', ferretdb: images.ferretdb ?? '' }),
  );
  const pipeline = docs.find((d) => d.kind === 'CreditPipeline');
  if (pipeline === undefined) throw new Error(`${opts.pipelineFile} has no CreditPipeline`);
  const ns = pipeline.metadata.namespace ?? 'default';
  const names = childNames(pipeline.metadata.name);

  say(
    'control plane',
    "installing the Strimzi and prometheus-operator CRDs, and this checkout's CreditPipeline CRD",
  );
  // The chart's own CRD too: Helm installs crds/ on first install only and never upgrades it, so a
  // harness that ran an older checkout would keep the older schema (the chart README's upgrade step).
  for (const crdDir of [
    join(repoRoot, 'test', 'fixtures', 'crds'),
    join(repoRoot, 'charts', 'credit-platform', 'crds'),
  ]) {
    for (const f of readdirSync(crdDir).filter((f) => f.endsWith('.yaml'))) {
      kubectl(['apply', '--server-side', '--force-conflicts', '-f', join(crdDir, f)]);
    }
  }

  await resetPipeline(ns, pipeline, say);
  // Pod Security restricted enforced, and the node's taint tolerated by every pod of the namespaces.
  kubectl(
    ['apply', '-f', '-'],
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'List',
      items: [nodeNamespace(ns), nodeNamespace(OPERATOR_NAMESPACE)],
    }),
  );
  say('helm', `helm upgrade --install ${RELEASE} charts/credit-platform -n ${OPERATOR_NAMESPACE}`);
  helm([
    'upgrade',
    '--install',
    RELEASE,
    join(repoRoot, 'charts', 'credit-platform'),
    '-n',
    OPERATOR_NAMESPACE,
    '--create-namespace',
    '--set',
    'replicaCount=1',
    '--set',
    `watchNamespaces={${ns}}`,
    ...fraudOpsHelmValues(ns, pipeline.metadata.name),
    // The image keeps its tag when it is rebuilt: an annotation naming its build rolls the operator's
    // pod onto the new one (the pipeline's pods are new anyway: the reset deleted their namespace).
    '--set-string',
    `podAnnotations.credit-platform\\.local/image-source=${imageSourceLabel(buildImage('platform'))}`,
  ]);

  say(
    'fraud ops',
    'webhook receiver on the node address, its signing-key Secret, a lead and an analyst with tokens',
  );
  const fraudOps = await prepareFraudOps({
    namespace: ns,
    release: RELEASE,
    docs,
    outDir: demoStateDir,
    // Pods reach the host at the node address.
    receiverHost: NODE_IP,
  });
  try {
    return await runPipeline(opts, { t0, pipeline, ns, names, fraudOps });
  } finally {
    await fraudOps.receiver.close();
  }
}

interface Started {
  t0: number;
  pipeline: PipelineDoc;
  ns: string;
  names: ReturnType<typeof childNames>;
  fraudOps: FraudOpsSetup;
}

/** From the operator on: the pipeline, traffic, the stream catching up, scoring, fraud ops, summary. */
async function runPipeline(
  opts: DemoOptions,
  { t0, pipeline, ns, names, fraudOps }: Started,
): Promise<DemoSummary> {
  const say = opts.progress;

  say('node', `the operator and the pipeline run as pods (kubectl get pods -n ${ns} -o wide)`);
  say(
    'operator',
    'waiting for the operator Deployment (a pod of the platform image with its ServiceAccount)',
  );
  await withPodsOnFailure(() =>
    waitForCondition(`deployment/${RELEASE}-operator`, OPERATOR_NAMESPACE, 'Available', 180_000),
  );
  // After a rebuilt image, the old operator pod is replaced: only the new one reconciles the pipeline.
  kubectl([
    'rollout',
    'status',
    `deployment/${RELEASE}-operator`,
    '-n',
    OPERATOR_NAMESPACE,
    '--timeout=180s',
  ]);

  const rel = (f: string) => f.replace(`${repoRoot}/`, '');
  // The pipeline uses the harness broker directly: no Strimzi Kafka to apply.
  const applied = [fraudOps.manifestFile];
  say(
    'pipeline',
    `kubectl apply ${applied.map((f) => `-f ${rel(f)}`).join(' ')} (${rel(opts.pipelineFile)} with cases and the receiver's webhook)`,
  );
  kubectl(['apply', ...applied.flatMap((f) => ['-f', f])]);
  const conditions = await waitForCondition(
    `creditpipeline/${pipeline.metadata.name}`,
    ns,
    'Ready',
    300_000,
    (cs) => say('pipeline', cs.map((c) => `${c.type}=${c.status}`).join(' ')),
  );

  await fraudOps.receiver.setKey(receiverKeyFromPipeline(ns, pipeline.metadata.name));
  const topics = pipeline.spec?.topics ?? {};
  const appsTopic = topics.applications ?? DEFAULT_TOPICS.applications;
  const dlqTopic = topics.deadLetter ?? DEFAULT_TOPICS.deadLetter;
  const kafkaInfo = requireInfra('kafka');
  const ingestion = serviceEndpoints()[`${names.ingestionApi}.${ns}:80`]?.[0];
  if (ingestion === undefined) throw new Error(`no endpoint for Service ${names.ingestionApi}:80 yet`);

  say(
    'traffic',
    `generating ${opts.count} applications (seed ${opts.seed}) at ${opts.rate}/s to http://${ingestion}`,
  );
  const labels = new Map<string, string>();
  let lastReport = 0;
  // On the node, a third of the way into the traffic: one detector container's process is killed from
  // the host. The kubelet must restart it, and every later check shows whether the pipeline carried on.
  let killed: ReturnType<typeof killContainerProcess> | undefined;
  let killError: string | undefined;
  let lastKillAttempt = 0;
  mkdirSync(dirname(DEMO_OUTCOMES_FILE), { recursive: true });
  const traffic = await generate(
    {
      seed: opts.seed,
      count: opts.count,
      rate: opts.rate,
      target: 'api',
      url: `http://${ingestion}`,
      batch: TRAFFIC_BATCH,
      concurrency: 2,
      brokers: '',
      topic: appsTopic,
      scenarioRates: {},
      start: new Date().toISOString(),
      intervalMs: 1000 / opts.rate,
      quiet: true,
      outcomes: {
        file: DEMO_OUTCOMES_FILE,
        horizonMonths: DEFAULT_OUTCOME_OPTIONS.horizonMonths,
        share: DEFAULT_OUTCOME_OPTIONS.share,
      },
    },
    {
      onAccepted: (accepted) => {
        for (const { label } of accepted) labels.set(label.applicationId, label.scenario);
      },
      onProgress: (r) => {
        // A third of the way in; if no detector container is ready just then (a probe failing under
        // load), try again on later progress until two thirds, and report the last reason if none was.
        if (
          killed === undefined &&
          r.accepted >= opts.count / 3 &&
          r.accepted <= (2 * opts.count) / 3 &&
          Date.now() - lastKillAttempt >= 1000
        ) {
          lastKillAttempt = Date.now();
          try {
            killed = killContainerProcess(ns, names.fraudDetector);
            say(
              'node',
              `killed ${killed.pod}/${killed.container} (pid ${killed.pid}) with SIGKILL from the host`,
            );
          } catch (err) {
            killError = err instanceof Error ? err.message : String(err);
          }
        }
        if (Date.now() - lastReport < 5000) return;
        lastReport = Date.now();
        say('traffic', `${r.accepted}/${opts.count} accepted (${(r.accepted / r.seconds).toFixed(0)}/s)`);
      },
    },
  );
  say(
    'traffic',
    `${traffic.accepted}/${opts.count} accepted (${(traffic.accepted / traffic.seconds).toFixed(0)}/s)`,
  );
  if (traffic.rejected > 0)
    throw new Error(`the ingestion API rejected ${traffic.rejected} generated applications`);
  const sent = traffic.accepted;
  const rejected = await postInvalid(`http://${ingestion}`, opts.invalidPosts);
  await producePoison(kafkaInfo.bootstrapServers, appsTopic, opts.poisonMessages);

  const databaseUrl = localAddress(await workloadEnv(ns, names.warehouseLoader, ENV.databaseUrl), ns);
  const mongoUrl = localAddress(await workloadEnv(ns, names.fraudDetector, ENV.mongoUrl), ns);
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    say('stream', 'waiting for the detector and the warehouse loader to catch up');
    await waitForConsumers(
      kafkaInfo.bootstrapServers,
      [appsTopic, topics.alerts ?? DEFAULT_TOPICS.alerts],
      240_000,
      say,
      `${consumerGroupPrefix(ns, pipeline.metadata.name)}.`,
    );
    await waitFor(
      async () => Number((await db.query('SELECT count(*) AS n FROM fact_application')).rows[0]?.n) >= sent,
      120_000,
      'the warehouse to hold every accepted application',
    );

    const nodeChecks: DemoSummary['checks'] = [];
    say(
      'node',
      'checking the workloads are containers, the detector restricted and restarted by the kubelet',
    );
    nodeChecks.push(
      killed === undefined
        ? {
            name: 'the kubelet restarted fraud-detector after its process was killed',
            ok: false,
            detail: `no detector process was killed: ${killError ?? 'the traffic ended first'}`,
          }
        : await checkRestarted(ns, killed, 180_000),
      checkPodsOnNode([ns, OPERATOR_NAMESPACE]),
      checkShimParents([ns, OPERATOR_NAMESPACE]),
      checkExecIdentity(ns, names.fraudDetector),
    );

    say('scoring', `kubectl create job --from=cronjob/${names.riskScorer}`);
    const job = `${names.riskScorer}-demo-${Date.now().toString(36)}`;
    kubectl(['create', 'job', job, `--from=cronjob/${names.riskScorer}`, '-n', ns]);
    // The fraud-ops loop (cases, webhook, analysts) runs while the job's pods score; the job is
    // polled after it (kubectl calls are synchronous and would stall the receiver and the analysts).
    const ops = await runFraudOpsLoop({
      db,
      namespace: ns,
      casesService: names.cases,
      setup: fraudOps,
      labels,
      seed: opts.seed,
      outDir: demoStateDir,
      say,
    });
    await withPodsOnFailure(() => waitForCondition(`job/${job}`, ns, 'Complete', 300_000));

    say(
      'outcomes',
      `credit-platform load-outcomes --file ${rel(DEMO_OUTCOMES_FILE)} (generated loan outcomes)`,
    );
    const validation = await validateOnOutcomes(db, databaseUrl);

    say('summary', 'reading alerts, scores and decisions');
    const summary = await summarize({
      db,
      mongoUrl,
      kafka: kafkaInfo.bootstrapServers,
      dlqTopic,
      labels,
      generated: traffic.sent,
      sent,
      rejected,
      opts,
      ...(killed === undefined ? {} : { detectorKilledAt: killed.at }),
    });
    const finalConditions = kubectlJson<{ status?: { conditions?: DemoSummary['pipeline']['conditions'] } }>([
      'get',
      `creditpipeline/${pipeline.metadata.name}`,
      '-n',
      ns,
    ]).status?.conditions;
    return {
      ...summary,
      fraudOps: ops,
      validation,
      checks: [...summary.checks, ...ops.checks, ...validationChecks(validation), ...nodeChecks],
      startedAt: new Date(t0).toISOString(),
      durationSeconds: (Date.now() - t0) / 1000,
      conditions: { ratePerSecond: opts.rate, cores: availableParallelism() },
      pipeline: {
        namespace: ns,
        name: pipeline.metadata.name,
        conditions:
          finalConditions ??
          conditions.map((c) => ({
            type: c.type,
            status: c.status,
            reason: c.reason ?? '',
            message: c.message ?? '',
          })),
      },
    };
  } finally {
    await db.end();
  }
}

/**
 * A demo starts from a clean slate: a previous run's namespace is deleted (its pods, and its managed
 * stores' claims and volumes with it), and the topics and consumer groups it used on the harness
 * broker go too.
 */
async function resetPipeline(ns: string, pipeline: PipelineDoc, say: DemoOptions['progress']): Promise<void> {
  let previous: PipelineDoc[] = [];
  if (kubectl(['get', 'namespace', ns, '--ignore-not-found', '-o', 'name']).trim() !== '') {
    say('reset', `removing the previous run: namespace ${ns}, its volumes and its topics`);
    previous = kubectlJson<{ items: PipelineDoc[] }>(['get', 'creditpipelines', '-n', ns]).items;
    kubectl(['delete', 'namespace', ns, '--wait=false']);
    // Its pods need no grace period: the data they would flush is about to be deleted.
    kubectl(['delete', 'pods', '--all', '-n', ns, '--grace-period=0', '--force', '--wait=false']);
    await waitFor(
      async () => kubectl(['get', 'namespace', ns, '--ignore-not-found', '-o', 'name']).trim() === '',
      180_000,
      `namespace ${ns} to be deleted`,
    );
  }
  // In direct topic mode nothing deletes the topics with the pipeline, and a namespace deleted
  // without the demo (the e2e test's clean-up, by hand) leaves them: this run's topics and groups go
  // whether or not the namespace was still there (consumer groups resuming from the last run's
  // offsets, or a decision service joining the last run's verdicts, would not start from a clean slate).
  await withDemoAdmin(requireInfra('kafka').bootstrapServers, 'demo-reset', async (admin) => {
    const pipelines = [pipeline, ...previous];
    const prefixes = pipelines.map((p) => `${ns}.${p.metadata.name}`);
    // Every topic the specs name (verdicts and decisions too).
    const roles = Object.keys(DEFAULT_TOPICS) as (keyof typeof DEFAULT_TOPICS)[];
    const named = pipelines.flatMap((p) => roles.map((r) => p.spec?.topics?.[r] ?? DEFAULT_TOPICS[r]));
    const topics = (await admin.listTopics()).filter(
      (t) => named.includes(t) || prefixes.some((p) => t.startsWith(p)),
    );
    if (topics.length > 0) {
      say('reset', `deleting the topics ${topics.join(', ')}`);
      await admin.deleteTopics({ topics });
    }
    const groups = (await groupIds(admin)).filter((g) => prefixes.some((p) => g.startsWith(p)));
    if (groups.length > 0) await deleteGroupsOnceEmpty(admin, groups);
  });
}

/** Runs a wait; when it fails, the error carries every pod of the cluster and where it runs. */
async function withPodsOnFailure<T>(wait: () => Promise<T>): Promise<T> {
  try {
    return await wait();
  } catch (err) {
    throw new Error(
      `${err instanceof Error ? err.message : String(err)}\npods:\n${kubectl(['get', 'pods', '-A', '-o', 'wide'])}`,
    );
  }
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 1000));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Posts invalid applications one by one; each must come back 400 with the failing fields. */
async function postInvalid(baseUrl: string, n: number): Promise<number> {
  let rejected = 0;
  for (let i = 0; i < n; i++) {
    const res = await fetch(`${baseUrl}/v1/applications`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ applicationId: `not-a-uuid-${i}`, loan: { amount: -1 } }),
    });
    await res.text();
    if (res.status === 400) rejected++;
  }
  return rejected;
}

/** A misbehaving upstream producer: records that are not applications, straight onto the topic. */
async function producePoison(bootstrap: string, topic: string, n: number): Promise<void> {
  if (n === 0) return;
  const producer = createProducer({ brokers: [bootstrap], clientId: 'demo-poison' });
  try {
    await producer.send({
      messages: Array.from({ length: n }, (_, i) =>
        bytesMessage(topic, {
          key: `poison-${i}`,
          value:
            i % 2 === 0
              ? `{"truncated": ${i}`
              : JSON.stringify({ schemaVersion: 'credit.application.v1', applicationId: `poison-${i}` }),
        }),
      ),
    });
  } finally {
    await producer.close().catch(() => {});
  }
}

/**
 * Waits until every consumer group of the pipeline (ids starting with `groupPrefix`) reading the
 * topics has no lag. Other groups on the same broker (tests, one-off readers) are not waited for.
 */
export async function waitForConsumers(
  bootstrap: string,
  topics: readonly string[],
  timeoutMs: number,
  say: DemoOptions['progress'],
  groupPrefix: string,
): Promise<void> {
  await withDemoAdmin(bootstrap, 'demo-lag', async (admin) => {
    const deadline = Date.now() + timeoutMs;
    let lastSaid = 0;
    while (Date.now() < deadline) {
      const groups = (await groupIds(admin)).filter((g) => g.startsWith(groupPrefix));
      let total = 0;
      let consuming = 0;
      for (const topic of topics) {
        const ends = await topicEnds(admin, topic);
        const partitions = ends.map((e) => e.partition);
        for (const groupId of groups) {
          const committed = await committedOffsets(admin, groupId, topic, partitions);
          if ([...committed.values()].every((o) => o < 0n)) continue;
          consuming++;
          for (const e of ends) {
            const c = committed.get(e.partition) ?? -1n;
            total += Math.max(0, Number(e.high) - Math.max(0, Number(c)));
          }
        }
      }
      if (consuming > 0 && total === 0) return;
      if (Date.now() - lastSaid > 5000) {
        lastSaid = Date.now();
        say('stream', `consumer lag ${total} over ${consuming} group/topic pairs`);
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
    throw new Error(`consumers did not catch up on ${topics.join(', ')} in ${timeoutMs / 1000}s`);
  });
}

interface SummaryInputs {
  db: pg.Client;
  mongoUrl: string;
  kafka: string;
  dlqTopic: string;
  labels: Map<string, string>;
  generated: number;
  sent: number;
  rejected: number;
  opts: DemoOptions;
  /** When a detector process was killed mid-traffic (latency is also reported for what came before). */
  detectorKilledAt?: Date;
}

async function summarize(
  i: SummaryInputs,
): Promise<Omit<DemoSummary, 'startedAt' | 'durationSeconds' | 'pipeline'>> {
  const q = async <T>(sql: string, params: unknown[] = []): Promise<T[]> =>
    (await i.db.query(sql, params)).rows as T[];
  const counts = (rows: Array<{ label: string; count: string | number }>): Count[] =>
    rows.map((r) => ({ label: r.label, count: Number(r.count) }));

  const inWarehouse = Number(
    (await q<{ n: string }>('SELECT count(*) AS n FROM fact_application'))[0]?.n ?? 0,
  );
  const alertRows = await q<{ application_id: string; rule_id: string; mode: 'live' | 'shadow' }>(
    'SELECT application_id::text, rule_id, mode FROM fact_fraud_alert',
  );
  const byRule = await q<{ rule_id: string; severity: string; mode: string; count: string }>(
    'SELECT rule_id, severity, mode, count(*) AS count FROM fact_fraud_alert GROUP BY 1, 2, 3 ORDER BY 4 DESC, 1',
  );
  const decisions = counts(
    await q('SELECT decision AS label, count(*) AS count FROM v_current_decision GROUP BY 1 ORDER BY 1'),
  );
  const grades = counts(
    await q(
      "SELECT grade AS label, count(*) AS count FROM fact_credit_score WHERE role = 'champion' GROUP BY 1 ORDER BY 1",
    ),
  );
  const scoreHistogram = counts(
    await q(
      "SELECT (floor(score / 50) * 50)::int || '–' || (floor(score / 50) * 50 + 49)::int AS label, count(*) AS count FROM fact_credit_score WHERE role = 'champion' GROUP BY floor(score / 50) ORDER BY floor(score / 50)",
    ),
  );
  const topReasons = counts(
    await q(
      'SELECT reason_text AS label, sum(applications) AS count FROM rpt_reason_codes GROUP BY 1 ORDER BY 2 DESC LIMIT 8',
    ),
  );
  const alertLatency = (receivedBefore: Date | null) =>
    q<{ applications: number; p50: number | null; p99: number | null }>(
      "SELECT count(*)::int AS applications, percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS p50, percentile_cont(0.99) WITHIN GROUP (ORDER BY ms) AS p99 FROM (SELECT extract(epoch FROM f.detected_at - a.received_at) * 1000 AS ms FROM fact_fraud_alert f JOIN fact_application a USING (application_id) WHERE f.mode = 'live' AND a.received_at IS NOT NULL AND ($1::timestamptz IS NULL OR a.received_at < $1)) l",
      [receivedBefore],
    ).then((rows) => rows[0]);
  const latency = await alertLatency(null);
  const latencyBeforeKill =
    i.detectorKilledAt === undefined ? undefined : await alertLatency(i.detectorKilledAt);
  const stream = await streamDecisions(i.db, i.detectorKilledAt);
  const run = (
    await q<{ status: string; scored: string; psi: number | null; seconds: number | null }>(
      // Every champion run of this demo's warehouse (it is new per run): the CronJob's own schedule can
      // fire beside the demo's job (a slow run crossing a quarter hour), and runs are incremental, so
      // the applications scored are the sum over finished runs; PSI and duration are the largest run's.
      "SELECT CASE WHEN bool_and(status = 'succeeded') THEN 'succeeded' ELSE 'failed' END AS status, sum(scores_written) AS scored, (array_agg(psi ORDER BY scores_written DESC))[1] AS psi, (array_agg(extract(epoch FROM finished_at - started_at) ORDER BY scores_written DESC))[1] AS seconds FROM scoring_run WHERE role = 'champion' AND status <> 'running'",
    )
  )[0];

  const mongo = new MongoClient(i.mongoUrl);
  let mongoAlerts = 0;
  try {
    await mongo.connect();
    mongoAlerts = await mongo.db().collection(ALERTS_COLLECTION).countDocuments();
  } finally {
    await mongo.close();
  }
  const deadLetters = await readDeadLetters(i.kafka, i.dlqTopic);
  const quality = detectionQuality(
    i.labels,
    alertRows.map((a) => ({ applicationId: a.application_id, ruleId: a.rule_id, mode: a.mode })),
  );
  const decided = decisions.reduce((s, d) => s + d.count, 0);

  const checks: DemoSummary['checks'] = [
    {
      name: 'every accepted application reached the warehouse',
      ok: inWarehouse === i.sent,
      detail: `${inWarehouse} of ${i.sent}`,
    },
    {
      name: 'invalid posts were rejected with 400',
      ok: i.rejected === i.opts.invalidPosts,
      detail: `${i.rejected} of ${i.opts.invalidPosts}`,
    },
    {
      name: 'poison records went to the dead-letter topic',
      ok: deadLetters.count >= i.opts.poisonMessages,
      detail: `${deadLetters.count} dead letters for ${i.opts.poisonMessages} poison records`,
    },
    {
      name: 'alerts in MongoDB match the alerts in the warehouse',
      ok: mongoAlerts === alertRows.length && mongoAlerts > 0,
      detail: `${mongoAlerts} in fraud_alerts, ${alertRows.length} in fact_fraud_alert`,
    },
    {
      name: 'the decision service decided applications in the stream',
      ok: stream.issued > 0,
      detail: `${stream.issued} of ${inWarehouse} decided in the stream (the rest by the scoring run)`,
    },
    {
      name: 'every application was scored and decided',
      ok: decided === inWarehouse,
      detail: `${decided} decisions for ${inWarehouse} applications`,
    },
    ...quality.scenarios.map((s) => ({
      name: `recall on ${s.scenario} ≥ ${i.opts.minRecall}`,
      ok: s.recall >= i.opts.minRecall,
      detail: `${s.flagged} of ${s.applications} flagged (${(s.recall * 100).toFixed(1)}%)`,
    })),
  ];
  return {
    applications: { generated: i.generated, accepted: i.sent, inWarehouse, rejectedByApi: i.rejected },
    alerts: {
      total: alertRows.length,
      byRule: byRule.map((r) => ({
        ruleId: r.rule_id,
        severity: r.severity,
        mode: r.mode,
        count: Number(r.count),
      })),
    },
    quality,
    decisions,
    grades,
    scoreHistogram,
    topReasons,
    latencyMs: {
      p50: latency?.p50 ?? null,
      p99: latency?.p99 ?? null,
      ...(latencyBeforeKill === undefined
        ? {}
        : {
            beforeKill: {
              applications: latencyBeforeKill.applications,
              p50: latencyBeforeKill.p50,
              p99: latencyBeforeKill.p99,
            },
          }),
      source:
        'warehouse: detected_at of live alerts − receivedAt (the ingestion API’s receipt time) of their application',
    },
    streamDecisions: stream,
    deadLetters,
    scoring: {
      status: run?.status ?? 'not run',
      scored: Number(run?.scored ?? 0),
      psi: run?.psi ?? null,
      durationSeconds: run?.seconds === null || run?.seconds === undefined ? null : Number(run.seconds),
    },
    checks,
  };
}

/** Counts the dead-letter topic's records by the reason header the detector sets. */
async function readDeadLetters(
  bootstrap: string,
  topic: string,
): Promise<{ count: number; reasons: Count[] }> {
  const reasons = new Map<string, number>();
  let ends: Awaited<ReturnType<typeof readWholeTopic>>;
  try {
    ends = await readWholeTopic(bootstrap, topic, `demo-dlq-reader-${Date.now()}`, 15_000, (message) => {
      const reason =
        firstHeader(message, 'x-dlq-reason') ??
        firstHeader(message, 'dlq-reason') ??
        firstHeader(message, 'reason') ??
        'unknown';
      const short = reason.split(':')[0] ?? reason;
      reasons.set(short, (reasons.get(short) ?? 0) + 1);
    });
  } catch (err) {
    // A dead-letter topic that does not exist holds no dead letters.
    if ((await withDemoAdmin(bootstrap, 'demo-dlq', (a) => a.listTopics())).includes(topic)) throw err;
    return { count: 0, reasons: [] };
  }
  const total = ends.reduce((s, e) => s + Number(e.high) - Number(e.low), 0);
  return {
    count: total,
    reasons: [...reasons].map(([label, count]) => ({ label, count })).sort((a, b) => b.count - a.count),
  };
}

export const demoStateDir = join(stateDir, 'demo');
