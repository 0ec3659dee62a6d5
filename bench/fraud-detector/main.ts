/**
 * Fraud-detector benchmark, on the harness's real Kafka and Mongo-wire server, default rule set.
 *
 * 1. Ceiling: a plain kafkajs consume loop (eachBatch + JSON.parse) over N preloaded applications.
 * 2. Throughput of one detector replica over the same N preloaded applications: time from start to
 *    both stages drained (source stage + repartition + window stage + alert writes), applications/s.
 * 3. End-to-end latency at fixed input rates: applications produced on a schedule with
 *    `submittedAt` = send time; latency = alert seen on the alerts topic − event time, p50/p99,
 *    for per-application rules and for window rules (a window alert on an early member of a burst
 *    waits, by definition, for the member that completes the burst).
 * 4. Memory per million keys of the window state (pure core, heap after GC).
 * Writes bench/results/fraud-detector.md. Bounded: BENCH_N (default 20000), BENCH_RATES
 * (default 100,300,600 per second), BENCH_SECONDS per rate (default 15), BENCH_KEYS (default 300000).
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Kafka, logLevel, type Message } from 'kafkajs';
import { MongoClient } from 'mongodb';
import { applicationName } from '../../api/topics.ts';
import { repoRoot } from '../../infra/lib/paths.ts';
import { requireInfra } from '../../infra/lib/state.ts';
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

const N = Number(process.env.BENCH_N ?? 20_000);
const RATES = (process.env.BENCH_RATES ?? '100,300,600').split(',').map(Number);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 15);
const KEYS = Number(process.env.BENCH_KEYS ?? 300_000);
const KEY = 'bench-pseudonymization-key-0123';
const brokers = [requireInfra('kafka').bootstrapServers];
const mongoUrl = requireInfra('mongo').url;
const kafka = new Kafka({ clientId: 'fd-bench', brokers, logLevel: logLevel.NOTHING });
const suffix = randomUUID().slice(0, 8);
const lines: string[] = [];
const out = (s = '') => {
  lines.push(s);
  console.log(s);
};

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}

async function createTopics(names: string[]): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    waitForLeaders: true,
    topics: names.map((topic) => ({ topic, numPartitions: 3, replicationFactor: 1 })),
  });
  await admin.disconnect();
}

async function produceAll(topic: string, messages: Message[]): Promise<void> {
  const producer = kafka.producer();
  await producer.connect();
  for (let i = 0; i < messages.length; i += 1000) {
    await producer.send({ topic, acks: -1, messages: messages.slice(i, i + 1000) });
  }
  await producer.disconnect();
}

const toMessage = (e: ApplicationEvent): Message => ({
  key: e.applicant.customerId,
  value: JSON.stringify(e),
});

async function lagOf(groupId: string, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const ends = await admin.fetchTopicOffsets(topic);
    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
    let behind = 0;
    for (const end of ends) {
      const c = committed?.partitions.find((p) => p.partition === end.partition);
      const at = c === undefined || c.offset === '-1' ? 0 : Number(c.offset);
      behind += Math.max(0, Number(end.high) - at);
    }
    return behind;
  } finally {
    await admin.disconnect();
  }
}

async function waitDrained(config: DetectorConfig, timeoutMs: number): Promise<void> {
  const app = applicationName(config);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const src = await lagOf(app, config.applicationsTopic);
    const win = src === 0 ? await lagOf(`${app}-windows`, `${app}-repartition`) : 1;
    if (src === 0 && win === 0) return;
    if (Date.now() > deadline) throw new Error('detector did not drain in time');
    await new Promise((r) => setTimeout(r, 100));
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

/** 1. The ceiling: how fast a bare consumer group reads and parses the same topic. */
async function ceiling(topic: string): Promise<number> {
  const consumer = kafka.consumer({
    groupId: `fd-bench-ceiling-${suffix}`,
    maxBytesPerPartition: 512 * 1024,
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let seen = 0;
  let started = 0;
  const done = new Promise<number>((resolve) => {
    void consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 3,
      eachBatch: async ({ batch, resolveOffset }) => {
        if (started === 0) started = performance.now();
        let last = '';
        for (const m of batch.messages) {
          JSON.parse(m.value?.toString('utf8') ?? 'null');
          last = m.offset;
        }
        if (last !== '') {
          await consumer.commitOffsets([
            { topic: batch.topic, partition: batch.partition, offset: String(Number(last) + 1) },
          ]);
          resolveOffset(last);
        }
        seen += batch.messages.length;
        if (seen >= N) resolve(performance.now() - started);
      },
    });
  });
  const ms = await done;
  await consumer.disconnect();
  return (N / ms) * 1000;
}

