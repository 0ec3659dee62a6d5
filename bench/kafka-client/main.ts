/**
 * Kafka client benchmark: kafkajs (what the workloads use today, built by workloads/shared/kafka.ts)
 * beside @platformatic/kafka, on the harness's real broker, same records, same run. Scenarios:
 *   produce-single  one record per send, CONCURRENCY sends in flight, idempotent acks=all producer
 *                   (the ingestion API's single-post ceiling); p50/p99 per send
 *   produce-batch   BATCH records per send, same concurrency (the batch-post ceiling); p50/p99 per send
 *   consume         a consumer group reads N preloaded records, JSON.parse each, commits per batch
 *                   (the detector's "plain consume loop" ceiling)
 *   pipe            consume + produce the same records to another topic (idempotent, acks=all) +
 *                   commit after the write lands, per batch: the Flink-free ceiling of a stream stage;
 *                   p50/p99 of one batch's produce + commit
 *   hops            latency, not throughput: records produced at a fixed rate (BENCH_HOP_RATES, default
 *                   1000,2000 per second, BENCH_HOP_SECONDS each) piped through two consume + produce +
 *                   commit stages (the detector's shape: applications → repartition → verdicts) and read
 *                   back; p50/p99 from the first send to the read, per record (the record's timestamp is
 *                   carried through both hops), after every consumer joined and 2 s of warm-up
 * Each (client, scenario) runs in its own child process, so its peak RSS is its own; every pair runs
 * ROUNDS times, the order of the two clients alternating between rounds. Every run is checked: the
 * target topic holds exactly the records sent (no loss, no duplicate). Also checks that both clients
 * place keys on the partitions the Java client (and kafkajs's DefaultPartitioner) does.
 * Bounded by BENCH_N (default 20000), BENCH_SINGLE (4000), BENCH_BATCHES (80 x 100),
 * BENCH_CONCURRENCY (16), BENCH_ROUNDS (2). Writes bench/results/kafka-client.md.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  compatibilityPartitioner,
  Consumer as PltConsumer,
  Producer as PltProducer,
  defaultPartitioner as pltDefaultPartitioner,
  stringSerializers,
} from '@platformatic/kafka';
import { type Consumer, type Kafka, type Message, Partitioners } from 'kafkajs';
import { repoRoot } from '../../infra/lib/paths.ts';
import { requireInfra } from '../../infra/lib/state.ts';
import { pseudonymize } from '../../workloads/contract/pseudonymize.ts';
import { generateApplications } from '../../workloads/generator/generate.ts';
import { toMessage } from '../../workloads/ingestion-api/sink.ts';
import { createIdempotentProducer, createKafka } from '../../workloads/shared/kafka.ts';
import { consumeLoop, pipeStage } from '../lib/stream-loops.ts';

const N = Number(process.env.BENCH_N ?? 20_000);
const SINGLE = Number(process.env.BENCH_SINGLE ?? 4000);
const BATCHES = Number(process.env.BENCH_BATCHES ?? 80);
const BATCH = 100;
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const PARTITIONS = 3;
const KEY = 'bench-pseudonymization-key-0123456789';
const CLIENTS = ['kafkajs', 'platformatic'] as const;
const SCENARIOS = ['produce-single', 'produce-batch', 'consume', 'pipe', 'hops'] as const;
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
type ClientName = (typeof CLIENTS)[number];
type Scenario = (typeof SCENARIOS)[number];

interface WorkerJob {
  client: ClientName;
  scenario: Scenario;
  brokers: string;
  /** produce-*: the topic written; consume/pipe: the preloaded topic read. */
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
  /** Latency per send (produce-*) or per batch's produce + commit (pipe), ms; empty for consume. */
  p50ms: number | null;
  p99ms: number | null;
  batches: number;
  startRssMiB: number;
  peakRssMiB: number;
}

const percentile = (sorted: number[], p: number): number | null =>
  sorted.length === 0 ? null : (sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? null);

/** The records every scenario moves: the ingestion API's own messages for generated applications. */
function records(count: number): Message[] {
  return generateApplications({ seed: 2024, count }).map((a) =>
    toMessage(pseudonymize(a.submission, KEY, new Date())),
  );
}
const headerRecord = (m: Message): Record<string, string> => (m.headers ?? {}) as Record<string, string>;

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
// Worker side: one client, one scenario, in its own process.

