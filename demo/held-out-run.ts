/**
 * Runs held-out traffic (demo/held-out-traffic.ts, written apart from the
 * generator) against the pipeline `make demo` left running — the same fraud groups and legitimate
 * look-alikes once in time order and once shuffled over six hours of event time, with client clock
 * games — and checks that the shuffled traffic is caught as well as the ordered traffic, that no live
 * rule flags the legitimate traffic, that far-future times are refused and far-past ones recorded.
 * `make demo-adversarial` (demo/held-out-main.ts) and the e2e test call it.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';
import { ALERTS_COLLECTION } from '../api/alert.ts';
import { ENV } from '../api/env.ts';
import { childNames, consumerGroupPrefix } from '../api/names.ts';
import { DEFAULT_TOPICS } from '../api/topics.ts';
import { requireInfra } from '../infra/lib/state.ts';
import { localAddress, serviceEndpoints, workloadEnv } from './cluster.ts';
import {
  type AlertSeen,
  buildHeldOutTraffic,
  type HeldOutPost,
  type HeldOutVariant,
  scoreHeldOut,
  type VariantOutcome,
} from './held-out-traffic.ts';
import { firstHeader, readWholeTopic, withDemoAdmin } from './kafka.ts';
import { DEFAULT_DEMO, demoStateDir, readManifests, waitForConsumers } from './run-demo.ts';

export interface HeldOutArgs {
  seed: number;
  /** Groups per fraud scenario and variant. */
  groups: number;
  /** Legitimate applicants per variant. */
  legitimate: number;
}

export const DEFAULT_HELD_OUT: HeldOutArgs = { seed: 20261203, groups: 8, legitimate: 400 };

export interface HeldOutCheck {
  name: string;
  ok: boolean;
  detail: string;
}

export interface HeldOutResult {
  args: HeldOutArgs;
  outcomes: VariantOutcome[];
  checks: HeldOutCheck[];
}

interface PostResult {
  accepted: Set<string>;
  /** Posts expected to be refused that were, naming the expected field. */
  refusedAsExpected: number;
  refusedExpected: number;
  unexpected: string[];
}

