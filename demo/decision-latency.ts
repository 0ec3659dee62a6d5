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
  source: string;
}

interface Queryable {
  query(sql: string): Promise<{ rows: unknown[] }>;
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

export async function streamDecisions(db: Queryable): Promise<StreamDecisions> {
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
  return {
    issued,
    perSecond: issued > 1 && span !== null && span > 0 ? issued / span : null,
    latencyMs: { p50: n(row?.p50), p90: n(row?.p90), p99: n(row?.p99), max: n(row?.max) },
    source:
      'warehouse: recorded_at of stream-issued decision records − receivedAt (the ingestion API’s receipt time) of their application; rate over the span from the first to the last decision written',
  };
}

/** One line for the terminal summary. */
export function streamDecisionsLine(s: StreamDecisions): string {
  const ms = (v: number | null) => (v === null ? 'n/a' : `${v.toFixed(0)} ms`);
  const rate = s.perSecond === null ? 'n/a' : `${s.perSecond.toFixed(0)}/s`;
  return `  decisions      ${s.issued} issued in the stream, ${rate}; receipt → decision written: p50 ${ms(s.latencyMs.p50)}, p90 ${ms(s.latencyMs.p90)}, p99 ${ms(s.latencyMs.p99)}`;
}
