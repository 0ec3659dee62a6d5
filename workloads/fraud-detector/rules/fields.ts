/**
 * Field paths of the application event used by rules: short aliases, checking a path against the
 * `credit.application.v2` event schema (a superset of v1), and reading a value from an event.
 */
import type { TSchema } from '@sinclair/typebox';
import { ApplicationEventV2 } from '../../contract/application.ts';

/** Short names rules may use for the usual keys. */
export const FIELD_ALIASES: Readonly<Record<string, string>> = {
  nationalIdHash: 'applicant.nationalIdHash',
  customerId: 'applicant.customerId',
  email: 'applicant.email',
  phone: 'applicant.phone',
  firstName: 'applicant.firstName',
  lastName: 'applicant.lastName',
  dateOfBirth: 'applicant.dateOfBirth',
  deviceId: 'channel.deviceId',
  ipAddress: 'channel.ipAddress',
  ipCountry: 'channel.geo.country',
  addressCountry: 'applicant.address.country',
  postcode: 'applicant.address.postcode',
  annualIncome: 'employment.annualIncome',
  loanAmount: 'loan.amount',
  monthlyDebtPayments: 'credit.monthlyDebtPayments',
};

/** Fields whose values are personal data: never put in alert evidence, metrics or logs as such. */
const PERSONAL = new Set([
  'applicant.email',
  'applicant.phone',
  'applicant.firstName',
  'applicant.lastName',
  'applicant.dateOfBirth',
  'applicant.address.line1',
  'applicant.address.postcode',
  'channel.ipAddress',
]);

/** Compared case-insensitively (lower-cased when read). */
const CASE_INSENSITIVE = new Set(['applicant.email']);

export function canonicalPath(path: string): string {
  return FIELD_ALIASES[path] ?? path;
}

export function isPersonalField(path: string): boolean {
  return PERSONAL.has(canonicalPath(path));
}

export type FieldType = 'string' | 'number' | 'boolean' | 'object';

/** The JSON type of a path in the application event schema, or an error message. */
export function fieldType(path: string): { type: FieldType } | { error: string } {
  const canonical = canonicalPath(path);
  let node: TSchema = ApplicationEventV2;
  for (const part of canonical.split('.')) {
    const props = (node as { properties?: Record<string, TSchema> }).properties;
    const next = props?.[part];
    if (next === undefined) return { error: `unknown field "${path}" in credit.application.v2` };
    node = next;
  }
  const t = (node as { type?: unknown }).type;
  if (t === 'string' || t === 'number' || t === 'boolean' || t === 'object') return { type: t };
  if (t === 'integer') return { type: 'number' };
  // Unions of literals (employment.status, channel.type, schemaVersion) are strings.
  return { type: 'string' };
}

export type FieldReader = (event: unknown) => unknown;

/** A compiled reader of one path (alias allowed); missing parts read as undefined. */
export function fieldReader(path: string): FieldReader {
  const canonical = canonicalPath(path);
  const parts = canonical.split('.');
  const lower = CASE_INSENSITIVE.has(canonical);
  return (event) => {
    let v: unknown = event;
    for (const p of parts) {
      if (v === null || typeof v !== 'object') return undefined;
      v = (v as Record<string, unknown>)[p];
    }
    return lower && typeof v === 'string' ? v.trim().toLowerCase() : v;
  };
}

/** The value of a key field as a string (the state key), or undefined when absent or empty. */
export function keyString(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  const s = typeof value === 'string' ? value : typeof value === 'number' ? String(value) : undefined;
  return s === undefined || s === '' ? undefined : s;
}
