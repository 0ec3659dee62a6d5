/**
 * Who issues an application's first decision, without timing: the decision service while one runs,
 * the batch scorer otherwise. Two PostgreSQL advisory locks of the warehouse database carry it:
 *
 *   STREAM  held (shared, for its lifetime, on a connection of its own) by every running decision
 *           service. A batch run that sees it held issues no first decision: everything undecided is
 *           the stream's, however old (a backlog after an outage included).
 *   ISSUE   held (shared) by a batch run from that check until its transaction ends, when it may issue
 *           first decisions. A decision service starting takes STREAM, then waits for ISSUE once
 *           (exclusive, released at once) before it decides anything: a batch run that checked before
 *           the stream came up finishes first, and the stream finds its records standing.
 *
 * So the two never both decide one application: either the stream was live when the batch checked
 * (the batch leaves first decisions alone), or the batch's records are committed before the stream's
 * first decision (the stream publishes what stands). Locks die with their session, so a decision
 * service that crashes, is scaled to 0 or loses its connection stops counting at once; the batch's
 * grace (SCORER_DECISION_GRACE_SECONDS, set by the operator while spec.decisions.replicas > 0) keeps it
 * from deciding what a restarting service would decide seconds later.
 */
import pg from 'pg';
import type { Logger } from '../../lib/log.ts';

/** Advisory lock keys (the two-int form): a namespace and the lock. */
const NAMESPACE = 1_701_017;
const STREAM = 1;
const ISSUE = 2;

/** A running decision service's claim on first decisions. */
export interface StreamClaim {
  /** Resolves once the claim is held (again, after a lost connection); decide only after it. */
  held(): Promise<void>;
  /** Whether it is held now (readiness). */
  readonly holding: boolean;
  close(): Promise<void>;
}

/**
 * Takes the stream's claim on its own connection and keeps it: a lost connection is reconnected and
 * the claim taken again (in the meantime `held()` waits and `holding` is false).
 */
export async function claimStreamDecisions(
  databaseUrl: string,
  log: Logger,
  options: { retryMs?: number } = {},
): Promise<StreamClaim> {
  const retryMs = options.retryMs ?? 1000;
  let closed = false;
  let holding = false;
  let client: pg.Client | undefined;
  let resolveHeld: () => void = () => undefined;
  let heldPromise = new Promise<void>((r) => {
    resolveHeld = r;
  });

  const take = async (): Promise<void> => {
    const c = new pg.Client({ connectionString: databaseUrl, application_name: 'decision-service-claim' });
    c.on('error', () => undefined);
    await c.connect();
    try {
      await c.query('SELECT pg_advisory_lock_shared($1, $2)', [NAMESPACE, STREAM]);
      // Batch runs that checked before this claim existed finish their transaction first.
      await c.query('SELECT pg_advisory_lock($1, $2)', [NAMESPACE, ISSUE]);
      await c.query('SELECT pg_advisory_unlock($1, $2)', [NAMESPACE, ISSUE]);
    } catch (err) {
      await c.end().catch(() => undefined);
      throw err;
    }
    c.on('end', () => lost(c));
    c.on('error', () => lost(c));
    client = c;
    holding = true;
    resolveHeld();
  };
  const lost = (c: pg.Client) => {
    if (client !== c || closed) return;
    client = undefined;
    holding = false;
    heldPromise = new Promise<void>((r) => {
      resolveHeld = r;
    });
    log.warn('decision claim lost with its connection; deciding pauses until it is taken again');
    c.end().catch(() => undefined);
    void retake();
  };
  const retake = async (): Promise<void> => {
    while (!closed && !holding) {
      try {
        await take();
        log.info('decision claim taken again');
      } catch (err) {
        log.warn({ err: err instanceof Error ? err.message : String(err) }, 'cannot take the decision claim');
        await new Promise((r) => setTimeout(r, retryMs));
      }
    }
  };
  await take();
  return {
    held: () => heldPromise,
    get holding() {
      return holding;
    },
    async close() {
      closed = true;
      holding = false;
      const c = client;
      client = undefined;
      await c?.end().catch(() => undefined);
    },
  };
}

const LIVE_STREAM_SQL = `
SELECT EXISTS (
  SELECT 1 FROM pg_locks l
  WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
    AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
    AND l.classid = $1::int::oid AND l.objid = $2::int::oid
) AS live`;

/**
 * A batch run's check, on the connection of its transaction: true when no decision service runs, and
 * then ISSUE is held (shared) until `releaseBatchIssue` on the same connection; false (nothing held)
 * when the stream decides. Should it throw, release (or discard the connection) all the same.
 */
export async function batchMayIssue(client: pg.PoolClient | pg.Client): Promise<boolean> {
  await client.query('SELECT pg_advisory_lock_shared($1, $2)', [NAMESPACE, ISSUE]);
  const live = (await client.query<{ live: boolean }>(LIVE_STREAM_SQL, [NAMESPACE, STREAM])).rows[0]?.live;
  if (live === true) await releaseBatchIssue(client);
  return live !== true;
}

export async function releaseBatchIssue(client: pg.PoolClient | pg.Client): Promise<void> {
  await client.query('SELECT pg_advisory_unlock_shared($1, $2)', [NAMESPACE, ISSUE]);
}

/** Whether a decision service holds its claim on this database now (any session). */
export async function streamDecides(db: pg.Pool | pg.PoolClient | pg.Client): Promise<boolean> {
  const r = await db.query<{ live: boolean }>(LIVE_STREAM_SQL, [NAMESPACE, STREAM]);
  return r.rows[0]?.live === true;
}
