/**
 * Fraud-detector benchmark, on the harness's real Kafka and Mongo-wire server, default rule set. Every
 * figure is printed beside a ceiling measured in the same run:
 *
 * 1. Throughput of one replica over N preloaded applications (from start to both stages drained:
 *    source stage + repartition + window stage + verdict parts + alert writes), beside
 *    - the plain consume loop (@platformatic/kafka, bench/lib/stream-loops.ts: JSON.parse + commit per
 *      batch) over the same topic;
 *    - a consume + produce + commit loop moving the same records (each batch produced to another
 *      topic by an idempotent acks=all producer, then committed): what a stream stage costs at least.
 * 2. Two replicas (two detector processes, `credit-platform fraud-detector`) draining a backlog of
 *    BENCH_BACKLOG applications, beside the plain consume loop over that topic and, run right after on
 *    the same topic, the Flink reference (bench/flink: the same rule set ported to a Flink 2.2.1
 *    DataStream job, local mini-cluster, parallelism BENCH_FLINK_PARALLELISM, default 2; built once
 *    per version of its sources into ~/.cache/credit-platform; timed by the job from its first
 *    application read to the job finished, so JVM start-up is not counted). Its alert keys are
 *    compared with ours (the same alerts are the acceptance test of the port). BENCH_FLINK=0 skips it;
 *    without java or mvn, or when its build fails, the bench says why and goes on. The figure from
 *    issue 15 (11,174–16,455 applications/s) stays as a historic row.
 * 3. Latency at fixed input rates (applications stamped `receivedAt` = send time, as the ingestion
 *    API does): p50/p99 from receipt to
 *    - a per-application alert seen on the alerts topic;
 *    - a window alert seen on the alerts topic, from the receipt of the application that completed
 *      the burst (the newest receipt among the flagged application and the window's members; an
 *      early member of a burst is flagged when a later one arrives, by definition);
 *    - the application's verdict complete on the verdicts topic (source part + one window part per
 *      window key: what the decision service waits for);
 *    beside the floor: the same applications piped through two Kafka hops (consume, produce, commit,
 *    twice) and read back, at the same rate.
 * 4. Memory per million keys of the window state (pure core, heap after GC).
 *
 * Writes bench/results/fraud-detector.md. Bounded: BENCH_N (default 20000), BENCH_BACKLOG (default
 * 200000; 0 skips the two-replica run), BENCH_FLINK (default 1), BENCH_RATES (default 100,1000,2000 per second), BENCH_SECONDS
 * per rate (default 15), BENCH_KEYS (default 300000). BENCH_ONLY runs some sections (a comma list of
 * memory, throughput, backlog, latency). BENCH_PROFILE=<dir> CPU-profiles the one-replica run
 * (node:inspector, in this process) and writes the profile and its summary there (./profile.ts); the
 * bench also prints that run's CPU time per application.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { MongoClient } from 'mongodb';
import { applicationName } from '../../api/topics.ts';
import { verdictRecordParts } from '../../api/verdict.ts';
import { repoRoot } from '../../infra/lib/paths.ts';
import { readPid } from '../../infra/lib/process.ts';
import { requireInfra } from '../../infra/lib/state.ts';
import { createTopicsWithLeaders, partitionCounts } from '../../lib/kafka-topics.ts';
import type { ApplicationEvent } from '../../workloads/contract/application.ts';
import { pseudonymize } from '../../workloads/contract/pseudonymize.ts';
import type { DetectorConfig } from '../../workloads/fraud-detector/config.ts';
import { DEFAULT_HORIZON_MS } from '../../workloads/fraud-detector/core/event-time.ts';
import { repartitionKeys } from '../../workloads/fraud-detector/core/repartition.ts';
import { PartitionWindows } from '../../workloads/fraud-detector/core/windows.ts';
import { startFraudDetector } from '../../workloads/fraud-detector/detector.ts';
import { compileRuleSet } from '../../workloads/fraud-detector/rules/compile.ts';
import { DEFAULT_RULES } from '../../workloads/fraud-detector/rules/default-rules.ts';
import { applicationStream, generateApplications } from '../../workloads/generator/generate.ts';
import { createBatchConsumer, type StreamMessage } from '../../workloads/shared/batch-consumer.ts';
import type { KafkaConnection } from '../../workloads/shared/kafka.ts';
import {
  type BytesMessage,
  bytesMessage,
  createAdmin,
  createProducer,
} from '../../workloads/shared/kafka-client.ts';
import { ensureFlinkJob, readAlertKeys, runFlinkBacklog, writeFlinkRules } from '../flink/run.ts';
import {
  machineSpeedLine,
  measureMachineSpeed,
  measureRequestCost,
  requestCostLine,
} from '../lib/machine-speed.ts';
import { cpuSeconds } from '../lib/proc.ts';
import { consumeLoop, pipeStage } from '../lib/stream-loops.ts';
import { type CpuProfile, startProfile, summarizeProfile } from './profile.ts';

const N = Number(process.env.BENCH_N ?? 20_000);
const BACKLOG = Number(process.env.BENCH_BACKLOG ?? 200_000);
const RATES = (process.env.BENCH_RATES ?? '100,1000,2000').split(',').map(Number);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 15);
const KEYS = Number(process.env.BENCH_KEYS ?? 300_000);
/** Sections to run (memory, throughput, backlog, latency); all by default. */
const ONLY = new Set((process.env.BENCH_ONLY ?? 'memory,throughput,backlog,latency').split(','));
/** When set, the one-replica run is CPU-profiled (node:inspector) and the profile written there. */
const PROFILE_DIR = process.env.BENCH_PROFILE;
const PARTITIONS = 3;
const FLINK_P2 = '11,174–16,455';
/** The Flink reference in the backlog section (BENCH_FLINK=0 skips it), and its parallelism. */
const FLINK = process.env.BENCH_FLINK !== '0';
const FLINK_PARALLELISM = Number(process.env.BENCH_FLINK_PARALLELISM ?? 2);
const KEY = 'bench-pseudonymization-key-0123';
const brokers = [requireInfra('kafka').bootstrapServers];
const mongoUrl = requireInfra('mongo').url;
const connection: KafkaConnection = { brokers, clientId: 'fd-bench' };
/** One admin client for the whole run (topics, lag polling), closed at the end. */
const admin = createAdmin(connection);
const suffix = randomUUID().slice(0, 8);
const lines: string[] = [];
const out = (s = '') => {
  lines.push(s);
  console.log(s);
};
const progress = (s: string) => process.stderr.write(`[bench] ${s}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const fmt = (n: number) => (Number.isFinite(n) ? n.toFixed(0) : '–');
const pct = (a: number, b: number) => `${((a / b) * 100).toFixed(1)}%`;

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}

async function createTopics(names: string[]): Promise<void> {
  await createTopicsWithLeaders(
    admin,
    names.map((topic) => ({ topic, numPartitions: PARTITIONS, replicationFactor: 1 })),
  );
}

const toMessage = (topic: string, e: ApplicationEvent): BytesMessage =>
  bytesMessage(topic, { key: e.applicant.customerId, value: JSON.stringify(e) });

/** Preloads `count` generated applications (generated and sent in slices, to bound memory). */
async function preload(topic: string, count: number, seed: number): Promise<void> {
  const producer = createProducer(connection);
  try {
    const stream = applicationStream({ seed, count, start: Date.now() - count * 100, intervalMs: 100 });
    let batch: BytesMessage[] = [];
    const receivedAt = new Date();
    for (const g of stream) {
      batch.push(toMessage(topic, pseudonymize(g.submission, KEY, receivedAt)));
      if (batch.length === 1000) {
        await producer.send({ messages: batch });
        batch = [];
      }
    }
    if (batch.length > 0) await producer.send({ messages: batch });
  } finally {
    await producer.close();
  }
}

/** Partition counts of the topics polled for lag (a topic's count does not change during the run). */
const partitionsOf = new Map<string, number>();

/** Records of `topic` the group has not committed yet (infinite while the topic is not there). */
async function lagOf(groupId: string, topic: string): Promise<number> {
  let partitions = partitionsOf.get(topic);
  if (partitions === undefined) {
    partitions = (await partitionCounts(admin, [topic]).catch(() => undefined))?.get(topic);
    if (partitions === undefined) return Number.POSITIVE_INFINITY;
    partitionsOf.set(topic, partitions);
  }
  const indexes = Array.from({ length: partitions }, (_, i) => i);
  try {
    const [ends] = await admin.listOffsets({
      topics: [
        { name: topic, partitions: indexes.map((partitionIndex) => ({ partitionIndex, timestamp: -1n })) },
      ],
    });
    const [group] = await admin.listConsumerGroupOffsets({
      groups: [{ groupId, topics: [{ name: topic, partitionIndexes: indexes }] }],
    });
    const committed = group?.topics.find((t) => t.name === topic)?.partitions ?? [];
    let behind = 0;
    for (const end of ends?.partitions ?? []) {
      const c = committed.find((p) => p.partitionIndex === end.partitionIndex)?.committedOffset;
      const at = c === undefined || c < 0n ? 0n : c;
      behind += Math.max(0, Number(end.offset - at));
    }
    return (ends?.partitions.length ?? 0) === 0 ? Number.POSITIVE_INFINITY : behind;
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

/** Both groups of a detector app drained (source first: then all its repartition output is there). */
async function waitDrained(config: DetectorConfig, timeoutMs: number): Promise<void> {
  const app = applicationName(config);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const src = await lagOf(app, config.applicationsTopic);
    const win = src === 0 ? await lagOf(`${app}-windows`, `${app}-repartition`) : 1;
    if (src === 0 && win === 0) return;
    if (Date.now() > deadline) throw new Error('detector did not drain in time');
    await sleep(100);
  }
}

function config(topics: { apps: string; dlq: string; alerts: string }, appId: string): DetectorConfig {
  return {
    kafkaBrokers: brokers.join(','),
    kafkaTls: false,
    applicationsTopic: topics.apps,
    deadLetterTopic: topics.dlq,
    alertsTopic: topics.alerts,
    verdictsTopic: `${topics.apps}_verdicts_${appId}`,
    groupPrefix: `bench${suffix}`,
    appId,
    mongoUrl,
    mongoDatabase: `fd_bench_${suffix}`,
    alertsCollection: `alerts_${appId}`,
    rulesPollMs: 5000,
    repartitionRetentionMs: 3_600_000,
    maxStateEntries: 2_000_000,
    eventTimeHorizonMs: DEFAULT_HORIZON_MS,
    opsPort: 0,
    opsHost: '127.0.0.1',
  };
}

/**
 * A ceiling over `count` preloaded records (bench/lib/stream-loops.ts, @platformatic/kafka): the plain
 * consume loop (parse, commit per batch), or with `target` the pipe (parse, produce the batch to
 * `target` with an idempotent acks=all producer, commit after the write). Records/s.
 */
async function loop(topic: string, count: number, target?: string): Promise<number> {
  const groupId = `fd-bench-${target === undefined ? 'consume' : 'pipe'}-${randomUUID().slice(0, 8)}`;
  const r = await consumeLoop(connection, {
    topic,
    count,
    groupId,
    ...(target === undefined ? {} : { target }),
  });
  return (r.records / r.ms) * 1000;
}

/** 1. One replica over the preloaded topic. */
async function throughput(topics: { apps: string; dlq: string; alerts: string }): Promise<number> {
  const cfg = config(topics, 'throughput');
  const detector = await startFraudDetector(cfg);
  // Timed from both groups joined, not from start-up (group joins are not throughput).
  while ((await detector.ready()) !== null) await sleep(20);
  const profile = PROFILE_DIR === undefined ? undefined : await startProfile();
  const cpu0 = process.cpuUsage();
  const started = performance.now();
  await waitDrained(cfg, 15 * 60_000);
  const ms = performance.now() - started;
  const cpu = process.cpuUsage(cpu0);
  if (profile !== undefined && PROFILE_DIR !== undefined) report(await profile.stop(), 'one-replica');
  await detector.close();
  const cpuMs = (cpu.user + cpu.system) / 1000;
  progress(
    `one replica: ${fmt((N / ms) * 1000)}/s, CPU ${fmt(cpuMs)} ms = ${((cpuMs * 1000) / N).toFixed(0)} µs per application (bench process, the detector in it), wall ${fmt(ms)} ms`,
  );
  return (N / ms) * 1000;
}

/** Writes a CPU profile and its summary (self time by function and by part of the code) to PROFILE_DIR. */
function report(profile: CpuProfile, name: string): void {
  const dir = PROFILE_DIR as string;
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${name}.cpuprofile`), JSON.stringify(profile));
  const summary = summarizeProfile(profile, { perItem: N });
  writeFileSync(join(dir, `${name}.txt`), `${summary}\n`);
  progress(`CPU profile of ${name} in ${dir}:\n${summary}`);
}

