/**
 * Checks an outcomes CSV (api/loan-outcome.ts), pure: the header, then every row. Every problem is
 * reported with its line and reason; a row with a problem is never silently dropped. The loader
 * (load.ts) writes nothing unless the whole file is clean (see workloads/outcomes/README.md for why).
 */
import {
  LOAN_OUTCOMES,
  type LoanOutcome,
  type LoanOutcomeRecord,
  OUTCOME_CSV_COLUMNS,
  OUTCOME_HORIZON_MONTHS,
  type OutcomeCsvColumn,
} from '../../api/loan-outcome.ts';
import { parseCsv } from './csv.ts';

export interface LineError {
  line: number;
  reason: string;
}

export interface OutcomeLine extends LoanOutcomeRecord {
  line: number;
}

export interface CheckedOutcomeFile {
  /** Data rows read (every record after the header, good or bad). */
  rowsRead: number;
  /** Rows that passed every check, in file order. */
  outcomes: OutcomeLine[];
  /** Problems, by line (the header's problems on line 1). */
  errors: LineError[];
}

export interface CheckOptions {
  /** Today (UTC, YYYY-MM-DD): an outcome observed after it is rejected. */
  today: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
/** Earliest observation date accepted (the warehouse's calendar starts in 2020; older is a typo). */
export const EARLIEST_OBSERVED_DATE = '2000-01-01';

/** YYYY-MM-DD that names a real calendar day, or null. */
export function calendarDate(text: string): string | null {
  const m = DATE.exec(text);
  if (m === null) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d) return null;
  return text;
}

const shown = (value: string): string => JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);

export function checkOutcomeFile(text: string, options: CheckOptions): CheckedOutcomeFile {
  const { records, problems } = parseCsv(text);
  const errors: LineError[] = problems.map((p) => ({ line: p.line, reason: `not valid CSV: ${p.reason}` }));
  const header = records[0];
  if (header === undefined) {
    errors.push({
      line: 1,
      reason: `no header: the file must start with ${OUTCOME_CSV_COLUMNS.join(',')}`,
    });
    return { rowsRead: 0, outcomes: [], errors: sortByLine(errors) };
  }
  const names = header.fields.map((f) => f.trim().toLowerCase());
  const index = new Map<OutcomeCsvColumn, number>();
  const headerProblems: string[] = [];
  names.forEach((n, i) => {
    if (!(OUTCOME_CSV_COLUMNS as readonly string[]).includes(n))
      headerProblems.push(`unknown column ${shown(n)}`);
    else if (index.has(n as OutcomeCsvColumn)) headerProblems.push(`column ${n} appears twice`);
    else index.set(n as OutcomeCsvColumn, i);
  });
  for (const c of OUTCOME_CSV_COLUMNS) if (!index.has(c)) headerProblems.push(`missing column ${c}`);
  const dataRecords = records.slice(1);
  const unreadable = problems.filter((p) => p.line > header.line).length;
  if (headerProblems.length > 0) {
    errors.push({
      line: header.line,
      reason: `bad header (${headerProblems.join('; ')}); expected ${OUTCOME_CSV_COLUMNS.join(',')}`,
    });
    return { rowsRead: dataRecords.length + unreadable, outcomes: [], errors: sortByLine(errors) };
  }

  const at = (fields: string[], c: OutcomeCsvColumn) => (fields[index.get(c) as number] ?? '').trim();
  const outcomes: OutcomeLine[] = [];
  const firstLineOf = new Map<string, number>();
  for (const { line, fields } of dataRecords) {
    if (fields.length !== names.length) {
      errors.push({ line, reason: `expected ${names.length} fields, found ${fields.length}` });
      continue;
    }
    const reasons: string[] = [];
    const id = at(fields, 'application_id');
    if (!UUID.test(id)) reasons.push(`application_id ${shown(id)} is not a UUID`);
    const outcome = at(fields, 'outcome').toLowerCase();
    if (!(LOAN_OUTCOMES as readonly string[]).includes(outcome))
      reasons.push(`outcome ${shown(at(fields, 'outcome'))} is not one of ${LOAN_OUTCOMES.join(', ')}`);
    const horizonText = at(fields, 'horizon_months');
    const horizon = /^\d{1,4}$/.test(horizonText) ? Number(horizonText) : Number.NaN;
    if (!(horizon >= OUTCOME_HORIZON_MONTHS.min && horizon <= OUTCOME_HORIZON_MONTHS.max))
      reasons.push(
        `horizon_months ${shown(horizonText)} is not a whole number of months from ${OUTCOME_HORIZON_MONTHS.min} to ${OUTCOME_HORIZON_MONTHS.max}`,
      );
    const dateText = at(fields, 'observed_date');
    const date = calendarDate(dateText);
    if (date === null) reasons.push(`observed_date ${shown(dateText)} is not a date (YYYY-MM-DD)`);
    else if (date > options.today)
      reasons.push(`observed_date ${date} is in the future (today is ${options.today})`);
    else if (date < EARLIEST_OBSERVED_DATE)
      reasons.push(`observed_date ${date} is before ${EARLIEST_OBSERVED_DATE}`);
    if (reasons.length > 0) {
      errors.push({ line, reason: reasons.join('; ') });
      continue;
    }
    const applicationId = id.toLowerCase();
    const key = `${applicationId}/${horizon}`;
    const first = firstLineOf.get(key);
    if (first !== undefined) {
      errors.push({
        line,
        reason: `application ${applicationId} already has a ${horizon}-month outcome on line ${first}`,
      });
      continue;
    }
    firstLineOf.set(key, line);
    outcomes.push({
      line,
      applicationId,
      outcome: outcome as LoanOutcome,
      horizonMonths: horizon,
      observedDate: date as string,
    });
  }
  return { rowsRead: dataRecords.length + unreadable, outcomes, errors: sortByLine(errors) };
}

function sortByLine(errors: LineError[]): LineError[] {
  return errors.sort((a, b) => a.line - b.line);
}
