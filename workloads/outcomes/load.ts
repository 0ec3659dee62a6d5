/**
 * Writes a checked outcomes file (outcome-file.ts) into `fact_loan_outcome`, all or nothing, in one
 * transaction:
 *   1. every application must be in the warehouse, and observed on or after the day it was submitted
 *      (problems are reported by line, like the file's own);
 *   2. with no problem anywhere, rows are upserted on (application_id, horizon_months): a row equal to
 *      the stored one is left alone (a reload changes nothing), a different outcome or date replaces it.
 * A dry run does the same and rolls back, so its counts are exactly what a real load would do.
 */
import type { LoanOutcome } from '../../api/loan-outcome.ts';
import type { Pool } from '../warehouse/db.ts';
import type { CheckedOutcomeFile, LineError, OutcomeLine } from './outcome-file.ts';

export interface LoadOptions {
  /** Recorded in `source_file` (the base name of the CSV). */
  sourceFile: string;
  dryRun?: boolean;
  /** Rows per statement (default 5,000). */
  chunkSize?: number;
}

export interface LoadReport {
  sourceFile: string;
  /** Data rows in the file (good and bad). */
  rowsRead: number;
  /** Rows that passed every check. */
  valid: number;
  /** Lines with a problem (every one listed in `errors`). */
  rejected: number;
  /** New (application, horizon) outcomes written. */
  inserted: number;
  /** Stored outcomes replaced by a different outcome or observation date. */
  updated: number;
  /** Rows equal to what the warehouse already held. */
  unchanged: number;
  /** True when the rows were committed (false: a problem, or a dry run). */
  written: boolean;
  dryRun: boolean;
  errors: LineError[];
}

function chunks<T>(xs: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += size) out.push(xs.slice(i, i + size));
  return out;
}

export async function loadOutcomes(
  pool: Pool,
  checked: CheckedOutcomeFile,
  options: LoadOptions,
): Promise<LoadReport> {
  const size = options.chunkSize ?? 5000;
  const dryRun = options.dryRun ?? false;
  const report: LoadReport = {
    sourceFile: options.sourceFile,
    rowsRead: checked.rowsRead,
    valid: 0,
    rejected: 0,
    inserted: 0,
    updated: 0,
    unchanged: 0,
    written: false,
    dryRun,
    errors: [...checked.errors],
  };
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const accepted: OutcomeLine[] = [];
    for (const chunk of chunks(checked.outcomes, size)) {
      const { rows } = await client.query<{ application_id: string; submitted: string }>(
        `SELECT application_id::text, to_char(submitted_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS submitted
         FROM fact_application WHERE application_id = ANY($1::uuid[])`,
        [chunk.map((o) => o.applicationId)],
      );
      const submitted = new Map(rows.map((r) => [r.application_id, r.submitted]));
      for (const o of chunk) {
        const day = submitted.get(o.applicationId);
        if (day === undefined)
          report.errors.push({
            line: o.line,
            reason: `application ${o.applicationId} is not in the warehouse`,
          });
        else if (o.observedDate < day)
          report.errors.push({
            line: o.line,
            reason: `observed_date ${o.observedDate} is before the application was submitted (${day})`,
          });
        else accepted.push(o);
      }
    }
    report.errors.sort((a, b) => a.line - b.line);
    report.rejected = report.errors.length;
    report.valid = accepted.length;
    if (report.errors.length > 0) {
      await client.query('ROLLBACK');
      return report;
    }
    for (const chunk of chunks(accepted, size)) {
      const { rows } = await client.query<{ inserted: boolean }>(
        `INSERT INTO fact_loan_outcome AS t (application_id, horizon_months, outcome, observed_date, source_file)
         SELECT u.application_id, u.horizon_months, u.outcome, u.observed_date, $5
         FROM unnest($1::uuid[], $2::smallint[], $3::text[], $4::date[])
           AS u(application_id, horizon_months, outcome, observed_date)
         ON CONFLICT (application_id, horizon_months) DO UPDATE
           SET outcome = excluded.outcome, observed_date = excluded.observed_date,
               source_file = excluded.source_file, loaded_at = now()
           WHERE (t.outcome, t.observed_date) IS DISTINCT FROM (excluded.outcome, excluded.observed_date)
         RETURNING (xmax = 0) AS inserted`,
        [
          chunk.map((o) => o.applicationId),
          chunk.map((o) => o.horizonMonths),
          chunk.map((o): LoanOutcome => o.outcome),
          chunk.map((o) => o.observedDate),
          options.sourceFile,
        ],
      );
      const inserted = rows.filter((r) => r.inserted).length;
      report.inserted += inserted;
      report.updated += rows.length - inserted;
      report.unchanged += chunk.length - rows.length;
    }
    await client.query(dryRun ? 'ROLLBACK' : 'COMMIT');
    report.written = !dryRun;
    return report;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
