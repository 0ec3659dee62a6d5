/**
 * Decision latency benchmark, on the harness's real Kafka, PostgreSQL and Mongo-wire server: the
 * ingestion API, the fraud detector and the decision service in this process, applications posted to
 * the API (batch posts every 20 ms) at fixed rates.
 *
 * Per rate, for the applications posted in that window:
 * - decisions: applications/s decided (decisions written / span from first post to last decision) and
 *   p50/p99 from the post (the API's receipt, same machine) to the decision record written
 *   (decision_record.recorded_at, the database's clock);
 * - the detector alone, in the same run: p50/p99 from the post to the verdict complete on the verdicts
 *   topic (the latest part's Kafka timestamp: the broker's append time, LogAppendTime on this topic);
 * - the decision service's own share: p50/p99 per application of verdict complete → decision written.
 * Writes bench/results/decisions.md. Bounded: BENCH_RATES (default 250,500,1000,2000 per second),
 * BENCH_SECONDS per rate (default 10). The figures are only meaningful on a quiet machine.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import pg from 'pg';
import type { VerdictPart } from '../../api/verdict.ts';
import { repoRoot } from '../../infra/lib/paths.ts';
import { requireInfra } from '../../infra/lib/state.ts';
import { createTestDatabase } from '../../test/integration/warehouse/support.ts';
import { startDecisionService } from '../../workloads/decision-service/service.ts';
import { DEFAULT_HORIZON_MS } from '../../workloads/fraud-detector/core/event-time.ts';
import { startFraudDetector } from '../../workloads/fraud-detector/detector.ts';
import { generateApplications } from '../../workloads/generator/generate.ts';
import { loadIngestionConfig } from '../../workloads/ingestion-api/config.ts';
import { startIngestionApi } from '../../workloads/ingestion-api/server.ts';

const RATES = (process.env.BENCH_RATES ?? '250,500,1000,2000').split(',').map(Number);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const TICK_MS = 20;
const brokers = requireInfra('kafka').bootstrapServers;
const kafka = new Kafka({ clientId: 'decisions-bench', brokers: [brokers], logLevel: logLevel.NOTHING });
const suffix = randomUUID().slice(0, 8);
const topics = {
  applications: `bench_dec_apps_${suffix}`,
  deadLetter: `bench_dec_dlq_${suffix}`,
  alerts: `bench_dec_alerts_${suffix}`,
  verdicts: `bench_dec_verdicts_${suffix}`,
  decisions: `bench_dec_decisions_${suffix}`,
};
const lines: string[] = [];
const out = (s = '') => {
  lines.push(s);
  console.log(s);
};

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}
const ms = (v: number) => (Number.isNaN(v) ? 'n/a' : v.toFixed(1));

/** Verdict completion time per application (ms), from the verdicts topic as it arrives. */
function watchVerdicts(): { completeAt: Map<string, number>; stop: () => Promise<void> } {
  const parts = new Map<string, { expected?: Set<string>; windows: Set<string>; latest: number }>();
  const completeAt = new Map<string, number>();
  const consumer = kafka.consumer({ groupId: `bench-verdicts-${suffix}`, maxWaitTimeInMs: 20 });
  const ready = (async () => {
    await consumer.connect();
    await consumer.subscribe({ topic: topics.verdicts, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const part = JSON.parse(message.value?.toString() ?? '{}') as VerdictPart;
        const p = parts.get(part.applicationId) ?? { windows: new Set<string>(), latest: 0 };
        p.latest = Math.max(p.latest, Number(message.timestamp));
        if (part.kind === 'source') p.expected = new Set(part.windowKeys);
        else p.windows.add(part.keyPath);
        parts.set(part.applicationId, p);
        if (p.expected !== undefined && [...p.expected].every((k) => p.windows.has(k))) {
          completeAt.set(part.applicationId.toLowerCase(), p.latest);
          parts.delete(part.applicationId);
        }
      },
    });
  })();
  return {
    completeAt,
    stop: async () => {
      await ready;
      await consumer.disconnect();
    },
  };
}