interface Measured {
  records: number;
  ms: number;
  lat: number[];
  batches: number;
}

async function kafkajsScenario(job: WorkerJob, msgs: Message[]): Promise<Measured> {
  const kafka: Kafka = createKafka({ brokers: [job.brokers], clientId: `bench-${job.scenario}` });
  if (job.scenario === 'produce-single' || job.scenario === 'produce-batch') {
    const producer = createIdempotentProducer(kafka);
    await producer.connect();
    const per = job.scenario === 'produce-single' ? 1 : BATCH;
    const calls = job.scenario === 'produce-single' ? SINGLE : BATCHES;
    const r = await drive(calls, async (i) => {
      await producer.send({ topic: job.topic, acks: -1, messages: msgs.slice(i * per, (i + 1) * per) });
    });
    await producer.disconnect();
    return { records: calls * per, ms: r.ms, lat: r.lat, batches: calls };
  }
  const pipe = job.scenario === 'pipe';
  const producer = pipe ? createIdempotentProducer(kafka) : undefined;
  await producer?.connect();
  const consumer = kafka.consumer({ groupId: job.groupId, maxBytesPerPartition: 512 * 1024 });
  await consumer.connect();
  await consumer.subscribe({ topic: job.topic, fromBeginning: true });
  const lat: number[] = [];
  let seen = 0;
  let batches = 0;
  let started = 0;
  const ms = await new Promise<number>((resolve, reject) => {
    consumer
      .run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: PARTITIONS,
        eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
          const last = batch.messages.at(-1);
          if (last === undefined) return;
          if (started === 0) started = performance.now();
          for (const m of batch.messages) JSON.parse(m.value?.toString('utf8') ?? 'null');
          const s = performance.now();
          if (producer !== undefined)
            await producer.send({
              topic: job.target,
              acks: -1,
              messages: batch.messages.map((m) => ({ key: m.key, value: m.value, headers: m.headers })),
            });
          await consumer.commitOffsets([
            { topic: batch.topic, partition: batch.partition, offset: (BigInt(last.offset) + 1n).toString() },
          ]);
          if (pipe) lat.push(performance.now() - s);
          resolveOffset(last.offset);
          await heartbeat();
          batches++;
          seen += batch.messages.length;
          if (seen >= N) resolve(performance.now() - started);
        },
      })
      .catch(reject);
  });
  await consumer.disconnect();
  await producer?.disconnect();
  return { records: seen, ms, lat: lat.sort((a, b) => a - b), batches };
}

