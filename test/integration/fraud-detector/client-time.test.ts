/**
 * A client's clock cannot switch the window rules off (real Kafka, real Mongo-wire server): a far-future
 * application on a key, then an honest burst on it, is flagged; a backdated burst is flagged; an
 * application from before the horizon gets the per-application rules, a dead-letter record with the
 * reason and a count, and changes nothing for the others of its key. The ingestion API refuses the
 * far-future one at the door; these are written to the topic directly, as a buggy or hostile producer
 * with topic access could.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApplicationEvent, ApplicationEventV2 } from '../../../workloads/contract/application.ts';
import { pseudonymize } from '../../../workloads/contract/pseudonymize.ts';
import { type FraudDetector, startFraudDetector } from '../../../workloads/fraud-detector/detector.ts';
import { generateApplications } from '../../../workloads/generator/generate.ts';
import type { TestRecord } from '../support/kafka.ts';
import {
  createTopics,
  detectorConfig,
  dropDatabase,
  kafkaClient,
  PSEUDO_KEY,
  produce,
  readAlerts,
  readTopic,
  type StoredAlert,
  type TestTopics,
  waitDrained,
} from './support.ts';

const HOUR = 3_600_000;
const YEAR = 365 * 24 * HOUR;
const now = Date.now();
const template = generateApplications({ seed: 77, count: 1 })[0]?.submission;

/** An application of `customer` on `device` / national ID `nid`, submitted at `submitted`, received at `received`. */
function app(p: {
  device: string;
  customer: string;
  nid?: string;
  submitted: number;
  received?: number;
  email?: string;
}): ApplicationEventV2 {
  if (template === undefined) throw new Error('no template');
  const s = structuredClone(template);
  s.applicationId = randomUUID();
  s.submittedAt = new Date(p.submitted).toISOString();
  s.applicant.customerId = p.customer;
  s.applicant.nationalId = p.nid ?? `NID-${p.customer}`;
  if (p.email !== undefined) s.applicant.email = p.email;
  s.channel.deviceId = p.device;
  delete s.channel.geo;
  return pseudonymize(s, PSEUDO_KEY, new Date(p.received ?? p.submitted));
}

const msg = (e: ApplicationEvent): TestRecord => ({ key: e.applicant.customerId, value: JSON.stringify(e) });
const ring = (device: string, at: number, received?: number) =>
  [0, 1, 2, 3].map((i) =>
    app({
      device,
      customer: `${device}-c${i}`,
      submitted: at + i * 60_000,
      received: (received ?? at) + i * 60_000,
    }),
  );

describe('client time cannot switch window rules off', () => {
  const kafka = kafkaClient();
  let topics: TestTopics;
  let detector: FraudDetector;
  let alerts: StoredAlert[];
  // 1. A far-future application (v2: received now), then an honest ring on the same device.
  const futureV2 = app({
    device: 'dev-future',
    customer: 'fut-0',
    submitted: now + YEAR,
    received: now - 10 * 60_000,
  });
  const honestAfterV2 = ring('dev-future', now - 5 * 60_000);
  // 2. The same with a v1 event (no receivedAt): the Kafka timestamp is its receipt time.
  const { receivedAt: _r, ...futureV1Body } = app({
    device: 'dev-future-v1',
    customer: 'fut-1',
    submitted: now + YEAR,
  });
  const futureV1 = { ...futureV1Body, schemaVersion: 'credit.application.v1' } as ApplicationEvent;
  const honestAfterV1 = ring('dev-future-v1', now - 5 * 60_000);
  // 3. A backdated ring: submitted 20 h ago, received now.
  const backdated = ring('dev-backdated', now - 20 * HOUR, now - 8 * 60_000);
  // 4. From before the horizon (2 years back, on a known-bad e-mail) amid an honest ring on its device.
  const ancient = app({
    device: 'dev-ancient',
    customer: 'anc-x',
    submitted: now - 2 * YEAR,
    received: now - 3 * 60_000,
    email: 'fraudster@burner-box.test',
  });
  const honestWithAncient = ring('dev-ancient', now - 4 * 60_000);
  const velocityBurst = [0, 1, 2].map((i) =>
    app({
      device: `dev-v${i}`,
      customer: 'same-person',
      nid: 'NID-SAME',
      submitted: now - 20 * HOUR + i * 60_000,
      received: now - 60_000,
    }),
  );

  beforeAll(async () => {
    topics = await createTopics(kafka);
    await produce(kafka, topics.applications, [
      msg(futureV2),
      msg(futureV1),
      ...[...honestAfterV2, ...honestAfterV1, ...backdated].map(msg),
      msg(honestWithAncient[0] as ApplicationEvent),
      msg(ancient),
      ...honestWithAncient.slice(1).map(msg),
      ...velocityBurst.map(msg),
    ]);
    detector = await startFraudDetector(detectorConfig(topics));
    await waitDrained(kafka, detectorConfig(topics));
    alerts = await readAlerts(detectorConfig(topics).mongoDatabase as string);
  }, 180_000);

  afterAll(async () => {
    await detector?.close();
    if (topics) await dropDatabase(detectorConfig(topics).mongoDatabase as string);
  });

  const flaggedBy = (rule: string) =>
    new Set(alerts.filter((a) => a.ruleId === rule).map((a) => a.applicationId));

  it('flags an honest burst after a far-future application on the same key (v2 and v1 events)', () => {
    const ringHits = flaggedBy('device-shared-customers');
    for (const e of [...honestAfterV2, ...honestAfterV1]) expect(ringHits.has(e.applicationId)).toBe(true);
  });

  it('flags a backdated burst, on a device and on a national ID', () => {
    const ringHits = flaggedBy('device-shared-customers');
    for (const e of backdated) expect(ringHits.has(e.applicationId)).toBe(true);
    const velocity = flaggedBy('velocity-national-id');
    for (const e of velocityBurst) expect(velocity.has(e.applicationId)).toBe(true);
  });

  it('evaluates an application from before the horizon by per-application rules only, and records why', async () => {
    const own = alerts.filter((a) => a.applicationId === ancient.applicationId).map((a) => a.ruleId);
    expect(own).toContain('known-bad-email-domain');
    expect(own).not.toContain('device-shared-customers');
    const ringHits = flaggedBy('device-shared-customers');
    for (const e of honestWithAncient) expect(ringHits.has(e.applicationId)).toBe(true);
    const dlq = await readTopic(kafka, topics.deadLetter, 1);
    expect(dlq).toHaveLength(1);
    expect(dlq[0]?.headers['dlq-reason']).toBe('beyond-horizon');
    expect(dlq[0]?.headers['dlq-error']).toMatch(/beyond the event-time horizon of 24 h/);
    expect(JSON.parse(dlq[0]?.value ?? '{}').applicationId).toBe(ancient.applicationId);
    const text = await detector.metrics.registry.metrics();
    // At least once: a batch processed again after a rebalance under load counts it again.
    expect(text).toMatch(/fraud_detector_beyond_horizon_total [1-9]/);
    // Not counted as a contract failure (the DLQ-ratio alert watches those).
    expect(text).not.toMatch(/fraud_detector_dlq_messages_total\{/);
  });
});
