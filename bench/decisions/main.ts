/**
 * Decision latency benchmark, on the harness's real Kafka, PostgreSQL and Mongo-wire server, with the
 * pipeline as it runs in a cluster: the ingestion API, the fraud detector and the decision service each
 * in a process of its own (`credit-platform <subcommand>`, as in their pods), applications posted to the
 * API (batch posts every 20 ms) at fixed rates by this process.
 *
 * Per rate, for the applications posted in that window, p50/p99 of each stage:
 * - accepted: post → the API's 202 (validated, pseudonymized, acked by Kafka with acks=all);
 * - verdict (the detector alone, in the same run): post → the verdict complete on the verdicts topic
 *   (the latest part's Kafka timestamp: the broker's append time, LogAppendTime on this topic);
 * - service: per application, verdict complete → decision record written (the decision service's own
 *   share: fetch, join, scorecard, warehouse insert);
 * - decision: post (the API's receipt, same machine) → decision record written
 *   (decision_record.recorded_at, the database's clock), and applications/s decided;
 * and the CPU each process used (share of one core) while the rate ran.
 * Writes bench/results/decisions.md. Bounded: BENCH_RATES (default 250,500,1000,2000 per second),
 * BENCH_SECONDS per rate (default 10), BENCH_WARMUP_SECONDS (default 3, at 200/s, not reported),
 * BENCH_PARTITIONS (default 3). BENCH_CPU_PROFILE=<dir> writes a V8 CPU profile of each component
 * there (node --cpu-prof; open in Chrome DevTools). The figures are only meaningful on a quiet machine.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';
import pg from 'pg';
import { verdictRecordParts } from '../../api/verdict.ts';
import { repoRoot } from '../../infra/lib/paths.ts';
import { freePort } from '../../infra/lib/process.ts';
import { requireInfra } from '../../infra/lib/state.ts';
import { createTopicsWithLeaders } from '../../lib/kafka-topics.ts';
import { createTestDatabase } from '../../test/integration/warehouse/support.ts';
import { generateApplications } from '../../workloads/generator/generate.ts';
import { createBatchConsumer } from '../../workloads/shared/batch-consumer.ts';
import { withAdmin } from '../../workloads/shared/kafka-client.ts';
import {
  machineSpeedLine,
  measureMachineSpeed,
  measureRequestCost,
  requestCostLine,
} from '../lib/machine-speed.ts';
import { cpuSeconds } from '../lib/proc.ts';

const RATES = (process.env.BENCH_RATES ?? '250,500,1000,2000').split(',').map(Number);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 3);
const PARTITIONS = Number(process.env.BENCH_PARTITIONS ?? 3);
const PROFILE_DIR = process.env.BENCH_CPU_PROFILE;
const TICK_MS = 20;
const BENCH_APPLICATION_NAME = 'decisions-bench';
const brokers = requireInfra('kafka').bootstrapServers;
const connection = { brokers: [brokers], clientId: 'decisions-bench' };
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
const progress = (s: string) => process.stderr.write(`[bench] ${s}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}
const ms = (v: number) => (Number.isNaN(v) ? 'n/a' : v.toFixed(0));
const p50p99 = (values: number[]) => {
  const s = [...values].sort((a, b) => a - b);
  return `${ms(percentile(s, 50))} / ${ms(percentile(s, 99))}`;
};

interface Component {
  name: string;
  child: ChildProcess;
  /** Where its /readyz answers. */
  readyUrl: string;
}

