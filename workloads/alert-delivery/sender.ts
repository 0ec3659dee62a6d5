/**
 * The sending loop: claims due outbox rows (up to `concurrency` in flight), POSTs each with its
 * signature and idempotency key, and records the outcome: delivered on 2xx; otherwise a retry after an
 * exponential, jittered delay, or a dead letter (with the last error) once `maxAttempts` are spent.
 * Redirects are not followed (a 3xx is a failure: the configured URL is the only place alerts go).
 */
import type { Logger } from '../../lib/log.ts';
import type { Pool } from '../warehouse/db.ts';
import { parseRetryAfter, retryDelayMs } from './backoff.ts';
import type { ResolvedEndpoint } from './config.ts';
import type { DeliveryMetrics } from './metrics.ts';
import { type Claimed, claimDue, markDelivered, markFailed } from './outbox.ts';
import { body } from './payload.ts';
import {
  ATTEMPT_HEADER,
  IDEMPOTENCY_HEADER,
  SIGNATURE_HEADER,
  signatureHeader,
  TIMESTAMP_HEADER,
} from './signature.ts';

export interface SenderOptions {
  pool: Pool;
  endpoints: readonly ResolvedEndpoint[];
  maxAttempts: number;
  initialBackoffMs: number;
  maxBackoffMs: number;
  concurrency: number;
  pollMs: number;
  metrics: DeliveryMetrics;
  log: Logger;
}

export interface RunningSender {
  /** Look for due rows now (called after new rows are enqueued). */
  wake(): void;
  /** Stop claiming; wait for requests in flight to finish and be recorded. */
  stop(): Promise<void>;
}

type AttemptResult =
  | { ok: true; status: number }
  | {
      ok: false;
      result: 'http_error' | 'timeout' | 'network_error';
      status: number | null;
      error: string;
      retryAfterMs?: number;
    };

async function attempt(endpoint: ResolvedEndpoint, c: Claimed): Promise<AttemptResult> {
  const text = body(endpoint.format, c.payload);
  const timestamp = Math.floor(Date.now() / 1000);
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': 'credit-platform-alert-delivery/1',
    [IDEMPOTENCY_HEADER]: c.alertId,
    [TIMESTAMP_HEADER]: String(timestamp),
    [ATTEMPT_HEADER]: String(c.attempt),
  };
  if (endpoint.signingKey !== null)
    headers[SIGNATURE_HEADER] = signatureHeader(endpoint.signingKey, timestamp, text);
  try {
    const res = await fetch(endpoint.url, {
      method: 'POST',
      headers,
      body: text,
      redirect: 'manual',
      signal: AbortSignal.timeout(endpoint.timeoutMs),
    });
    await res.arrayBuffer().catch(() => undefined);
    if (res.status >= 200 && res.status < 300) return { ok: true, status: res.status };
    const retryAfterMs = parseRetryAfter(res.headers.get('retry-after'));
    return {
      ok: false,
      result: 'http_error',
      status: res.status,
      error: `HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    };
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    if (e.name === 'TimeoutError' || e.name === 'AbortError')
      return {
        ok: false,
        result: 'timeout',
        status: null,
        error: `no response within ${endpoint.timeoutMs} ms`,
      };
    const cause = e.cause?.code ?? e.cause?.message ?? e.message;
    return { ok: false, result: 'network_error', status: null, error: `network error: ${cause}` };
  }
}

export function startSender(opts: SenderOptions): RunningSender {
  const { pool, metrics, log } = opts;
  const byName = new Map(opts.endpoints.map((e) => [e.name, e]));
  const names = [...byName.keys()];
  // A claimed row is held a little longer than the slowest request can take.
  const leaseMs = Math.max(...opts.endpoints.map((e) => e.timeoutMs), 1000) * 2 + 5000;
  const inFlight = new Set<Promise<void>>();
  let running = true;
  let wakeUp: (() => void) | null = null;
  let pendingWake = false;

  const deliver = async (c: Claimed) => {
    const endpoint = byName.get(c.endpoint);
    if (endpoint === undefined) return;
    const end = metrics.attemptDuration.startTimer({ endpoint: c.endpoint });
    const r = await attempt(endpoint, c);
    end();
    if (r.ok) {
      await markDelivered(pool, c, r.status);
      metrics.attempts.inc({ endpoint: c.endpoint, result: 'success' });
      metrics.deliveries.inc({ endpoint: c.endpoint, outcome: 'delivered' });
      metrics.latency.observe(
        { endpoint: c.endpoint },
        Math.max(0, (Date.now() - c.detectedAt.getTime()) / 1000),
      );
      return;
    }
    metrics.attempts.inc({ endpoint: c.endpoint, result: r.result });
    const failure = { error: r.error, httpStatus: r.status };
    if (c.attempt >= opts.maxAttempts) {
      await markFailed(pool, c, failure, 'dead');
      metrics.deliveries.inc({ endpoint: c.endpoint, outcome: 'dead' });
      log.warn(
        { endpoint: c.endpoint, alertId: c.alertId, attempts: c.attempt, error: r.error },
        'delivery gave up; dead-lettered',
      );
      return;
    }
    const retryInMs = retryDelayMs(
      { initialMs: opts.initialBackoffMs, maxMs: opts.maxBackoffMs },
      c.attempt,
      Math.random,
      r.retryAfterMs,
    );
    await markFailed(pool, c, failure, { retryInMs });
    log.debug(
      { endpoint: c.endpoint, alertId: c.alertId, attempt: c.attempt, retryInMs, error: r.error },
      'retrying',
    );
  };

  const loop = async () => {
    while (running) {
      let claimed: Claimed[] = [];
      try {
        claimed = await claimDue(pool, names, opts.concurrency - inFlight.size, leaseMs);
      } catch (err) {
        log.error({ err: (err as Error).message }, 'could not claim deliveries; retrying');
      }
      for (const c of claimed) {
        const p = deliver(c)
          .catch((err: unknown) =>
            // The row keeps its lease and is retried once it expires.
            log.error(
              { err: (err as Error).message, endpoint: c.endpoint, alertId: c.alertId },
              'recording a delivery failed',
            ),
          )
          .finally(() => {
            inFlight.delete(p);
            wakeUp?.();
          });
        inFlight.add(p);
      }
      if (claimed.length > 0 && inFlight.size < opts.concurrency) continue;
      if (pendingWake) {
        pendingWake = false;
        continue;
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, opts.pollMs);
        wakeUp = () => {
          clearTimeout(t);
          resolve();
        };
      });
      wakeUp = null;
    }
  };
  const done = loop();
  return {
    wake() {
      if (wakeUp !== null) wakeUp();
      else pendingWake = true;
    },
    async stop() {
      running = false;
      wakeUp?.();
      await done;
      await Promise.allSettled([...inFlight]);
    },
  };
}
