/**
 * The demo's stream-decision figures, from the warehouse: how many decisions the decision service
 * issued, at what rate, and how long after the ingestion API received each application the decision
 * was written (decision_record.recorded_at − fact_application.received_at).
 */

export interface StreamDecisions {
  /** Decisions issued by the decision service (revision 1, source stream). */
  issued: number;
  /** issued / (last decision written − first decision written), per second. */
  perSecond: number | null;
  latencyMs: { p50: number | null; p90: number | null; p99: number | null; max: number | null };
  /**
   * The same latency for applications received before the demo killed a detector process (the whole-run
   * figures include the kubelet's restart and the group's rebalance, seconds long).
   */
  beforeKill?: { applications: number; p50: number | null; p99: number | null };
  source: string;
}

interface Queryable {
  query(sql: string, params?: unknown[]): Promise<{ rows: unknown[] }>;
}

const SQL = `
SELECT count(*)::int AS issued,
       extract(epoch FROM max(recorded_at) - min(recorded_at))::float8 AS span_seconds,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS p50,
       percentile_cont(0.9) WITHIN GROUP (ORDER BY ms) AS p90,
       percentile_cont(0.99) WITHIN GROUP (ORDER BY ms) AS p99,
       max(ms) AS max
FROM (
  SELECT r.recorded_at, extract(epoch FROM r.recorded_at - a.received_at) * 1000 AS ms
  FROM decision_record r JOIN fact_application a USING (application_id)
  WHERE r.revision = 1 AND r.source = 'stream' AND a.received_at IS NOT NULL
) d`;

const BEFORE_SQL = `
SELECT count(*)::int AS applications,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS p50,
       percentile_cont(0.99) WITHIN GROUP (ORDER BY ms) AS p99
FROM (
  SELECT extract(epoch FROM r.recorded_at - a.received_at) * 1000 AS ms
  FROM decision_record r JOIN fact_application a USING (application_id)
  WHERE r.revision = 1 AND r.source = 'stream' AND a.received_at < $1
) d`;

/** `killedAt`: when the demo killed a detector process (beforeKill covers applications received before it). */
export async function streamDecisions(db: Queryable, killedAt?: Date): Promise<StreamDecisions> {
  const row = (await db.query(SQL)).rows[0] as
    | {
        issued: number;
        span_seconds: number | null;
        p50: number | null;
        p90: number | null;
        p99: number | null;
        max: number | null;
      }
    | undefined;
  const issued = row?.issued ?? 0;
  const span = row?.span_seconds ?? null;
  const n = (v: number | null | undefined) => (v === null || v === undefined ? null : Number(v));
  const before =
    killedAt === undefined
      ? undefined
      : ((await db.query(BEFORE_SQL, [killedAt])).rows[0] as
          | { applications: number; p50: number | null; p99: number | null }
          | undefined);
  return {
    issued,
    perSecond: issued > 1 && span !== null && span > 0 ? issued / span : null,
    latencyMs: { p50: n(row?.p50), p90: n(row?.p90), p99: n(row?.p99), max: n(row?.max) },
    ...(before === undefined
      ? {}
      : { beforeKill: { applications: before.applications, p50: n(before.p50), p99: n(before.p99) } }),
    source:
      'warehouse: recorded_at of stream-issued decision records − receivedAt (the ingestion API’s receipt time) of their application; rate over the span from the first to the last decision written',
  };
}

/** One line for the terminal summary. */
export function streamDecisionsLine(s: StreamDecisions): string {
  const ms = (v: number | null) => (v === null ? 'n/a' : `${v.toFixed(0)} ms`);
  const rate = s.perSecond === null ? 'n/a' : `${s.perSecond.toFixed(0)}/s`;
  const whole = `receipt → decision written: p50 ${ms(s.latencyMs.p50)}, p90 ${ms(s.latencyMs.p90)}, p99 ${ms(s.latencyMs.p99)}`;
  const b = s.beforeKill;
  return b === undefined
    ? `  decisions      ${s.issued} issued in the stream, ${rate}; ${whole}`
    : `  decisions      ${s.issued} issued in the stream, ${rate}; receipt → decision written before the detector was killed (${b.applications} applications): p50 ${ms(b.p50)}, p99 ${ms(b.p99)}; whole run, with the kill and restart: ${whole.replace('receipt → decision written: ', '')}`;
}
