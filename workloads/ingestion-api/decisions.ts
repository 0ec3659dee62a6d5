/**
 * Answers `GET /v1/applications/{id}/decision` from the warehouse: the decision record as first
 * issued (decision_record revision 1, what the applicant is told; later superseding records do not
 * change it), with its reason texts, or whether the application is known at all. A request may wait
 * for the decision (bounded): the decision service signals issued ids on DECISION_ISSUED_CHANNEL
 * (PostgreSQL LISTEN/NOTIFY) and a slow poll covers decisions issued by a scoring run and a dropped
 * listener. One LISTEN connection per process, however many requests wait.
 */
import pg from 'pg';
import { DECISION_ISSUED_CHANNEL, type IssuedDecision } from '../../api/decision.ts';
import type { Logger } from '../../lib/log.ts';

/** Longest wait of a decision request unless configured (DECISION_MAX_WAIT_MS). */
export const DEFAULT_DECISION_MAX_WAIT_MS = 10_000;

export type Lookup =
  | { state: 'decided'; decision: IssuedDecision }
  /** Accepted and loaded into the warehouse, not decided yet. */
  | { state: 'pending' }
  | { state: 'unknown' };

export interface DecisionLookup {
  /** The decision, waiting up to `waitMs` for it to exist. */
  find(applicationId: string, waitMs: number): Promise<Lookup>;
  close(): Promise<void>;
}

interface Row {
  application_id: string | null;
  decision: IssuedDecision['decision'] | null;
  reason_codes: string[] | null;
  reason_texts: string[] | null;
  model_key: string | null;
  model_checksum: string | null;
  source: IssuedDecision['source'] | null;
  issued_at: Date | null;
  known: boolean;
}

const LOOKUP_SQL = `
SELECT r.application_id, r.decision, r.reason_codes, r.model_key, r.model_checksum, r.source, r.issued_at,
       ARRAY(SELECT coalesce(c.text, u.code) FROM unnest(r.reason_codes) WITH ORDINALITY AS u(code, n)
             LEFT JOIN dim_reason_code c ON c.code = u.code ORDER BY u.n) AS reason_texts,
       (r.application_id IS NOT NULL OR EXISTS (SELECT 1 FROM fact_application a WHERE a.application_id = q.id)) AS known
FROM (SELECT $1::uuid AS id) q
LEFT JOIN decision_record r ON r.application_id = q.id AND r.revision = 1`;

/** How often a waiting request looks again without a notification. */
const POLL_MS = 250;

export function warehouseDecisionLookup(databaseUrl: string, log: Logger): DecisionLookup {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 4, application_name: 'ingestion-api' });
  pool.on('error', () => undefined);
  const waiters = new Map<string, Set<() => void>>();
  let listener: pg.Client | undefined;
  let listening: Promise<void> | undefined;
  let closed = false;

  const wake = (ids: Iterable<string>) => {
    for (const id of ids) for (const w of waiters.get(id) ?? []) w();
  };
  const listen = (): Promise<void> => {
    listening ??= (async () => {
      const client = new pg.Client({
        connectionString: databaseUrl,
        application_name: 'ingestion-api-listen',
      });
      client.on('notification', (n) => {
        if (n.channel === DECISION_ISSUED_CHANNEL && n.payload) wake(n.payload.split(','));
      });
      client.on('error', (err) => {
        log.warn({ err: err.message }, 'decision listener lost; waiting requests fall back to polling');
        listener = undefined;
        listening = undefined;
        client.end().catch(() => undefined);
      });
      await client.connect();
      await client.query(`LISTEN ${DECISION_ISSUED_CHANNEL}`);
      if (closed) await client.end();
      else listener = client;
    })().catch((err: unknown) => {
      log.warn(
        { err: err instanceof Error ? err.message : String(err) },
        'cannot LISTEN for decisions; polling',
      );
      listening = undefined;
    });
    return listening;
  };

  const lookup = async (id: string): Promise<Lookup> => {
    const r = await pool.query<Row>(LOOKUP_SQL, [id]);
    const row = r.rows[0];
    if (
      row?.application_id &&
      row.decision &&
      row.model_key &&
      row.model_checksum &&
      row.source &&
      row.issued_at
    ) {
      const texts = row.reason_texts ?? [];
      return {
        state: 'decided',
        decision: {
          applicationId: row.application_id,
          decision: row.decision,
          reasons: (row.reason_codes ?? []).map((code, i) => ({ code, text: texts[i] ?? code })),
          model: { key: row.model_key, checksum: row.model_checksum },
          source: row.source,
          issuedAt: row.issued_at.toISOString(),
        },
      };
    }
    return row?.known ? { state: 'pending' } : { state: 'unknown' };
  };

  return {
    async find(applicationId, waitMs) {
      const id = applicationId.toLowerCase();
      const deadline = Date.now() + waitMs;
      if (waitMs > 0) await listen();
      let wakeUp: (() => void) | undefined;
      let signalled = false;
      const set = waiters.get(id) ?? new Set<() => void>();
      const waiter = () => {
        signalled = true;
        wakeUp?.();
      };
      if (waitMs > 0) {
        set.add(waiter);
        waiters.set(id, set);
      }
      try {
        for (;;) {
          signalled = false;
          const found = await lookup(id);
          const left = deadline - Date.now();
          if (found.state === 'decided' || left <= 0 || closed) return found;
          // Signalled while looking: the record may have landed after the query's snapshot.
          if (signalled) continue;
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, Math.min(left, POLL_MS));
            wakeUp = () => {
              clearTimeout(timer);
              resolve();
            };
          });
          wakeUp = undefined;
        }
      } finally {
        set.delete(waiter);
        if (set.size === 0) waiters.delete(id);
      }
    },
    async close() {
      // Waiting requests answer with what stands now, then the connections close.
      closed = true;
      wake([...waiters.keys()]);
      const until = Date.now() + 2_000;
      while (waiters.size > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
      await listener?.end().catch(() => undefined);
      await pool.end().catch(() => undefined);
    },
  };
}
