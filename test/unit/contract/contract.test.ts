import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ApplicationSubmission } from '../../../workloads/contract/application.ts';
import { contractDir, renderSchemaFiles } from '../../../workloads/contract/json-schema.ts';
import { hashNationalId, pseudonymize } from '../../../workloads/contract/pseudonymize.ts';
import { semanticErrors } from '../../../workloads/contract/semantics.ts';
import {
  eventValidator,
  MAX_FIELD_ERRORS,
  submissionValidator,
} from '../../../workloads/contract/validate.ts';
import { generateApplications } from '../../../workloads/generator/generate.ts';

const KEY = 'unit-test-pseudonymization-key';
const generated = generateApplications({ seed: 11, count: 300 });
const sample = (): ApplicationSubmission =>
  structuredClone(generated[0]?.submission) as ApplicationSubmission;

/** Sets a value at a JSON Pointer path (creating nothing: the parent must exist). */
function set(doc: unknown, path: string, value: unknown): void {
  const parts = path.split('/').slice(1);
  const last = parts.pop() as string;
  let node = doc as Record<string, unknown>;
  for (const p of parts) node = node[p] as Record<string, unknown>;
  if (value === undefined) delete node[last];
  else node[last] = value;
}

describe('credit.application.v1 submission', () => {
  it('accepts every application the generator produces, and their pseudonymized events', () => {
    for (const { submission } of generated) {
      expect(submissionValidator.validate(submission)).toMatchObject({ ok: true });
      expect(eventValidator.validate(pseudonymize(submission, KEY, new Date()))).toMatchObject({ ok: true });
    }
  });

  const bad: Array<[string, string, unknown]> = [
    ['malformed UUID', '/applicationId', 'not-a-uuid'],
    ['missing applicationId', '/applicationId', undefined],
    ['date-time without zone', '/submittedAt', '2026-01-05T09:00:00'],
    ['impossible event time', '/submittedAt', '2026-02-30T09:00:00Z'],
    ['hour 25', '/submittedAt', '2026-01-05T25:00:00Z'],
    ['other schema version', '/schemaVersion', 'credit.application.v2'],
    ['empty customer id', '/applicant/customerId', ''],
    ['first name too long', '/applicant/firstName', 'x'.repeat(101)],
    ['control character in a name', '/applicant/lastName', 'Smith\nDROP'],
    ['NUL in a device id', '/channel/deviceId', 'dev\u0000x'],
    ['date of birth not on the calendar', '/applicant/dateOfBirth', '1990-13-01'],
    ['date of birth as a number', '/applicant/dateOfBirth', 19900101],
    ['national id too short', '/applicant/nationalId', '12'],
    ['e-mail without domain', '/applicant/email', 'someone@'],
    ['phone with letters', '/applicant/phone', 'call me maybe'],
    ['lower-case country', '/applicant/address/country', 'gb'],
    ['three-letter country', '/applicant/address/country', 'GBR'],
    ['missing postcode', '/applicant/address/postcode', undefined],
    ['unknown employment status', '/employment/status', 'freelancer'],
    ['negative income', '/employment/annualIncome', -1],
    ['income as a string', '/employment/annualIncome', '50000'],
    ['fractional months in job', '/employment/monthsInJob', 1.5],
    ['zero loan amount', '/loan/amount', 0],
    ['lower-case currency', '/loan/currency', 'eur'],
    ['term of zero months', '/loan/termMonths', 0],
    ['unknown purpose', '/loan/purpose', 'holiday'],
    ['bureau score below 300', '/credit/bureauScore', 299],
    ['bureau score above 850', '/credit/bureauScore', 851],
    ['negative delinquencies', '/credit/delinquencies24m', -2],
    ['bankruptcies as boolean', '/credit/bankruptcies', true],
    ['unknown channel', '/channel/type', 'fax'],
    ['not an IP address', '/channel/ipAddress', 'localhost'],
    ['empty device id', '/channel/deviceId', ''],
    ['latitude out of range', '/channel/geo', { lat: 91, lon: 0, country: 'GB' }],
    ['extra property', '/loan/discountCode', 'SPRING'],
    ['nationalIdHash in a submission', '/applicant/nationalIdHash', 'a'.repeat(64)],
    ['applicant as array', '/applicant', []],
  ];

  it.each(bad)('rejects %s and names the field', (_what, path, value) => {
    const doc = sample();
    set(doc, path, value);
    const result = submissionValidator.validate(doc);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const expectedPath = path === '/channel/geo' ? '/channel/geo/lat' : path;
    expect(result.errors.map((e) => e.path)).toContain(expectedPath);
    for (const e of result.errors) expect(e.message.length).toBeGreaterThan(0);
  });

  it('lists every failing field, not just the first', () => {
    const doc = sample();
    set(doc, '/loan/amount', -5);
    set(doc, '/channel/type', 'fax');
    set(doc, '/applicant/email', 'nope');
    const result = submissionValidator.validate(doc);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(new Set(result.errors.map((e) => e.path))).toEqual(
      new Set(['/loan/amount', '/channel/type', '/applicant/email']),
    );
    expect(result.errors.find((e) => e.path === '/channel/type')?.message).toBe(
      'Expected one of: web, mobile, branch, partner',
    );
  });

  it('never echoes the submitted value in an error', () => {
    const doc = sample();
    set(doc, '/applicant/nationalId', 'AB1');
    set(doc, '/applicant/email', 'leaky.secret.value@');
    const result = submissionValidator.validate(doc);
    expect(JSON.stringify(result)).not.toContain('leaky.secret.value');
    expect(JSON.stringify(result)).not.toContain('"AB1"');
  });

  it('caps the number of reported errors for junk documents', () => {
    const junk = Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`k${i}`, i]));
    const result = submissionValidator.validate(junk);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors.length).toBeLessThanOrEqual(MAX_FIELD_ERRORS);
    expect(submissionValidator.validate(null)).toMatchObject({ ok: false, errors: [{ path: '/' }] });
  });

  it('rejects a raw national id in an event', () => {
    const event = { ...pseudonymize(sample(), KEY, new Date()) } as Record<string, unknown>;
    (event.applicant as Record<string, unknown>).nationalId = 'AB123456C';
    const result = eventValidator.validate(event);
    expect(result.ok).toBe(false);
  });
});

