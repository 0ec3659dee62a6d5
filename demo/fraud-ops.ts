/**
 * The fraud-operations loop of the demo (issue 16): alerts reach a webhook, analysts work the cases,
 * their verdicts measure the rules.
 *
 * - Before the pipeline is applied: a webhook receiver starts on the node address, a Secret with a fresh
 *   signing key is created, and the demo's pipeline manifest is the given one with `spec.cases`
 *   enabled and a webhook to the receiver signed with that Secret's key. The chart binds the cases
 *   service's auth-delegator role (`casesPipelines`); a lead and an analyst ServiceAccount are bound to
 *   the chart's case-lead and case-analyst ClusterRoles.
 * - After the stream has caught up: wait until every application with live alerts has a case and every
 *   live alert has been delivered, then the team works the queue through the cases API, and the demo
 *   reads back case counts, per-rule precision from verdicts (the API) beside the labels, delivery
 *   counts (the outbox and the receiver), and screenshots of the page.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type pg from 'pg';
import { stringify as toYaml } from 'yaml';
import type { WebhookSpec } from '../api/v1alpha1.ts';
import { CASE_STATUSES, type CaseStatus, type Verdict } from '../workloads/cases/model.ts';
import type { RulePrecision } from '../workloads/cases/store.ts';
import { kubectl, kubectlJson, serviceEndpoints } from './cluster.ts';
import { detectionQuality } from './detection-quality.ts';
import {
  CasesClient,
  createFraudTeam,
  type FraudTeam,
  type TeamWork,
  workTheQueue,
} from './fraud-ops-analyst.ts';
import {
  comparePrecision,
  DEFAULT_PLAN,
  type PlanOptions,
  type ResolvedAlert,
  type RulePrecisionRow,
  type RuleVerdicts,
} from './fraud-ops-plan.ts';
import { type ReceiverStats, type ReceiverThread, startReceiverThread } from './fraud-ops-receiver.ts';
import { screenshotCasesPage } from './fraud-ops-screenshot.ts';

export const WEBHOOK_NAME = 'demo-receiver';
export const WEBHOOK_SECRET = 'demo-alert-webhook';
/** Share of alerts whose first delivery the receiver refuses (503), to show retries. */
export const REFUSE_FIRST_SHARE = 0.05;

export interface FraudOpsSummary {
  webhook: { endpoint: string; url: string; secret: string };
  delivery: {
    /** Live alerts in the warehouse: what the endpoint should receive. */
    liveAlerts: number;
    /** Outbox rows for the endpoint. */
    enqueued: number;
    delivered: number;
    pending: number;
    deadLettered: number;
    /** Alerts that needed more than one attempt. */
    retried: number;
    attempts: number;
    /** Detection → delivered, from the outbox. */
    latencyMs: { p50: number | null; p99: number | null };
  };
  receiver: ReceiverStats & {
    /** Live alerts the receiver never processed. */
    missing: number;
    /** Keys the receiver processed that are not live alerts. */
    unexpected: number;
    /**
     * Keys answered 2xx more than once: at-least-once delivery retried after the receiver had
     * processed the alert (a response that came too late); the receiver processed them once.
     */
    duplicateKeys: number;
    /** Duplicates whose requests were all first attempts: the platform sending twice unasked (must be 0). */
    duplicatesWithoutRetry: number;
  };
  cases: {
    opened: number;
    applicationsWithLiveAlerts: number;
    byStatus: Array<{ label: string; count: number }>;
  };
  team: TeamWork & { analyst: string; lead: string; plan: PlanOptions };
  precision: RulePrecisionRow[];
  /** Paths of the page screenshots (PNG), embedded in the HTML report. */
  screenshots: { queue: string; rules: string } | null;
  /** What the loop cost, on top of the rest of the demo. */
  seconds: { waitingForCasesAndDeliveries: number; working: number; screenshots: number; total: number };
  checks: Array<{ name: string; ok: boolean; detail: string }>;
}

interface ManifestDoc {
  kind?: string;
  metadata?: { name?: string; namespace?: string };
  spec?: Record<string, unknown> & {
    cases?: Record<string, unknown>;
    alerting?: Record<string, unknown> & { webhooks?: WebhookSpec[] };
  };
}

