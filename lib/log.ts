/**
 * Structured JSON logs (pino). Personal data never goes in a log: known personal fields are
 * redacted even if a caller passes a whole application by mistake.
 */
import { type Logger, pino } from 'pino';

const PERSONAL_FIELDS = [
  'nationalId',
  'firstName',
  'lastName',
  'dateOfBirth',
  'email',
  'phone',
  'address',
  'ipAddress',
  'line1',
  'postcode',
  'password',
];

export type { Logger };

export function createLogger(component: string): Logger {
  return pino({
    base: { component },
    level: process.env.LOG_LEVEL ?? 'info',
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: {
      paths: PERSONAL_FIELDS.flatMap((f) => [f, `*.${f}`, `*.*.${f}`, `*.*.*.${f}`]),
      censor: '[redacted]',
    },
    formatters: { level: (label) => ({ level: label }) },
  });
}