/** The detector as its own process, as in a pod. */
function spawnDetector(cfg: DetectorConfig): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'cli', 'main.ts'), 'fraud-detector'], {
    cwd: repoRoot,
    env: {
      ...process.env,
      KAFKA_BROKERS: cfg.kafkaBrokers,
      APPLICATIONS_TOPIC: cfg.applicationsTopic,
      DLQ_TOPIC: cfg.deadLetterTopic,
      ALERTS_TOPIC: cfg.alertsTopic,
      VERDICTS_TOPIC: cfg.verdictsTopic,
      KAFKA_GROUP_PREFIX: cfg.groupPrefix,
      DETECTOR_APP_ID: cfg.appId,
      MONGO_URL: cfg.mongoUrl,
      MONGO_DATABASE: cfg.mongoDatabase,
      MONGO_ALERTS_COLLECTION: cfg.alertsCollection,
      OPS_PORT: '0',
      OPS_HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

/** CPU seconds of the processes a drain runs on: the detectors, the alert store, the broker. */
interface DrainCpu {
  detectors: number;
  store: number;
  broker: number;
}

/** The harness's broker and Mongo-wire server (their PID files), whose CPU a drain also spends. */
const serverPids = { store: readPid('ferretdb'), broker: readPid('kafka') };

function drainCpu(detectorPids: ReadonlyArray<number | undefined>): DrainCpu {
  return {
    detectors: detectorPids.reduce<number>((sum, pid) => sum + cpuSeconds(pid), 0),
    store: cpuSeconds(serverPids.store),
    broker: cpuSeconds(serverPids.broker),
  };
}

/**
 * 2. Two replicas draining a backlog: timed from the first commit of the source group (both
 *    processes started, group formed) to both groups drained; with the CPU the detectors, the alert
 *    store and the broker used over that time (where a CPU-bound machine's time went).
 */
async function twoReplicas(topics: {
  apps: string;
  dlq: string;
  alerts: string;
}): Promise<{ rate: number; seconds: number; cpu: DrainCpu }> {
  const cfg = config(topics, 'backlog');
  const app = applicationName(cfg);
  const children = [spawnDetector(cfg), spawnDetector(cfg)];
  const pids = children.map((c) => c.pid);
  try {
    let started = 0;
    let cpuAtStart: DrainCpu | undefined;
    const deadline = Date.now() + 20 * 60_000;
    for (;;) {
      const src = await lagOf(app, cfg.applicationsTopic);
      if (started === 0 && src < BACKLOG) {
        started = performance.now();
        cpuAtStart = drainCpu(pids);
      }
      const win = src === 0 ? await lagOf(`${app}-windows`, `${app}-repartition`) : 1;
      if (src === 0 && win === 0) break;
      if (children.some((c) => c.exitCode !== null)) throw new Error('a detector process exited');
      if (Date.now() > deadline) throw new Error('two replicas did not drain in time');
      await sleep(100);
    }
    const seconds = (performance.now() - started) / 1000;
    const end = drainCpu(pids);
    const at = cpuAtStart ?? end;
    return {
      rate: BACKLOG / seconds,
      seconds,
      cpu: {
        detectors: end.detectors - at.detectors,
        store: end.store - at.store,
        broker: end.broker - at.broker,
      },
    };
  } finally {
    for (const c of children) {
      c.kill('SIGTERM');
      await new Promise((r) => (c.exitCode !== null ? r(undefined) : c.once('exit', r)));
    }
  }
}

/** Most applications in one produce request of the latency runs (~1 KB each, over 3 partitions). */
const MAX_SEND = 500;

/** Produces generated applications at `rate`/s for SECONDS, `receivedAt` = send time; returns receipts. */
async function produceAtRate(topic: string, rate: number): Promise<Map<string, number>> {
  const receipts = new Map<string, number>();
  const producer = createProducer(connection);
  const total = rate * SECONDS;
  const stream = applicationStream({ seed: rate, count: total, start: Date.now(), intervalMs: 1000 / rate });
  const t0 = Date.now();
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((Date.now() - t0) / 1000) * rate));
    const batch: BytesMessage[] = [];
    // Bounded: a sender that fell behind (a loaded machine) would otherwise put more than the broker's
    // 1 MiB per partition in one request (MESSAGE_TOO_LARGE); it catches up over the next requests.
    while (sent < due && batch.length < MAX_SEND) {
      const next = stream.next();
      if (next.done) break;
      const now = new Date();
      const submission = next.value.submission;
      submission.submittedAt = now.toISOString();
      const event = pseudonymize(submission, KEY, now);
      receipts.set(event.applicationId, now.getTime());
      batch.push(toMessage(topic, event));
      sent++;
    }
    if (batch.length > 0) await producer.send({ messages: batch });
    await sleep(5);
  }
  await producer.close();
  return receipts;
}