/** A component as its own process, as in its pod. */
function spawnComponent(
  name: string,
  subcommand: string,
  env: Record<string, string>,
  readyUrl: string,
): Component {
  const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'cli', 'main.ts'), subcommand], {
    cwd: repoRoot,
    env: {
      ...process.env,
      LOG_LEVEL: 'warn',
      ...(PROFILE_DIR === undefined
        ? {}
        : {
            NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${PROFILE_DIR} --cpu-prof-name=${subcommand}.cpuprofile`,
          }),
      ...env,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  child.once('exit', (code, signal) => {
    if (!stopping) progress(`${name} exited (code ${code}, signal ${signal})`);
  });
  return { name, child, readyUrl };
}
let stopping = false;

async function waitReady(components: Component[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const c of components) {
    for (;;) {
      if (c.child.exitCode !== null) throw new Error(`${c.name} exited during start-up`);
      const ok = await fetch(c.readyUrl)
        .then(async (r) => {
          await r.arrayBuffer();
          return r.ok;
        })
        .catch(() => false);
      if (ok) break;
      if (Date.now() > deadline) throw new Error(`${c.name} not ready after ${timeoutMs} ms`);
      await sleep(200);
    }
  }
}

async function stopAll(components: Component[]): Promise<void> {
  stopping = true;
  await Promise.all(
    components.map(async ({ child }) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    }),
  );
}

/**
 * CPU seconds used so far by the PostgreSQL backends serving `database` (the decision service's
 * inserts, the API's lookups; not this bench's own, named BENCH_APPLICATION_NAME), by backend pid;
 * a backend that ended keeps its last figure.
 */
async function warehouseCpu(pool: pg.Pool, database: string, seen: Map<number, number>): Promise<number> {
  const r = await pool.query<{ pid: number }>(
    'SELECT pid FROM pg_stat_activity WHERE datname = $1 AND application_name <> $2',
    [database, BENCH_APPLICATION_NAME],
  );
  for (const { pid } of r.rows) {
    const s = cpuSeconds(pid);
    if (!Number.isNaN(s)) seen.set(pid, s);
  }
  let total = 0;
  for (const s of seen.values()) total += s;
  return total;
}

/** Verdict completion time per application (ms), from the verdicts topic as it arrives. */
function watchVerdicts(): { completeAt: Map<string, number>; stop: () => Promise<void> } {
  const parts = new Map<string, { expected?: Set<string>; windows: Set<string>; latest: number }>();
  const completeAt = new Map<string, number>();
  const consumer = createBatchConsumer(connection, {
    groupId: `bench-verdicts-${suffix}`,
    topics: [topics.verdicts],
    fromBeginning: true,
    // An observer on the machine under test: it reads the broker's append times, so when it reads
    // does not change the figures, and it reads seldom (a fetch waits for 64 KiB or 250 ms): each
    // wake-up costs ~0.1 ms of CPU here, taken from the pipeline it measures. Nothing to resume, so
    // no commit per batch either.
    maxWaitTime: 250,
    minBytes: 64 * 1024,
    eachBatch: (batch) => {
      for (const message of batch.messages)
        for (const part of verdictRecordParts(message).parts) {
          const p = parts.get(part.applicationId) ?? { windows: new Set<string>(), latest: 0 };
          p.latest = Math.max(p.latest, message.timestamp);
          if (part.kind === 'source') p.expected = new Set(part.windowKeys);
          else p.windows.add(part.keyPath);
          parts.set(part.applicationId, p);
          if (p.expected !== undefined && [...p.expected].every((k) => p.windows.has(k))) {
            completeAt.set(part.applicationId.toLowerCase(), p.latest);
            parts.delete(part.applicationId);
          }
        }
    },
  });
  const ready = consumer.start();
  return {
    completeAt,
    stop: async () => {
      await ready.catch(() => {});
      await consumer.stop();
    },
  };
}

interface Posted {
  postedAt: Map<string, number>;
  /** Per application: post → 202 (ms). */
  acceptedMs: Map<string, number>;
  sent: number;
  rejected: number;
  postSeconds: number;
  t0: number;
}

/** Posts `rate`/s for `seconds` (batch posts every TICK_MS). */
async function postAtRate(apiUrl: string, rate: number, seconds: number, seed: number): Promise<Posted> {
  const total = Math.round(rate * seconds);
  const apps = generateApplications({ seed, count: total, start: Date.now() - 1000, intervalMs: 1 });
  const postedAt = new Map<string, number>();
  const acceptedMs = new Map<string, number>();
  const perTick = Math.max(1, Math.round((rate * TICK_MS) / 1000));
  const t0 = Date.now();
  let sent = 0;
  let rejected = 0;
  const inflight: Promise<void>[] = [];
  for (let tick = 0; sent < total; tick++) {
    const wait = t0 + tick * TICK_MS - Date.now();
    if (wait > 0) await sleep(wait);
    const batch = apps.slice(sent, sent + perTick).map((a) => a.submission);
    sent += batch.length;
    const at = Date.now();
    const ids = batch.map((s) => s.applicationId.toLowerCase());
    for (const id of ids) postedAt.set(id, at);
    inflight.push(
      fetch(`${apiUrl}/v1/applications:batch`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ applications: batch }),
      }).then(
        async (res) => {
          await res.arrayBuffer();
          const took = Date.now() - at;
          for (const id of ids) {
            if (res.status === 202) acceptedMs.set(id, took);
            else postedAt.delete(id);
          }
          if (res.status !== 202) rejected += ids.length;
        },
        () => {
          rejected += ids.length;
          for (const id of ids) postedAt.delete(id);
        },
      ),
    );
  }
  await Promise.all(inflight);
  return { postedAt, acceptedMs, sent, rejected, postSeconds: (Date.now() - t0) / 1000, t0 };
}

async function main(): Promise<void> {
  const speed = measureMachineSpeed();
  progress(machineSpeedLine(speed));
  const requestCost = await measureRequestCost();
  progress(requestCostLine(requestCost));
  await withAdmin(connection, (admin) =>
    createTopicsWithLeaders(
      admin,
      Object.values(topics).map((topic) => ({
        topic,
        numPartitions: PARTITIONS,
        replicationFactor: 1,
        // A verdict part's timestamp is when the broker appended it (not when the detector's producer
        // queued it): "verdict complete on the topic" is when the decision service could first read it.
        ...(topic === topics.verdicts
          ? { configEntries: [{ name: 'message.timestamp.type', value: 'LogAppendTime' }] }
          : {}),
      })),
    ),
  );
  const db = await createTestDatabase('bench_decisions');
  const mongoDatabase = `bench_dec_${suffix}`;
  const [httpPort, detectorOps, serviceOps] = await Promise.all([freePort(), freePort(), freePort()]);
  const kafkaEnv = { KAFKA_BROKERS: brokers, KAFKA_GROUP_PREFIX: `bench${suffix}` };
  const components = [
    spawnComponent(
      'ingestion API',
      'ingestion-api',
      {
        ...kafkaEnv,
        APPLICATIONS_TOPIC: topics.applications,
        PSEUDONYMIZATION_KEY: 'bench-pseudonymization-key-0123',
        HTTP_PORT: String(httpPort),
        HTTP_HOST: '127.0.0.1',
        MAX_BATCH: '1000',
      },
      `http://127.0.0.1:${httpPort}/readyz`,
    ),
    spawnComponent(
      'fraud detector',
      'fraud-detector',
      {
        ...kafkaEnv,
        APPLICATIONS_TOPIC: topics.applications,
        DLQ_TOPIC: topics.deadLetter,
        ALERTS_TOPIC: topics.alerts,
        VERDICTS_TOPIC: topics.verdicts,
        DETECTOR_APP_ID: 'fraud-detector',
        MONGO_URL: requireInfra('mongo').url,
        MONGO_DATABASE: mongoDatabase,
        MONGO_ALERTS_COLLECTION: 'fraud_alerts',
        OPS_PORT: String(detectorOps),
        OPS_HOST: '127.0.0.1',
      },
      `http://127.0.0.1:${detectorOps}/readyz`,
    ),
    spawnComponent(
      'decision service',
      'decision-service',
      {
        ...kafkaEnv,
        APPLICATIONS_TOPIC: topics.applications,
        VERDICTS_TOPIC: topics.verdicts,
        DECISIONS_TOPIC: topics.decisions,
        DATABASE_URL: db.url,
        OPS_PORT: String(serviceOps),
        OPS_HOST: '127.0.0.1',
        POD_NAME: 'bench',
      },
      `http://127.0.0.1:${serviceOps}/readyz`,
    ),
  ];
  const apiUrl = `http://127.0.0.1:${httpPort}`;
  const verdicts = watchVerdicts();
  const pool = new pg.Pool({ connectionString: db.url, max: 2, application_name: BENCH_APPLICATION_NAME });
  const pgSeen = new Map<number, number>();
  const rows: string[] = [];
  try {
    // Every consumer group joined (the first post would otherwise measure the joins).
    await waitReady(components, 180_000);
    progress('all components ready');
    let seed = 1;
    const decidedAt = async (ids: string[], timeoutMs: number) => {
      let decided: Array<{ id: string; at: number }> = [];
      for (const until = Date.now() + timeoutMs; Date.now() < until; ) {
        const r = await pool.query<{ id: string; at: Date }>(
          'SELECT application_id::text AS id, recorded_at AS at FROM decision_record WHERE revision = 1 AND application_id = ANY($1::uuid[])',
          [ids],
        );
        decided = r.rows.map((x) => ({ id: x.id, at: x.at.getTime() }));
        if (decided.length >= ids.length) break;
        await sleep(250);
      }
      return decided;
    };
    if (WARMUP_SECONDS > 0) {
      const warm = await postAtRate(apiUrl, 200, WARMUP_SECONDS, seed++);
      const n = (await decidedAt([...warm.postedAt.keys()], 60_000)).length;
      progress(`warm-up: ${n} of ${warm.postedAt.size} decided`);
    }
    for (const rate of RATES) {
      const cpuBefore = components.map((c) => cpuSeconds(c.child.pid));
      const pgBefore = await warehouseCpu(pool, db.name, pgSeen);
      const benchCpuBefore = process.cpuUsage();
      const wallBefore = Date.now();
      const posted = await postAtRate(apiUrl, rate, SECONDS, seed++);
      const ids = [...posted.postedAt.keys()];
      // Wait for the decisions (at most 60 s after the last post).
      const decided = await decidedAt(ids, 60_000);
      const pgCpu = (await warehouseCpu(pool, db.name, pgSeen)) - pgBefore;
      const wall = (Date.now() - wallBefore) / 1000;
      const cpu = components.map((c, i) => (cpuSeconds(c.child.pid) - (cpuBefore[i] ?? 0)) / wall);
      const benchCpu = process.cpuUsage(benchCpuBefore);
      const load = loadavg()[0] ?? Number.NaN;
      const { postedAt, acceptedMs } = posted;
      const decision = decided.map((d) => d.at - (postedAt.get(d.id) ?? d.at));
      const accepted = ids.filter((id) => acceptedMs.has(id)).map((id) => acceptedMs.get(id) ?? 0);
      const verdict = ids
        .filter((id) => verdicts.completeAt.has(id))
        .map((id) => (verdicts.completeAt.get(id) ?? 0) - (postedAt.get(id) ?? 0));
      const service = decided
        .filter((d) => verdicts.completeAt.has(d.id))
        .map((d) => d.at - (verdicts.completeAt.get(d.id) ?? d.at));
      const last = Math.max(...decided.map((d) => d.at));
      const span = (last - posted.t0) / 1000;
      const pct = (v: number | undefined) =>
        v === undefined || Number.isNaN(v) ? 'n/a' : `${(v * 100).toFixed(0)}%`;
      rows.push(
        `| ${rate} | ${(posted.sent / posted.postSeconds).toFixed(0)} | ${decided.length} / ${ids.length}${posted.rejected ? ` (${posted.rejected} refused)` : ''} | ${(decided.length / span).toFixed(0)} | **${p50p99(decision)}** | ${p50p99(accepted)} | ${p50p99(verdict)} | ${p50p99(service)} | ${pct(cpu[0])} / ${pct(cpu[1])} / ${pct(cpu[2])} / ${pct((benchCpu.user + benchCpu.system) / 1e6 / wall)} | ${pct(pgCpu / wall)} | ${load.toFixed(1)} |`,
      );
      progress(rows.at(-1) ?? '');
    }
  } finally {
    await stopAll(components);
    await verdicts.stop().catch(() => undefined);
    await pool.end().catch(() => undefined);
    await db.drop().catch(() => undefined);
    // Left behind, every run's partitions would add to the broker's work in the runs after it.
    await withAdmin(connection, (a) => a.deleteTopics({ topics: Object.values(topics) })).catch(
      () => undefined,
    );
    const mongo = new MongoClient(requireInfra('mongo').url);
    await mongo
      .connect()
      .then(() => mongo.db(mongoDatabase).dropDatabase())
      .catch(() => undefined);
    await mongo.close().catch(() => undefined);
  }
  out('# Decision latency: ingestion API → fraud detector → decision service');
  out();
  out(machineSpeedLine(speed));
  out();
  out(requestCostLine(requestCost));
  out();
  out(
    `${SECONDS} s per rate (after ${WARMUP_SECONDS} s of warm-up), batch posts every ${TICK_MS} ms; the ingestion API, one fraud detector and one decision service each in its own process (as in their pods), ${PARTITIONS} partitions; default rules, built-in champion.`,
  );
  out();
  out('Per application, p50 / p99 in ms:');
  out(
    "- **decision**: post (the API's receipt, same machine) → decision record written (decision_record.recorded_at);",
  );
  out("- accepted: post → the API's 202 (application on the applications topic, acks=all);");
  out(
    '- verdict: post → verdict complete on the verdicts topic (the detector alone, same run; includes accepted);',
  );
  out("- service: verdict complete → decision record written (the decision service's own share).");
  out();
  out(
    'CPU: share of one core used by the API / detector / decision service / this load generator while the rate ran (2 cores in all, shared with Kafka, PostgreSQL and FerretDB); CPU PostgreSQL: the backends serving the pipeline’s warehouse connections (the decision service’s inserts, the API’s lookups); load: 1-minute load average at the end.',
  );
  out();
  out(
    '| rate /s | posted /s | decided | decisions /s | decision p50 / p99 | accepted p50 / p99 | verdict p50 / p99 | service p50 / p99 | CPU api / detector / service / bench | CPU PostgreSQL | load |',
  );
  out('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
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