describe('pseudonymization', () => {
  it('replaces the national id by a keyed HMAC that is stable and key-dependent', () => {
    const s = sample();
    const event = pseudonymize(s, KEY, new Date());
    expect(JSON.stringify(event)).not.toContain(s.applicant.nationalId);
    expect('nationalId' in event.applicant).toBe(false);
    expect(event.applicant.nationalIdHash).toMatch(/^[0-9a-f]{64}$/);
    expect(event.applicant.nationalIdHash).toBe(hashNationalId(s.applicant.nationalId, KEY));
    expect(hashNationalId(s.applicant.nationalId, `${KEY}-other`)).not.toBe(event.applicant.nationalIdHash);
    // Everything else is carried over unchanged; the input is not mutated.
    const { nationalIdHash: _h, ...rest } = event.applicant;
    const { nationalId: _n, ...original } = s.applicant;
    expect(rest).toEqual(original);
    expect(s.applicant.nationalId).toBeDefined();
  });

  it('normalises spacing, dashes and case so the same person hashes the same', () => {
    expect(hashNationalId('ab 12-34-56 c', KEY)).toBe(hashNationalId('AB123456C', KEY));
    expect(hashNationalId('AB123456C', KEY)).not.toBe(hashNationalId('AB123456D', KEY));
  });

  it('refuses a short key', () => {
    expect(() => hashNationalId('AB123456C', 'short')).toThrow(/PSEUDONYMIZATION_KEY/);
  });

  it('is exactly HMAC-SHA-256 of the normalised id, for short, block-sized, long and non-ASCII keys', () => {
    const keys = [
      KEY,
      'k'.repeat(64),
      'k'.repeat(65),
      `${'ключ'.repeat(20)}-long-key`,
      'ß€😀-key-of-sixteen+',
    ];
    for (const key of keys)
      for (const id of ['AB123456C', 'ab 12-34-56 c', 'ÑÖ-123', '9'.repeat(32)]) {
        const normalised = id.replace(/[\s-]/g, '').toUpperCase();
        expect(hashNationalId(id, key), `${key} / ${id}`).toBe(
          createHmac('sha256', key).update(normalised).digest('hex'),
        );
      }
  });

  it('stamps each event with its own receipt time', () => {
    const s = sample();
    const a = pseudonymize(s, KEY, new Date('2026-01-02T03:04:05.678Z'));
    const b = pseudonymize(s, KEY, new Date('2026-01-02T03:04:05.679Z'));
    expect(a.receivedAt).toBe('2026-01-02T03:04:05.678Z');
    expect(b.receivedAt).toBe('2026-01-02T03:04:05.679Z');
    expect(pseudonymize(s, KEY, new Date('2026-01-02T03:04:05.678Z')).receivedAt).toBe(a.receivedAt);
  });
});

