/**
 * Kafka client benchmark: the platform's one Kafka client, @platformatic/kafka as the workloads build it
 * (workloads/shared/kafka-client.ts, batch-consumer.ts, bench/lib/stream-loops.ts), on the harness's
 * real broker, same records, same run. The scenarios set its paths side by side:
 *   produce-single  one record per send, CONCURRENCY sends in flight, idempotent acks=all producer
 *                   (the ingestion API's single-post ceiling); p50/p99 per send
 *   produce-batch   BATCH records per send, same concurrency (the batch-post ceiling); p50/p99 per send
 *   consume         the raw loop: a consumer group reads N preloaded records from the client's message
 *                   stream, JSON.parse each, commits per batch (the detector's "plain consume loop" ceiling)
 *   consume-batch   the same through the platform's group consumer (batch-consumer.ts: per-partition
 *                   batches, commits with the generation): what the adapter costs beside the raw loop
 *   pipe            consume + produce the same records to another topic (idempotent, acks=all) +
 *                   commit after the write lands, per batch: the Flink-free ceiling of a stream stage;
 *                   p50/p99 of one batch's produce + commit
 *   hops            latency, not throughput: records produced at a fixed rate (BENCH_HOP_RATES, default
 *                   1000,2000 per second, BENCH_HOP_SECONDS each) piped through two consume + produce +
 *                   commit stages (the detector's shape: applications → repartition → verdicts) and read
 *                   back; p50/p99 from the first send to the read, per record (the record's timestamp is
 *                   carried through both hops), after every consumer joined and 2 s of warm-up
 * Each scenario runs in its own child process, so its peak RSS is its own; every scenario runs ROUNDS
 * times. Every run is checked: the target topic holds exactly the records sent (no loss, no duplicate).
 * Bounded by BENCH_N (default 20000), BENCH_SINGLE (4000), BENCH_BATCHES (80 x 100),
 * BENCH_CONCURRENCY (16), BENCH_ROUNDS (2). Writes bench/results/kafka-client.md.
 *
 * Until issue 15 it compared kafkajs with @platformatic/kafka to choose the client; those figures are
 * kept as text in bench/kafka-client/README.md.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Admin } from '@platformatic/kafka';
import { repoRoot } from '../../infra/lib/paths.ts';
import { requireInfra } from '../../infra/lib/state.ts';
import { createTopicsWithLeaders } from '../../lib/kafka-topics.ts';
import { pseudonymize } from '../../workloads/contract/pseudonymize.ts';
import { generateApplications } from '../../workloads/generator/generate.ts';
import { toMessage } from '../../workloads/ingestion-api/sink.ts';
import { createBatchConsumer } from '../../workloads/shared/batch-consumer.ts';
import type { KafkaConnection } from '../../workloads/shared/kafka.ts';
import {
  type BytesMessage,
  bytesMessage,
  createAdmin,
  createConsumer,
  createProducer,
  type TextMessage,
} from '../../workloads/shared/kafka-client.ts';
import { consumeLoop, pipeStage } from '../lib/stream-loops.ts';

const N = Number(process.env.BENCH_N ?? 20_000);
const SINGLE = Number(process.env.BENCH_SINGLE ?? 4000);
const BATCHES = Number(process.env.BENCH_BATCHES ?? 80);
const BATCH = 100;
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const PARTITIONS = 3;
const KEY = 'bench-pseudonymization-key-0123456789';
const SCENARIOS = ['produce-single', 'produce-batch', 'consume', 'consume-batch', 'pipe', 'hops'] as const;
const HOP_RATES = (process.env.BENCH_HOP_RATES ?? '1000,2000').split(',').map(Number);
const HOP_SECONDS = Number(process.env.BENCH_HOP_SECONDS ?? 10);
/** hops: records sent in the first 2 s are read but not timed (connections, first fetches). */
const HOP_WARMUP_MS = 2000;
/** BENCH_SCENARIOS: a comma-separated subset (default all). */
const CHOSEN = (process.env.BENCH_SCENARIOS ?? SCENARIOS.join(',')).split(',') as Scenario[];
const RUNS: Array<{ scenario: Scenario; rate: number }> = SCENARIOS.filter((s) => CHOSEN.includes(s)).flatMap(
  (scenario): Array<{ scenario: Scenario; rate: number }> =>
    scenario === 'hops' ? HOP_RATES.map((rate) => ({ scenario, rate })) : [{ scenario, rate: 0 }],
);
type Scenario = (typeof SCENARIOS)[number];

