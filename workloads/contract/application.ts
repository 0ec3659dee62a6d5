/**
 * The loan-application contract `credit.application.v1`, written once.
 * TypeScript types, runtime validation and the exported JSON Schema all come from these definitions.
 *
 * Two shapes exist:
 * - `ApplicationSubmission`: what a client POSTs to the ingestion API (carries the raw `nationalId`).
 * - `ApplicationEvent`: what travels on Kafka and is stored downstream; `nationalId` is replaced by
 *   `nationalIdHash` (HMAC-SHA-256, see pseudonymize.ts). The raw national ID never leaves ingestion.
 */
import { type Static, Type } from '@sinclair/typebox';
import { StringEnum } from '../../lib/string-enum.ts';

export const SCHEMA_VERSION = 'credit.application.v1';

const Uuid = Type.String({
  format: 'uuid',
  pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$',
  description: 'RFC 4122 UUID',
});
const Rfc3339 = Type.String({
  format: 'date-time',
  pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,9})?(Z|[+-]\\d{2}:\\d{2})$',
  description: 'RFC 3339 timestamp',
});
const IsoDate = Type.String({ format: 'date', pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'YYYY-MM-DD' });
const Country = Type.String({ pattern: '^[A-Z]{2}$', description: 'ISO 3166-1 alpha-2 country code' });
const Currency = Type.String({ pattern: '^[A-Z]{3}$', description: 'ISO 4217 currency code' });
/** Free text: any Unicode except control characters (no newlines or NULs in names and addresses). */
const NO_CONTROL = '^[^\\x00-\\x1F\\x7F]*$';
const Text = (minLength: number, maxLength: number, description?: string) =>
  Type.String({ minLength, maxLength, pattern: NO_CONTROL, ...(description ? { description } : {}) });
const Name = Text(1, 100);
const Money = Type.Number({ minimum: 0, maximum: 1e10 });
const Count = Type.Integer({ minimum: 0, maximum: 10_000 });

export const EMPLOYMENT_STATUSES = ['employed', 'self_employed', 'unemployed', 'retired', 'student'] as const;
export const LOAN_PURPOSES = [
  'debt_consolidation',
  'home_improvement',
  'auto',
  'medical',
  'education',
  'business',
  'other',
] as const;
export const CHANNEL_TYPES = ['web', 'mobile', 'branch', 'partner'] as const;

export const Address = Type.Object(
  {
    line1: Text(1, 200),
    city: Text(1, 100),
    postcode: Text(1, 20),
    country: Country,
  },
  { additionalProperties: false },
);

const applicantFields = {
  customerId: Text(1, 64, 'Lender-side customer id; the Kafka message key'),
  firstName: Name,
  lastName: Name,
  dateOfBirth: IsoDate,
  email: Type.String({ format: 'email', pattern: '^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$', maxLength: 254 }),
  phone: Type.String({ pattern: '^\\+?[0-9 ()-]{6,20}$', description: 'E.164 or national format' }),
  address: Address,
};

export const ApplicantSubmission = Type.Object(
  {
    ...applicantFields,
    nationalId: Type.String({
      minLength: 4,
      maxLength: 32,
      description: 'Raw national ID (PII): hashed at ingestion',
    }),
  },
  { additionalProperties: false },
);

export const ApplicantEvent = Type.Object(
  {
    ...applicantFields,
    nationalIdHash: Type.String({
      pattern: '^[0-9a-f]{64}$',
      description: 'HMAC-SHA-256 of the national ID (hex); the same person hashes the same everywhere',
    }),
  },
  { additionalProperties: false },
);

export const Employment = Type.Object(
  {
    status: StringEnum(EMPLOYMENT_STATUSES, { description: 'Employment status' }),
    employer: Type.Optional(Text(1, 200)),
    monthsInJob: Count,
    annualIncome: Money,
  },
  { additionalProperties: false },
);

export const Loan = Type.Object(
  {
    amount: Type.Number({ exclusiveMinimum: 0, maximum: 1e8 }),
    currency: Currency,
    termMonths: Type.Integer({ minimum: 1, maximum: 480 }),
    purpose: StringEnum(LOAN_PURPOSES, { description: 'Loan purpose' }),
  },
  { additionalProperties: false },
);

export const Credit = Type.Object(
  {
    bureauScore: Type.Optional(Type.Integer({ minimum: 300, maximum: 850 })),
    monthlyDebtPayments: Money,
    openCreditLines: Count,
    delinquencies24m: Count,
    creditHistoryMonths: Count,
    bankruptcies: Count,
  },
  { additionalProperties: false },
);

export const Geo = Type.Object(
  {
    lat: Type.Number({ minimum: -90, maximum: 90 }),
    lon: Type.Number({ minimum: -180, maximum: 180 }),
    country: Country,
  },
  { additionalProperties: false },
);

export const Channel = Type.Object(
  {
    type: StringEnum(CHANNEL_TYPES, { description: 'Channel the application came through' }),
    ipAddress: Type.String({
      minLength: 2,
      maxLength: 45,
      pattern: '^([0-9]{1,3}(\\.[0-9]{1,3}){3}|[0-9a-fA-F:]+)$',
      description: 'IPv4 or IPv6 address',
    }),
    deviceId: Text(1, 128, 'Device fingerprint'),
    userAgent: Type.Optional(Text(0, 512)),
    geo: Type.Optional(Geo),
  },
  { additionalProperties: false },
);

const envelope = {
  applicationId: Uuid,
  submittedAt: Rfc3339,
  schemaVersion: Type.Literal(SCHEMA_VERSION),
};

/** What a client submits (contains the raw national ID). */
export const ApplicationSubmission = Type.Object(
  {
    ...envelope,
    applicant: ApplicantSubmission,
    employment: Employment,
    loan: Loan,
    credit: Credit,
    channel: Channel,
  },
  {
    additionalProperties: false,
    $id: 'credit.application.v1.submission',
    title: 'Loan application (submission)',
  },
);

/** What travels on Kafka: pseudonymized. */
export const ApplicationEvent = Type.Object(
  {
    ...envelope,
    applicant: ApplicantEvent,
    employment: Employment,
    loan: Loan,
    credit: Credit,
    channel: Channel,
  },
  { additionalProperties: false, $id: 'credit.application.v1', title: 'Loan application (event)' },
);

export type ApplicationSubmission = Static<typeof ApplicationSubmission>;
export type ApplicationEvent = Static<typeof ApplicationEvent>;
export type EmploymentStatus = (typeof EMPLOYMENT_STATUSES)[number];
export type LoanPurpose = (typeof LOAN_PURPOSES)[number];
export type ChannelType = (typeof CHANNEL_TYPES)[number];
