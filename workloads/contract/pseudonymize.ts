/**
 * Turns a submission into the Kafka event: the raw national ID replaced by its keyed hash (the only
 * place the raw value is read), stamped with the server's receipt time.
 */
import { createHmac } from 'node:crypto';
import { type ApplicationEventV2, type ApplicationSubmission, EVENT_SCHEMA_VERSION } from './application.ts';

/** HMAC-SHA-256 (hex) of a normalised national ID; the same key gives the same hash everywhere. */
export function hashNationalId(nationalId: string, key: string): string {
  if (key.length < 16) throw new Error('PSEUDONYMIZATION_KEY must be at least 16 characters');
  const normalised = nationalId.replace(/[\s-]/g, '').toUpperCase();
  return createHmac('sha256', key).update(normalised).digest('hex');
}

/** `receivedAt`: when the server received the submission (its own clock). */
export function pseudonymize(
  submission: ApplicationSubmission,
  key: string,
  receivedAt: Date,
): ApplicationEventV2 {
  const { nationalId, ...applicant } = submission.applicant;
  return {
    ...submission,
    receivedAt: receivedAt.toISOString(),
    schemaVersion: EVENT_SCHEMA_VERSION,
    applicant: { ...applicant, nationalIdHash: hashNationalId(nationalId, key) },
  };
}