/** The pipeline with cases enabled and the demo receiver's webhook (other webhooks kept). */
export function withFraudOps<T extends ManifestDoc>(doc: T, receiverUrl: string): T {
  const spec = doc.spec ?? {};
  const webhooks = (spec.alerting?.webhooks ?? []).filter((w) => w.name !== WEBHOOK_NAME);
  const webhook: Partial<WebhookSpec> & Pick<WebhookSpec, 'name' | 'url'> = {
    name: WEBHOOK_NAME,
    url: receiverUrl,
    format: 'json',
    signingKeySecretRef: { name: WEBHOOK_SECRET, key: 'key' },
  };
  return {
    ...doc,
    spec: {
      ...spec,
      cases: { ...spec.cases, enabled: true },
      alerting: { ...spec.alerting, webhooks: [...webhooks, webhook] },
    },
  };
}

/** `helm --set` arguments: the cases service of the pipeline gets its auth-delegator binding. */
export function fraudOpsHelmValues(namespace: string, pipeline: string): string[] {
  return [
    '--set',
    `casesPipelines[0].namespace=${namespace}`,
    '--set',
    `casesPipelines[0].pipeline=${pipeline}`,
  ];
}

export interface FraudOpsSetup {
  receiver: ReceiverThread;
  team: FraudTeam;
  /** The manifest file to apply instead of the given one. */
  manifestFile: string;
}

/**
 * Starts the receiver, writes the signing-key Secret, the team's accounts and the demo's manifest.
 * Needs the namespace and the chart (its ClusterRoles) in place.
 */
export async function prepareFraudOps(opts: {
  namespace: string;
  release: string;
  docs: readonly ManifestDoc[];
  outDir: string;
  /** Where the receiver listens (loopback unless the workloads run as pods on the node). */
  receiverHost?: string;
}): Promise<FraudOpsSetup> {
  const receiver = await startReceiverThread({
    refuseFirstShare: REFUSE_FIRST_SHARE,
    ...(opts.receiverHost === undefined ? {} : { host: opts.receiverHost }),
  });
  try {
    const key = randomBytes(32).toString('hex');
    kubectl(
      ['apply', '-f', '-'],
      kubectl([
        'create',
        'secret',
        'generic',
        WEBHOOK_SECRET,
        '-n',
        opts.namespace,
        `--from-literal=key=${key}`,
        '--dry-run=client',
        '-o',
        'yaml',
      ]),
    );
    const team = createFraudTeam(opts.namespace, opts.release);
    mkdirSync(opts.outDir, { recursive: true });
    const manifestFile = join(opts.outDir, 'creditpipeline.yaml');
    const docs = opts.docs.map((d) => (d.kind === 'CreditPipeline' ? withFraudOps(d, receiver.url) : d));
    writeFileSync(
      manifestFile,
      `# Written by the demo: the pipeline with spec.cases enabled and a webhook to its receiver on the node address.\n${docs
        .map((d) => toYaml(d))
        .join('---\n')}`,
    );
    return { receiver, team, manifestFile };
  } catch (err) {
    await receiver.close();
    throw err;
  }
}

/**
 * What a receiver operator does: read the key from the Secret the pipeline's webhook references
 * (through the applied CreditPipeline, not from the demo's memory).
 */
export function receiverKeyFromPipeline(namespace: string, pipeline: string): string {
  const applied = kubectlJson<ManifestDoc>(['get', `creditpipeline/${pipeline}`, '-n', namespace]);
  const ref = applied.spec?.alerting?.webhooks?.find((w) => w.name === WEBHOOK_NAME)?.signingKeySecretRef;
  if (ref === undefined) throw new Error(`pipeline ${pipeline} has no webhook ${WEBHOOK_NAME} with a key`);
  const secret = kubectlJson<{ data?: Record<string, string> }>(['get', 'secret', ref.name, '-n', namespace]);
  const value = secret.data?.[ref.key];
  if (value === undefined) throw new Error(`secret ${ref.name} has no key ${ref.key}`);
  return Buffer.from(value, 'base64').toString('utf8');
}

