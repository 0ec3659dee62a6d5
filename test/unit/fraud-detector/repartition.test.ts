import { describe, expect, it } from 'vitest';
import {
  decodeRepartitionKey,
  encodeRepartitionKey,
  parseWindowRecord,
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
});
