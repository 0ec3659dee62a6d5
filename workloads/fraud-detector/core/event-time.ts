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
  const submitted = Date.parse(submittedAt);
  const received =
    receivedAt === undefined
      ? submitted
      : typeof receivedAt === 'number'
        ? receivedAt
        : Date.parse(receivedAt);
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
