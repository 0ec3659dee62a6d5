/** Replaces the raw national ID by its keyed hash: the only place the raw value is read. */
import { createHmac } from 'node:crypto';
import type { ApplicationEvent, ApplicationSubmission } from './application.ts';

/** HMAC-SHA-256 (hex) of a normalised national ID; the same key gives the same hash everywhere. */
export function hashNationalId(nationalId: string, key: string): string {
  if (key.length < 16) throw new Error('PSEUDONYMIZATION_KEY must be at least 16 characters');
  const normalised = nationalId.replace(/[\s-]/g, '').toUpperCase();
  return createHmac('sha256', key).update(normalised).digest('hex');
}

export function pseudonymize(submission: ApplicationSubmission, key: string): ApplicationEvent {
  const { nationalId, ...applicant } = submission.applicant;
  return { ...submission, applicant: { ...applicant, nationalIdHash: hashNationalId(nationalId, key) } };
}
