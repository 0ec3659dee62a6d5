/**
 * The checks of a submission that depend on when it is received, so a schema cannot hold them:
 * `submittedAt` neither ahead of the server's clock by more than the allowed skew nor before a sane
 * floor; a date of birth neither in the future nor implausibly long ago. Pure: the receipt time is
 * passed in. Each problem names the field (JSON Pointer) and never repeats the submitted value.
 * (Business limits on amounts, terms and incomes, and real IP addresses, are in the schema itself:
 * application.ts.)
 */
import type { ApplicationSubmission } from './application.ts';
import { rfc3339Instant } from './formats.ts';
import type { FieldError } from './validate.ts';

/** Default tolerance for a client clock running ahead of the server's (MAX_CLOCK_SKEW_MS). */
export const DEFAULT_MAX_CLOCK_SKEW_MS = 5 * 60_000;
/** No application is older than this. */
export const SUBMITTED_AT_FLOOR = '2000-01-01T00:00:00Z';
/** Nobody applying is older than this. */
export const MAX_AGE_YEARS = 120;

export interface SemanticOptions {
  /** How far `submittedAt` may be ahead of the receipt time. */
  maxClockSkewMs: number;
}

const FLOOR_MS = Date.parse(SUBMITTED_AT_FLOOR);

/** Problems of one schema-valid submission received at `receivedAt`; empty when it is plausible. */
export function semanticErrors(
  s: Pick<ApplicationSubmission, 'submittedAt'> & {
    applicant: Pick<ApplicationSubmission['applicant'], 'dateOfBirth'>;
  },
  receivedAt: Date,
  options: SemanticOptions,
): FieldError[] {
  const errors: FieldError[] = [];
  const now = receivedAt.getTime();
  const submitted = rfc3339Instant(s.submittedAt);
  if (submitted > now + options.maxClockSkewMs)
    errors.push({
      path: '/submittedAt',
      message: `is more than ${describeMs(options.maxClockSkewMs)} ahead of the server's clock`,
    });
  else if (submitted < FLOOR_MS)
    errors.push({ path: '/submittedAt', message: `is before ${SUBMITTED_AT_FLOOR}` });

  // Dates of birth are calendar dates: compared with the receipt day (UTC), a day's slack for time zones.
  const birth = Date.parse(`${s.applicant.dateOfBirth}T00:00:00Z`);
  const today = Date.UTC(receivedAt.getUTCFullYear(), receivedAt.getUTCMonth(), receivedAt.getUTCDate());
  const oldest = Date.UTC(
    receivedAt.getUTCFullYear() - MAX_AGE_YEARS,
    receivedAt.getUTCMonth(),
    receivedAt.getUTCDate(),
  );
  if (birth > today + 86_400_000)
    errors.push({ path: '/applicant/dateOfBirth', message: 'is in the future' });
  else if (birth < oldest)
    errors.push({ path: '/applicant/dateOfBirth', message: `is more than ${MAX_AGE_YEARS} years ago` });
  return errors;
}

function describeMs(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  if (ms % 1000 === 0) return `${ms / 1000} s`;
  return `${ms} ms`;
}