/** 2. Throughput of one replica over the preloaded topic. */
async function throughput(topics: {
  apps: string;
  dlq: string;
  alerts: string;
}): Promise<{ rate: number; heapMiB: number }> {
  const cfg = config(topics, 'throughput');
  const detector = await startFraudDetector(cfg);
  // Timed from the first fetch, not from start-up (group joins are not throughput).
  while ((await detector.ready()) !== null) await new Promise((r) => setTimeout(r, 20));
  const started = performance.now();
  await waitDrained(cfg, 15 * 60_000);
  const ms = performance.now() - started;
  const heapMiB = process.memoryUsage().heapUsed / 2 ** 20;
  await detector.close();
  return { rate: (N / ms) * 1000, heapMiB };
}

/** 3. Latency at a fixed input rate. */
async function latencyAt(
  rate: number,
): Promise<{ event: number[]; window: number[]; produced: number; alerts: number }> {
  const topics = {
    apps: `fd_bench_lat${rate}_${suffix}`,
    dlq: `fd_bench_ldlq${rate}_${suffix}`,
    alerts: `fd_bench_lal${rate}_${suffix}`,
  };
  await createTopics([topics.apps, topics.dlq, topics.alerts]);
  const cfg = config(topics, `latency${rate}`);
  const detector = await startFraudDetector(cfg);
  const latEvent: number[] = [];
  const latWindow: number[] = [];
  const reader = kafka.consumer({ groupId: `fd-bench-reader-${rate}-${suffix}` });
  await reader.connect();
  await reader.subscribe({ topic: topics.alerts, fromBeginning: true });
  await reader.run({
    eachMessage: async ({ message }) => {
      const a = JSON.parse(message.value?.toString('utf8') ?? '{}') as {
        eventTime: string;
        ruleKind: string;
      };
      const ms = Date.now() - Date.parse(a.eventTime);
      if (a.ruleKind === 'velocity' || a.ruleKind === 'distinctCount') latWindow.push(ms);
      else latEvent.push(ms);
    },
  });
  await new Promise((r) => setTimeout(r, 3000)); // let both groups settle
  const producer = kafka.producer();
  await producer.connect();
  const total = rate * SECONDS;
  const stream = applicationStream({ seed: rate, count: total, start: Date.now(), intervalMs: 1000 / rate });
  const t0 = Date.now();
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((Date.now() - t0) / 1000) * rate));
    const batch: Message[] = [];
    while (sent < due) {
      const next = stream.next();
      if (next.done) break;
      const submission = next.value.submission;
      submission.submittedAt = new Date().toISOString();
      batch.push(toMessage(pseudonymize(submission, KEY, new Date())));
      sent++;
    }
    if (batch.length > 0) await producer.send({ topic: topics.apps, acks: -1, messages: batch });
    await new Promise((r) => setTimeout(r, 20));
  }
  await producer.disconnect();
  await waitDrained(cfg, 10 * 60_000);
  await new Promise((r) => setTimeout(r, 2000));
  await reader.disconnect();
  await detector.close();
  return {
    event: latEvent.sort((a, b) => a - b),
    window: latWindow.sort((a, b) => a - b),
    produced: sent,
    alerts: latEvent.length + latWindow.length,
  };
}

/** 4. Heap per key of the window state, after GC. */
function memoryPerKey(): { keys: number; bytesPerKey: number; entries: number } {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  // Keys one millisecond apart: every key stays within the (default, 24 h) event-time horizon.
  const rules = compileRuleSet(DEFAULT_RULES);
  const template = pseudonymize(generateApplications({ seed: 1, count: 1 })[0]!.submission, KEY, new Date());
  const windows = new PartitionWindows(rules, { maxEntries: 10_000_000 });
  gc();
  const before = process.memoryUsage().heapUsed;
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
    for (const k of repartitionKeys(rules, e, e.submittedAt))
      windows.process({ ...k, offset: i }, false, now);
  }
  gc();
  const after = process.memoryUsage().heapUsed;
  const stats = windows.currentStats();
  return { keys: stats.keys, bytesPerKey: (after - before) / stats.keys, entries: stats.entries };
}