/** Posts a variant in its order: batches of accepted-looking posts, refused-looking ones alone. */
async function postVariant(baseUrl: string, v: HeldOutVariant): Promise<PostResult> {
  const r: PostResult = { accepted: new Set(), refusedAsExpected: 0, refusedExpected: 0, unexpected: [] };
  let batch: HeldOutPost[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    const res = await fetch(`${baseUrl}/v1/applications:batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ applications: batch.map((p) => p.body) }),
    });
    const text = await res.text();
    if (res.status === 202) for (const p of batch) r.accepted.add(p.body.applicationId);
    else r.unexpected.push(`batch of ${batch.length}: ${res.status} ${text.slice(0, 300)}`);
    batch = [];
  };
  for (const p of v.posts) {
    const expect = p.expect;
    if (expect.kind !== 'rejected') {
      batch.push(p);
      if (batch.length === 25) await flush();
      continue;
    }
    await flush();
    r.refusedExpected++;
    const res = await fetch(`${baseUrl}/v1/applications`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(p.body),
    });
    const problem = (await res.json().catch(() => ({}))) as { errors?: Array<{ path?: string }> };
    if (res.status === 400 && problem.errors?.some((e) => e.path === expect.field)) r.refusedAsExpected++;
    else
      r.unexpected.push(
        `${p.expect.kind} post answered ${res.status} ${JSON.stringify(problem).slice(0, 200)}`,
      );
  }
  await flush();
  return r;
}

/** Dead letters whose application-id header is one of `ids`, by reason. */
async function deadLettersFor(
  bootstrap: string,
  topic: string,
  ids: Set<string>,
): Promise<Map<string, number>> {
  const reasons = new Map<string, number>();
  await readWholeTopic(bootstrap, topic, `held-out-dlq-${Date.now()}`, 20_000, (message) => {
    const id = firstHeader(message, 'application-id');
    if (id !== undefined && ids.has(id)) {
      const reason = (firstHeader(message, 'dlq-reason') ?? 'unknown').split(':')[0] ?? 'unknown';
      reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
    }
  });
  return reasons;
}

/** The outcome of one variant as text lines. */
export function heldOutTable(o: VariantOutcome): string {
  const rows = o.scenarios.map(
    (s) =>
      `  ${s.scenario.padEnd(22)} ${`${s.caught}/${s.groups}`.padStart(7)} groups   ${`${s.membersFlagged}/${s.members}`.padStart(7)} members flagged`,
  );
  return [
    `${o.order === 'time' ? 'in time order' : 'shuffled over six hours'}:`,
    ...rows,
    `  legitimate applications ${o.legitimate}: ${o.falsePositives.length} live alerts (false positives), ${o.shadowOnLegitimate} shadow`,
  ].join('\n');
}

/** Posts both variants to the running demo pipeline, waits for the stream, scores what it raised. */
export async function runHeldOut(args: HeldOutArgs, say: (line: string) => void): Promise<HeldOutResult> {
  const pipeline = readManifests(DEFAULT_DEMO.pipelineFile).find((d) => d.kind === 'CreditPipeline');
  if (pipeline === undefined) throw new Error('examples/creditpipeline.yaml has no CreditPipeline');
  const ns = pipeline.metadata.namespace ?? 'default';
  const names = childNames(pipeline.metadata.name);
  const ingestion = serviceEndpoints()[`${names.ingestionApi}.${ns}:80`]?.[0];
  if (ingestion === undefined) throw new Error('the demo pipeline is not running: run `make demo` first');
  const mongoUrl = localAddress(await workloadEnv(ns, names.fraudDetector, ENV.mongoUrl), ns);
  const bootstrap = requireInfra('kafka').bootstrapServers;
  const dlqTopic = pipeline.spec?.topics?.deadLetter ?? DEFAULT_TOPICS.deadLetter;

  const now = Date.now();
  const variants = (['time', 'shuffled'] as const).map((order, i) =>
    buildHeldOutTraffic({
      seed: args.seed + i,
      now,
      order,
      groups: args.groups,
      legitimate: args.legitimate,
    }),
  );
  const posted: PostResult[] = [];
  for (const v of variants) {
    say(`posting ${v.posts.length} applications (${v.order}) to http://${ingestion}`);
    posted.push(await postVariant(`http://${ingestion}`, v));
  }
  say("waiting for the pipeline's consumer groups to catch up");
  // The dead-letter topic is left out: one-off readers of it (the demo's report) keep a lag there.
  const topics = (await withDemoAdmin(bootstrap, 'held-out', (admin) => admin.listTopics())).filter(
    (t) => !t.startsWith('__') && t !== dlqTopic,
  );
  await waitForConsumers(
    bootstrap,
    topics,
    300_000,
    (step, detail) => say(`${step}: ${detail ?? ''}`),
    `${consumerGroupPrefix(ns, pipeline.metadata.name)}.`,
  );

  const ids = new Set(posted.flatMap((p) => [...p.accepted]));
  const mongo = new MongoClient(mongoUrl);
  let alerts: AlertSeen[];
  try {
    await mongo.connect();
    alerts = (
      await mongo
        .db()
        .collection(ALERTS_COLLECTION)
        .find({ applicationId: { $in: [...ids] } }, { projection: { applicationId: 1, ruleId: 1, mode: 1 } })
        .toArray()
    ).map((d) => ({
      applicationId: String(d.applicationId),
      ruleId: String(d.ruleId),
      mode: d.mode as AlertSeen['mode'],
    }));
  } finally {
    await mongo.close();
  }
  const dead = await deadLettersFor(bootstrap, dlqTopic, ids);
  const outcomes = variants.map((v) => scoreHeldOut(v, alerts));
  const farPast = variants.flatMap((v) => v.posts).filter((p) => p.expect.kind === 'beyond-horizon').length;
  const caught = (o: VariantOutcome) => o.scenarios.reduce((s, x) => s + x.caught, 0);
  const groups = (o: VariantOutcome) => o.scenarios.reduce((s, x) => s + x.groups, 0);
  const [inOrder, shuffled] = outcomes as [VariantOutcome, VariantOutcome];

  const checks: HeldOutCheck[] = [
    {
      name: 'far-future submittedAt refused with 400 naming /submittedAt',
      ok: posted.every((p) => p.refusedAsExpected === p.refusedExpected),
      detail: posted.map((p) => `${p.refusedAsExpected}/${p.refusedExpected}`).join(', '),
    },
    {
      name: 'every other post accepted',
      ok: posted.every((p) => p.unexpected.length === 0),
      detail: posted.flatMap((p) => p.unexpected).join('; ') || 'all 202',
    },
    {
      name: 'every fraud group caught in time order',
      ok: caught(inOrder) === groups(inOrder),
      detail: `${caught(inOrder)}/${groups(inOrder)}`,
    },
    {
      name: 'shuffled traffic caught as well as in-order traffic',
      ok: caught(shuffled) === groups(shuffled) && caught(shuffled) >= caught(inOrder),
      detail: `${caught(shuffled)}/${groups(shuffled)} shuffled vs ${caught(inOrder)}/${groups(inOrder)} in order`,
    },
    {
      name: 'no live alert on legitimate traffic',
      ok: outcomes.every((o) => o.falsePositives.length === 0),
      detail: outcomes.flatMap((o) => o.falsePositives.map((f) => `${f.look}:${f.ruleId}`)).join(', ') || '0',
    },
    {
      name: 'far-past applications recorded as beyond-horizon dead letters',
      ok: (dead.get('beyond-horizon') ?? 0) === farPast,
      detail: `${dead.get('beyond-horizon') ?? 0} of ${farPast}; all reasons: ${JSON.stringify(Object.fromEntries(dead))}`,
    },
  ];
  const result = { args, outcomes, checks };
  mkdirSync(demoStateDir, { recursive: true });
  writeFileSync(join(demoStateDir, 'held-out.json'), `${JSON.stringify(result, null, 2)}\n`);
  return result;
}
