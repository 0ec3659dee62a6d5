/**
 * Structured JSON logs (pino). Personal data never goes in a log: known personal fields are
 * redacted even if a caller passes a whole application by mistake.
 */
import { type DestinationStream, type Logger, type LoggerOptions, pino } from 'pino';
import { PERSONAL_FIELDS } from './personal-data.ts';

export type { Logger };

/** The variable that sets the log level (`info` unless set). */
export const LOG_LEVEL_ENV = 'LOG_LEVEL';

/** A JSON logger for `component`; `destination` defaults to stdout (tests pass a stream). */
export function createLogger(component: string, destination?: DestinationStream): Logger {
  const options: LoggerOptions = {
    base: { component },
    level: process.env[LOG_LEVEL_ENV] ?? 'info',
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: {
      paths: PERSONAL_FIELDS.flatMap((f) => [f, `*.${f}`, `*.*.${f}`, `*.*.*.${f}`]),
      censor: '[redacted]',
    },
    formatters: { level: (label) => ({ level: label }) },
  };
  return destination === undefined ? pino(options) : pino(options, destination);
}