export interface LoopInputs {
  db: pg.Client;
  namespace: string;
  /** The cases Service name (`<pipeline>-cases`). */
  casesService: string;
  setup: FraudOpsSetup;
  labels: ReadonlyMap<string, string>;
  seed: number;
  outDir: string;
  say: (step: string, detail?: string) => void;
  timeoutMs?: number;
}

const VERDICT_STATUSES: readonly Verdict[] = ['confirmed_fraud', 'legitimate', 'inconclusive'];

export async function runFraudOpsLoop(i: LoopInputs): Promise<FraudOpsSummary> {
  const t0 = Date.now();
  const q = async <T>(sql: string, params: unknown[] = []): Promise<T[]> =>
    (await i.db.query(sql, params)).rows as T[];
  const { receiver, team } = i.setup;
  const base = serviceEndpoints()[`${i.casesService}.${i.namespace}:80`]?.[0];
  if (base === undefined) throw new Error(`no endpoint for Service ${i.casesService}:80`);
  const baseUrl = `http://${base}`;

  i.say('fraud ops', 'waiting for a case per application with live alerts and a delivery per live alert');
  const live = await q<{ alerts: string; apps: string }>(
    "SELECT count(*) AS alerts, count(DISTINCT application_id) AS apps FROM fact_fraud_alert WHERE mode = 'live'",
  );
  const liveAlerts = Number(live[0]?.alerts ?? 0);
  const liveApps = Number(live[0]?.apps ?? 0);
  const deadline = Date.now() + (i.timeoutMs ?? 180_000);
  let lastSaid = 0;
  for (;;) {
    const [c] = await q<{ cases: string }>('SELECT count(*) AS cases FROM fraud_case');
    const [d] = await q<{ rows: string; open: string }>(
      "SELECT count(*) AS rows, count(*) FILTER (WHERE status = 'pending') AS open FROM alert_delivery WHERE endpoint = $1",
      [WEBHOOK_NAME],
    );
    const cases = Number(c?.cases ?? 0);
    const rows = Number(d?.rows ?? 0);
    const pending = Number(d?.open ?? 0);
    if (cases >= liveApps && rows >= liveAlerts && pending === 0) break;
    if (Date.now() > deadline)
      throw new Error(
        `fraud ops did not catch up: ${cases} of ${liveApps} cases, ${rows} of ${liveAlerts} deliveries enqueued, ${pending} pending`,
      );
    if (Date.now() - lastSaid > 5000) {
      lastSaid = Date.now();
      i.say(
        'fraud ops',
        `${cases}/${liveApps} cases opened, ${rows - pending}/${liveAlerts} alerts delivered, receiver saw ${(await receiver.stats()).requests} requests`,
      );
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  const waited = (Date.now() - t0) / 1000;

  const plan: PlanOptions = { seed: i.seed, ...DEFAULT_PLAN };
  i.say(
    'fraud ops',
    `the lead assigns and the analyst resolves ${Math.round(plan.resolveShare * 100)}% of the cases through the cases API`,
  );
  const t1 = Date.now();
  const work = await workTheQueue(baseUrl, team, i.labels, plan);
  i.say(
    'fraud ops',
    `${work.cases} cases: ${work.resolved.confirmed_fraud} confirmed fraud, ${work.resolved.legitimate} legitimate, ${work.resolved.inconclusive} inconclusive, ${work.investigating} under investigation (${work.requests} requests in ${work.seconds.toFixed(1)} s)`,
  );

  // What the analyst sees afterwards, through the API.
  const analyst = new CasesClient(baseUrl, team.analyst.token);
  const byStatus: Array<{ label: string; count: number }> = [];
  for (const status of CASE_STATUSES as readonly CaseStatus[]) {
    const page = await analyst.call<{ total: number }>('GET', `/v1/cases?status=${status}&limit=1`);
    byStatus.push({ label: status, count: page.total });
  }
  const api = await analyst.call<{ rules: RulePrecision[] }>('GET', '/v1/rules/precision');
  const working = (Date.now() - t1) / 1000;

  const perRule = new Map<string, RuleVerdicts>();
  for (const r of api.rules) {
    const p = perRule.get(r.ruleId) ?? {
      ruleId: r.ruleId,
      alerts: 0,
      resolved: 0,
      confirmedFraud: 0,
      legitimate: 0,
      inconclusive: 0,
      precision: null,
    };
    p.alerts += r.alerts;
    p.resolved += r.resolved;
    p.confirmedFraud += r.confirmedFraud;
    p.legitimate += r.legitimate;
    p.inconclusive += r.inconclusive;
    p.precision = p.resolved === 0 ? null : p.confirmedFraud / p.resolved;
    perRule.set(r.ruleId, p);
  }
  const resolvedAlerts = (
    await q<{ rule_id: string; application_id: string; status: Verdict }>(
      'SELECT a.rule_id, c.application_id::text, c.status FROM fraud_case_alert a JOIN fraud_case c USING (case_id) WHERE c.status = ANY($1)',
      [VERDICT_STATUSES],
    )
  ).map((r): ResolvedAlert => ({ ruleId: r.rule_id, applicationId: r.application_id, verdict: r.status }));
  const flagged = await q<{ application_id: string; rule_id: string; mode: 'live' | 'shadow' }>(
    'SELECT application_id::text, rule_id, mode FROM fact_fraud_alert',
  );
  const byLabels = detectionQuality(
    i.labels,
    flagged.map((a) => ({ applicationId: a.application_id, ruleId: a.rule_id, mode: a.mode })),
  );
  const precision = comparePrecision([...perRule.values()], resolvedAlerts, i.labels, byLabels.rules);

  // Deliveries: the outbox's view and the receiver's.
  const [o] = await q<{
    rows: string;
    delivered: string;
    pending: string;
    dead: string;
    retried: string;
    attempts: string;
    p50: number | null;
    p99: number | null;
  }>(
    `SELECT count(*) AS rows,
            count(*) FILTER (WHERE status = 'delivered') AS delivered,
            count(*) FILTER (WHERE status = 'pending') AS pending,
            count(*) FILTER (WHERE status = 'dead') AS dead,
            count(*) FILTER (WHERE attempts > 1) AS retried,
            coalesce(sum(attempts), 0) AS attempts,
            percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM finished_at - detected_at) * 1000)
              FILTER (WHERE status = 'delivered') AS p50,
            percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM finished_at - detected_at) * 1000)
              FILTER (WHERE status = 'delivered') AS p99
       FROM alert_delivery WHERE endpoint = $1`,
    [WEBHOOK_NAME],
  );
  const liveIds = new Set(
    (await q<{ alert_id: string }>("SELECT alert_id FROM fact_fraud_alert WHERE mode = 'live'")).map(
      (r) => r.alert_id,
    ),
  );
  const got = await receiver.alerts();
  const stats = await receiver.stats();
  const receiverView = {
    ...stats,
    missing: [...liveIds].filter((id) => !got.has(id)).length,
    unexpected: [...got.keys()].filter((id) => !liveIds.has(id)).length,
    duplicateKeys: [...got.values()].filter((a) => a.deliveries > 1).length,
    duplicatesWithoutRetry: [...got.values()].filter((a) => a.deliveries > 1 && a.maxAttempt < 2).length,
  };
  const delivery: FraudOpsSummary['delivery'] = {
    liveAlerts,
    enqueued: Number(o?.rows ?? 0),
    delivered: Number(o?.delivered ?? 0),
    pending: Number(o?.pending ?? 0),
    deadLettered: Number(o?.dead ?? 0),
    retried: Number(o?.retried ?? 0),
    attempts: Number(o?.attempts ?? 0),
    latencyMs: { p50: o?.p50 ?? null, p99: o?.p99 ?? null },
  };

  i.say('fraud ops', 'screenshots of the analysts’ page in headless Chromium');
  const t2 = Date.now();
  let screenshots: FraudOpsSummary['screenshots'] = null;
  let screenshotError = '';
  try {
    const shots = await screenshotCasesPage(baseUrl, team.analyst.token);
    mkdirSync(i.outDir, { recursive: true });
    screenshots = { queue: join(i.outDir, 'cases-queue.png'), rules: join(i.outDir, 'cases-rules.png') };
    writeFileSync(screenshots.queue, shots.queue);
    writeFileSync(screenshots.rules, shots.rules);
  } catch (err) {
    screenshotError = err instanceof Error ? (err.message.split('\n')[0] ?? '') : String(err);
  }
  const shooting = (Date.now() - t2) / 1000;

  const opened = byStatus.reduce((s, b) => s + b.count, 0);
  const resolvedCases = work.resolved.confirmed_fraud + work.resolved.legitimate + work.resolved.inconclusive;
  const withVerdicts = precision.filter((r) => r.resolved > 0);
  const checks: FraudOpsSummary['checks'] = [
    {
      name: 'every application with live alerts has exactly one case',
      ok: opened === liveApps && liveApps > 0,
      detail: `${opened} cases for ${liveApps} applications with live alerts`,
    },
    {
      name: 'every live alert reached the webhook and was processed exactly once per idempotency key',
      ok:
        receiverView.missing === 0 &&
        receiverView.unexpected === 0 &&
        receiverView.duplicatesWithoutRetry === 0 &&
        receiverView.accepted === liveAlerts,
      detail: `${receiverView.accepted} of ${liveAlerts} keys processed, ${receiverView.missing} missing, ${receiverView.unexpected} unexpected; ${receiverView.duplicates} duplicate deliveries (retries) recognised by the key`,
    },
    {
      name: 'every webhook request carried a valid signature',
      ok: receiverView.signatureFailures === 0 && receiverView.malformed === 0,
      detail: `${receiverView.signatureFailures} signature failures, ${receiverView.malformed} malformed, of ${receiverView.requests} requests`,
    },
    {
      name: 'refused deliveries were retried and delivered; nothing dead-lettered',
      ok:
        delivery.pending === 0 &&
        delivery.deadLettered === 0 &&
        delivery.delivered === liveAlerts &&
        delivery.retried >= receiverView.refusedOnPurpose,
      detail: `${delivery.delivered} delivered, ${delivery.retried} retried (${receiverView.refusedOnPurpose} first attempts refused on purpose), ${delivery.deadLettered} dead-lettered, ${delivery.pending} pending`,
    },
    {
      name: 'RBAC is real: no token 401, the analyst reassigning a case 403',
      ok: work.refusals.noToken === 401 && work.refusals.analystReassigns === 403,
      detail: `no token ${work.refusals.noToken}, analyst reassigning ${work.refusals.analystReassigns}`,
    },
    {
      name: 'analysts resolved a share of the cases through the API',
      ok: work.cases > 0 && resolvedCases / work.cases >= 0.5 && resolvedCases / work.cases <= 0.9,
      detail: `${resolvedCases} of ${work.cases} (${((resolvedCases / Math.max(1, work.cases)) * 100).toFixed(0)}%)`,
    },
    {
      name: 'per-rule precision from verdicts matches the labels of the resolved alerts',
      ok:
        withVerdicts.length > 0 &&
        precision.every((r) => r.consistent && r.precision === r.expectedFromLabels),
      detail: withVerdicts
        .map((r) => `${r.ruleId} ${fmtPct(r.precision)}${r.consistent ? '' : ' (INCONSISTENT)'}`)
        .join(', '),
    },
    {
      name: 'screenshots of the analysts’ page',
      ok: screenshots !== null,
      detail: screenshots === null ? `failed: ${screenshotError}` : 'queue and rules views',
    },
  ];
  return {
    webhook: { endpoint: WEBHOOK_NAME, url: receiver.url, secret: WEBHOOK_SECRET },
    delivery,
    receiver: receiverView,
    cases: { opened, applicationsWithLiveAlerts: liveApps, byStatus },
    team: { ...work, analyst: team.analyst.user, lead: team.lead.user, plan },
    precision,
    screenshots,
    seconds: {
      waitingForCasesAndDeliveries: waited,
      working,
      screenshots: shooting,
      total: (Date.now() - t0) / 1000,
    },
    checks,
  };
}

export const fmtPct = (x: number | null): string => (x === null ? 'n/a' : `${(x * 100).toFixed(1)}%`);
