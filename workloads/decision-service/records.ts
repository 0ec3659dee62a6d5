/**
 * Where the decision service issues decisions: the warehouse's append-only `decision_record`
 * (migration 0005) through `issueDecisions` (warehouse/decision-records.ts, the one place that writes
 * and maps records). A stream decision is revision 1 of its application, inserted only if the
 * application has none, so a replay, a second replica or a batch run that came first never issues a
 * second one; whatever stands is returned and is what gets published. Issued ids are signalled on
 * DECISION_ISSUED_CHANNEL (PostgreSQL NOTIFY) for the API's waiting requests.
 */
import { DECISION_ISSUED_CHANNEL } from '../../api/decision.ts';
import type { Pool } from '../warehouse/db.ts';
import {
  type DecisionRecord,
  type DecisionRecordInput,
  issueDecisions,
  issuedDecisions,
} from '../warehouse/decision-records.ts';

export type { DecisionRecordInput } from '../warehouse/decision-records.ts';

/** A revision-1 record as it stands in the warehouse. */
export type StandingRecord = DecisionRecord;

/** Most ids in one NOTIFY payload (8000 bytes at most; an id is 36 characters and a comma). */
const IDS_PER_NOTIFY = 200;

export interface DecisionRecords {
  /** Issues first decisions where none exists; the standing record of every id (new ones: `issued`). */
  issue(records: readonly DecisionRecordInput[]): Promise<{
    standing: StandingRecord[];
    issued: Set<string>;
    /** The NOTIFY of the standing ids, sent meanwhile (never rejects: waiters also poll). */
    notified: Promise<void>;
  }>;
  /** Standing revision-1 records of these applications (those that have one). */
  standing(applicationIds: readonly string[]): Promise<StandingRecord[]>;
}

export function decisionRecords(pool: Pool): DecisionRecords {
  return {
    async issue(records) {
      const result = await issueDecisions(pool, records);
      const notified = notifyIssued(
        pool,
        result.standing.map((s) => s.applicationId),
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
