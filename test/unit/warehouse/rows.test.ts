import { describe, expect, it } from 'vitest';
import { alertKey } from '../../../api/alert.ts';
import {
  dateKeyOf,
  loadableTimestamp,
  parseAlertMessage,
  parseApplicationMessage,
  partitionHash,
  redact,
} from '../../../workloads/warehouse-loader/rows.ts';

const source = { topic: 't', partition: 0, offset: '7' };

const event = {
  applicationId: '3F2504E0-4F89-41D3-9A0C-0305E82C3301',
  submittedAt: '2026-10-31T23:30:00-02:00',
  schemaVersion: 'credit.application.v1',
  applicant: {
    customerId: 'C-1',
    firstName: 'Ada',
    lastName: 'Lovelace',
    dateOfBirth: '1815-12-10',
    email: 'ada@example.org',
    phone: '+44 20 7946 0001',
    address: { line1: '12 St James Sq', city: 'London', postcode: 'SW1Y 4JH', country: 'GB' },
    nationalIdHash: 'a'.repeat(64),
  },
  employment: { status: 'employed', monthsInJob: 12, annualIncome: 50_000 },
  loan: { amount: 10_000, currency: 'GBP', termMonths: 36, purpose: 'auto' },
  credit: {
    monthlyDebtPayments: 200,
    openCreditLines: 2,
    delinquencies24m: 0,
    creditHistoryMonths: 60,
    bankruptcies: 0,
  },
  channel: { type: 'web', ipAddress: '192.0.2.1', deviceId: 'd-1' },
};

describe('application rows', () => {
  it('maps a valid event to a row without personal data, the date in UTC and the id lower-cased', () => {
    const p = parseApplicationMessage(source, Buffer.from('C-1'), Buffer.from(JSON.stringify(event)));
    if (!p.ok) throw new Error(JSON.stringify(p.quarantine.errors));
    expect(p.row.applicationId).toBe('3f2504e0-4f89-41d3-9a0c-0305e82c3301');
    expect(p.row.dateKey).toBe(20261101); // 23:30 at -02:00 is 01:30 UTC the next day
    expect(p.row.bureauScore).toBeNull();
    expect(p.row.geoCountry).toBeNull();
    const text = JSON.stringify(p.row);
    for (const personal of [
      'Ada',
      'Lovelace',
      '1815',
      'example.org',
      '7946',
      'St James',
      'SW1Y',
      '192.0.2.1',
      'd-1',
      '"C-1"',
    ])
      expect(text).not.toContain(personal);
  });

  it('derives a stable partition hash from the id, case-insensitively, within 0 … 2^31−1', () => {
    const h = partitionHash(event.applicationId);
    expect(h).toBe(partitionHash(event.applicationId.toLowerCase()));
    expect(h).toBeGreaterThanOrEqual(0);
    expect(h).toBeLessThan(2 ** 31);
    // first 4 bytes of SHA-256("3f2504e0-4f89-41d3-9a0c-0305e82c3301"), shifted right by one
    expect(partitionHash('00000000-0000-4000-8000-000000000000')).toBe(
      partitionHash('00000000-0000-4000-8000-000000000000'),
    );
  });

  it('quarantines a schema-invalid event with every failing path', () => {
    const bad = { ...event, loan: { ...event.loan, amount: 0, purpose: 'yacht' } };
    const p = parseApplicationMessage(source, null, Buffer.from(JSON.stringify(bad)));
    expect(p.ok).toBe(false);
    if (p.ok) return;
    expect(p.quarantine.reason).toBe('schema_invalid');
    const paths = p.quarantine.errors.map((e) => e.path);
    expect(paths).toContain('/loan/amount');
    expect(paths).toContain('/loan/purpose');
    expect(JSON.stringify(p.quarantine.payloadRedacted)).not.toContain('Lovelace');
  });

  it('redacts personal fields at any depth and strips NUL characters that PostgreSQL cannot store', () => {
    expect(redact({ a: { b: [{ email: 'x@y.z', ok: 'fine\u0000' }] } })).toEqual({
      a: { b: [{ email: '[redacted]', ok: 'fine' }] },
    });
  });

  it('computes UTC date keys', () => {
    expect(dateKeyOf('2026-01-01T00:30:00+01:00')).toBe(20251231);
    expect(() => dateKeyOf('yesterday')).toThrow(/not a timestamp/);
    // A leap second (valid RFC 3339, which the API accepts) is loaded, not quarantined as unreadable.
    expect(dateKeyOf('2026-12-31T23:59:60Z')).toBe(20270101);
    expect(dateKeyOf('2026-12-03T10:00:60+00:00')).toBe(20261203);
    // PostgreSQL refuses a fractional leap second: it is written as the instant it stands for.
    expect(loadableTimestamp('2026-12-31T23:59:60.5Z')).toBe('2027-01-01T00:00:00.500Z');
    expect(loadableTimestamp('2026-12-03T10:00:00.123456+02:00')).toBe('2026-12-03T10:00:00.123456+02:00');
  });
});

describe('alert rows', () => {
  const alert = {
    applicationId: event.applicationId,
    ruleId: 'geo-velocity',
    ruleVersion: 4,
    severity: 'critical',
    reasonCode: 'GEO_VELOCITY',
    mode: 'shadow',
    eventTime: '2026-10-01T10:00:00Z',
    detectedAt: '2026-10-01T10:00:00.5Z',
    evidence: { km: 900, ipAddress: '192.0.2.1' },
    extraFieldFromANewerDetector: true,
  };

  it('accepts the detector shape with extra fields, keys it by application, rule and version, and redacts evidence', () => {
    const p = parseAlertMessage(source, null, Buffer.from(JSON.stringify(alert)));
    if (!p.ok) throw new Error(JSON.stringify(p.quarantine.errors));
    expect(p.row.alertId).toBe('3f2504e0-4f89-41d3-9a0c-0305e82c3301:geo-velocity:4');
    expect(p.row.ruleVersion).toBe('4');
    expect(p.row.evidence).toEqual({ km: 900, ipAddress: '[redacted]' });
  });

  it('prefers an explicit alertId', () => {
    expect(alertKey({ ...alert, alertId: 'A-1' } as never)).toBe('A-1');
  });

  it('quarantines an alert without a rule id', () => {
    const { ruleId: _drop, ...rest } = alert;
    const p = parseAlertMessage(source, null, Buffer.from(JSON.stringify(rest)));
    expect(p.ok).toBe(false);
    if (!p.ok) expect(p.quarantine.errors.map((e) => e.path)).toContain('/ruleId');
  });
});
