/**
 * The loan-application contract, written once. TypeScript types, runtime validation and the exported
 * JSON Schema all come from these definitions.
 *
 * Shapes:
 * - `ApplicationSubmission` (`credit.application.v1`): what a client POSTs to the ingestion API
 *   (carries the raw `nationalId`), within the business limits below.
 * - `ApplicationEventV2` (`credit.application.v2`): what the ingestion API writes to Kafka: the
 *   submission with `nationalId` replaced by `nationalIdHash` (HMAC-SHA-256, see pseudonymize.ts; the
 *   raw national ID never leaves ingestion) and the server's receipt time `receivedAt`.
 * - `ApplicationEventV1` (`credit.application.v1`): the event as written before receipt times existed
 *   (no `receivedAt`, the wider bounds of that time). Still read downstream: readers accept both
 *   (`ApplicationEvent`, validate.ts `eventValidator`), and use the Kafka record's timestamp where a v1
 *   event has no `receivedAt`. Migration: see docs/ingestion.md.
 */
import { type Static, type TInteger, type TNumber, type TString, Type } from '@sinclair/typebox';
import { StringEnum } from '../../lib/string-enum.ts';

/** The submission format clients post (unchanged since v1). */
export const SCHEMA_VERSION = 'credit.application.v1';
/** The event format the ingestion API writes (v1 plus `receivedAt`, within the business limits). */
export const EVENT_SCHEMA_VERSION = 'credit.application.v2';
/** Event formats readers accept. */
export const EVENT_SCHEMA_VERSIONS = [SCHEMA_VERSION, EVENT_SCHEMA_VERSION] as const;

/**
 * Business limits of a submission (and of a v2 event). Values outside them are refused at the door
 * with 400 naming the field; the exported JSON Schema carries them as minimum/maximum.
 */
export const BUSINESS_LIMITS = {
  /** Loan amount, in the application's currency. */
  loanAmount: { min: 100, max: 1_000_000 },
  termMonths: { min: 3, max: 360 },
  /** Declared annual income, in the application's currency. */
  annualIncome: { max: 10_000_000 },
  monthlyDebtPayments: { max: 1_000_000 },
} as const;

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

const L = BUSINESS_LIMITS;
const limited = (min: number, max: number, description: string) =>
  Type.Number({ minimum: min, maximum: max, description: `${description} (business limit ${min}–${max})` });

/** Employment, loan and credit as submitted (within the business limits) and in a v2 event. */
const employmentOf = (annualIncome: TNumber) =>
  Type.Object(
    {
      status: StringEnum(EMPLOYMENT_STATUSES, { description: 'Employment status' }),
      employer: Type.Optional(Text(1, 200)),
      monthsInJob: Count,
      annualIncome,
    },
    { additionalProperties: false },
  );
const loanOf = (amount: TNumber, termMonths: TInteger) =>
  Type.Object(
    {
      amount,
      currency: Currency,
      termMonths,
      purpose: StringEnum(LOAN_PURPOSES, { description: 'Loan purpose' }),
    },
    { additionalProperties: false },
  );
const creditOf = (monthlyDebtPayments: TNumber) =>
  Type.Object(
    {
      bureauScore: Type.Optional(Type.Integer({ minimum: 300, maximum: 850 })),
      monthlyDebtPayments,
      openCreditLines: Count,
      delinquencies24m: Count,
      creditHistoryMonths: Count,
      bankruptcies: Count,
    },
    { additionalProperties: false },
  );

export const Employment = employmentOf(
  limited(0, L.annualIncome.max, 'Declared annual income, in the loan currency'),
);
export const Loan = loanOf(
  limited(L.loanAmount.min, L.loanAmount.max, 'Amount asked for'),
  Type.Integer({
    minimum: L.termMonths.min,
    maximum: L.termMonths.max,
    description: `Term in months (business limit ${L.termMonths.min}–${L.termMonths.max})`,
  }),
);
export const Credit = creditOf(limited(0, L.monthlyDebtPayments.max, 'Monthly debt payments'));

/** The bounds of credit.application.v1 events, kept so events written before v2 stay readable. */
const EmploymentV1 = employmentOf(Money);
const LoanV1 = loanOf(
  Type.Number({ exclusiveMinimum: 0, maximum: 1e8 }),
  Type.Integer({ minimum: 1, maximum: 480 }),
);
const CreditV1 = creditOf(Money);

export const Geo = Type.Object(
  {
    lat: Type.Number({ minimum: -90, maximum: 90 }),
    lon: Type.Number({ minimum: -180, maximum: 180 }),
    country: Country,
  },
  { additionalProperties: false },
);

const channelOf = (ipAddress: TString) =>
  Type.Object(
    {
      type: StringEnum(CHANNEL_TYPES, { description: 'Channel the application came through' }),
      ipAddress,
      deviceId: Text(1, 128, 'Device fingerprint'),
      userAgent: Type.Optional(Text(0, 512)),
      geo: Type.Optional(Geo),
    },
    { additionalProperties: false },
  );
const IP_SHAPE = {
  minLength: 2,
  maxLength: 45,
  pattern: '^([0-9]{1,3}(\\.[0-9]{1,3}){3}|[0-9a-fA-F:]+)$',
} as const;
/** An address that parses as IPv4 (octets 0–255, no leading zeros) or IPv6, not one that only looks like it. */
export const Channel = channelOf(
  Type.String({ ...IP_SHAPE, format: 'ip', description: 'IPv4 or IPv6 address' }),
);
const ChannelV1 = channelOf(Type.String({ ...IP_SHAPE, description: 'IPv4 or IPv6 address' }));

const envelope = {
  applicationId: Uuid,
  submittedAt: Rfc3339,
};

/** What a client submits (contains the raw national ID). */
export const ApplicationSubmission = Type.Object(
  {
    ...envelope,
    schemaVersion: Type.Literal(SCHEMA_VERSION),
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

/** What travels on Kafka since v2: pseudonymized, stamped with the server's receipt time. */
export const ApplicationEventV2 = Type.Object(
  {
    ...envelope,
    receivedAt: Type.String({
      ...Rfc3339,
      description:
        'When the ingestion API received the application (server clock, UTC); clients cannot set it',
    }),
    schemaVersion: Type.Literal(EVENT_SCHEMA_VERSION),
    applicant: ApplicantEvent,
    employment: Employment,
    loan: Loan,
    credit: Credit,
    channel: Channel,
  },
  { additionalProperties: false, $id: EVENT_SCHEMA_VERSION, title: 'Loan application (event)' },
);

/** What travelled on Kafka before v2 (no receipt time); still accepted by readers. */
export const ApplicationEventV1 = Type.Object(
  {
    ...envelope,
    schemaVersion: Type.Literal(SCHEMA_VERSION),
    applicant: ApplicantEvent,
    employment: EmploymentV1,
    loan: LoanV1,
    credit: CreditV1,
    channel: ChannelV1,
  },
  { additionalProperties: false, $id: SCHEMA_VERSION, title: 'Loan application (event, v1)' },
);

export type ApplicationSubmission = Static<typeof ApplicationSubmission>;
export type ApplicationEventV2 = Static<typeof ApplicationEventV2>;
export type ApplicationEventV1 = Static<typeof ApplicationEventV1>;
/** An event as readers get it: either version (`receivedAt` only on v2). */
export type ApplicationEvent = ApplicationEventV1 | ApplicationEventV2;
export type EmploymentStatus = (typeof EMPLOYMENT_STATUSES)[number];
export type LoanPurpose = (typeof LOAN_PURPOSES)[number];
export type ChannelType = (typeof CHANNEL_TYPES)[number];
