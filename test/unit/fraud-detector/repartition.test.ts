import { compatibilityPartitioner } from '@platformatic/kafka';
import { describe, expect, it } from 'vitest';
import {
  decodeRepartitionKey,
  encodeRepartitionKey,
  packByPartition,
  parsePacked,
  parseWindowRecord,
  partitionOfKey,
  repartitionKeys,
} from '../../../workloads/fraud-detector/core/repartition.ts';
import { makeEvent, ruleSet } from './fixtures.ts';

describe('repartitioning', () => {
  const rules = ruleSet([
    { id: 'dev', kind: 'distinctCount', key: 'deviceId', field: 'customerId', window: '1h', threshold: 3 },
    { id: 'mail', kind: 'velocity', key: 'email', window: '1h', threshold: 3 },
    { id: 'inc', kind: 'distinctCount', key: 'deviceId', field: 'annualIncome', window: '1h', threshold: 2 },
    { id: 'geo', kind: 'expression', expression: 'true' },
  ]);

  it('publishes an application once per key group, with only the fields that group counts', () => {
    const e = makeEvent({ id: 'app-1', deviceId: 'dev-9', email: 'Ada@Example.TEST', annualIncome: 50_000 });
    const keys = repartitionKeys(rules, e, '2026-03-10T12:00:01.000Z');
    expect(keys.map((k) => encodeRepartitionKey(k))).toEqual([
      'channel.deviceId|dev-9',
      'applicant.email|ada@example.test',
    ]);
    expect(keys[0]?.record).toEqual({
      applicationId: 'app-1',
      customerId: 'C-1',
      submittedAt: e.submittedAt,
      receivedAt: '2026-03-10T12:00:01.000Z',
      fields: { 'applicant.customerId': 'C-1', 'employment.annualIncome': '50000' },
    });
    expect(keys[1]?.record.fields).toEqual({});
    // Nothing personal beyond the key itself travels in the projection.
    expect(JSON.stringify(keys.map((k) => k.record))).not.toMatch(/Lovelace|1990-01-01|High St/);
  });

  it('round-trips keys whose value contains the separator', () => {
    expect(decodeRepartitionKey(encodeRepartitionKey({ keyPath: 'channel.deviceId', key: 'a|b' }))).toEqual({
      keyPath: 'channel.deviceId',
      key: 'a|b',
    });
    expect(decodeRepartitionKey('nokey')).toBeUndefined();
    expect(decodeRepartitionKey('path|')).toBeUndefined();
  });

  it('rejects repartition values that are not window records', () => {
    expect(parseWindowRecord('{oops')).toBeUndefined();
    expect(parseWindowRecord('{"applicationId":"a","customerId":"c"}')).toBeUndefined();
    expect(parseWindowRecord('{"applicationId":"a","customerId":"c","submittedAt":"x","fields":{}}')).toEqual(
      {
        applicationId: 'a',
        customerId: 'c',
        submittedAt: 'x',
        fields: {},
      },
    );
    expect(
      parseWindowRecord(
        '{"applicationId":"a","customerId":"c","submittedAt":"x","receivedAt":5,"fields":{}}',
      ),
    ).toBeUndefined();
  });

  it("places a key on the partition the Java client (and the platform's producer) gives its message key", () => {
    // The Java client's Utils.murmur2 of these bytes (Kafka's own UtilsTest): partition = (hash & 0x7fffffff) % n.
    const java: Array<[string, number]> = [
      ['21', -973932308],
      ['foobar', -790332482],
      ['a-little-bit-long-string', -985981536],
      ['a-little-bit-longer-string', -1486304829],
      ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
      ['abc', 479470107],
    ];
    for (const [key, hash] of java)
      for (const partitions of [1, 3, 7, 12])
        expect(partitionOfKey(key, partitions), key).toBe((hash & 0x7fffffff) % partitions);
    // The producer (workloads/shared/kafka-client.ts) places keyed records with compatibilityPartitioner,
    // taken modulo the partition count.
    for (const partitions of [1, 3, 7, 12]) {
      for (let i = 0; i < 500; i++) {
        // ASCII keys (hashed from their char codes) and non-ASCII ones (from their UTF-8 bytes).
        const tail = i % 2 === 0 ? '' : `é€${String.fromCodePoint(0x1f600 + (i % 5))}`;
        const key = `${['applicant.nationalIdHash', 'channel.deviceId', 'channel.ipAddress'][i % 3]}|${'x'.repeat(i % 9)}${i * 7919}${tail}`;
        const expected = compatibilityPartitioner({ topic: 't' }, Buffer.from(key)) % partitions;
        expect(partitionOfKey(key, partitions), key).toBe(expected);
      }
    }
  });

  it('packs a batch by partition: every key once, on its partition, with its application and source', () => {
    const apps = Array.from({ length: 40 }, (_, i) => {
      const e = makeEvent({ id: `app-${i}`, deviceId: `dev-${i % 6}`, email: `u${i % 4}@example.test` });
      return { keys: repartitionKeys(rules, e, '2026-03-10T12:00:01.000Z'), source: `apps/1/${i}` };
    });
    const packed = packByPartition(apps, 3, 16);
    const seen: string[] = [];
    for (const m of packed) {
      const parsed = parsePacked(m.value);
      expect(parsed?.invalid).toBe(0);
      expect(parsed?.apps.length).toBeLessThanOrEqual(16);
      for (const a of parsed?.apps ?? []) {
        for (const [keyPath, key] of a.keys) {
          expect(partitionOfKey(encodeRepartitionKey({ keyPath, key }), 3)).toBe(m.partition);
          seen.push(`${a.applicationId} ${keyPath}|${key} ${a.source}`);
        }
        if (a.keys.some(([p]) => p === 'channel.deviceId'))
          expect(a.fields['applicant.customerId']).toBe(a.customerId);
        expect(a.receivedAt).toBe('2026-03-10T12:00:01.000Z');
      }
    }
    const expected = apps.flatMap((a) =>
      a.keys.map((k) => `${k.record.applicationId} ${encodeRepartitionKey(k)} ${a.source}`),
    );
    expect(seen.sort()).toEqual(expected.sort());
  });

  it('reads the well-formed applications of a packed message and counts the others', () => {
    expect(parsePacked('{oops')).toBeUndefined();
    expect(parsePacked('{"apps":5}')).toBeUndefined();
    const good = { applicationId: 'a', customerId: 'c', submittedAt: 'x', fields: {}, keys: [['k', 'v']] };
    const parsed = parsePacked(
      JSON.stringify({ apps: [good, { ...good, keys: [['k', '']] }, { ...good, receivedAt: 5 }, null] }),
    );
    expect(parsed).toEqual({ apps: [good], invalid: 3 });
  });
});