interface WorkerJob {
  scenario: Scenario;
  brokers: string;
  /** produce-*: the topic written; consume, consume-batch, pipe: the preloaded topic read. */
  topic: string;
  /** pipe: the topic written; hops: the first hop's output. */
  target: string;
  /** hops: the second hop's output (read back). */
  third: string;
  /** hops: records per second sent. */
  rate: number;
  groupId: string;
}

interface WorkerResult {
  records: number;
  seconds: number;
  /** Latency per send (produce-*) or per batch's produce + commit (pipe), ms; empty for consume*. */
  p50ms: number | null;
  p99ms: number | null;
  batches: number;
  startRssMiB: number;
  peakRssMiB: number;
}

const percentile = (sorted: number[], p: number): number | null =>
  sorted.length === 0 ? null : (sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? null);

/** The records every scenario moves: the ingestion API's own messages for generated applications. */
function records(count: number): TextMessage[] {
  return generateApplications({ seed: 2024, count }).map((a) =>
    toMessage(pseudonymize(a.submission, KEY, new Date())),
  );
}

/** `calls` calls, CONCURRENCY at a time; each call's latency recorded. */
async function drive(
  calls: number,
  call: (i: number) => Promise<void>,
): Promise<{ ms: number; lat: number[] }> {
  const lat: number[] = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (let i = next++; i < calls; i = next++) {
        const s = performance.now();
        await call(i);
        lat.push(performance.now() - s);
      }
    }),
  );
  return { ms: performance.now() - t0, lat: lat.sort((a, b) => a - b) };
}

// ---------------------------------------------------------------------------------------------
// Worker side: one scenario, in its own process.

interface Measured {
  records: number;
  ms: number;
  lat: number[];
  batches: number;
}

async function produceScenario(job: WorkerJob, msgs: TextMessage[]): Promise<Measured> {
  const producer = createProducer({ brokers: [job.brokers], clientId: `bench-${job.scenario}` });
  const bytes = msgs.map((m) => bytesMessage(job.topic, m));
  const per = job.scenario === 'produce-single' ? 1 : BATCH;
  const calls = job.scenario === 'produce-single' ? SINGLE : BATCHES;
  const r = await drive(calls, async (i) => {
    await producer.send({ messages: bytes.slice(i * per, (i + 1) * per) });
  });
  await producer.close();
  return { records: calls * per, ms: r.ms, lat: r.lat, batches: calls };
}

/** N preloaded records through the platform's group consumer: parse each, commit per batch. */
async function batchConsumerScenario(job: WorkerJob): Promise<Measured> {
  let seen = 0;
  let batches = 0;
  let started = 0;
  let finished: (ms: number) => void = () => {};
  const done = new Promise<number>((resolve) => {
    finished = resolve;
  });
  const consumer = createBatchConsumer(
    { brokers: [job.brokers], clientId: 'bench-consume-batch' },
    {
      groupId: job.groupId,
      topics: [job.topic],
      maxBytesPerPartition: 512 * 1024,
      eachBatch: async (batch) => {
        if (started === 0) started = performance.now();
        for (const m of batch.messages) JSON.parse(m.value?.toString('utf8') ?? 'null');
        await consumer.commit([
          { topic: batch.topic, partition: batch.partition, offset: batch.lastOffset + 1n },
        ]);
        batches++;
        seen += batch.messages.length;
        if (seen >= N) finished(performance.now() - started);
      },
    },
  );
  await consumer.start();
  const ms = await done;
  await consumer.stop();
  return { records: seen, ms, lat: [], batches };
}