/**
 * Reads a topic from the start, calling `seen` with each value and the time it was read. An observer
 * (the platform's batch consumer): nothing to resume, so it commits nothing (no requests on the
 * machine under test).
 */
async function reader(
  topic: string,
  seen: (value: string, at: number, message: StreamMessage) => void,
): Promise<{ stop: () => Promise<void> }> {
  const consumer = createBatchConsumer(connection, {
    groupId: `fd-bench-reader-${randomUUID().slice(0, 8)}`,
    topics: [topic],
    maxWaitTime: 100,
    eachBatch: (batch) => {
      const at = Date.now();
      for (const m of batch.messages) seen(m.value?.toString('utf8') ?? '', at, m);
    },
  });
  await consumer.start();
  return { stop: () => consumer.stop() };
}

interface Latencies {
  produced: number;
  alerts: number;
  event: number[];
  window: number[];
  verdict: number[];
  verdicts: number;
}

/** 3. Latency at a fixed input rate. */
async function latencyAt(rate: number): Promise<Latencies> {
  const topics = {
    apps: `fd_bench_lat${rate}_${suffix}`,
    dlq: `fd_bench_ldlq${rate}_${suffix}`,
    alerts: `fd_bench_lal${rate}_${suffix}`,
  };
  await createTopics([topics.apps, topics.dlq, topics.alerts]);
  const cfg = config(topics, `latency${rate}`);
  const detector = await startFraudDetector(cfg);
  while ((await detector.ready()) !== null) await sleep(20);
  let receipts = new Map<string, number>();
  const alertsSeen: Array<{ applicationId: string; kind: string; members: string[]; at: number }> = [];
  const alertsReader = await reader(topics.alerts, (value, at) => {
    const a = JSON.parse(value) as {
      applicationId: string;
      ruleKind: string;
      evidence?: { applicationIds?: string[] };
    };
    alertsSeen.push({
      applicationId: a.applicationId,
      kind: a.ruleKind,
      members: a.evidence?.applicationIds ?? [],
      at,
    });
  });
  /** applicationId → parts still expected (source part first tells how many window parts follow). */
  const open = new Map<string, { need: number; got: number; last: number }>();
  const complete: Array<{ applicationId: string; at: number }> = [];
  const verdictReader = await reader(cfg.verdictsTopic, (_value, at, message) => {
    for (const part of verdictRecordParts(message).parts) {
      const o = open.get(part.applicationId) ?? { need: Number.POSITIVE_INFINITY, got: 0, last: 0 };
      o.got++;
      o.last = at;
      if (part.kind === 'source') o.need = 1 + part.windowKeys.length;
      open.set(part.applicationId, o);
      if (o.got === o.need) complete.push({ applicationId: part.applicationId, at });
    }
  });
  await sleep(3000); // let the readers' groups settle
  receipts = await produceAtRate(topics.apps, rate);
  await waitDrained(cfg, 10 * 60_000);
  await sleep(2000);
  await alertsReader.stop();
  await verdictReader.stop();
  await detector.close();
  const event: number[] = [];
  const window: number[] = [];
  for (const a of alertsSeen) {
    const own = receipts.get(a.applicationId);
    if (own === undefined) continue;
    if (a.kind === 'velocity' || a.kind === 'distinctCount') {
      // From the newest receipt among the flagged application and the window's members: the one
      // whose arrival completed the burst.
      let completing = own;
      for (const id of a.members) completing = Math.max(completing, receipts.get(id) ?? completing);
      window.push(a.at - completing);
    } else event.push(a.at - own);
  }
  const verdict = complete
    .map((c) => c.at - (receipts.get(c.applicationId) ?? Number.NaN))
    .filter((v) => Number.isFinite(v));
  const sort = (v: number[]) => v.sort((x, y) => x - y);
  return {
    produced: receipts.size,
    alerts: alertsSeen.length,
    event: sort(event),
    window: sort(window),
    verdict: sort(verdict),
    verdicts: complete.length,
  };
}