async function main(): Promise<void> {
  const deadline = setTimeout(() => {
    console.error('fraud-detector bench: overall time limit (25 min) reached');
    process.exit(1);
  }, 25 * 60_000);
  deadline.unref();
  out('# Fraud detector benchmark');
  out();
  out(
    `Run ${new Date().toISOString()}, default rule set (${DEFAULT_RULES.rules.length} rules), 3 partitions, one replica, harness Kafka ${requireInfra('kafka').version} and FerretDB; 2 shared cores.`,
  );
  out();

  const mem = memoryPerKey();
  const topics = {
    apps: `fd_bench_apps_${suffix}`,
    dlq: `fd_bench_dlq_${suffix}`,
    alerts: `fd_bench_alerts_${suffix}`,
  };
  await createTopics([topics.apps, topics.dlq, topics.alerts]);
  const events = generateApplications({
    seed: 99,
    count: N,
    start: Date.now() - N * 100,
    intervalMs: 100,
  }).map((g) => pseudonymize(g.submission, KEY, new Date()));
  await produceAll(topics.apps, events.map(toMessage));
  const ceilingRate = await ceiling(topics.apps);
  const tp = await throughput(topics);

  out('## Throughput (preloaded topic)');
  out();
  out('| Consumer | Applications | Applications/s | Share of ceiling |');
  out('| --- | ---: | ---: | ---: |');
  out(`| plain kafkajs consume loop (ceiling) | ${N} | ${ceilingRate.toFixed(0)} | 100% |`);
  out(
    `| fraud detector, 1 replica (source + repartition + windows + alerts) | ${N} | ${tp.rate.toFixed(0)} | ${((tp.rate / ceilingRate) * 100).toFixed(1)}% |`,
  );
  out();

  out('## End-to-end latency at fixed input rates (event time → alert on the alerts topic)');
  out();
  out(
    '| Input rate (apps/s) | Produced | Alerts | p50 per-application rules (ms) | p99 per-application rules (ms) | p50 window rules (ms) | p99 window rules (ms) |',
  );
  out('| ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const rate of RATES) {
    const r = await latencyAt(rate);
    out(
      `| ${rate} | ${r.produced} | ${r.alerts} | ${percentile(r.event, 50).toFixed(0)} | ${percentile(r.event, 99).toFixed(0)} | ${percentile(r.window, 50).toFixed(0)} | ${percentile(r.window, 99).toFixed(0)} |`,
    );
  }
  out();
  out(
    'Window-rule latency is measured from the flagged application’s own event time: an early member of a burst is flagged when a later member completes the burst, so its latency includes the wait for that member (seconds to minutes in generator traffic), not only processing.',
  );
  out();
  out('## Memory of the window state');
  out();
  out(`| Keys | Entries | Heap bytes per key | MiB per million keys |`);
  out('| ---: | ---: | ---: | ---: |');
  out(
    `| ${mem.keys} | ${mem.entries} | ${mem.bytesPerKey.toFixed(0)} | ${((mem.bytesPerKey * 1e6) / 2 ** 20).toFixed(0)} |`,
  );
  out();
  out(
    `Measured with ${mem.keys} distinct keys (one application each, over the ${compileRuleSet(DEFAULT_RULES).keyGroups.size} key groups of the default rules: national ID, device, IP) and extrapolated linearly; heap after a forced GC. Memory is bounded by expiry (an entry is kept until the partition's receipt clock passes it by allowedLateness + the event-time horizon, 24 h by default, + the key's longest window; a key goes with its last entry) and by maxEntriesPerKey / MAX_STATE_ENTRIES.`,
  );

  mkdirSync(join(repoRoot, 'bench', 'results'), { recursive: true });
  writeFileSync(join(repoRoot, 'bench', 'results', 'fraud-detector.md'), `${lines.join('\n')}\n`);
  const admin = kafka.admin();
  await admin.connect();
  const mine = (await admin.listTopics()).filter((t) => t.includes(suffix));
  await admin.deleteTopics({ topics: mine }).catch(() => undefined);
  await admin.disconnect();
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
