/**
 * Turns a submission into the Kafka event: the raw national ID replaced by its keyed hash (the only
 * place the raw value is read), stamped with the server's receipt time.
 */
import { createHash, type Hash } from 'node:crypto';
import { type ApplicationEventV2, type ApplicationSubmission, EVENT_SCHEMA_VERSION } from './application.ts';

/** SHA-256 states after the HMAC key's inner and outer pads (RFC 2104), per key; copied per hash. */
interface HmacPads {
  inner: Hash;
  outer: Hash;
}
const SHA256_BLOCK = 64;
const padsByKey = new Map<string, HmacPads>();

function padsOf(key: string): HmacPads {
  const known = padsByKey.get(key);
  if (known !== undefined) return known;
  let k = Buffer.from(key, 'utf8');
  if (k.length > SHA256_BLOCK) k = createHash('sha256').update(k).digest();
  const block = Buffer.alloc(SHA256_BLOCK);
  k.copy(block);
  const pads = {
    inner: createHash('sha256').update(block.map((b) => b ^ 0x36)),
    outer: createHash('sha256').update(block.map((b) => b ^ 0x5c)),
  };
  if (padsByKey.size >= 8) padsByKey.clear(); // one key per process in practice; tests use a few
  padsByKey.set(key, pads);
  return pads;
}

/**
 * HMAC-SHA-256 (hex) of a normalised national ID; the same key gives the same hash everywhere.
 * (Exactly `createHmac('sha256', key)`, from the key's pad states computed once: the ingestion API
 * hashes every application it takes, and this costs about 60 % of a fresh HMAC.)
 */
export function hashNationalId(nationalId: string, key: string): string {
  if (key.length < 16) throw new Error('PSEUDONYMIZATION_KEY must be at least 16 characters');
  const normalised = nationalId.replace(/[\s-]/g, '').toUpperCase();
  const { inner, outer } = padsOf(key);
  return outer.copy().update(inner.copy().update(normalised, 'utf8').digest()).digest('hex');
}

/** The last receipt time formatted (a batch's applications share one). */
let lastReceipt = { time: Number.NaN, iso: '' };

/** `receivedAt`: when the server received the submission (its own clock). */
export function pseudonymize(
  submission: ApplicationSubmission,
  key: string,
  receivedAt: Date,
): ApplicationEventV2 {
  const { nationalId, ...applicant } = submission.applicant;
  const time = receivedAt.getTime();
  if (time !== lastReceipt.time) lastReceipt = { time, iso: receivedAt.toISOString() };
  return {
    ...submission,
    receivedAt: lastReceipt.iso,
    schemaVersion: EVENT_SCHEMA_VERSION,
    applicant: { ...applicant, nationalIdHash: hashNationalId(nationalId, key) },
  };
}
