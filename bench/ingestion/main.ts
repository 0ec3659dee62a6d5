/**
 * Ingestion benchmark against the harness's real Kafka broker. In one run:
 * 1. Ceiling: a raw produce loop with the client the API uses (@platformatic/kafka through
 *    workloads/shared/kafka-client.ts `createProducer`: the same idempotent acks=all producer,
 *    pre-pseudonymized events as the API's own messages, keyed by customerId): one message per send,
 *    and 100 per send, at the same concurrency.
 * 2. The ingestion API in its own process (`credit-platform ingestion-api`), driven over HTTP with
 *    keep-alive (node:http): single posts (`POST /v1/applications`) and batches of 100 (`:batch`).
 * Ceiling and API alternate for BENCH_ROUNDS rounds (default 2), after a warm-up of both; each side's
 * best round is compared. Reports sustained applications/s, p50/p99 latency per call, the API's RSS,
 * and the ratio to the ceiling (issue 15: single and batch posts each at >= 80 % of their ceiling). Bounded by BENCH_SINGLE (default 4000 posts), BENCH_BATCHES (default
 * 80 x 100) and BENCH_CONCURRENCY (default 16); traffic only to 127.0.0.1. Writes bench/results/ingestion.md.
 * Each run also reports the writer's CPU per application: the bench process's own (the raw loops
 * produce in it) or the API process's (from /proc), so the API's cost beyond producing shows.
 * BENCH_CPU_PROFILE=<dir> writes a V8 CPU profile of the API process there (node --cpu-prof).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../../infra/lib/paths.ts';
import { freePort } from '../../infra/lib/process.ts';
import { requireInfra } from '../../infra/lib/state.ts';
import type { ApplicationEvent, ApplicationSubmission } from '../../workloads/contract/application.ts';
import { pseudonymize } from '../../workloads/contract/pseudonymize.ts';
import { generateApplications } from '../../workloads/generator/generate.ts';
import { postJson } from '../../workloads/generator/post-json.ts';
import { toMessage } from '../../workloads/ingestion-api/sink.ts';
import {
  type BytesMessage,
  bytesMessage,
  createAdmin,
  createProducer,
  ensureTopic,
} from '../../workloads/shared/kafka-client.ts';
import { cpuSeconds, rssMiB } from '../lib/proc.ts';

const SINGLE = Number(process.env.BENCH_SINGLE ?? 4000);
const BATCHES = Number(process.env.BENCH_BATCHES ?? 80);
const BATCH_SIZE = 100;
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const KEY = 'bench-pseudonymization-key-0123456789';
/** Share of the ceiling each API figure must reach (issue 15 item 4). */
const TARGET = 0.8;
const brokers = requireInfra('kafka').bootstrapServers;
const PROFILE_DIR = process.env.BENCH_CPU_PROFILE;

interface Result {
  name: string;
  calls: number;
  applications: number;
  seconds: number;
  appsPerSecond: number;
  callsPerSecond: number;
  p50ms: number;
  p99ms: number;
  errors: number;
  /** CPU of the writer (the bench process for raw loops, the API process for the API) per application, µs. */
  cpuUsPerApp: number;
}

/** CPU time (user + system, µs) a process has used so far: this one, or another from /proc. */
function cpuMicros(pid?: number): number {
  if (pid === undefined) {
    const u = process.cpuUsage();
    return u.user + u.system;
  }
  return cpuSeconds(pid) * 1_000_000;
}

const percentile = (sorted: number[], p: number) =>
  sorted.length === 0
    ? Number.NaN
    : (sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0);

