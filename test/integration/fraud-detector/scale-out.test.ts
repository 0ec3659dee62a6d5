import { afterAll, describe, expect, it } from 'vitest';
import { type FraudDetector, startFraudDetector } from '../../../workloads/fraud-detector/detector.ts';
import {
  alertKeys,
  asMessages,
  createTopics,
  detectorConfig,
  dropDatabase,
  kafkaClient,
  produce,
  readAlerts,
  traffic,
  waitDrained,
} from './support.ts';

describe('scale-out: one replica and three replicas in one consumer group', () => {
  const kafka = kafkaClient();
  const running: FraudDetector[] = [];
  const databases: string[] = [];

  afterAll(async () => {
    await Promise.all(running.map((d) => d.close()));
    await Promise.all(databases.map(dropDatabase));
  });

  it('raise the identical set of alerts on the same input, rebalancing mid-stream', async () => {
    const topics = await createTopics(kafka);
    const { events } = traffic(11, 3000);
    const half = asMessages(events.slice(0, 1500));
    await produce(kafka, topics.applications, half);

    const one = detectorConfig(topics, { appId: 'one', mongoDatabase: `fd_${topics.suffix}_one` });
    const three = detectorConfig(topics, { appId: 'three', mongoDatabase: `fd_${topics.suffix}_three` });
    databases.push(one.mongoDatabase as string, three.mongoDatabase as string);

    running.push(await startFraudDetector(one));
    // The first of three starts alone and takes every partition; the others join while it works,
    // so partitions move (and their window state is rebuilt) mid-stream.
    running.push(await startFraudDetector(three));
    await new Promise((r) => setTimeout(r, 1500));
    running.push(await startFraudDetector(three));
    await produce(kafka, topics.applications, asMessages(events.slice(1500)));
    running.push(await startFraudDetector(three));

    await waitDrained(kafka, one);
    await waitDrained(kafka, three);
    const single = await readAlerts(one.mongoDatabase as string);
    const scaled = await readAlerts(three.mongoDatabase as string);
    expect(single.length).toBeGreaterThan(100);
    expect(alertKeys(scaled)).toEqual(alertKeys(single));
    // The replicas did share the work (each has its own registry).
    const consumed = await Promise.all(
      running.slice(1).map(async (d) => (await d.metrics.eventsConsumed.get()).values[0]?.value ?? 0),
    );
    expect(consumed.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(3000);
    expect(consumed.filter((n) => n > 0).length).toBeGreaterThanOrEqual(2);
  });
});