async function platformaticScenario(job: WorkerJob, msgs: Message[]): Promise<Measured> {
  const base = { clientId: `bench-${job.scenario}`, bootstrapBrokers: [job.brokers] };
  if (job.scenario === 'produce-single' || job.scenario === 'produce-batch') {
    // compatibilityPartitioner: the Java client's placement (the default differs, see the report).
    const producer = new PltProducer({
      ...base,
      idempotent: true,
      partitioner: compatibilityPartitioner,
      serializers: stringSerializers,
    });
    const per = job.scenario === 'produce-single' ? 1 : BATCH;
    const calls = job.scenario === 'produce-single' ? SINGLE : BATCHES;
    const r = await drive(calls, async (i) => {
      await producer.send({
        messages: msgs.slice(i * per, (i + 1) * per).map((m) => ({
          topic: job.topic,
          key: String(m.key),
          value: String(m.value),
          headers: headerRecord(m),
        })),
      });
    });
    await producer.close();
    return { records: calls * per, ms: r.ms, lat: r.lat, batches: calls };
  }
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
  msgs: Message[],
  rate: number,
  send: (batch: Message[]) => Promise<void>,
): Promise<void> {
  const t0 = Date.now();
  let sent = 0;
  const inFlight: Promise<void>[] = [];
  while (sent < msgs.length) {
    const due = Math.min(msgs.length, Math.floor(((Date.now() - t0) / 1000) * rate));
    if (due > sent) {
      const now = String(Date.now());
      const batch = msgs.slice(sent, due).map((m) => ({ ...m, timestamp: now }));
      inFlight.push(send(batch));
      sent = due;
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  await Promise.all(inFlight);
}

/** Two piped hops at a fixed rate (kafkajs): latency from the send to the read after the second hop. */
async function kafkajsHops(job: WorkerJob, msgs: Message[]): Promise<Measured> {
  const kafka: Kafka = createKafka({ brokers: [job.brokers], clientId: 'bench-hops' });
  const stages = [
    [job.topic, job.target],
    [job.target, job.third],
  ] as const;
  const stopAll: Array<() => Promise<void>> = [];
  const joins: Promise<void>[] = [];
  const joined = (c: Consumer) =>
    joins.push(new Promise<void>((resolve) => c.on(c.events.GROUP_JOIN, () => resolve())));
  for (const [from, to] of stages) {
    const producer = createIdempotentProducer(kafka);
    await producer.connect();
    const consumer = kafka.consumer({ groupId: `${job.groupId}-${from}`, maxWaitTimeInMs: 100 });
    joined(consumer);
    await consumer.connect();
    await consumer.subscribe({ topic: from, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: PARTITIONS,
      eachBatch: async ({ batch, resolveOffset }) => {
        const last = batch.messages.at(-1);
        if (last === undefined) return;
        for (const m of batch.messages) JSON.parse(m.value?.toString('utf8') ?? 'null');
        await producer.send({
          topic: to,
          acks: -1,
          messages: batch.messages.map((m) => ({
            key: m.key,
            value: m.value,
            headers: m.headers,
            timestamp: m.timestamp,
          })),
        });
        await consumer.commitOffsets([
          { topic: batch.topic, partition: batch.partition, offset: (BigInt(last.offset) + 1n).toString() },
        ]);
        resolveOffset(last.offset);
      },
    });
    stopAll.push(async () => {
      await consumer.disconnect();
      await producer.disconnect();
    });
  }
  const reader = kafka.consumer({ groupId: `${job.groupId}-read`, maxWaitTimeInMs: 100 });
  joined(reader);
  await reader.connect();
  await reader.subscribe({ topic: job.third, fromBeginning: true });
  const lat: number[] = [];
  let read = 0;
  let measureFrom = Number.POSITIVE_INFINITY;
  const done = new Promise<void>((resolve) => {
    void reader.run({
      eachBatch: async ({ batch }) => {
        const now = Date.now();
        for (const m of batch.messages) {
          read++;
          if (Number(m.timestamp) >= measureFrom) lat.push(now - Number(m.timestamp));
        }
        if (read >= msgs.length) resolve();
      },
    });
  });
  const producer = createIdempotentProducer(kafka);
  await producer.connect();
  await Promise.all(joins);
  measureFrom = Date.now() + HOP_WARMUP_MS;
  const t0 = performance.now();
  await sendAtRate(msgs, job.rate, async (batch) => {
    await producer.send({ topic: job.topic, acks: -1, messages: batch });
  });
  await done;
  const ms = performance.now() - t0;
  await producer.disconnect();
  await reader.disconnect();
  for (const stop of stopAll) await stop();
  return { records: read, ms, lat: lat.sort((a, b) => a - b), batches: 0 };
}

/** The same two hops with @platformatic/kafka. */
async function platformaticHops(job: WorkerJob, msgs: Message[]): Promise<Measured> {
  const base = { clientId: 'bench-hops', bootstrapBrokers: [job.brokers] };
  const stages = [
    [job.topic, job.target],
    [job.target, job.third],
  ] as const;
  const running = await Promise.all(
    stages.map(([from, to]) =>
      pipeStage(
        { brokers: [job.brokers], clientId: 'bench-hops' },
        { from, to, groupId: `${job.groupId}-${from}` },
      ),
    ),
  );
  const reader = new PltConsumer({ ...base, groupId: `${job.groupId}-read`, maxWaitTime: 100 });
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
  const producer = new PltProducer({
    ...base,
    idempotent: true,
    partitioner: compatibilityPartitioner,
    serializers: stringSerializers,
  });
  // consume() resolves once the consumer has joined its group.
  measureFrom = Date.now() + HOP_WARMUP_MS;
  const t0 = performance.now();
  await sendAtRate(msgs, job.rate, async (batch) => {
    await producer.send({
      messages: batch.map((m) => ({
        topic: job.topic,
        key: String(m.key),
        value: String(m.value),
        headers: headerRecord(m),
        timestamp: BigInt(m.timestamp ?? Date.now()),
      })),
    });
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
      ? job.client === 'kafkajs'
        ? await kafkajsHops(job, msgs)
        : await platformaticHops(job, msgs)
      : job.client === 'kafkajs'
        ? await kafkajsScenario(job, msgs)
        : await platformaticScenario(job, msgs);
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
      if (code !== 0 || line === '') reject(new Error(`${job.client} ${job.scenario} exited with ${code}`));
      else resolve(JSON.parse(line) as WorkerResult);
    });
  });
}

