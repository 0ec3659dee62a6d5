/**
 * The decision service reads the verdicts topic through the contract's one reader (api/verdict.ts):
 * packed records (what the detector writes) and the one-part records written before packing (a topic
 * written by an older detector replays), mixed within one application's verdict; parts that are not
 * valid are counted and skipped. On real Kafka and PostgreSQL, with verdict records written by hand.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  VERDICT_APPLICATION_HEADER,
  type VerdictAlert,
  type VerdictPart,
  verdictRecords,
} from '../../../api/verdict.ts';
import { FORMAT_HEADER, PACKED_FORMAT } from '../../../lib/packed-records.ts';
import type { ApplicationEvent } from '../../../workloads/contract/application.ts';
import { decideApplication } from '../../../workloads/decision-service/decide.ts';
import { type DecisionService, startDecisionService } from '../../../workloads/decision-service/service.ts';
import { BUILT_IN_CHAMPION, modelSet } from '../../../workloads/risk-scorer/models.ts';
import { loadModelFile } from '../../../workloads/risk-scorer/scorecard/model.ts';
import {
  createTopics,
  detectorConfig,
  kafkaClient,
  produce,
  type TestTopics,
  traffic,
} from '../fraud-detector/support.ts';
import { createTopics as createTestTopics } from '../support/kafka.ts';
import { createTestDatabase, type TestDatabase } from '../warehouse/support.ts';

const COUNT = 90;
const PARTITIONS = 3;
const KEYS = ['channel.deviceId', 'channel.ipAddress'];

interface Row {
  application_id: string;
  decision: string;
  fraud_severity: string | null;
  reason_codes: string[];
}

async function rows(db: TestDatabase): Promise<Row[]> {
  const c = new pg.Client({ connectionString: db.url });
  await c.connect();
  try {
    const r = await c.query<Row>(
      'SELECT application_id, decision, fraud_severity, reason_codes FROM decision_record ORDER BY application_id',
    );
    return r.rows;
  } finally {
    await c.end();
  }
}

describe('decision service reads packed and one-part verdict records (real Kafka, real PostgreSQL)', () => {
  const kafka = kafkaClient('ds-formats');
  const { events } = traffic(41, COUNT);
  const alertsOf = new Map<string, VerdictAlert[]>();
  let topics: TestTopics;
  let db: TestDatabase;
  let service: DecisionService | undefined;

  const alert = (e: ApplicationEvent, rule: string): VerdictAlert => ({
    alertId: `${e.applicationId.toLowerCase()}:${rule}:1`,
    ruleId: rule,
    ruleVersion: 1,
    severity: 'high',
    mode: 'live',
    reasonCode: 'FRAUD_VELOCITY',
  });
  const source = (e: ApplicationEvent, i: number): VerdictPart => ({
    kind: 'source',
    applicationId: e.applicationId,
    customerId: e.applicant.customerId,
    checkedAt: new Date().toISOString(),
    alerts: i % 10 === 0 ? [alert(e, 'list-match')] : [],
    ruleSetVersion: 'v1',
    windowKeys: KEYS,
    beyondHorizon: false,
  });
  const windowPart = (e: ApplicationEvent, i: number, keyPath: string): VerdictPart => ({
    kind: 'window',
    applicationId: e.applicationId,
    customerId: e.applicant.customerId,
    checkedAt: new Date().toISOString(),
    alerts: i % 7 === 0 && keyPath === KEYS[1] ? [alert(e, 'ip-velocity')] : [],
    keyPath,
  });

  beforeAll(async () => {
    topics = await createTopics(kafka, PARTITIONS);
    await createTestTopics(kafka, [
      { topic: `ds_formats_decisions_${topics.suffix}`, numPartitions: PARTITIONS },
    ]);
    // Each application on a chosen partition, its verdict parts on the same partition number.
    const partitionOf = (i: number) => i % PARTITIONS;
    await produce(
      kafka,
      topics.applications,
      events.map((e, i) => ({
        key: e.applicant.customerId,
        value: JSON.stringify(e),
        partition: partitionOf(i),
      })),
    );
    // A third in one-part records only, a third packed only, a third mixed (source one-part, windows packed).
    const onePart = (part: VerdictPart, partition: number) => ({
      key: part.customerId,
      value: JSON.stringify(part),
      partition,
      headers: { [VERDICT_APPLICATION_HEADER]: part.applicationId },
    });
    const older = [];
    const packed: Array<{ part: VerdictPart; partition: number }> = [];
    for (const [i, e] of events.entries()) {
      const p = partitionOf(i);
      const parts = [source(e, i), ...KEYS.map((k) => windowPart(e, i, k))];
      alertsOf.set(
        e.applicationId.toLowerCase(),
        parts.flatMap((x) => x.alerts),
      );
      const group = i % 3;
      if (group === 0) older.push(...parts.map((x) => onePart(x, p)));
      else if (group === 1) packed.push(...parts.map((part) => ({ part, partition: p })));
      else {
        older.push(onePart(parts[0] as VerdictPart, p));
        packed.push(...parts.slice(1).map((part) => ({ part, partition: p })));
      }
    }
    await produce(kafka, topics.verdicts, [
      ...older,
      // Not valid: an unreadable packed record, a packed record with one bad part, an unreadable one-part record.
      { value: '{oops', partition: 0, headers: { [FORMAT_HEADER]: PACKED_FORMAT } },
      {
        value: JSON.stringify({ parts: [{ kind: 'window' }] }),
        partition: 1,
        headers: { [FORMAT_HEADER]: PACKED_FORMAT },
      },
      { key: 'C-bad', value: '{"kind": "source"}', partition: 2 },
      ...verdictRecords(packed, 16),
    ]);
    db = await createTestDatabase('ds_formats');
    service = await startDecisionService({
      kafkaBrokers: detectorConfig(topics).kafkaBrokers,
      kafkaTls: false,
      applicationsTopic: topics.applications,
      verdictsTopic: topics.verdicts,
      decisionsTopic: `ds_formats_decisions_${topics.suffix}`,
      groupPrefix: `formats${topics.suffix}`,
      databaseUrl: db.url,
      opsPort: 0,
      opsHost: '127.0.0.1',
      sessionTimeoutMs: 10_000,
      maxWriteBatch: 1000,
      writerId: 'formats-test',
    });
  }, 300_000);

  afterAll(async () => {
    await service?.close();
    await db?.drop().catch(() => undefined);
  });

  it('decides every application from the alerts of its verdict, whatever records carried the parts', async () => {
    const deadline = Date.now() + 180_000;
    let got = await rows(db);
    while (got.length < COUNT && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 300));
      got = await rows(db);
    }
    expect(got).toHaveLength(COUNT);
    const { champion } = modelSet(loadModelFile(BUILT_IN_CHAMPION));
    const expected = events
      .map((e) => {
        const d = decideApplication(
          champion,
          e,
          alertsOf.get(e.applicationId.toLowerCase()) ?? [],
          new Date(),
          'expected',
        ).record;
        return {
          application_id: d.applicationId,
          decision: d.decision,
          fraud_severity: d.fraudSeverity,
          reason_codes: [...d.reasonCodes],
        };
      })
      .sort((a, b) => (a.application_id < b.application_id ? -1 : 1));
    expect(got).toEqual(expected);
    // Alerts from each kind of record moved decisions (one-part source parts, packed window parts).
    const severe = new Set(got.filter((r) => r.fraud_severity !== null).map((r) => r.application_id));
    const idOf = (i: number) => (events[i] as ApplicationEvent).applicationId.toLowerCase();
    expect(severe.has(idOf(0))).toBe(true); // one-part source part with an alert
    expect(severe.has(idOf(70))).toBe(true); // packed window part (70 % 3 = 1) with an alert
    expect(severe.has(idOf(14))).toBe(true); // mixed: packed window part with an alert
  }, 240_000);

  it('counts the parts that are not valid and decides nothing for them', async () => {
    // At least once: a record read again after a rebalance counts again.
    const text = await (service as DecisionService).metrics.registry.getSingleMetricAsString(
      'decision_service_invalid_messages_total',
    );
    const m = /decision_service_invalid_messages_total\{topic="verdicts"\} (\d+)/.exec(text);
    expect(Number(m?.[1] ?? 0)).toBeGreaterThanOrEqual(3);
  });
});
