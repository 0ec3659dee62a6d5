/**
 * Webhook signatures: HMAC-SHA-256 over `<timestamp>.<body>` with the endpoint's key, sent as
 * `X-Credit-Signature: t=<unix seconds>,v1=<hex>` (the scheme Stripe and others use, so receivers know
 * it). Signing the timestamp with the body lets a receiver refuse replays older than its tolerance.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-credit-signature';
export const TIMESTAMP_HEADER = 'x-credit-timestamp';
export const IDEMPOTENCY_HEADER = 'idempotency-key';
export const ATTEMPT_HEADER = 'x-credit-delivery-attempt';

export function signature(key: string, timestamp: number, body: string): string {
  return createHmac('sha256', key).update(`${timestamp}.${body}`).digest('hex');
}

export function signatureHeader(key: string, timestamp: number, body: string): string {
  return `t=${timestamp},v1=${signature(key, timestamp, body)}`;
}

export type VerifyResult = { ok: true; timestamp: number } | { ok: false; reason: string };

/** What a receiver does: parse the header, check the age, compare the HMAC in constant time. */
export function verifySignature(
  header: string | undefined,
  body: string,
  key: string,
  options: { toleranceSeconds?: number; now?: number } = {},
): VerifyResult {
  if (header === undefined) return { ok: false, reason: 'no signature header' };
  const parts = new Map(
    header.split(',').map((p) => {
      const i = p.indexOf('=');
      return [p.slice(0, i).trim(), p.slice(i + 1).trim()] as const;
    }),
  );
  const t = Number(parts.get('t'));
  const v1 = parts.get('v1');
  if (!Number.isInteger(t) || v1 === undefined || !/^[0-9a-f]{64}$/.test(v1))
    return { ok: false, reason: 'malformed signature header' };
  const now = options.now ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - t) > (options.toleranceSeconds ?? 300))
    return { ok: false, reason: 'timestamp outside the tolerance' };
  const expected = Buffer.from(signature(key, t, body), 'hex');
  if (!timingSafeEqual(expected, Buffer.from(v1, 'hex'))) return { ok: false, reason: 'signature mismatch' };
  return { ok: true, timestamp: t };
}