/**
 * The floor of a two-hop stream at `rate`: applications produced as in latencyAt, piped through two
 * consume + produce + commit stages (idempotent acks=all, as the detector's), read back; ms p50/p99.
 */
async function pipeFloorAt(rate: number): Promise<number[]> {
  const [a, b, c] = ['a', 'b', 'c'].map((x) => `fd_bench_floor${rate}${x}_${suffix}`) as [
    string,
    string,
    string,
  ];
  await createTopics([a, b, c]);
  const stages = await Promise.all(
    [
      [a, b],
      [b, c],
    ].map(([from, to]) =>
      pipeStage(connection, {
        from: from as string,
        to: to as string,
        groupId: `fd-bench-floor-${randomUUID().slice(0, 8)}`,
      }),
    ),
  );
  const seen: Array<{ id: string; at: number }> = [];
  const end = await reader(c, (value, at) => {
    seen.push({ id: (JSON.parse(value) as { applicationId: string }).applicationId, at });
  });
  await sleep(3000);
  const receipts = await produceAtRate(a, rate);
  const deadline = Date.now() + 120_000;
  while (seen.length < receipts.size && Date.now() < deadline) await sleep(100);
  await end.stop();
  for (const s of stages) await s.close();
  const lat = seen.map((s) => s.at - (receipts.get(s.id) ?? Number.NaN)).filter(Number.isFinite);
  lat.sort((x, y) => x - y);
  return [percentile(lat, 50), percentile(lat, 99)];
}

