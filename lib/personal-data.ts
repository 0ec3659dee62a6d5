/**
 * Field names that carry personal data in a loan application (or anything copied from one). Logs
 * redact them at any depth (lib/log.ts); quarantined payloads are stored with them replaced
 * (workloads/warehouse-loader/rows.ts). One list, so a field added here is hidden everywhere.
 */
export const PERSONAL_FIELDS: readonly string[] = [
  'nationalId',
  'firstName',
  'lastName',
  'dateOfBirth',
  'email',
  'phone',
  'address',
  'line1',
  'postcode',
  'ipAddress',
  'deviceId',
  'userAgent',
  'lat',
  'lon',
  'customerId',
  'employer',
  'password',
];
