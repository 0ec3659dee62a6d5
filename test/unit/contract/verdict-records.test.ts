/**
 * The verdicts topic's records (api/verdict.ts), pure: the writer packs a stage's parts per partition;
 * the one reader reads packed records and the one-part records written before packing, and counts
 * what is not a valid part instead of failing on it.
 */
import { describe, expect, it } from 'vitest';
import {
  VERDICT_APPLICATION_HEADER,
  type VerdictAlert,
  type VerdictPart,
  verdictRecordParts,
  verdictRecords,
} from '../../../api/verdict.ts';
import { FORMAT_HEADER, PACKED_FORMAT } from '../../../lib/packed-records.ts';

const id = (n: number) => `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
const alert: VerdictAlert = {
  alertId: `${id(1)}:velocity:1`,
  ruleId: 'velocity',
  ruleVersion: 1,
  severity: 'high',
  mode: 'live',
  reasonCode: 'R',
};
const source = (n: number, windowKeys: string[] = ['channel.deviceId']): VerdictPart => ({
  kind: 'source',
  applicationId: id(n),
  customerId: `C-${n}`,
  checkedAt: '2026-12-03T00:00:00.000Z',
  alerts: n % 3 === 0 ? [alert] : [],
  ruleSetVersion: 'v1',
  windowKeys,
  beyondHorizon: false,
});
const windowPart = (n: number, keyPath: string): VerdictPart => ({
  kind: 'window',
  applicationId: id(n),
  customerId: `C-${n}`,
  checkedAt: '2026-12-03T00:00:00.000Z',
  alerts: [],
  keyPath,
});

/** A record as a Kafka consumer hands it over: value and header values as Buffers. */
const consumed = (r: { value: string; headers: Record<string, string> }) => ({
  value: Buffer.from(r.value),
  headers: Object.fromEntries(Object.entries(r.headers).map(([k, v]) => [k, Buffer.from(v)])),
});

describe('verdict records', () => {
  it('packs parts per partition, in order, at most maxPerRecord each, and reads them back', () => {
    const parts = Array.from({ length: 25 }, (_, i) => ({
      part: i % 2 === 0 ? source(i) : windowPart(i, 'channel.ip'),
      partition: i % 3,
    }));
    const records = verdictRecords(parts, 4);
    // Partition 0 has 9 parts (3 records), partitions 1 and 2 have 8 (2 records each).
    expect(records).toHaveLength(7);
    const back = new Map<number, VerdictPart[]>();
    for (const r of records) {
      expect('partition' in r).toBe(true);
      if (!('partition' in r)) continue;
      expect(r.headers).toEqual({ [FORMAT_HEADER]: PACKED_FORMAT });
      expect('key' in r).toBe(false);
      const read = verdictRecordParts(consumed(r));
      expect(read.invalid).toBe(0);
      expect(read.parts.length).toBeLessThanOrEqual(4);
      back.set(r.partition, [...(back.get(r.partition) ?? []), ...read.parts]);
    }
    for (const p of [0, 1, 2])
      expect(back.get(p)).toEqual(parts.filter((x) => x.partition === p).map((x) => x.part));
  });

  it('writes a part whose partition is unknown as a one-part record keyed by its customer', () => {
    const records = verdictRecords([
      { part: source(1), partition: 2 },
      { part: windowPart(2, 'channel.ip'), partition: undefined },
    ]);
    expect(records).toHaveLength(2);
    const one = records.find((r) => !('partition' in r));
    expect(one).toEqual({
      key: 'C-2',
      value: JSON.stringify(windowPart(2, 'channel.ip')),
      headers: { [VERDICT_APPLICATION_HEADER]: id(2) },
    });
    if (one === undefined) return;
    expect(verdictRecordParts(consumed(one))).toEqual({ parts: [windowPart(2, 'channel.ip')], invalid: 0 });
  });

  it('reads the one-part records written before packing (old topics replay)', () => {
    // As the detector wrote them before: value = the part, key = customerId, header application-id.
    for (const part of [source(3, ['channel.deviceId', 'channel.ip']), windowPart(3, 'channel.ip')]) {
      const record = consumed({
        value: JSON.stringify(part),
        headers: { [VERDICT_APPLICATION_HEADER]: part.applicationId },
      });
      expect(verdictRecordParts(record)).toEqual({ parts: [part], invalid: 0 });
      expect(verdictRecordParts({ value: JSON.stringify(part) })).toEqual({ parts: [part], invalid: 0 });
    }
  });

  it('counts what is not a valid part, and keeps the valid parts of a packed record', () => {
    const packed = { [FORMAT_HEADER]: PACKED_FORMAT };
    const good = source(4);
    const bad = { ...windowPart(5, 'channel.ip'), applicationId: 'not-a-uuid' };
    expect(
      verdictRecordParts({ value: JSON.stringify({ parts: [good, bad, null, 7] }), headers: packed }),
    ).toEqual({ parts: [good], invalid: 3 });
    expect(verdictRecordParts({ value: '{oops', headers: packed })).toEqual({ parts: [], invalid: 1 });
    expect(verdictRecordParts({ value: '{"apps":[]}', headers: packed })).toEqual({ parts: [], invalid: 1 });
    expect(verdictRecordParts({ value: null, headers: packed })).toEqual({ parts: [], invalid: 1 });
    expect(verdictRecordParts({ value: '{oops' })).toEqual({ parts: [], invalid: 1 });
    expect(verdictRecordParts({ value: JSON.stringify(bad) })).toEqual({ parts: [], invalid: 1 });
    // A packed value without the header is read as one part, which it is not: invalid, not guessed.
    expect(verdictRecordParts({ value: JSON.stringify({ parts: [good] }) })).toEqual({
      parts: [],
      invalid: 1,
    });
    // Another format name is not this one.
    expect(
      verdictRecordParts({
        value: JSON.stringify({ parts: [good] }),
        headers: { [FORMAT_HEADER]: 'packed-v9' },
      }),
    ).toEqual({ parts: [], invalid: 1 });
  });
});