/** 4. Heap per key of the window state, after GC. */
async function memoryPerKey(): Promise<{ keys: number; bytesPerKey: number; entries: number }> {
  setFlagsFromString('--expose-gc');
  const runGc = runInNewContext('gc') as () => void;
  // V8 frees the backing stores of collected typed arrays concurrently: read right after a GC, the
  // columns the state outgrew may still count (185 or 241 B/key in two runs of the same code). So
  // collect, let the sweeper finish, collect again.
  const gc = async () => {
    runGc();
    await sleep(300);
    runGc();
  };
  // Keys one millisecond apart: every key stays within the (default, 24 h) event-time horizon.
  const rules = compileRuleSet(DEFAULT_RULES);
  const template = pseudonymize(generateApplications({ seed: 1, count: 1 })[0]!.submission, KEY, new Date());
  const windows = new PartitionWindows(rules, { maxEntries: 10_000_000 });
  await gc();
  // The heap and the typed arrays' backing stores (outside the heap).
  const used = () => {
    const m = process.memoryUsage();
    return m.heapUsed + m.arrayBuffers;
  };
  const before = used();
  const groups = rules.keyGroups.size;
  const events = Math.ceil(KEYS / groups);
  const t0 = Date.parse(template.submittedAt);
  const now = new Date();
  for (let i = 0; i < events; i++) {
    const hex = i.toString(16).padStart(12, '0');
    const e: ApplicationEvent = {
      ...template,
      applicationId: `00000000-0000-4000-8000-${hex}`,
      submittedAt: new Date(t0 + i).toISOString(),
      applicant: { ...template.applicant, customerId: `C-${i}`, nationalIdHash: `${hex}${'0'.repeat(52)}` },
      channel: {
        ...template.channel,
        deviceId: `dev-${hex}`,
        ipAddress: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
      },
    };
    // Each key's record parsed on its own, as the window stage gets it from Kafka (no shared strings).
    for (const k of repartitionKeys(rules, e, e.submittedAt))
      windows.process({ ...k, record: JSON.parse(JSON.stringify(k.record)), offset: i }, false, now);
  }
  await gc();
  const after = used();
  const stats = windows.currentStats();
  return { keys: stats.keys, bytesPerKey: (after - before) / stats.keys, entries: stats.entries };
}

