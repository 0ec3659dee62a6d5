/**
 * Failed writes: the alerts topic refuses every record for a while (its max.message.bytes set below an
 * alert's size: the broker answers MESSAGE_TOO_LARGE), so both stages' batches carrying alerts fail.
 * Each stage commits nothing more of the partition and reads it again from its last commit; the window
 * stage drops the partition's state and rebuilds it from the committed checkpoint. Once the topic takes
 * records again the detector must end with exactly the alerts of a detector that never failed, in the
 * store and on the alerts topic.
 */
import { ConfigResourceTypes } from '@platformatic/kafka';
import { afterAll, describe, expect, it } from 'vitest';
import type { FraudDetector } from '../../../workloads/fraud-detector/detector.ts';
import { startFraudDetector } from '../../../workloads/fraud-detector/detector.ts';
import { createAdmin } from '../../../workloads/shared/kafka-client.ts';
import {
  alertKeys,
  asMessages,
  createTopics,
  detectorConfig,
  dropDatabase,
  kafkaClient,
  produce,
  readAlerts,
  readTopic,
  traffic,
  waitDrained,
  waitFor,
} from './support.ts';

async function failures(detector: FraudDetector, stage: string): Promise<number> {
  const metric = await detector.metrics.writeFailures.get();
  return metric.values.find((v) => v.labels.stage === stage)?.value ?? 0;
}

describe('failed writes', () => {
  const kafka = kafkaClient();
  const running: FraudDetector[] = [];
  const databases: string[] = [];

  afterAll(async () => {
    for (const d of running) await d.close().catch(() => undefined);
    for (const db of databases) await dropDatabase(db);
  });

  it('are written again from the last commit, window state rebuilt: the same alerts as a run without failures', async () => {
    const { events } = traffic(23, 2000);
    const [first, second] = [events.slice(0, 1000), events.slice(1000)];
    const [healthy, failing] = [await createTopics(kafka), await createTopics(kafka)];
    const reference = detectorConfig(healthy);
    const victim = detectorConfig(failing);
    databases.push(reference.mongoDatabase as string, victim.mongoDatabase as string);
    const admin = createAdmin(kafka);
    const maxMessageBytes = async (value: string) =>
      admin.alterConfigs({
        validateOnly: false,
        resources: [
          {
            resourceType: ConfigResourceTypes.TOPIC,
            resourceName: failing.alerts,
            configs: [{ name: 'max.message.bytes', value }],
          },
        ],
      });
    let detector: FraudDetector;
    try {
      for (const t of [healthy, failing]) await produce(kafka, t.applications, asMessages(first));
      running.push(await startFraudDetector(reference));
      detector = await startFraudDetector(victim);
      running.push(detector);
      // The first half is processed and committed (window checkpoints included) before anything fails.
      await waitDrained(kafka, victim, 120_000);
      await maxMessageBytes('100');
      for (const t of [healthy, failing]) await produce(kafka, t.applications, asMessages(second));
      // Both stages raise alerts on this traffic: both see their writes refused, more than once.
      await waitFor(
        async () => (await failures(detector, 'source')) >= 2 && (await failures(detector, 'window')) >= 2,
        90_000,
        'write failures in both stages',
      );
      await maxMessageBytes('1048588');
      await waitDrained(kafka, reference, 120_000);
      await waitDrained(kafka, victim, 120_000);
    } finally {
      await admin.close();
    }
    // The window stage rebuilt its state by replaying from the committed checkpoints.
    expect((await detector.metrics.replayedMessages.get()).values[0]?.value ?? 0).toBeGreaterThan(0);
    const expected = alertKeys(await readAlerts(reference.mongoDatabase as string));
    const stored = await readAlerts(victim.mongoDatabase as string);
    expect(expected.length).toBeGreaterThan(0);
    expect(alertKeys(stored)).toEqual(expected);
    // Every alert is on the alerts topic too, once its write went through (at least once: distinct ids).
    const published = await readTopic(
      kafka,
      failing.alerts,
      expected.length,
      60_000,
      (m) => (JSON.parse(m.value ?? '') as { alertId: string }).alertId,
    );
    expect(published.map((m) => (JSON.parse(m.value ?? '') as { alertId: string }).alertId).sort()).toEqual(
      expected,
    );
  });
});
