/**
 * The delivery outbox in PostgreSQL (`alert_delivery`, migration 0003): one row per (endpoint,
 * alert). Enqueueing is insert-if-absent on that key, so a replayed alert stream adds nothing. A
 * sender claims due rows with a lease (FOR UPDATE SKIP LOCKED: several replicas never take the same
 * row); a process that dies mid-request leaves the lease to expire and the row is sent again, with
 * the same idempotency key (at-least-once).
 */
import type { Pool } from '../warehouse/db.ts';
import type { AlertPayload } from './payload.ts';

export interface Claimed {
  endpoint: string;
  alertId: string;
  payload: AlertPayload;
  /** This attempt's number, from 1. */
  attempt: number;
  detectedAt: Date;
}

/** Inserts the rows not there yet; returns how many were new, per endpoint. */
export async function enqueue(
  pool: Pool,
  items: ReadonlyArray<{ endpoint: string; payload: AlertPayload }>,
): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  if (items.length === 0) return out;
  const r = await pool.query<{ endpoint: string }>(
    `INSERT INTO alert_delivery (endpoint, alert_id, payload, detected_at)
     SELECT x.endpoint, x.payload->>'alertId', x.payload, (x.payload->>'detectedAt')::timestamptz
     FROM jsonb_to_recordset($1::jsonb) AS x(endpoint text, payload jsonb)
     ON CONFLICT (endpoint, alert_id) DO NOTHING
     RETURNING endpoint`,
    [JSON.stringify(items)],
  );
  for (const row of r.rows) out.set(row.endpoint, (out.get(row.endpoint) ?? 0) + 1);
  return out;
}

export async function claimDue(
  pool: Pool,
  endpoints: readonly string[],
  limit: number,
  leaseMs: number,
): Promise<Claimed[]> {
  if (limit <= 0 || endpoints.length === 0) return [];
  const r = await pool.query<{
    endpoint: string;
    alert_id: string;
    payload: AlertPayload;
    attempts: number;
    detected_at: Date;
  }>(
    `UPDATE alert_delivery d SET lease_until = now() + make_interval(secs => $3::double precision / 1000),
            attempts = d.attempts + 1
     FROM (SELECT endpoint, alert_id FROM alert_delivery
           WHERE status = 'pending' AND next_attempt_at <= now() AND endpoint = ANY($1::text[])
             AND (lease_until IS NULL OR lease_until < now())
           ORDER BY next_attempt_at LIMIT $2 FOR UPDATE SKIP LOCKED) due
     WHERE d.endpoint = due.endpoint AND d.alert_id = due.alert_id
     RETURNING d.endpoint, d.alert_id, d.payload, d.attempts, d.detected_at`,
    [endpoints, limit, leaseMs],
  );
  return r.rows.map((x) => ({
    endpoint: x.endpoint,
    alertId: x.alert_id,
    payload: x.payload,
    attempt: x.attempts,
    detectedAt: x.detected_at,
  }));
}

export async function markDelivered(pool: Pool, c: Claimed, httpStatus: number): Promise<void> {
  await pool.query(
    `UPDATE alert_delivery SET status = 'delivered', finished_at = now(), lease_until = NULL, last_status = $3,
            last_error = NULL
     WHERE endpoint = $1 AND alert_id = $2`,
    [c.endpoint, c.alertId, httpStatus],
  );
}

export async function markFailed(
  pool: Pool,
  c: Claimed,
  failure: { error: string; httpStatus: number | null },
  next: { retryInMs: number } | 'dead',
): Promise<void> {
  if (next === 'dead') {
    await pool.query(
      `UPDATE alert_delivery SET status = 'dead', finished_at = now(), lease_until = NULL, last_error = $3,
              last_status = $4
       WHERE endpoint = $1 AND alert_id = $2`,
      [c.endpoint, c.alertId, failure.error, failure.httpStatus],
    );
    return;
  }
  await pool.query(
    `UPDATE alert_delivery SET next_attempt_at = now() + make_interval(secs => $5::double precision / 1000),
            lease_until = NULL, last_error = $3, last_status = $4
     WHERE endpoint = $1 AND alert_id = $2`,
    [c.endpoint, c.alertId, failure.error, failure.httpStatus, next.retryInMs],
  );
}

/** Pending and dead rows per endpoint (metrics at scrape time). */
export async function backlog(pool: Pool): Promise<Array<{ endpoint: string; status: string; n: number }>> {
  const r = await pool.query<{ endpoint: string; status: string; n: string }>(
    `SELECT endpoint, status, count(*) AS n FROM alert_delivery WHERE status IN ('pending', 'dead')
     GROUP BY endpoint, status`,
  );
  return r.rows.map((x) => ({ endpoint: x.endpoint, status: x.status, n: Number(x.n) }));
}