/** Records in a topic (sum of high watermarks; the topics are fresh, so low watermarks are 0). */
async function countRecords(kafka: Kafka, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return (await admin.fetchTopicOffsets(topic)).reduce((s, p) => s + Number(p.high), 0);
  } finally {
    await admin.disconnect();
  }
}

/** Keys whose partition differs from the Java client's (kafkajs DefaultPartitioner), per partitioner. */
function partitionerCheck(keys: string[]): { defaultMismatch: number; compatibilityMismatch: number } {
  const javaLike = Partitioners.DefaultPartitioner();
  const partitionMetadata = Array.from({ length: PARTITIONS }, (_, i) => ({
    partitionId: i,
    leader: 1,
    partitionErrorCode: 0,
    replicas: [1],
    isr: [1],
  }));
  let defaultMismatch = 0;
  let compatibilityMismatch = 0;
  for (const key of keys) {
    const expected = javaLike({ topic: 't', partitionMetadata, message: { key, value: null } });
    const buf = Buffer.from(key);
    const msg = { topic: 't', key: buf };
    if (pltDefaultPartitioner(msg, buf) % PARTITIONS !== expected) defaultMismatch++;
    if (compatibilityPartitioner(msg, buf) % PARTITIONS !== expected) compatibilityMismatch++;
  }
  return { defaultMismatch, compatibilityMismatch };
}

interface Row {
  round: number;
  client: ClientName;
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
  const kafka = createKafka({ brokers: [brokers], clientId: 'bench-kafka-client' });
  const suffix = randomUUID().slice(0, 8);
  const source = `bench_kc_src_${suffix}`;
  const topics: string[] = [source];
  const admin = kafka.admin();
  await admin.connect();
  const create = async (topic: string) => {
    topics.push(topic);
    await admin.createTopics({
      waitForLeaders: true,
      topics: [{ topic, numPartitions: PARTITIONS, replicationFactor: 1 }],
    });
  };
  await admin.createTopics({
    waitForLeaders: true,
    topics: [{ topic: source, numPartitions: PARTITIONS, replicationFactor: 1 }],
  });
  process.stderr.write(`[bench] preloading ${N} records into ${source}\n`);
  const preload = records(N);
  const producer = createIdempotentProducer(kafka);
  await producer.connect();
  for (let i = 0; i < N; i += 1000)
    await producer.send({ topic: source, acks: -1, messages: preload.slice(i, i + 1000) });
  await producer.disconnect();
  const placement = partitionerCheck(preload.map((m) => String(m.key)));