/** What the Flink reference gave: its rate and the report's lines about it, or only the lines. */
interface FlinkOutcome {
  rate?: number;
  notes: string[];
}

/**
 * The Flink reference over the backlog the two replicas just drained (bench/flink/run.ts): its rate,
 * and whether it raised the same alert keys as our detector (read back from both alerts topics).
 * Never throws: a missing toolchain, a failed build or a failed run becomes a line of the report.
 */
async function flinkReference(backlog: { apps: string; alerts: string }): Promise<FlinkOutcome> {
  progress('Flink reference: building the job or finding it in the cache');
  const t0 = performance.now();
  const prepared = ensureFlinkJob();
  const ensureSeconds = (performance.now() - t0) / 1000;
  if (!prepared.ok) {
    progress(`Flink reference skipped: ${prepared.reason}`);
    return { notes: [`Flink reference (same run) skipped: ${prepared.reason}.`] };
  }
  const { job } = prepared;
  progress(
    job.built
      ? `Flink job built in ${job.buildSeconds.toFixed(1)} s`
      : `Flink job from the cache (${ensureSeconds.toFixed(2)} s)`,
  );
  const rulesFile = join(tmpdir(), `fd-bench-flink-rules-${suffix}.json`);
  try {
    writeFlinkRules(DEFAULT_RULES, rulesFile);
    progress(`Flink reference (parallelism ${FLINK_PARALLELISM}) draining the same backlog`);
    const r = await runFlinkBacklog({
      brokers,
      topic: backlog.apps,
      partitions: PARTITIONS,
      parallelism: FLINK_PARALLELISM,
      rulesFile,
      job,
    });
    const ours = await readAlertKeys(connection, backlog.alerts);
    const onlyOurs = [...ours].filter((k) => !r.alertKeys.has(k));
    const onlyFlink = [...r.alertKeys].filter((k) => !ours.has(k));
    const differences = onlyOurs.length + onlyFlink.length;
    const examples = [
      ...onlyOurs.slice(0, 5).map((k) => `${k} (ours only)`),
      ...onlyFlink.slice(0, Math.max(0, 5 - Math.min(5, onlyOurs.length))).map((k) => `${k} (Flink only)`),
    ];
    progress(
      `Flink: ${fmt(r.applicationsPerSecond)}/s over ${r.applications} applications in ${r.seconds.toFixed(2)} s (start-up ${r.startupSeconds.toFixed(1)} s not counted); alert keys ours ${ours.size}, Flink ${r.alertKeys.size}, differences ${differences}`,
    );
    const notes = [
      `Flink reference: ${r.applications} applications in ${r.seconds.toFixed(2)} s, timed by the job from its first application read to the job finished (alerts flushed to Kafka; the last application left the window rules at ${r.lastRecordSeconds.toFixed(2)} s); the JVM's and the mini-cluster's start-up (${r.startupSeconds.toFixed(1)} s here) is not counted, as in issue 15's figure. Our replicas are timed from their source group's first commit to both groups drained. Heap state, no checkpoints, object reuse; the job ${job.built ? `was built in this run (${job.buildSeconds.toFixed(1)} s)` : 'came from the build cache'}.`,
      '',
      differences === 0
        ? `Alert parity: **the same alert keys** (\`<applicationId>:<ruleId>:<ruleVersion>\`): ours ${ours.size}, Flink ${r.alertKeys.size}, 0 differences.`
        : `Alert parity: **the alert keys differ**: ours ${ours.size}, Flink ${r.alertKeys.size}, ${differences} differences (${onlyOurs.length} ours only, ${onlyFlink.length} Flink only), e.g. ${examples.join(', ')}.`,
    ];
    return { rate: r.applicationsPerSecond, notes };
  } catch (err) {
    const message = (err as Error).message.split('\n').slice(0, 6).join(' | ');
    progress(`Flink reference failed: ${message}`);
    return { notes: [`Flink reference (same run) failed: ${message}.`] };
  } finally {
    rmSync(rulesFile, { force: true });
  }
}

