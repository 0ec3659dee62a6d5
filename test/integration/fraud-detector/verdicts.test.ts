/**
 * The verdicts topic (api/verdict.ts): every valid application the detector checked gets a complete
 * verdict (a source part, one window part per window key it was sent to), alerts or none, written to
 * the application's own partition in packed records (a stage's parts of one batch and partition
 * together); the alerts in the verdict are those raised on the application when it was checked;
 * poison gets none.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type VerdictPart, verdictRecordParts } from '../../../api/verdict.ts';
import { FORMAT_HEADER, isPacked, PACKED_FORMAT } from '../../../lib/packed-records.ts';
import { type FraudDetector, startFraudDetector } from '../../../workloads/fraud-detector/detector.ts';
import { type ReadRecord, readTopic } from '../support/kafka.ts';
import {
  createTopics,
  detectorConfig,
  dropDatabase,
  kafkaClient,
  produce,
  readAlerts,
  type StoredAlert,
  type TestTopics,
  traffic,
  waitDrained,
} from './support.ts';

interface Read {
  partition: number;
  key: string | null;
  value: string;
  packed: boolean;
}

/**
 * A verdict part as read, with the record that carried it (`text`: the part without `checkedAt`, for
 * comparing content: a replayed batch is checked again, later, and says so; the rest must be equal).
 */
interface ReadPart {
  partition: number;
  key: string | null;
  packed: boolean;
  part: VerdictPart;
  text: string;
}

const PACKED_HEADERS = { [FORMAT_HEADER]: PACKED_FORMAT };

const partsOf = (records: readonly Read[]): ReadPart[] =>
  records.flatMap((r) =>
    verdictRecordParts({
      value: r.value,
      headers: r.packed ? PACKED_HEADERS : {},
    }).parts.map((part) => ({
      partition: r.partition,
      key: r.key,
      packed: r.packed,
      part,
      text: JSON.stringify({ ...part, checkedAt: undefined }),
    })),
  );

const asRead = (r: ReadRecord): Read => ({
  partition: r.partition,
  key: r.key,
  value: r.value ?? '',
  packed: isPacked(r.headers),
});

/**
 * Reads a topic from the start until `complete` holds for what was read (or the time is up: a loaded
 * machine needs seconds just to join the reader's group, so the bound is generous and not the signal).
 * The reader's own group may be rebalanced under load and get a batch again: each record is kept once.
 */
async function readAll(
  topic: string,
  complete: (read: readonly Read[]) => boolean,
  timeoutMs = 90_000,
): Promise<Read[]> {
  const records = await readTopic(kafkaClient('fd-verdict-reader'), topic, {
    until: (rs) => complete(rs.map(asRead)),
    timeoutMs,
    ifIncomplete: 'return',
  });
  return records.map(asRead);
}

