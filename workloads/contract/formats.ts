/**
 * The string formats the contract uses, registered with TypeBox (its compiled validators reject any
 * format they do not know). Checks are real, not just shapes: dates must exist on the calendar,
 * IP addresses must parse. Importing validate.ts registers them; the contract's definitions win over
 * any registration made elsewhere.
 */
import { isIP } from 'node:net';
import { FormatRegistry } from '@sinclair/typebox';

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-](\d{2}):(\d{2}))$/i;
const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

/** A calendar date that exists (no 2023-02-30, no month 13). */
export function isCalendarDate(value: string): boolean {
  const m = DATE.exec(value);
  if (m === null) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (mo < 1 || mo > 12 || d < 1) return false;
  const days = new Date(Date.UTC(y, mo, 0)).getUTCDate();
  return d <= days;
}

/** An RFC 3339 timestamp with a valid date, time and offset. */
export function isRfc3339(value: string): boolean {
  const m = DATE_TIME.exec(value);
  if (m === null || !isCalendarDate(m[1] ?? '')) return false;
  const [h, mi, s] = [Number(m[2]), Number(m[3]), Number(m[4])];
  if (h > 23 || mi > 59 || s > 60) return false;
  if (m[7] !== undefined && (Number(m[7]) > 23 || Number(m[8]) > 59)) return false;
  return true;
}

export const CONTRACT_FORMATS: Record<string, (value: string) => boolean> = {
  uuid: (v) => UUID.test(v),
  date: isCalendarDate,
  'date-time': isRfc3339,
  email: (v) => EMAIL.test(v),
  ip: (v) => isIP(v) !== 0,
};

for (const [name, check] of Object.entries(CONTRACT_FORMATS)) FormatRegistry.Set(name, check);