async function main(): Promise<void> {
  const deadline = setTimeout(() => {
    console.error('fraud-detector bench: overall time limit (40 min) reached');
    process.exit(1);
  }, 40 * 60_000);
  deadline.unref();
  out('# Fraud detector benchmark');
  out();
  out(
    `Run ${new Date().toISOString()}, default rule set (${DEFAULT_RULES.rules.length} rules), ${PARTITIONS} partitions, harness Kafka ${requireInfra('kafka').version} and FerretDB; ${availableParallelism()} shared cores; node ${process.version}; the detector and its ceilings on @platformatic/kafka.`,
  );
  out(machineSpeedLine(measureMachineSpeed()));
  out();
  out(requestCostLine(await measureRequestCost()));
  out();

  if (ONLY.has('memory')) progress('memory per key');
  const mem = ONLY.has('memory') ? await memoryPerKey() : undefined;
  if (ONLY.has('throughput')) {
    const topics = {
      apps: `fd_bench_apps_${suffix}`,
      dlq: `fd_bench_dlq_${suffix}`,
      alerts: `fd_bench_alerts_${suffix}`,
    };
    await createTopics([topics.apps, topics.dlq, topics.alerts, `fd_bench_pipe_${suffix}`]);
    progress(`preloading ${N} applications`);
    await preload(topics.apps, N, 99);
    progress('plain consume loop');
    const consumeRate = await loop(topics.apps, N);
    progress('consume + produce + commit loop');
    const pipeRate = await loop(topics.apps, N, `fd_bench_pipe_${suffix}`);
    progress('one detector replica');
    const tp = await throughput(topics);

    out('## Throughput, one replica (preloaded topic)');
    out();
    out(
      '| Consumer | Applications | Applications/s | Share of the consume loop | Share of the consume + produce loop |',
    );
    out('| --- | ---: | ---: | ---: | ---: |');
    out(`| plain consume loop (parse, commit per batch): ceiling | ${N} | ${fmt(consumeRate)} | 100% | |`);
    out(
      `| consume + produce + commit loop moving the same records: ceiling of a stream stage | ${N} | ${fmt(pipeRate)} | ${pct(pipeRate, consumeRate)} | 100% |`,
    );
    out(
      `| **fraud detector, 1 replica** (source + repartition + windows + verdict parts + alerts) | ${N} | **${fmt(tp)}** | **${pct(tp, consumeRate)}** | ${pct(tp, pipeRate)} |`,
    );
    out();
  }

  if (BACKLOG > 0 && ONLY.has('backlog')) {
    const backlog = {
      apps: `fd_bench_backlog_${suffix}`,
      dlq: `fd_bench_bdlq_${suffix}`,
      alerts: `fd_bench_balerts_${suffix}`,
    };
    await createTopics([backlog.apps, backlog.dlq, backlog.alerts]);
    progress(`preloading a backlog of ${BACKLOG} applications`);
    await preload(backlog.apps, BACKLOG, 7);
    progress('plain consume loop over the backlog');
    const backlogCeiling = await loop(backlog.apps, BACKLOG);
    progress('two detector processes draining the backlog');
    const drain = await twoReplicas(backlog);
    const two = drain.rate;
    const flink = FLINK ? await flinkReference(backlog) : undefined;
    out(`## Two replicas draining a backlog of ${BACKLOG} applications`);
    out();
    out('| Consumer | Applications/s | Share of the consume loop |');
    out('| --- | ---: | ---: |');
    out(`| plain consume loop, one process (ceiling) | ${fmt(backlogCeiling)} | 100% |`);
    out(
      `| **fraud detector, 2 replicas** (two processes, one consumer group) | **${fmt(two)}** | ${pct(two, backlogCeiling)} |`,
    );
    if (flink?.rate !== undefined) {
      out(
        `| Flink 2.2.1, parallelism ${FLINK_PARALLELISM}, same rules, same backlog, same run | ${fmt(flink.rate)} | ${pct(flink.rate, backlogCeiling)} |`,
      );
    }
    out(
      `| Flink 2.2.1, parallelism 2, same rules (issue 15, measured before on this machine) | ${FLINK_P2} | |`,
    );
    out();
    const perApp = (seconds: number) => `${fmt((seconds * 1e6) / BACKLOG)} µs`;
    const { detectors, store, broker } = drain.cpu;
    out(
      `CPU during our drain (${drain.seconds.toFixed(1)} s on ${availableParallelism()} cores = ${(drain.seconds * availableParallelism()).toFixed(1)} CPU-seconds at most): the two detectors ${detectors.toFixed(1)} s (${perApp(detectors)} per application), the alert store ${store.toFixed(1)} s (${perApp(store)}), the broker ${broker.toFixed(1)} s (${perApp(broker)}). Ours also writes every alert to the alert store (FerretDB here: bench/fraud-detector/alert-store.ts) and a verdict per application (source part + one per window key) to Kafka; the Flink port writes its alerts to a topic only.`,
    );
    out();
    if (flink !== undefined) {
      for (const line of flink.notes) out(line);
      out();
    }
  }

  if (ONLY.has('latency')) {
    out('## Latency at fixed input rates (from receipt)');
    out();
    out(
      '| Input rate (apps/s) | Produced | Alerts | Per-application alerts p50 / p99 (ms) | Window alerts p50 / p99 (ms) | Verdicts complete | Verdict complete p50 / p99 (ms) | Floor: two piped hops p50 / p99 (ms) |',
    );
    out('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
    for (const rate of RATES) {
      progress(`latency at ${rate}/s`);
      const r = await latencyAt(rate);
      progress(`two-hop floor at ${rate}/s`);
      const [f50, f99] = await pipeFloorAt(rate);
      out(
        `| ${rate} | ${r.produced} | ${r.alerts} | ${fmt(percentile(r.event, 50))} / ${fmt(percentile(r.event, 99))} | ${fmt(percentile(r.window, 50))} / **${fmt(percentile(r.window, 99))}** | ${r.verdicts} | ${fmt(percentile(r.verdict, 50))} / ${fmt(percentile(r.verdict, 99))} | ${fmt(f50 as number)} / ${fmt(f99 as number)} |`,
      );
    }
    out();
    out(
      'Each application is stamped `receivedAt` when the bench sends it (what the ingestion API does on receipt). A window alert is timed from the receipt of the application that completed its burst (the newest receipt among the flagged application and the members the alert names); the alert on an earlier member is raised when that one arrives. A verdict is complete when its source part and one window part per window key are read. The floor pipes the same traffic through two consume + produce + commit stages (the detector has two hops: applications → repartition → verdicts/alerts) and reads it back.',
    );
    out();
  }
  if (mem !== undefined) {
    out('## Memory of the window state');
    out();
    out('| Keys | Entries | Bytes per key (heap + array buffers) | MiB per million keys |');
    out('| ---: | ---: | ---: | ---: |');
    out(
      `| ${mem.keys} | ${mem.entries} | ${mem.bytesPerKey.toFixed(0)} | ${((mem.bytesPerKey * 1e6) / 2 ** 20).toFixed(0)} |`,
    );
    out();
    out(
      `Measured with ${mem.keys} distinct keys (one application each, over the ${compileRuleSet(DEFAULT_RULES).keyGroups.size} key groups of the default rules: national ID, device, IP; each key's record parsed on its own, as read from Kafka) and extrapolated linearly; heap and array buffers after a forced GC, once the freed typed arrays are released (V8 frees their memory concurrently). Memory is bounded by expiry (an entry is kept until the partition's receipt clock passes it by allowedLateness + the event-time horizon, 24 h by default, + the key's longest window; a key goes with its last entry) and by maxEntriesPerKey / MAX_STATE_ENTRIES.`,
    );
    out();
  }
  out(
    `Load average at the end (1/5/15 min): ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' / ')}.`,
  );

  mkdirSync(join(repoRoot, 'bench', 'results'), { recursive: true });
  writeFileSync(join(repoRoot, 'bench', 'results', 'fraud-detector.md'), `${lines.join('\n')}\n`);
  const mine = (await admin.listTopics()).filter((t) => t.includes(suffix));
  if (mine.length > 0) await admin.deleteTopics({ topics: mine }).catch(() => undefined);
  await admin.close();
  const mongo = new MongoClient(mongoUrl);
  await mongo.connect();
  await mongo
    .db(`fd_bench_${suffix}`)
    .dropDatabase()
    .catch(() => undefined);
  await mongo.close();
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