async function streamScenario(job: WorkerJob): Promise<Measured> {
  const r = await consumeLoop(
    { brokers: [job.brokers], clientId: 'bench' },
    {
      topic: job.topic,
      count: N,
      groupId: job.groupId,
      ...(job.scenario === 'pipe' ? { target: job.target } : {}),
    },
  );
  return { records: r.records, ms: r.ms, lat: r.batchMs, batches: r.batches };
}

/** Sends `msgs` at `rate` per second in 5 ms ticks through `send`; resolves when all are sent. */
async function sendAtRate(
  msgs: BytesMessage[],
  rate: number,
  send: (batch: BytesMessage[]) => Promise<void>,
): Promise<void> {
  const t0 = Date.now();
  let sent = 0;
  const inFlight: Promise<void>[] = [];
  while (sent < msgs.length) {
    const due = Math.min(msgs.length, Math.floor(((Date.now() - t0) / 1000) * rate));
    if (due > sent) {
      const now = BigInt(Date.now());
      const batch = msgs.slice(sent, due).map((m) => ({ ...m, timestamp: now }));
      inFlight.push(send(batch));
      sent = due;
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  await Promise.all(inFlight);
}

/** Two piped hops at a fixed rate: latency from the send to the read after the second hop. */
async function hops(job: WorkerJob, msgs: TextMessage[]): Promise<Measured> {
  const connection: KafkaConnection = { brokers: [job.brokers], clientId: 'bench-hops' };
  const stages = [
    [job.topic, job.target],
    [job.target, job.third],
  ] as const;
  const running = await Promise.all(
    stages.map(([from, to]) => pipeStage(connection, { from, to, groupId: `${job.groupId}-${from}` })),
  );
  const reader = createConsumer(connection, { groupId: `${job.groupId}-read`, maxWaitTime: 100 });
  const readStream = await reader.consume({
    topics: [job.third],
    mode: 'committed',
    fallbackMode: 'earliest',
    autocommit: true,
  });
  const lat: number[] = [];
  let read = 0;
  let measureFrom = Number.POSITIVE_INFINITY;
  const done = (async () => {
    for await (const m of readStream) {
      read++;
      if (Number(m.timestamp) >= measureFrom) lat.push(Date.now() - Number(m.timestamp));
      if (read >= msgs.length) break;
    }
  })();
  const producer = createProducer(connection);
  const bytes = msgs.map((m) => bytesMessage(job.topic, m));
  // consume() resolves once the consumer has joined its group.
  measureFrom = Date.now() + HOP_WARMUP_MS;
  const t0 = performance.now();
  await sendAtRate(bytes, job.rate, async (batch) => {
    await producer.send({ messages: batch });
  });
  await done;
  const ms = performance.now() - t0;
  await producer.close();
  await readStream.close();
  await reader.close();
  for (const stage of running) await stage.close();
  return { records: read, ms, lat: lat.sort((a, b) => a - b), batches: 0 };
}

async function worker(job: WorkerJob): Promise<void> {
  const startRss = process.memoryUsage().rss;
  const msgs = job.scenario.startsWith('produce')
    ? records(Math.max(SINGLE, BATCHES * BATCH))
    : job.scenario === 'hops'
      ? records(job.rate * HOP_SECONDS)
      : [];
  const m =
    job.scenario === 'hops'
      ? await hops(job, msgs)
      : job.scenario === 'consume-batch'
        ? await batchConsumerScenario(job)
        : job.scenario.startsWith('produce')
          ? await produceScenario(job, msgs)
          : await streamScenario(job);
  const result: WorkerResult = {
    records: m.records,
    seconds: m.ms / 1000,
    p50ms: percentile(m.lat, 0.5),
    p99ms: percentile(m.lat, 0.99),
    batches: m.batches,
    startRssMiB: startRss / 2 ** 20,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

// ---------------------------------------------------------------------------------------------
// Parent side: topics, preload, the runs, the checks, the report.

function runWorker(job: WorkerJob): Promise<WorkerResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--worker'], {
      cwd: repoRoot,
      env: { ...process.env, BENCH_JOB: JSON.stringify(job), LOG_LEVEL: 'error' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString('utf8');
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 10 * 60_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      const line = out.trim().split('\n').at(-1) ?? '';
      if (code !== 0 || line === '') reject(new Error(`${job.scenario} exited with ${code}`));
      else resolve(JSON.parse(line) as WorkerResult);
    });
  });
}

