/** Shared set-up of the detector's integration tests: unique topics and databases, traffic, draining. */
import { randomUUID } from 'node:crypto';
import { MongoClient } from 'mongodb';
import { applicationName } from '../../../api/topics.ts';
import { requireInfra } from '../../../infra/lib/state.ts';
import { isNotReadyYet } from '../../../lib/kafka-topics.ts';
import type { ApplicationEvent } from '../../../workloads/contract/application.ts';
import { pseudonymize } from '../../../workloads/contract/pseudonymize.ts';
import type { DetectorConfig } from '../../../workloads/fraud-detector/config.ts';
import { DEFAULT_HORIZON_MS } from '../../../workloads/fraud-detector/core/event-time.ts';
import { type GeneratedApplication, generateApplications } from '../../../workloads/generator/generate.ts';
import {
  createTopics as createTestTopics,
  groupBehind,
  type KafkaConnection,
  type ReadRecord,
  readTopic as readRecords,
  type TestRecord,
  testKafka,
  withAdmin,
} from '../support/kafka.ts';

export const PSEUDO_KEY = 'integration-test-key-0123456789';

export interface TestTopics {
  suffix: string;
  applications: string;
  deadLetter: string;
  alerts: string;
  /** Verdict parts (as many partitions as the applications topic). */
  verdicts: string;
}

/** A connection to the harness's broker (the support helpers open and close their own clients). */
export function kafkaClient(clientId = 'fd-test'): KafkaConnection {
  return testKafka(clientId, requireInfra('kafka').bootstrapServers);
}

export async function createTopics(kafka: KafkaConnection, partitions = 3): Promise<TestTopics> {
  const suffix = randomUUID().slice(0, 8);
  const t: TestTopics = {
    suffix,
    applications: `fd_apps_${suffix}`,
    deadLetter: `fd_dlq_${suffix}`,
    alerts: `fd_alerts_${suffix}`,
    verdicts: `fd_verdicts_${suffix}`,
  };
  await createTestTopics(
    kafka,
    [t.applications, t.deadLetter, t.alerts, t.verdicts].map((topic) => ({
      topic,
      numPartitions: partitions,
    })),
  );
  return t;
}

export function detectorConfig(topics: TestTopics, over: Partial<DetectorConfig> = {}): DetectorConfig {
  return {
    kafkaBrokers: requireInfra('kafka').bootstrapServers,
    kafkaTls: false,
    applicationsTopic: topics.applications,
    deadLetterTopic: topics.deadLetter,
    alertsTopic: topics.alerts,
    verdictsTopic: topics.verdicts,
    groupPrefix: `t${topics.suffix}`,
    appId: 'fraud-detector',
    mongoUrl: requireInfra('mongo').url,
    mongoDatabase: `fd_${topics.suffix}`,
    alertsCollection: 'fraud_alerts',
    rulesPollMs: 200,
    repartitionRetentionMs: 86_400_000,
    maxStateEntries: 2_000_000,
    eventTimeHorizonMs: DEFAULT_HORIZON_MS,
    opsPort: 0,
    opsHost: '127.0.0.1',
    ...over,
  };
}

/** Generator traffic with event times starting now, pseudonymized as the ingestion API would. */
export function traffic(
  seed: number,
  count: number,
  intervalMs = 200,
): { items: GeneratedApplication[]; events: ApplicationEvent[] } {
  const items = generateApplications({ seed, count, start: Date.now() - count * intervalMs, intervalMs });
  return { items, events: items.map((i) => pseudonymize(i.submission, PSEUDO_KEY, new Date())) };
}

export { produce } from '../support/kafka.ts';

export const asMessages = (events: ApplicationEvent[]): TestRecord[] =>
  events.map((e) => ({ key: e.applicant.customerId, value: JSON.stringify(e) }));

/** Waits until both consumer groups of a detector have committed everything there is to read. */
export async function waitDrained(
  kafka: KafkaConnection,
  config: DetectorConfig,
  timeoutMs = 90_000,
): Promise<void> {
  const app = applicationName(config);
  const pairs: Array<[string, string]> = [
    [app, config.applicationsTopic],
    [`${app}-windows`, `${app}-repartition`],
  ];
  const deadline = Date.now() + timeoutMs;
  await withAdmin(kafka, async (admin) => {
    for (;;) {
      let behind = 0n;
      // The source first: once it is drained, everything it will publish to the repartition topic is there.
      for (const [group, topic] of pairs) {
        // The repartition topic does not exist until the detector created it: nothing to read there yet.
        behind += await groupBehind(admin, group, topic).catch((err: unknown) => {
          if (isNotReadyYet(err)) return 0n;
          throw err;
        });
        if (behind > 0n) break;
      }
      if (behind === 0n) return;
      if (Date.now() > deadline)
        throw new Error(`detector ${app} not drained after ${timeoutMs} ms (${behind} behind)`);
      await new Promise((r) => setTimeout(r, 500));
    }
  });
}