describe('verdicts (real Kafka, real Mongo-wire server)', () => {
  const kafka = kafkaClient();
  let topics: TestTopics;
  let detector: FraudDetector;
  const { events } = traffic(11, 1500);
  let alerts: StoredAlert[];
  let apps: Read[];
  let records: Read[];
  let parts: ReadPart[];

  beforeAll(async () => {
    topics = await createTopics(kafka, 3);
    await produce(kafka, topics.applications, [
      ...events.map((e) => ({ key: e.applicant.customerId, value: JSON.stringify(e) })),
      { key: 'C-poison', value: '{not json' },
    ]);
    detector = await startFraudDetector(detectorConfig(topics));
    await waitDrained(kafka, detectorConfig(topics));
    alerts = await readAlerts(detectorConfig(topics).mongoDatabase as string);
    // Every application (the test's producer may have written one twice after a retry) and the poison.
    apps = await readAll(
      topics.applications,
      (read) =>
        new Set(read.map((r) => r.value)).size >= events.length + 1 && read.some((r) => r.key === 'C-poison'),
    );
    // Complete when every application's source part is in and, over all of them, as many distinct
    // window parts as their source parts name (the tests then check each one).
    records = await readAll(topics.verdicts, (rs) => {
      const sources = new Map<string, number>();
      const windows = new Set<string>();
      for (const { part } of partsOf(rs)) {
        if (part.kind === 'source') sources.set(part.applicationId, part.windowKeys.length);
        else windows.add(`${part.applicationId}:${part.keyPath}`);
      }
      let named = 0;
      for (const n of sources.values()) named += n;
      return sources.size === events.length && windows.size >= named;
    });
    parts = partsOf(records);
  });

  afterAll(async () => {
    await detector?.close();
    if (topics) await dropDatabase(detectorConfig(topics).mongoDatabase as string);
  });

  it('gives every valid application one source part and one window part per window key, none to poison', () => {
    const byApp = new Map<string, ReadPart[]>();
    for (const p of parts) byApp.set(p.part.applicationId, [...(byApp.get(p.part.applicationId) ?? []), p]);
    expect(byApp.size).toBe(events.length);
    let withWindows = 0;
    for (const e of events) {
      const mine = byApp.get(e.applicationId) ?? [];
      // At least once: a part published again (a replayed batch) must carry the same content (but its
      // own checkedAt).
      const source = [
        ...new Map(mine.filter((p) => p.part.kind === 'source').map((p) => [p.text, p])).values(),
      ];
      expect(source, e.applicationId).toHaveLength(1);
      const s = source[0]?.part;
      if (s?.kind !== 'source') throw new Error('unreachable');
      const windows = [
        ...new Map(mine.filter((p) => p.part.kind === 'window').map((p) => [p.text, p])).values(),
      ].map((p) => (p.part.kind === 'window' ? p.part.keyPath : ''));
      expect(windows.sort()).toEqual([...s.windowKeys].sort());
      if (windows.length > 0) withWindows++;
    }
    expect(withWindows).toBeGreaterThan(events.length / 2);
  });

  it('writes each part to the partition of its application, packed: a batch’s parts in one record', () => {
    const partitionOf = new Map<string, number>();
    for (const a of apps) {
      if (a.key === 'C-poison') continue;
      partitionOf.set((JSON.parse(a.value) as { applicationId: string }).applicationId, a.partition);
    }
    for (const p of parts) {
      expect(p.partition, p.part.applicationId).toBe(partitionOf.get(p.part.applicationId));
      expect(p.packed, p.part.applicationId).toBe(true);
      expect(p.key).toBeNull();
    }
    // Every record is a readable packed record, and records carry many parts each (1,500 applications
    // were waiting when the detector started, so its batches are large).
    for (const r of records) {
      expect(r.packed).toBe(true);
      expect(verdictRecordParts({ value: r.value, headers: PACKED_HEADERS }).invalid).toBe(0);
    }
    expect(records.length * 2).toBeLessThanOrEqual(parts.length);
  });

  it('carries the alerts raised on the application when it was checked, and only stored alerts', () => {
    const stored = new Set(alerts.map((a) => a._id));
    const inVerdicts = new Set<string>();
    for (const p of parts) {
      for (const a of p.part.alerts) {
        expect(stored.has(a.alertId), a.alertId).toBe(true);
        expect(a.alertId.startsWith(p.part.applicationId.toLowerCase())).toBe(true);
        inVerdicts.add(a.alertId);
      }
    }
    // Per-application rules: every such alert is in its application's source part.
    const eventRules = new Set(detector.rules().eventRules.map((r) => r.id));
    for (const a of alerts) if (eventRules.has(a.ruleId)) expect(inVerdicts.has(a._id), a._id).toBe(true);
    // Window alerts: each is in a verdict unless a later member completed the burst (the late path).
    const windowAlerts = alerts.filter((a) => !eventRules.has(a.ruleId));
    const inline = windowAlerts.filter((a) => inVerdicts.has(a._id)).length;
    expect(windowAlerts.length).toBeGreaterThan(0);
    expect(inline).toBeGreaterThan(0);
    expect(inVerdicts.size).toBeGreaterThan(0);
  });
});
