import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../../infra/lib/paths.ts';
import type { ApplicationEvent } from '../../../workloads/contract/application.ts';
import type { DetectorConfig } from '../../../workloads/fraud-detector/config.ts';
import { type FraudDetector, startFraudDetector } from '../../../workloads/fraud-detector/detector.ts';
import { createAdmin } from '../../../workloads/shared/kafka-client.ts';
import {
  type CommittedOffset,
  committedOffsets,
  createTopics as createTestTopics,
} from '../support/kafka.ts';
import {
  alertKeys,
  asMessages,
  createTopics,
  detectorConfig,
  dropDatabase,
  kafkaClient,
  outOfOrderTraffic,
  produce,
  readAlerts,
  readTopic,
  traffic,
  waitDrained,
  waitFor,
} from './support.ts';

/** The detector as its own process (`credit-platform fraud-detector`), so it can be SIGKILLed. */
function spawnDetector(config: DetectorConfig): ChildProcess {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    KAFKA_BROKERS: config.kafkaBrokers,
    APPLICATIONS_TOPIC: config.applicationsTopic,
    DLQ_TOPIC: config.deadLetterTopic,
    ALERTS_TOPIC: config.alertsTopic,
    VERDICTS_TOPIC: config.verdictsTopic,
    KAFKA_GROUP_PREFIX: config.groupPrefix,
    DETECTOR_APP_ID: config.appId,
    MONGO_URL: config.mongoUrl,
    MONGO_DATABASE: config.mongoDatabase,
    OPS_PORT: '0',
    OPS_HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
  };
  return spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'cli', 'main.ts'), 'fraud-detector'], {
    env,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
}

describe('crash recovery', () => {
  const kafka = kafkaClient();
  const children: ChildProcess[] = [];
  let reference: FraudDetector | undefined;
  const databases: string[] = [];

  afterAll(async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    await reference?.close();
    await Promise.all(databases.map(dropDatabase));
  });

  it('a replica SIGKILLed mid-stream and restarted misses no alert and doubles none', async () => {
    await crashAndCompare(traffic(23, 4000).events);
  }, 300_000);

  it('the same on shuffled input: a 6-hour-old batch in random order mixed with live traffic', async () => {
    await crashAndCompare(outOfOrderTraffic(41, 3200, 800).shuffled);
  }, 300_000);

  async function crashAndCompare(events: ApplicationEvent[]): Promise<void> {
    const topics = await createTopics(kafka);
    await produce(kafka, topics.applications, asMessages(events.slice(0, 2500)));

    const crashed = detectorConfig(topics, { appId: 'crashy', mongoDatabase: `fd_${topics.suffix}_crashy` });
    // The uninterrupted reference run publishes to its own alerts topic.
    const steadyAlerts = `${topics.alerts}_steady`;
    await createTestTopics(kafka, [{ topic: steadyAlerts, numPartitions: 3 }]);
    const steady = detectorConfig(topics, {
      appId: 'steady',
      mongoDatabase: `fd_${topics.suffix}_steady`,
      alertsTopic: steadyAlerts,
    });
    databases.push(crashed.mongoDatabase as string, steady.mongoDatabase as string);

    const first = spawnDetector(crashed);
    children.push(first);
    // Kill it mid-stream, once the window stage has committed a checkpoint that holds state (so the
    // restarted replica must replay to rebuild it) and some alerts are written.
    const admin = createAdmin(kafka);
    let atKill: number;
    try {
      const partitionsNeedingReplay = async (): Promise<number> => {
        const committed = await committedOffsets(
          admin,
          `${crashed.groupPrefix}.${crashed.appId}-windows`,
          `${crashed.groupPrefix}.${crashed.appId}-repartition`,
        ).catch(() => new Map<number, CommittedOffset>()); // the detector has not created its repartition topic yet
        return [...committed.values()].filter(
          (c) =>
            c.metadata !== null &&
            BigInt((JSON.parse(c.metadata) as { replayFrom: number }).replayFrom) < c.offset,
        ).length;
      };
      await waitFor(
        async () =>
          (await partitionsNeedingReplay()) > 0 &&
          (await readAlerts(crashed.mongoDatabase as string)).length >= 20,
        90_000,
        'a checkpoint with state and some alerts',
      );
      first.kill('SIGKILL');
      await new Promise((r) => first.once('exit', r));
      atKill = (await readAlerts(crashed.mongoDatabase as string)).length;
      expect(await partitionsNeedingReplay()).toBeGreaterThan(0);
    } finally {
      await admin.close();
    }

    await produce(kafka, topics.applications, asMessages(events.slice(2500)));
    const second = spawnDetector(crashed);
    children.push(second);
    reference = await startFraudDetector(steady);

    await waitDrained(kafka, steady, 120_000);
    await waitDrained(kafka, crashed, 120_000);
    second.kill('SIGTERM');
    await new Promise((r) => second.once('exit', r));

    const expected = alertKeys(await readAlerts(steady.mongoDatabase as string));
    const got = alertKeys(await readAlerts(crashed.mongoDatabase as string));
    expect(atKill).toBeLessThan(expected.length);
    expect(got).toEqual(expected);
    // The alerts topic is at-least-once with a natural key: the same set of alert ids arrives
    // (an alert written before the kill but not yet committed may be published twice). Read to its end.
    const msgs = await readTopic(kafka, topics.alerts, 'end', 15_000);
    const crashedIds = [
      ...new Set(msgs.map((m) => (JSON.parse(m.value ?? '{}') as { alertId: string }).alertId)),
    ];
    expect(crashedIds.sort()).toEqual(expected);
    console.log(`alerts topic after the crash: ${msgs.length} messages for ${expected.length} alerts`);
  }
});
