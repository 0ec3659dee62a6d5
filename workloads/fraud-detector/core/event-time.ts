/**
 * Which time the detector uses for an application, and whether window rules can still evaluate it.
 * Pure; the source stage and the window state both use it, so they agree on every application.
 *
 * - `receivedAt` is the server's receipt time, stamped by the ingestion API (credit.application.v2);
 *   a v1 event has none and the source stage uses the Kafka record's timestamp instead (set by the
 *   producer that wrote it to the topic, which a client of the API does not control).
 * - The **window time** is `min(submittedAt, receivedAt)`: a client may say an application was
 *   submitted earlier than it reached us (an offline mobile client, a partner's batch upload), never
 *   later. So no client can push its key's clock ahead of the server's.
 * - An application is **beyond the horizon** when its window time is more than `horizonMs` before its
 *   own receipt. That depends on the application alone (not on what else arrived, or in which order),
 *   so 1 and N replicas agree on it. Such an application is still evaluated by the per-application
 *   rules but not by window rules (the state for that far back is not kept).
 */

import type { ApplicationEvent } from '../../contract/application.ts';
import { daysInMonth, rfc3339Instant } from '../../contract/formats.ts';

/** The default event-time horizon: a batch upload of yesterday's applications is still checked. */
export const DEFAULT_HORIZON_MS = 24 * 3_600_000;

export interface EventTimes {
  /** `submittedAt`, ms since the epoch. */
  submitted: number;
  /** `receivedAt` (or its fallback), ms since the epoch. */
  received: number;
  /** The time window rules use: min(submitted, received). */
  window: number;
}

/** Parses both times; undefined when either is not a date (the contract rules that out upstream). */
export function eventTimes(
  submittedAt: string,
  receivedAt: string | number | undefined,
): EventTimes | undefined {
  const submitted = parseTime(submittedAt);
  const received =
    receivedAt === undefined
      ? submitted
      : typeof receivedAt === 'number'
        ? receivedAt
        : parseTime(receivedAt);
  if (!Number.isFinite(submitted) || !Number.isFinite(received)) return undefined;
  return { submitted, received, window: Math.min(submitted, received) };
}

/** True when window rules cannot evaluate the application: its window time is older than its receipt minus the horizon. */
export function isBeyondHorizon(times: EventTimes, horizonMs: number): boolean {
  return times.received - times.window > horizonMs;
}

/**
 * The server's receipt time of an application: `receivedAt` when the event carries it (v2), else the
 * Kafka record's timestamp (set by the producer that wrote it to the topic, not by a client of the
 * API), else (no usable timestamp) its `submittedAt`.
 */
export function receiptTime(event: ApplicationEvent, kafkaTimestamp: string | undefined): string {
  if ('receivedAt' in event) return event.receivedAt;
  const ms = Number(kafkaTimestamp);
  return Number.isFinite(ms) && ms > 0 ? new Date(ms).toISOString() : event.submittedAt;
}

const digit = (s: string, i: number): number => {
  const c = s.charCodeAt(i) - 48;
  return c >= 0 && c <= 9 ? c : Number.NaN;
};

/**
 * The instant of a time (`rfc3339Instant`: `Date.parse`, and a leap second as the instant after :59),
 * faster on the form the platform writes (`Date.prototype.toISOString`: `YYYY-MM-DDTHH:MM:SS.sssZ`, or
 * without milliseconds), which is computed from its digits; any other form (offsets, other precisions,
 * out-of-range fields, leap seconds) goes to `rfc3339Instant`. Each application's two times are read up to four times on its way through the
 * detector (issue 15: `Date.parse` was ~3 % of its CPU).
 */
export function parseTime(s: string): number {
  const n = s.length;
  if (
    (n === 24 || n === 20) &&
    s.charCodeAt(n - 1) === 90 && // Z
    s.charCodeAt(4) === 45 && // -
    s.charCodeAt(7) === 45 &&
    s.charCodeAt(10) === 84 && // T
    s.charCodeAt(13) === 58 && // :
    s.charCodeAt(16) === 58 &&
    (n === 20 || s.charCodeAt(19) === 46) // .
  ) {
    const y = digit(s, 0) * 1000 + digit(s, 1) * 100 + digit(s, 2) * 10 + digit(s, 3);
    const m = digit(s, 5) * 10 + digit(s, 6);
    const d = digit(s, 8) * 10 + digit(s, 9);
    const h = digit(s, 11) * 10 + digit(s, 12);
    const mi = digit(s, 14) * 10 + digit(s, 15);
    const sec = digit(s, 17) * 10 + digit(s, 18);
    const ms = n === 24 ? digit(s, 20) * 100 + digit(s, 21) * 10 + digit(s, 22) : 0;
    // NaN (a non-digit) fails every comparison.
    if (m >= 1 && m <= 12 && d >= 1 && h <= 23 && mi <= 59 && sec <= 59 && ms >= 0 && y >= 0) {
      if (d <= daysInMonth(y, m)) {
        // Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
        const yy = m <= 2 ? y - 1 : y;
        const era = Math.floor(yy / 400);
        const yoe = yy - era * 400;
        const doy = Math.floor((153 * (m > 2 ? m - 3 : m + 9) + 2) / 5) + d - 1;
        const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
        return (era * 146097 + doe - 719468) * 86_400_000 + h * 3_600_000 + mi * 60_000 + sec * 1000 + ms;
      }
    }
  }
  return rfc3339Instant(s);
}
