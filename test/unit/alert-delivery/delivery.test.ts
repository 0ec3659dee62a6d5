import { Value } from '@sinclair/typebox/value';
import { describe, expect, it } from 'vitest';
import { parseRetryAfter, retryDelayMs } from '../../../workloads/alert-delivery/backoff.ts';
import { resolveEndpoints, WebhookEndpoint } from '../../../workloads/alert-delivery/config.ts';
import { type AlertPayload, body, wants } from '../../../workloads/alert-delivery/payload.ts';
import { signatureHeader, verifySignature } from '../../../workloads/alert-delivery/signature.ts';

const alert: AlertPayload = {
  alertId: 'a1b2c3d4-0000-4000-8000-000000000001:velocity-national-id:1',
  applicationId: 'a1b2c3d4-0000-4000-8000-000000000001',
  ruleId: 'velocity-national-id',
  ruleVersion: '1',
  severity: 'high',
  reasonCode: 'VELOCITY_NATIONAL_ID',
  mode: 'live',
  eventTime: '2026-10-01T10:00:00.000Z',
  detectedAt: '2026-10-01T10:00:00.200Z',
  evidence: { count: 3, windowMs: 3_600_000 },
};

describe('webhook signature', () => {
  const key = 'k'.repeat(32);
  it('verifies with the key, and fails on another key, another body or an old timestamp', () => {
    const now = 1_800_000_000;
    const h = signatureHeader(key, now, '{"a":1}');
    expect(verifySignature(h, '{"a":1}', key, { now })).toEqual({ ok: true, timestamp: now });
    expect(verifySignature(h, '{"a":2}', key, { now }).ok).toBe(false);
    expect(verifySignature(h, '{"a":1}', 'x'.repeat(32), { now }).ok).toBe(false);
    expect(verifySignature(h, '{"a":1}', key, { now: now + 301 })).toEqual({
      ok: false,
      reason: 'timestamp outside the tolerance',
    });
    expect(verifySignature('t=1,v1=zz', '{}', key).ok).toBe(false);
    expect(verifySignature(undefined, '{}', key).ok).toBe(false);
  });
});

describe('retry delays', () => {
  const policy = { initialMs: 1000, maxMs: 60_000 };
  it('double per attempt up to the cap, with jitter between half and all of the nominal delay', () => {
    expect(retryDelayMs(policy, 1, () => 0)).toBe(500);
    expect(retryDelayMs(policy, 1, () => 1)).toBe(1000);
    expect(retryDelayMs(policy, 4, () => 1)).toBe(8000);
    expect(retryDelayMs(policy, 30, () => 1)).toBe(60_000);
    expect(retryDelayMs(policy, 30, () => 0)).toBe(30_000);
  });
  it('honour Retry-After up to the cap', () => {
    expect(retryDelayMs(policy, 1, () => 0, 20_000)).toBe(20_000);
    expect(retryDelayMs(policy, 1, () => 0, 3_600_000)).toBe(60_000);
    expect(parseRetryAfter('7')).toBe(7000);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 0)).toBe(10_000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(null)).toBeUndefined();
  });
});

describe('endpoint selection and bodies', () => {
  const endpoint = (o: object) =>
    Value.Default(WebhookEndpoint, { name: 'x', url: 'http://r', ...o }) as WebhookEndpoint;
  it('send live alerts by default, filtered by severity and rule when asked', () => {
    expect(wants(endpoint({}), alert)).toBe(true);
    expect(wants(endpoint({}), { ...alert, mode: 'shadow' })).toBe(false);
    expect(wants(endpoint({ modes: ['shadow', 'live'] }), { ...alert, mode: 'shadow' })).toBe(true);
    expect(wants(endpoint({ severities: ['critical'] }), alert)).toBe(false);
    expect(wants(endpoint({ rules: ['other'] }), alert)).toBe(false);
    expect(wants(endpoint({ rules: ['velocity-national-id'], severities: ['high'] }), alert)).toBe(true);
  });
  it('build the platform JSON and a Slack message', () => {
    expect(JSON.parse(body('json', alert))).toEqual({ type: 'credit.fraud-alert.v1', ...alert });
    const slack = JSON.parse(body('slack', alert));
    expect(slack.text).toContain('HIGH fraud alert: velocity-national-id');
    expect(slack.blocks[0].type).toBe('section');
  });
  it('require a key of 16+ characters for json endpoints and unique names', () => {
    expect(() => resolveEndpoints([endpoint({})], {})).toThrow(/json webhooks are signed/);
    expect(() => resolveEndpoints([endpoint({ signingKeyEnv: 'K' })], { K: 'short' })).toThrow(
      /shorter than 16/,
    );
    expect(() =>
      resolveEndpoints([endpoint({ format: 'slack' }), endpoint({ format: 'slack' })], {}),
    ).toThrow(/used twice/);
    expect(resolveEndpoints([endpoint({ signingKeyEnv: 'K' })], { K: 'k'.repeat(16) })[0]?.signingKey).toBe(
      'k'.repeat(16),
    );
  });
});