async function main(): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    waitForLeaders: true,
    topics: Object.values(topics).map((topic) => ({
      topic,
      numPartitions: 3,
      replicationFactor: 1,
      // A verdict part's timestamp is when the broker appended it (not when the detector's producer
      // queued it): "verdict complete on the topic" is when the decision service could first read it.
      ...(topic === topics.verdicts
        ? { configEntries: [{ name: 'message.timestamp.type', value: 'LogAppendTime' }] }
        : {}),
    })),
  });
  await admin.disconnect();
  const db = await createTestDatabase('bench_decisions');
  const api = await startIngestionApi(
    loadIngestionConfig({
      KAFKA_BROKERS: brokers,
      APPLICATIONS_TOPIC: topics.applications,
      PSEUDONYMIZATION_KEY: 'bench-pseudonymization-key-0123',
      HTTP_PORT: '0',
      HTTP_HOST: '127.0.0.1',
      MAX_BATCH: '1000',
    }),
  );
  await api.waitUntilReady(60_000);
  const detector = await startFraudDetector({
    kafkaBrokers: brokers,
    kafkaTls: false,
    applicationsTopic: topics.applications,
    deadLetterTopic: topics.deadLetter,
    alertsTopic: topics.alerts,
    verdictsTopic: topics.verdicts,
    groupPrefix: `bench${suffix}`,
    appId: 'fraud-detector',
    mongoUrl: requireInfra('mongo').url,
    mongoDatabase: `bench_dec_${suffix}`,
    alertsCollection: 'fraud_alerts',
    rulesPollMs: 5000,
    repartitionRetentionMs: 3_600_000,
    maxStateEntries: 2_000_000,
    eventTimeHorizonMs: DEFAULT_HORIZON_MS,
    opsPort: 0,
    opsHost: '127.0.0.1',
  });
  const service = await startDecisionService({
    kafkaBrokers: brokers,
    kafkaTls: false,
    applicationsTopic: topics.applications,
    verdictsTopic: topics.verdicts,
    decisionsTopic: topics.decisions,
    groupPrefix: `bench${suffix}`,
    databaseUrl: db.url,
    opsPort: 0,
    opsHost: '127.0.0.1',
    sessionTimeoutMs: 30_000,
    writerId: 'bench',
  });
  const verdicts = watchVerdicts();
  const pool = new pg.Pool({ connectionString: db.url, max: 2 });
  const rows: string[] = [];
  try {
    // Wait until both consumer groups are in (the first post would otherwise measure the join).
    for (const until = Date.now() + 60_000; Date.now() < until; ) {
      if ((await service.ready()) === null && (await detector.ready()) === null) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    let seed = 1;
    for (const rate of RATES) {
      const total = rate * SECONDS;
      const apps = generateApplications({
        seed: seed++,
        count: total,
        start: Date.now() - 1000,
        intervalMs: 1,
      });
      const postedAt = new Map<string, number>();
      const perTick = Math.max(1, Math.round((rate * TICK_MS) / 1000));
      const t0 = Date.now();
      let sent = 0;
      let rejected = 0;
      const inflight: Promise<void>[] = [];
      for (let tick = 0; sent < total; tick++) {
        const due = t0 + tick * TICK_MS;
        const wait = due - Date.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        const batch = apps.slice(sent, sent + perTick).map((a) => a.submission);
        sent += batch.length;
        const at = Date.now();
        for (const s of batch) postedAt.set(s.applicationId.toLowerCase(), at);
        inflight.push(
          fetch(`${api.url}/v1/applications:batch`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ applications: batch }),
          }).then(async (res) => {
            await res.arrayBuffer();
            if (res.status !== 202) {
              rejected += batch.length;
              for (const s of batch) postedAt.delete(s.applicationId.toLowerCase());
            }
          }),
        );
      }
      await Promise.all(inflight);
      const postSeconds = (Date.now() - t0) / 1000;
      // Wait for the decisions (at most 60 s after the last post).
      const ids = [...postedAt.keys()];
      let decided: Array<{ id: string; at: number }> = [];
      for (const until = Date.now() + 60_000; Date.now() < until; ) {
        const r = await pool.query<{ id: string; at: Date }>(
          'SELECT application_id::text AS id, recorded_at AS at FROM decision_record WHERE revision = 1 AND application_id = ANY($1::uuid[])',
          [ids],
        );
        decided = r.rows.map((x) => ({ id: x.id, at: x.at.getTime() }));
        if (decided.length >= ids.length) break;
        await new Promise((r) => setTimeout(r, 250));
      }
      const decisionLat = decided.map((d) => d.at - (postedAt.get(d.id) ?? d.at)).sort((a, b) => a - b);
      const verdictLat = ids
        .filter((id) => verdicts.completeAt.has(id))
        .map((id) => (verdicts.completeAt.get(id) ?? 0) - (postedAt.get(id) ?? 0))
        .sort((a, b) => a - b);
      // The decision service's own share: verdict complete on the topic → decision record written.
      const serviceLat = decided
        .filter((d) => verdicts.completeAt.has(d.id))
        .map((d) => d.at - (verdicts.completeAt.get(d.id) ?? d.at))
        .sort((a, b) => a - b);
      const last = Math.max(...decided.map((d) => d.at));
      const span = (last - t0) / 1000;
      rows.push(
        `| ${rate} | ${(sent / postSeconds).toFixed(0)} | ${decided.length} / ${ids.length}${rejected ? ` (${rejected} refused)` : ''} | ${(decided.length / span).toFixed(0)} | ${ms(percentile(decisionLat, 50))} | ${ms(percentile(decisionLat, 99))} | ${ms(percentile(verdictLat, 50))} | ${ms(percentile(verdictLat, 99))} | ${ms(percentile(serviceLat, 50))} | ${ms(percentile(serviceLat, 99))} |`,
      );
      console.log(rows.at(-1));
    }
  } finally {
    await verdicts.stop().catch(() => undefined);
    await service.close().catch(() => undefined);
    await detector.close().catch(() => undefined);
    await api.close().catch(() => undefined);
    await pool.end().catch(() => undefined);
    await db.drop().catch(() => undefined);
  }
  out('# Decision latency: ingestion API → fraud detector → decision service');
  out();
  out(
    `${SECONDS} s per rate, batch posts every ${TICK_MS} ms, one detector and one decision service replica in the bench process, 3 partitions; default rules, built-in champion. Latency from the post (the API's receipt, same machine) to the decision record written (decision_record.recorded_at), and, in the same run, to the verdict complete on the verdicts topic (the detector alone); service: per application, verdict complete → decision written (the decision service's own share).`,
  );
  out();
  out(
    '| rate /s | posted /s | decided | decisions /s | decision p50 ms | decision p99 ms | detector p50 ms | detector p99 ms | service p50 ms | service p99 ms |',
  );
  out('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const r of rows) out(r);
  const dir = join(repoRoot, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'decisions.md'), `${lines.join('\n')}\n`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
