/**
 * Where the decision service issues decisions: the warehouse's append-only `decision_record`
 * (migration 0005) through `issueDecisions` (warehouse/decision-records.ts, the one place that writes
 * and maps records). A stream decision is revision 1 of its application, inserted only if the
 * application has none, so a replay, a second replica or a batch run that came first never issues a
 * second one; whatever stands is returned and is what gets published. Issued ids are signalled on
 * DECISION_ISSUED_CHANNEL (PostgreSQL NOTIFY) for the API's waiting requests: those it wrote by the
 * insert itself (no round trip of their own), those that already stood by a NOTIFY after it.
 */
import { DECISION_ISSUED_CHANNEL } from '../../api/decision.ts';
import type { Pool } from '../warehouse/db.ts';
import {
  type DecisionRecord,
  type DecisionRecordInput,
  IDS_PER_NOTIFY,
  issueDecisions,
  issuedDecisions,
} from '../warehouse/decision-records.ts';

export type { DecisionRecordInput } from '../warehouse/decision-records.ts';

/** A revision-1 record as it stands in the warehouse. */
export type StandingRecord = DecisionRecord;

export interface DecisionRecords {
  /** Issues first decisions where none exists; the standing record of every id (new ones: `issued`). */
  issue(records: readonly DecisionRecordInput[]): Promise<{
    standing: StandingRecord[];
    issued: Set<string>;
    /** The NOTIFY of standing ids this call did not write, sent meanwhile (never rejects: waiters also poll). */
    notified: Promise<void>;
  }>;
  /** Standing revision-1 records of these applications (those that have one). */
  standing(applicationIds: readonly string[]): Promise<StandingRecord[]>;
}

export function decisionRecords(pool: Pool): DecisionRecords {
  return {
    async issue(records) {
      const result = await issueDecisions(pool, records, { notifyChannel: DECISION_ISSUED_CHANNEL });
      const notified = notifyIssued(
        pool,
        result.standing.map((s) => s.applicationId).filter((id) => !result.issued.has(id)),
      ).catch(() => undefined);
      return { ...result, notified };
    },
    standing: (applicationIds) => issuedDecisions(pool, applicationIds),
  };
}

async function notifyIssued(pool: Pool, ids: readonly string[]): Promise<void> {
  for (let i = 0; i < ids.length; i += IDS_PER_NOTIFY) {
    await pool.query('SELECT pg_notify($1, $2)', [
      DECISION_ISSUED_CHANNEL,
      ids.slice(i, i + IDS_PER_NOTIFY).join(','),
    ]);
  }
}
