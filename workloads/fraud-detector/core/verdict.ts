/**
 * Verdict parts (api/verdict.ts), pure: built from what a stage found on one application. A stage
 * writes its batch's parts with `verdictRecords` (api/verdict.ts: packed, one record per partition),
 * each to the partition of its application on the applications topic, so a consumer of partition p of
 * both topics sees an application and its whole verdict.
 */
import type { FraudAlert } from '../../../api/alert.ts';
import type { SourceVerdictPart, VerdictAlert, WindowVerdictPart } from '../../../api/verdict.ts';

/** `<topic>/<partition>/<offset>` of the application a repartition message projects (a header in the one-message-per-key format, `source` in the packed one). */
export const SOURCE_HEADER = 'fd-source';

export function verdictAlert(a: FraudAlert): VerdictAlert {
  return {
    alertId: a.alertId,
    ruleId: a.ruleId,
    ruleVersion: a.ruleVersion,
    severity: a.severity,
    mode: a.mode,
    reasonCode: a.reasonCode,
  };
}

export function sourcePart(p: {
  applicationId: string;
  customerId: string;
  /** RFC 3339 (one string per batch). */
  checkedAt: string;
  ruleSetVersion: string;
  alerts: readonly FraudAlert[];
  windowKeys: readonly string[];
  beyondHorizon: boolean;
}): SourceVerdictPart {
  return {
    kind: 'source',
    applicationId: p.applicationId,
    customerId: p.customerId,
    checkedAt: p.checkedAt,
    alerts: p.alerts.map(verdictAlert),
    ruleSetVersion: p.ruleSetVersion,
    windowKeys: [...new Set(p.windowKeys)],
    beyondHorizon: p.beyondHorizon,
  };
}

/** The window part of one application for one key path: the alerts raised on it (not on others). */
export function windowPart(p: {
  applicationId: string;
  customerId: string;
  keyPath: string;
  /** RFC 3339 (one string per batch). */
  checkedAt: string;
  alerts: readonly FraudAlert[];
}): WindowVerdictPart {
  return {
    kind: 'window',
    applicationId: p.applicationId,
    customerId: p.customerId,
    checkedAt: p.checkedAt,
    keyPath: p.keyPath,
    alerts:
      p.alerts.length === 0
        ? []
        : p.alerts.filter((a) => a.applicationId === p.applicationId).map(verdictAlert),
  };
}

/** The application's partition from a repartition message's source header; undefined if unreadable. */
export function sourcePartition(header: string | undefined): number | undefined {
  if (header === undefined) return undefined;
  // `<topic>/<partition>/<offset>`: the field before the last (topic names hold no `/`); read in place.
  const last = header.lastIndexOf('/');
  const before = last <= 0 ? -1 : header.lastIndexOf('/', last - 1);
  if (before < 0 || before + 1 === last) return undefined;
  const n = Number(header.slice(before + 1, last));
  return Number.isInteger(n) && n >= 0 ? n : undefined;
}