/** Records in a topic (sum of high watermarks; the topics are fresh, so low watermarks are 0). */
async function countRecords(admin: Admin, topic: string): Promise<number> {
  const [listed] = await admin.listOffsets({
    topics: [
      {
        name: topic,
        partitions: Array.from({ length: PARTITIONS }, (_, i) => ({ partitionIndex: i, timestamp: -1n })),
      },
    ],
  });
  return (listed?.partitions ?? []).reduce((s, p) => s + Number(p.offset), 0);
}

interface Row {
  round: number;
  scenario: Scenario;
  /** hops: the input rate; 0 otherwise. */
  rate: number;
  result: WorkerResult;
  check: string;
}

async function main(): Promise<void> {
  const kafkaInfo = requireInfra('kafka');
  const pltVersion = (
    JSON.parse(
      readFileSync(join(repoRoot, 'node_modules', '@platformatic', 'kafka', 'package.json'), 'utf8'),
    ) as { version: string }
  ).version;
  const brokers = kafkaInfo.bootstrapServers;
  const connection: KafkaConnection = { brokers: [brokers], clientId: 'bench-kafka-client' };
  const suffix = randomUUID().slice(0, 8);
  const source = `bench_kc_src_${suffix}`;
  const topics: string[] = [];
  const admin = createAdmin(connection);
  const create = async (topic: string) => {
    topics.push(topic);
    await createTopicsWithLeaders(admin, [{ topic, numPartitions: PARTITIONS, replicationFactor: 1 }]);
  };
  const rows: Row[] = [];
  try {
    await create(source);
    process.stderr.write(`[bench] preloading ${N} records into ${source}\n`);
    const preload = records(N).map((m) => bytesMessage(source, m));
    const producer = createProducer(connection);
    try {
      for (let i = 0; i < N; i += 1000) await producer.send({ messages: preload.slice(i, i + 1000) });
    } finally {
      await producer.close();
    }

    for (let round = 1; round <= ROUNDS; round++) {
      for (const { scenario, rate } of RUNS) {
        const id = `${scenario.replace('-', '')}${rate}_${round}_${suffix}`;
        const job: WorkerJob = {
          scenario,
          brokers,
          topic: source,
          target: '',
          third: '',
          rate,
          groupId: `bench-kc-${id}`,
        };
        if (scenario.startsWith('produce')) {
          job.topic = `bench_kc_${id}`;
          await create(job.topic);
        }
        if (scenario === 'pipe') {
          job.target = `bench_kc_${id}`;
          await create(job.target);
        }
        if (scenario === 'hops') {
          job.topic = `bench_kc_${id}_in`;
          job.target = `bench_kc_${id}_mid`;
          job.third = `bench_kc_${id}_out`;
          for (const t of [job.topic, job.target, job.third]) await create(t);
        }
        process.stderr.write(`[bench] round ${round}: ${scenario}${rate > 0 ? ` at ${rate}/s` : ''}\n`);
        const result = await runWorker(job);
        const written = scenario.startsWith('consume')
          ? undefined
          : scenario === 'pipe'
            ? job.target
            : scenario === 'hops'
              ? job.third
              : job.topic;
        let check = `${result.records} read`;
        if (written !== undefined) {
          const n = await countRecords(admin, written);
          check =
            n === result.records ? `${n} written, exact` : `MISMATCH: ${n} in topic, ${result.records} sent`;
        }
        rows.push({ round, scenario, rate, result, check });
        const r = result;
        process.stderr.write(
          `[bench]   ${(r.records / r.seconds).toFixed(0)} records/s, p50 ${r.p50ms?.toFixed(1) ?? '-'} ms, p99 ${r.p99ms?.toFixed(1) ?? '-'} ms, peak RSS ${r.peakRssMiB.toFixed(0)} MiB; ${check}\n`,
        );
      }
    }
  } finally {
    await admin.deleteTopics({ topics }).catch(() => undefined);
    await admin.close();
  }

  const fmt = (v: number | null) => (v === null ? '–' : v.toFixed(1));
  const label: Record<Scenario, string> = {
    'produce-single': `produce, 1 record per send, ${CONCURRENCY} in flight`,
    'produce-batch': `produce, ${BATCH} per send, ${CONCURRENCY} in flight`,
    consume: 'consume, raw stream loop (parse, commit per batch)',
    'consume-batch': 'consume, batch consumer (parse, commit per batch)',
    pipe: 'consume + produce + commit per batch',
    hops: 'two piped hops at a fixed rate',
  };
  const rowLabel = (r: Row) => (r.scenario === 'hops' ? `${label.hops}, ${r.rate}/s` : label[r.scenario]);
  const rate = (r: WorkerResult) => r.records / r.seconds;
  const rates = (s: Scenario) => rows.filter((r) => r.scenario === s).map((r) => rate(r.result));
  /** `a` as a share of `b`, round by round, when both ran. */
  const ratio = (a: Scenario, b: Scenario, text: string): string[] => {
    const [x, y] = [rates(a), rates(b)];
    if (x.length === 0 || y.length === 0) return [];
    const pairs = x.map((v, i) => `${((v / (y[i] ?? Number.NaN)) * 100).toFixed(0)}%`);
    return [`- ${text}: ${pairs.join(' and ')} (round by round).`];
  };
  const md = [
    '# Kafka client benchmark: @platformatic/kafka as the platform builds it',
    '',
    `Run ${new Date().toISOString()}; harness Kafka ${kafkaInfo.version} (one broker, ${PARTITIONS} partitions per topic); node ${process.version}; @platformatic/kafka ${pltVersion} as built by workloads/shared/kafka-client.ts (idempotent, acks=all, compatibilityPartitioner; commits by the caller). Records: the ingestion API's messages for generated applications (about 1 KB each). Each run in its own process (peak RSS is that process's, Node + tsx included; start RSS is before the client was created). Two shared cores, other work running: **figures are indicative**; compare the scenarios within a round. The earlier comparison with kafkajs: bench/kafka-client/README.md.`,
    '',
    '| round | scenario | records | records/s | p50 ms | p99 ms | batches | peak RSS MiB (start) | check |',
    '| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
    ...rows.map(
      (r) =>
        `| ${r.round} | ${rowLabel(r)} | ${r.result.records} | ${rate(r.result).toFixed(0)} | ${fmt(r.result.p50ms)} | ${fmt(r.result.p99ms)} | ${r.result.batches} | ${r.result.peakRssMiB.toFixed(0)} (${r.result.startRssMiB.toFixed(0)}) | ${r.check} |`,
    ),
    '',
    ...ratio('produce-single', 'produce-batch', 'Records/s of single sends as a share of batched sends'),
    ...ratio('consume-batch', 'consume', 'Records/s of the batch consumer as a share of the raw stream loop'),
    ...ratio(
      'pipe',
      'consume',
      'Records/s of the pipe (consume + produce + commit) as a share of the raw consume loop',
    ),
    ...HOP_RATES.filter(() => CHOSEN.includes('hops')).map((hopRate) => {
      const figures = rows
        .filter((r) => r.scenario === 'hops' && r.rate === hopRate)
        .map((r) => `${fmt(r.result.p50ms)} / ${fmt(r.result.p99ms)}`)
        .join(' and ');
      return `- Two piped hops at ${hopRate}/s, p50 / p99 ms from send to read: ${figures} (round by round).`;
    }),
    '- Latency: per send for produce, per batch (produce + commit) for the pipe, per record from send to read for the hops; none for the consume loops.',
    `- Load average at the end (1/5/15 min): ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' / ')} on ${availableParallelism()} CPUs.`,
    '',
  ].join('\n');
  mkdirSync(join(repoRoot, 'bench', 'results'), { recursive: true });
  writeFileSync(join(repoRoot, 'bench', 'results', 'kafka-client.md'), md);
  process.stdout.write(md);
}

const entry = process.argv.includes('--worker')
  ? worker(JSON.parse(process.env.BENCH_JOB ?? '{}') as WorkerJob)
  : main();
entry.then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
