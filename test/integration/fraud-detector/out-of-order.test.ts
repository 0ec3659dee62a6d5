/**
 * Out-of-order traffic on real Kafka and the real Mongo-wire server: a batch of applications submitted
 * over the last 6 hours, uploaded now in shuffled order and mixed with live traffic, raises the same
 * alerts as the same applications arriving in time order, with one replica and with three.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectionQuality } from '../../../demo/detection-quality.ts';
import type { DetectorConfig } from '../../../workloads/fraud-detector/config.ts';
import { type FraudDetector, startFraudDetector } from '../../../workloads/fraud-detector/detector.ts';
import { labelMap } from '../../../workloads/generator/generate.ts';
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
  type StoredAlert,
  waitDrained,
} from './support.ts';

const TARGETED = ['velocity_burst', 'device_ring', 'synthetic_identity', 'income_inflation'];

describe('out-of-order traffic within the event-time horizon', () => {
  const kafka = kafkaClient();
  const running: FraudDetector[] = [];
  const databases: string[] = [];
  const { items, inOrder, shuffled } = outOfOrderTraffic(31, 2400, 600);
  let ordered: StoredAlert[];
  let single: StoredAlert[];
  let scaled: StoredAlert[];
  let configs: Record<'ordered' | 'one' | 'three', DetectorConfig>;

  beforeAll(async () => {
    const inOrderTopics = await createTopics(kafka);
    const shuffledTopics = await createTopics(kafka);
    configs = {
      ordered: detectorConfig(inOrderTopics, { appId: 'ordered' }),
      one: detectorConfig(shuffledTopics, { appId: 'one', mongoDatabase: `fd_${shuffledTopics.suffix}_one` }),
      three: detectorConfig(shuffledTopics, {
        appId: 'three',
        mongoDatabase: `fd_${shuffledTopics.suffix}_three`,
      }),
    };
    databases.push(...Object.values(configs).map((c) => c.mongoDatabase as string));
    running.push(await startFraudDetector(configs.ordered), await startFraudDetector(configs.one));
    // The first of three starts alone with half the input; the others join while it works, so
    // partitions move (and their window state is rebuilt) mid-stream.
    running.push(await startFraudDetector(configs.three));
    const half = (events: typeof inOrder) => Math.floor(events.length / 2);
    await produce(kafka, inOrderTopics.applications, asMessages(inOrder.slice(0, half(inOrder))));
    await produce(kafka, shuffledTopics.applications, asMessages(shuffled.slice(0, half(shuffled))));
    running.push(await startFraudDetector(configs.three), await startFraudDetector(configs.three));
    await produce(kafka, inOrderTopics.applications, asMessages(inOrder.slice(half(inOrder))));
    await produce(kafka, shuffledTopics.applications, asMessages(shuffled.slice(half(shuffled))));
    for (const c of Object.values(configs)) await waitDrained(kafka, c, 180_000);
    ordered = await readAlerts(configs.ordered.mongoDatabase as string);
    single = await readAlerts(configs.one.mongoDatabase as string);
    scaled = await readAlerts(configs.three.mongoDatabase as string);
  }, 300_000);

  afterAll(async () => {
    await Promise.all(running.map((d) => d.close()));
    await Promise.all(databases.map(dropDatabase));
  });

  it('shuffled 6-hour-old batch mixed with live traffic raises the same alerts as in time order', () => {
    expect(ordered.length).toBeGreaterThan(100);
    expect(alertKeys(single)).toEqual(alertKeys(ordered));
  });

  it('catches the fraud scenarios in the shuffled batch as well as in order', () => {
    const quality = detectionQuality(
      labelMap(items),
      single.map((a) => ({
        applicationId: a.applicationId,
        ruleId: a.ruleId,
        mode: a.mode as 'live' | 'shadow',
      })),
    );
    for (const s of TARGETED)
      expect(quality.scenarios.find((x) => x.scenario === s)?.recall, `${s} recall`).toBeGreaterThanOrEqual(
        0.95,
      );
  });

  it('one replica and three replicas raise identical alert sets on the shuffled input', async () => {
    expect(alertKeys(scaled)).toEqual(alertKeys(single));
    const consumed = await Promise.all(
      running.slice(2).map(async (d) => (await d.metrics.eventsConsumed.get()).values[0]?.value ?? 0),
    );
    expect(consumed.filter((n) => n > 0).length).toBeGreaterThanOrEqual(2);
  });

  it('evaluated the old applications by window rules: none was late or beyond the horizon', async () => {
    const text = await running[1]?.metrics.registry.metrics();
    expect(text).toMatch(/fraud_detector_beyond_horizon_total 0/);
    expect(text).toMatch(/fraud_detector_late_events_total 0/);
  });
});
