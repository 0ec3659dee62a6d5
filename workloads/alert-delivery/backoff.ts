/**
 * Retry delays: exponential (initial × 2^(attempt−1), capped) with "equal jitter" (half fixed, half
 * random), so retries of many alerts after one outage spread out instead of arriving together, while
 * no retry comes sooner than half its nominal delay. A receiver's Retry-After is honoured up to the cap.
 */
export interface BackoffPolicy {
  initialMs: number;
  maxMs: number;
}

export function retryDelayMs(
  policy: BackoffPolicy,
  attempt: number,
  random: () => number = Math.random,
  retryAfterMs?: number,
): number {
  const nominal = Math.min(policy.maxMs, policy.initialMs * 2 ** Math.max(0, attempt - 1));
  const jittered = nominal / 2 + random() * (nominal / 2);
  const floor = retryAfterMs === undefined ? 0 : Math.min(policy.maxMs, retryAfterMs);
  return Math.round(Math.max(jittered, floor));
}

/** Retry-After as seconds or an HTTP date → milliseconds from `now`; undefined when absent or bad. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  if (/^\d{1,7}$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