  const rows: Row[] = [];
  try {
    for (let round = 1; round <= ROUNDS; round++) {
      const order = round % 2 === 1 ? CLIENTS : [...CLIENTS].reverse();
      for (const { scenario, rate } of RUNS) {
        for (const client of order) {
          const id = `${scenario.replace('-', '')}${rate}_${client}_${round}_${suffix}`;
          const job: WorkerJob = {
            client,
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
          process.stderr.write(
            `[bench] round ${round}: ${client} ${scenario}${rate > 0 ? ` at ${rate}/s` : ''}\n`,
          );
          const result = await runWorker(job);
          const written =
            scenario === 'consume'
              ? undefined
              : scenario === 'pipe'
                ? job.target
                : scenario === 'hops'
                  ? job.third
                  : job.topic;
          let check = `${result.records} read`;
          if (written !== undefined) {
            const n = await countRecords(kafka, written);
            check =
              n === result.records
                ? `${n} written, exact`
                : `MISMATCH: ${n} in topic, ${result.records} sent`;
          }
          rows.push({ round, client, scenario, rate, result, check });
          const r = result;
          process.stderr.write(
            `[bench]   ${(r.records / r.seconds).toFixed(0)} records/s, p50 ${r.p50ms?.toFixed(1) ?? '-'} ms, p99 ${r.p99ms?.toFixed(1) ?? '-'} ms, peak RSS ${r.peakRssMiB.toFixed(0)} MiB; ${check}\n`,
          );
        }
      }
    }
  } finally {
    await admin.deleteTopics({ topics }).catch(() => undefined);
    await admin.disconnect();
  }

  const fmt = (v: number | null) => (v === null ? '–' : v.toFixed(1));
  const label: Record<Scenario, string> = {
    'produce-single': `produce, 1 record per send, ${CONCURRENCY} in flight`,
    'produce-batch': `produce, ${BATCH} per send, ${CONCURRENCY} in flight`,
    consume: 'consume loop (parse, commit per batch)',
    pipe: 'consume + produce + commit per batch',
    hops: 'two piped hops at a fixed rate',
  };
  const rowLabel = (r: Row) => (r.scenario === 'hops' ? `${label.hops}, ${r.rate}/s` : label[r.scenario]);
  const rate = (r: WorkerResult) => r.records / r.seconds;
  const ratioLines = SCENARIOS.filter((s) => s !== 'hops' && CHOSEN.includes(s)).map((s) => {
    const per = (c: ClientName) =>
      rows.filter((r) => r.scenario === s && r.client === c).map((r) => rate(r.result));
    const k = per('kafkajs');
    const p = per('platformatic');
    const pairs = k.map((kv, i) => `${(((p[i] ?? Number.NaN) / kv) * 100).toFixed(0)}%`);
    return `- ${label[s]}: @platformatic/kafka at ${pairs.join(' and ')} of kafkajs (round by round).`;
  });
  const md = [
    '# Kafka client benchmark: kafkajs beside @platformatic/kafka',
    '',
    `Run ${new Date().toISOString()}; harness Kafka ${kafkaInfo.version} (one broker, ${PARTITIONS} partitions per topic); node ${process.version}; kafkajs 2.2.4 as built by workloads/shared/kafka.ts (idempotent, acks=all, 1 request in flight per broker); @platformatic/kafka ${pltVersion} (idempotent, acks=all, compatibilityPartitioner). Records: the ingestion API's messages for generated applications (about 1 KB each). Each run in its own process (peak RSS is that process's, Node + tsx included; start RSS is before the client was created). Two shared cores, other work running: **figures are indicative**; compare the two clients within a round.`,
    '',
    '| round | scenario | client | records | records/s | p50 ms | p99 ms | batches | peak RSS MiB (start) | check |',
    '| ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
    ...rows.map(
      (r) =>
        `| ${r.round} | ${rowLabel(r)} | ${r.client} | ${r.result.records} | ${rate(r.result).toFixed(0)} | ${fmt(r.result.p50ms)} | ${fmt(r.result.p99ms)} | ${r.result.batches} | ${r.result.peakRssMiB.toFixed(0)} (${r.result.startRssMiB.toFixed(0)}) | ${r.check} |`,
    ),
    '',
    ...ratioLines,
    ...HOP_RATES.filter(() => CHOSEN.includes('hops')).map((rate) => {
      const p99 = (c: ClientName) =>
        rows
          .filter((r) => r.scenario === 'hops' && r.rate === rate && r.client === c)
          .map((r) => `${fmt(r.result.p50ms)} / ${fmt(r.result.p99ms)}`)
          .join(' and ');
      return `- Two piped hops at ${rate}/s, p50 / p99 ms from send to read: kafkajs ${p99('kafkajs')}; @platformatic/kafka ${p99('platformatic')} (round by round).`;
    }),
    '- Latency: per send for produce, per batch (produce + commit) for the pipe, per record from send to read for the hops; none for the consume loop.',
    `- Partition placement of the ${N} keys against the Java client's murmur2 (kafkajs DefaultPartitioner): @platformatic/kafka's default partitioner differs on ${placement.defaultMismatch}, its compatibilityPartitioner on ${placement.compatibilityMismatch}.`,
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