export interface StoredAlert {
  _id: string;
  applicationId: string;
  ruleId: string;
  ruleVersion: number;
  mode: string;
  severity: string;
}

export async function readAlerts(mongoDatabase: string, collection = 'fraud_alerts'): Promise<StoredAlert[]> {
  const client = new MongoClient(requireInfra('mongo').url);
  await client.connect();
  try {
    return await client.db(mongoDatabase).collection<StoredAlert>(collection).find({}).toArray();
  } finally {
    await client.close();
  }
}

export async function dropDatabase(name: string): Promise<void> {
  const client = new MongoClient(requireInfra('mongo').url);
  await client.connect();
  await client
    .db(name)
    .dropDatabase()
    .catch(() => undefined);
  await client.close();
}

export type ReadMessage = ReadRecord;

/**
 * Reads every record of a topic (from the start) until `count` arrived or the time is up (then it
 * returns what it read: the caller's assertions say what is missing). Each record counts once (by
 * partition and offset); with `distinctBy`, until `count` distinct records arrived, each kept once: a
 * topic written at least once can carry a record twice (a batch processed again after a rebalance
 * under load).
 */
export async function readTopic(
  kafka: KafkaConnection,
  topic: string,
  count: number | 'end',
  timeoutMs = 30_000,
  distinctBy?: (m: ReadMessage) => string,
): Promise<ReadMessage[]> {
  const options: Parameters<typeof readRecords>[2] = { until: count, timeoutMs, ifIncomplete: 'return' };
  if (distinctBy !== undefined) options.distinctBy = distinctBy;
  return readRecords(kafka, topic, options);
}

export const alertKeys = (alerts: Array<{ _id: string }>): string[] => alerts.map((a) => a._id).sort();

/**
 * Out-of-order traffic: `batch` applications submitted over the last `hours` (a partner's upload, an
 * offline client syncing) plus `live` ones submitted now, with labels. `inOrder` has every application
 * received when it was submitted, sorted by time (as if each had arrived live); `shuffled` is what a
 * batch upload looks like: the old applications received now, in a seeded random order, interleaved
 * with the live traffic.
 */
export function outOfOrderTraffic(
  seed: number,
  batch: number,
  live: number,
  hours = 6,
): { items: GeneratedApplication[]; inOrder: ApplicationEvent[]; shuffled: ApplicationEvent[] } {
  const now = Date.now();
  const span = hours * 3_600_000;
  const old = generateApplications({ seed, count: batch, start: now - span, intervalMs: span / batch });
  const fresh = generateApplications({
    seed: seed + 1,
    count: live,
    start: now - live * 100,
    intervalMs: 100,
  });
  const items = [...old, ...fresh];
  const asLive = (i: GeneratedApplication) =>
    pseudonymize(i.submission, PSEUDO_KEY, new Date(Date.parse(i.submission.submittedAt)));
  const inOrder = items.map(asLive).sort((a, b) => Date.parse(a.submittedAt) - Date.parse(b.submittedAt));
  const order = shuffle(old, seed);
  const shuffled: ApplicationEvent[] = [];
  const receivedNow = (i: GeneratedApplication, k: number) =>
    pseudonymize(i.submission, PSEUDO_KEY, new Date(now + k));
  // One live application after every few batch ones.
  const every = Math.max(1, Math.floor(batch / Math.max(1, live)));
  let l = 0;
  order.forEach((item, k) => {
    shuffled.push(receivedNow(item, k));
    if (k % every === every - 1 && l < fresh.length)
      shuffled.push(asLive(fresh[l++] as GeneratedApplication));
  });
  while (l < fresh.length) shuffled.push(asLive(fresh[l++] as GeneratedApplication));
  return { items, inOrder, shuffled };
}

/** A seeded Fisher–Yates shuffle (a copy). */
export function shuffle<T>(values: readonly T[], seed: number): T[] {
  const out = [...values];
  let s = seed >>> 0 || 1;
  for (let i = out.length - 1; i > 0; i--) {
    s = (Math.imul(s, 1_103_515_245) + 12_345) >>> 0;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

/** Polls `check` every 50 ms until it holds; fails naming `what` after `timeoutMs`. */
export async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