describe('JSON Schema export', () => {
  it('matches the committed files (regenerate with npx tsx workloads/contract/json-schema.ts)', () => {
    for (const [file, text] of Object.entries(renderSchemaFiles())) {
      expect(readFileSync(join(contractDir, file), 'utf8'), file).toBe(text);
    }
  });

  it('is plain JSON Schema: required fields, enums as constants, no TypeBox internals', () => {
    const event = JSON.parse(renderSchemaFiles()['credit.application.v1.schema.json'] ?? '{}');
    expect(event.$schema).toBe('http://json-schema.org/draft-07/schema#');
    expect(event.$id).toBe('credit.application.v1');
    expect(event.required).toEqual(
      expect.arrayContaining(['applicationId', 'submittedAt', 'applicant', 'loan', 'credit', 'channel']),
    );
    expect(event.properties.applicant.required).toContain('nationalIdHash');
    expect(event.properties.applicant.properties.nationalId).toBeUndefined();
    expect(event.properties.loan.properties.purpose.anyOf.map((o: { const: string }) => o.const)).toContain(
      'debt_consolidation',
    );
  });
});

describe('checks relative to the receipt time', () => {
  const at = new Date('2026-06-15T12:00:00Z');
  const doc = (submittedAt: string, dateOfBirth = '1980-05-05') => ({
    submittedAt,
    applicant: { dateOfBirth },
  });
  const paths = (d: ReturnType<typeof doc>) =>
    semanticErrors(d, at, { maxClockSkewMs: 5 * 60_000 }).map((e) => e.path);

  it('allows submittedAt up to the skew ahead of the server, and refuses one millisecond more', () => {
    expect(paths(doc('2026-06-15T12:05:00Z'))).toEqual([]);
    expect(paths(doc('2026-06-15T12:05:00.001Z'))).toEqual(['/submittedAt']);
    expect(paths(doc('2025-06-15T12:00:00Z'))).toEqual([]);
    expect(paths(doc('1999-12-31T23:59:59Z'))).toEqual(['/submittedAt']);
  });

  it('places a leap second before comparing: none slips past the checks as a time nobody can read', () => {
    // Date.parse refuses :60; these were accepted, however far ahead or back they were.
    expect(paths(doc('9999-12-31T23:59:60Z'))).toEqual(['/submittedAt']);
    expect(paths(doc('2026-06-15T12:05:60Z'))).toEqual(['/submittedAt']);
    expect(paths(doc('1900-01-01T00:00:60Z'))).toEqual(['/submittedAt']);
    expect(paths(doc('2026-06-15T12:04:60Z'))).toEqual([]);
  });

  it('refuses a date of birth in the future or more than 120 years back', () => {
    expect(paths(doc('2026-06-15T12:00:00Z', '2026-06-16'))).toEqual([]);
    expect(paths(doc('2026-06-15T12:00:00Z', '2026-06-18'))).toEqual(['/applicant/dateOfBirth']);
    expect(paths(doc('2026-06-15T12:00:00Z', '1906-06-15'))).toEqual([]);
    expect(paths(doc('2026-06-15T12:00:00Z', '1906-06-14'))).toEqual(['/applicant/dateOfBirth']);
  });

  it('reads both event versions and names an unknown one', () => {
    const v2 = pseudonymize(sample(), KEY, at);
    expect(v2.receivedAt).toBe(at.toISOString());
    expect(eventValidator.validate(v2)).toMatchObject({ ok: true });
    const { receivedAt: _r, ...v1 } = { ...v2, schemaVersion: 'credit.application.v1' };
    expect(eventValidator.validate(v1)).toMatchObject({ ok: true });
    // v2 requires receivedAt; v1 has none.
    expect(eventValidator.validate({ ...v1, schemaVersion: 'credit.application.v2' }).ok).toBe(false);
    expect(eventValidator.validate({ ...v2, schemaVersion: 'credit.application.v1' }).ok).toBe(false);
    expect(eventValidator.validate({ ...v2, schemaVersion: 'v9' })).toMatchObject({
      ok: false,
      errors: [{ path: '/schemaVersion' }],
    });
  });
});