/** Runs `calls` calls with `concurrency` workers; each call's latency recorded. */
async function drive(
  name: string,
  calls: number,
  perCall: number,
  call: (i: number) => Promise<boolean>,
  writerPid?: number,
): Promise<Result> {
  const latencies: number[] = [];
  let next = 0;
  let errors = 0;
  const cpu0 = cpuMicros(writerPid);
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (let i = next++; i < calls; i = next++) {
        const s = performance.now();
        const ok = await call(i).catch(() => false);
        latencies.push(performance.now() - s);
        if (!ok) errors++;
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  const cpuUsPerApp = (cpuMicros(writerPid) - cpu0) / (calls * perCall);
  latencies.sort((a, b) => a - b);
  return {
    name,
    calls,
    applications: calls * perCall,
    seconds,
    appsPerSecond: (calls * perCall) / seconds,
    callsPerSecond: calls / seconds,
    p50ms: percentile(latencies, 0.5),
    p99ms: percentile(latencies, 0.99),
    errors,
    cpuUsPerApp,
  };
}

async function startApiProcess(topic: string): Promise<{ child: ChildProcess; url: string }> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(repoRoot, 'cli', 'main.ts'), 'ingestion-api'],
    {
      cwd: repoRoot,
      env: {
        ...process.env,
        KAFKA_BROKERS: brokers,
        APPLICATIONS_TOPIC: topic,
        PSEUDONYMIZATION_KEY: KEY,
        HTTP_PORT: String(port),
        HTTP_HOST: '127.0.0.1',
        LOG_LEVEL: 'warn',
        ...(PROFILE_DIR === undefined
          ? {}
          : {
              NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${PROFILE_DIR} --cpu-prof-name=ingestion-api.cpuprofile`,
            }),
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`ingestion-api exited with ${child.exitCode}`);
    const ready = await fetch(`${url}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) return { child, url };
    if (Date.now() > deadline) throw new Error('ingestion-api not ready after 60 s');
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Keep-alive HTTP with the body written with the headers (see workloads/generator/post-json.ts). */
const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
const post = async (url: string, body: string): Promise<boolean> =>
  (await postJson(agent, url, body)).status === 202;

const errors = (results: readonly Result[]) => results.reduce((n, r) => n + r.errors, 0);

async function main(): Promise<void> {
  const total = Math.max(SINGLE, BATCHES * BATCH_SIZE);
  process.stderr.write(`[bench] generating ${total} applications\n`);
  const apps: ApplicationSubmission[] = generateApplications({ seed: 2024, count: total }).map(
    (a) => a.submission,
  );
  const events: ApplicationEvent[] = apps.map((a) => pseudonymize(a, KEY, new Date()));
  const singleBodies = apps.slice(0, SINGLE).map((a) => JSON.stringify(a));
  const batchBodies = Array.from({ length: BATCHES }, (_, b) =>
    JSON.stringify({ applications: apps.slice(b * BATCH_SIZE, (b + 1) * BATCH_SIZE) }),
  );

  const topic = `bench_ingest_${Date.now().toString(36)}`;
  const connection = { brokers: [brokers], clientId: 'bench-ingestion' };
  await ensureTopic(connection, topic, { partitions: 3 });
  const producer = createProducer(connection);
  // The API's messages, as bytes, built before timing (the API builds its own per request).
  const messages: BytesMessage[] = events.map((e) => bytesMessage(topic, toMessage(e)));
  const results: Result[] = [];
  let rss = Number.NaN;
  process.stderr.write('[bench] ingestion API in its own process\n');
  const { child, url } = await startApiProcess(topic);
  try {
    // Warm-up of both sides (connections, JIT) before anything is timed.
    await producer.send({ messages: messages.slice(0, BATCH_SIZE) });
    await post(`${url}/v1/applications`, singleBodies[0] as string);
    await post(`${url}/v1/applications:batch`, batchBodies[0] as string);
    // Ceiling and API alternate, round after round, so drift in the machine's load or the broker's
    // state hits both alike; each side's best round is compared.
    for (let round = 1; round <= ROUNDS; round++) {
      process.stderr.write(`[bench] round ${round}/${ROUNDS}: raw produce (ceiling), then the API\n`);
      results.push(
        await drive(`raw produce, 1 message per send (ceiling), round ${round}`, SINGLE, 1, async (i) => {
          await producer.send({ messages: [messages[i] as BytesMessage] });
          return true;
        }),
      );
      results.push(
        await drive(
          `API POST /v1/applications, round ${round}`,
          SINGLE,
          1,
          (i) => post(`${url}/v1/applications`, singleBodies[i] as string),
          child.pid,
        ),
      );
      results.push(
        await drive(
          `raw produce, ${BATCH_SIZE} per send (ceiling), round ${round}`,
          BATCHES,
          BATCH_SIZE,
          async (b) => {
            await producer.send({ messages: messages.slice(b * BATCH_SIZE, (b + 1) * BATCH_SIZE) });
            return true;
          },
        ),
      );
      results.push(
        await drive(
          `API POST /v1/applications:batch (${BATCH_SIZE} each), round ${round}`,
          BATCHES,
          BATCH_SIZE,
          (b) => post(`${url}/v1/applications:batch`, batchBodies[b] as string),
          child.pid,
        ),
      );
    }
    if (child.pid !== undefined) rss = rssMiB(child.pid);
  } finally {
    agent.destroy();
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    await producer.close();
  }

  const bestOf = (prefix: string) =>
    results
      .filter((r) => r.name.startsWith(prefix))
      .reduce<Result | undefined>(
        (b, r) => (b === undefined || r.appsPerSecond > b.appsPerSecond ? r : b),
        undefined,
      );
  const rawSingle = bestOf('raw produce, 1 message');
  const rawBatch = bestOf(`raw produce, ${BATCH_SIZE} per send`);
  const apiSingle = bestOf('API POST /v1/applications,');
  const apiBatch = bestOf('API POST /v1/applications:batch');
  const share = (a?: Result, b?: Result) => (a && b ? a.appsPerSecond / b.appsPerSecond : Number.NaN);
  const ratio = (a?: Result, b?: Result) => {
    const r = share(a, b);
    return `${(r * 100).toFixed(0)}% (target ≥ ${TARGET * 100}%: ${r >= TARGET ? 'met' : 'NOT met'})`;
  };
  const pltVersion = (
    JSON.parse(
      readFileSync(join(repoRoot, 'node_modules', '@platformatic', 'kafka', 'package.json'), 'utf8'),
    ) as { version: string }
  ).version;
  const row = (r: Result) =>
    `| ${r.name} | ${r.calls} | ${r.applications} | ${r.appsPerSecond.toFixed(0)} | ${r.callsPerSecond.toFixed(0)} | ${r.p50ms.toFixed(1)} | ${r.p99ms.toFixed(1)} | ${r.cpuUsPerApp.toFixed(1)} | ${r.errors} |`;
  const md = [
    '# Ingestion benchmark',
    '',
    `Run ${new Date().toISOString()} against the harness's Kafka ${requireInfra('kafka').version} (one broker, topic with 3 partitions); both sides write with @platformatic/kafka ${pltVersion} (idempotent, acks=all, the Java client's partitioner; one produce request in flight per broker connection); ${CONCURRENCY} concurrent callers; node ${process.version}; the API in its own process; machine shared with other work (2 cores).`,
    '',
    '| run | calls | applications | applications/s | calls/s | p50 ms | p99 ms | writer CPU µs/application | errors |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...results.map(row),
    '',
    `- Single posts reach ${ratio(apiSingle, rawSingle)} of the raw one-message produce loop's throughput (best of ${ROUNDS} alternating rounds each; p99 ${apiSingle?.p99ms.toFixed(1)} ms vs ${rawSingle?.p99ms.toFixed(1)} ms).`,
    `- Batch posts reach ${ratio(apiBatch, rawBatch)} of the raw ${BATCH_SIZE}-per-send produce loop's throughput (best of ${ROUNDS}; p99 per call ${apiBatch?.p99ms.toFixed(1)} ms vs ${rawBatch?.p99ms.toFixed(1)} ms).`,
    `- API process RSS after the runs: ${rss.toFixed(0)} MiB.`,
    "- Writer CPU: the bench process's CPU for the raw loops (it produces; its HTTP-free loop is nearly all producer work), the API process's for the API runs (HTTP, body, validation, pseudonymization, serialization, producing); the API's figure beyond the raw one is its own work per application.",
    '- Latency is per call (a batch call carries 100 applications); every 202 was sent after Kafka acknowledged.',
    `- Load average at the end (1/5/15 min): ${loadavg()
      .map((l) => l.toFixed(1))
      .join(
        ' / ',
      )} on ${availableParallelism()} CPUs: figures are CPU-starved when it is well above the CPU count.`,
    '',
  ].join('\n');
  mkdirSync(join(repoRoot, 'bench', 'results'), { recursive: true });
  writeFileSync(join(repoRoot, 'bench', 'results', 'ingestion.md'), md);
  process.stdout.write(md);
  const admin = createAdmin(connection);
  await admin.deleteTopics({ topics: [topic] }).catch(() => {});
  await admin.close();
  const failed = errors(results);
  if (failed > 0) throw new Error(`${failed} call(s) failed: the figures above are not comparable`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
