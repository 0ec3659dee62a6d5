/**
 * Draws mutually consistent people and their applications: age drives employment and credit
 * history, employment drives income, income and bureau score drive debt and loan size.
 */
import type { ApplicationSubmission, ChannelType, LoanPurpose } from '../contract/application.ts';
import { SCHEMA_VERSION } from '../contract/application.ts';
import {
  type City,
  COUNTRIES,
  type CountryProfile,
  EMAIL_DOMAINS,
  EMPLOYERS,
  FIRST_NAMES,
  LAST_NAMES,
  USER_AGENTS,
} from './population.ts';
import { clamp, type Random } from './random.ts';

export interface Person {
  customerId: string;
  firstName: string;
  lastName: string;
  dateOfBirth: string;
  nationalId: string;
  email: string;
  phone: string;
  address: ApplicationSubmission['applicant']['address'];
  country: CountryProfile;
  city: City;
  age: number;
  employment: ApplicationSubmission['employment'];
  credit: ApplicationSubmission['credit'];
  /** The device and address this person usually applies from. */
  deviceId: string;
  ipAddress: string;
}

const ascii = (s: string) =>
  s
    .normalize('NFD')
    .replace(/[^A-Za-z]/g, '')
    .toLowerCase();

export function isoDate(d: Date): string {
  return d.toISOString().slice(0, 10);
}

export function postcodeFor(rng: Random, shape: string): string {
  return [...shape].map((c) => (c === 'A' ? rng.letters(1) : c === '9' ? String(rng.int(0, 9)) : c)).join('');
}

export function nationalIdFor(rng: Random, country: string): string {
  switch (country) {
    case 'GB':
      return `${rng.letters(2)}${rng.digits(6)}${rng.pick(['A', 'B', 'C', 'D'])}`;
    case 'ES':
      return `${rng.digits(8)}${rng.letters(1)}`;
    case 'IE':
      return `${rng.digits(7)}${rng.letters(1)}`;
    case 'FR':
      return rng.digits(13);
    default:
      return rng.digits(11);
  }
}

export function ipFrom(rng: Random, country: CountryProfile): string {
  return `${rng.pick(country.ipFirstOctets)}.${rng.int(0, 255)}.${rng.int(0, 255)}.${rng.int(1, 254)}`;
}

export function emailFor(rng: Random, first: string, last: string): string {
  const local = rng.chance(0.5)
    ? `${ascii(first)}.${ascii(last)}`
    : `${ascii(first).slice(0, 1)}${ascii(last)}`;
  return `${local}${rng.chance(0.6) ? rng.int(1, 99) : ''}@${rng.pick(EMAIL_DOMAINS)}`;
}

export function deviceIdFor(rng: Random): string {
  return `dev-${rng.uuid()}`;
}

function drawAge(rng: Random): number {
  return Math.round(
    rng.weighted([
      [rng.int(18, 24), 14],
      [rng.int(25, 34), 27],
      [rng.int(35, 44), 24],
      [rng.int(45, 54), 17],
      [rng.int(55, 64), 11],
      [rng.int(65, 82), 7],
    ]),
  );
}

function drawEmployment(rng: Random, age: number, country: CountryProfile): Person['employment'] {
  const status =
    age < 25
      ? rng.weighted([
          ['employed', 55],
          ['student', 30],
          ['unemployed', 10],
          ['self_employed', 5],
        ] as const)
      : age >= 66
        ? rng.weighted([
            ['retired', 80],
            ['employed', 12],
            ['self_employed', 8],
          ] as const)
        : rng.weighted([
            ['employed', 75],
            ['self_employed', 13],
            ['unemployed', 7],
            ['student', age < 35 ? 3 : 0.5],
            ['retired', age > 55 ? 8 : 0],
          ] as const);
  const experience = Math.min(age - 22, 25) / 25;
  const [median, sigma] =
    status === 'employed'
      ? [30_000 + 18_000 * Math.max(0, experience), 0.45]
      : status === 'self_employed'
        ? [42_000, 0.7]
        : status === 'retired'
          ? [21_000, 0.4]
          : status === 'student'
            ? [8_000, 0.6]
            : [6_000, 0.5];
  const annualIncome = Math.round((rng.logNormal(median, sigma) * country.incomeScale) / 100) * 100;
  const working = status === 'employed' || status === 'self_employed';
  const maxMonths = Math.max(1, (age - 16) * 12);
  const employment: Person['employment'] = {
    status,
    monthsInJob: working ? clamp(Math.round(rng.logNormal(40, 0.9)), 1, maxMonths) : 0,
    annualIncome,
  };
  if (status === 'employed') employment.employer = rng.pick(EMPLOYERS);
  return employment;
}

function drawCredit(rng: Random, age: number, employment: Person['employment']): Person['credit'] {
  const stability =
    employment.status === 'employed' || employment.status === 'retired'
      ? 20
      : employment.status === 'unemployed'
        ? -45
        : 0;
  const score = Math.round(clamp(rng.normal(590 + Math.min(age, 60) * 2 + stability, 70), 300, 850));
  const thinFile = age < 23 ? 0.3 : 0.04;
  const delinquencies = rng.poisson(Math.max(0.05, (700 - score) / 55));
  const bankruptcies = score < 560 && rng.chance(0.18) ? 1 : rng.chance(0.004) ? 1 : 0;
  const monthlyIncome = employment.annualIncome / 12;
  const dti = clamp(rng.normal(0.16 + (720 - score) / 1200, 0.07), 0, 0.65);
  const credit: Person['credit'] = {
    monthlyDebtPayments: Math.round(monthlyIncome * dti * 100) / 100,
    openCreditLines: Math.min(rng.poisson(age < 25 ? 1.5 : 3.5), 25),
    delinquencies24m: Math.min(delinquencies, 12),
    creditHistoryMonths: Math.max(0, Math.floor((age - 18) * 12 * (0.35 + 0.65 * rng.next()))),
    bankruptcies,
  };
  if (!rng.chance(thinFile)) credit.bureauScore = score;
  return credit;
}

/** A new person living in `country` (drawn by weight when absent), as of event time `at`. */
export function drawPerson(rng: Random, at: Date, customerId: string, country?: CountryProfile): Person {
  const home = country ?? rng.weighted(COUNTRIES.map((c) => [c, c.weight] as const));
  const city = rng.pick(home.cities);
  const age = drawAge(rng);
  const birth = new Date(at.getTime());
  birth.setUTCFullYear(birth.getUTCFullYear() - age);
  birth.setUTCDate(birth.getUTCDate() - rng.int(1, 360));
  const firstName = rng.pick(FIRST_NAMES);
  const lastName = rng.pick(LAST_NAMES);
  const employment = drawEmployment(rng, age, home);
  return {
    customerId,
    firstName,
    lastName,
    dateOfBirth: isoDate(birth),
    nationalId: nationalIdFor(rng, home.code),
    email: emailFor(rng, firstName, lastName),
    phone: `${home.phonePrefix}${rng.digits(home.phonePrefix.length > 5 ? 8 : 9)}`,
    address: {
      line1: `${rng.int(1, 250)} ${rng.pick(home.streets)}`,
      city: city.name,
      postcode: postcodeFor(rng, home.postcode),
      country: home.code,
    },
    country: home,
    city,
    age,
    employment,
    credit: drawCredit(rng, age, employment),
    deviceId: deviceIdFor(rng),
    ipAddress: ipFrom(rng, home),
  };
}

const PURPOSES: ReadonlyArray<readonly [LoanPurpose, number, number, readonly number[]]> = [
  // purpose, weight, median amount (GB baseline), typical terms in months
  ['debt_consolidation', 30, 9_000, [24, 36, 48, 60]],
  ['home_improvement', 18, 15_000, [36, 60, 84, 120]],
  ['auto', 20, 14_000, [36, 48, 60, 72]],
  ['medical', 6, 4_000, [12, 24, 36]],
  ['education', 7, 8_000, [24, 36, 60]],
  ['business', 6, 25_000, [24, 36, 60, 84]],
  ['other', 13, 3_500, [6, 12, 24, 36]],
];

export function drawLoan(rng: Random, person: Person): ApplicationSubmission['loan'] {
  const [purpose, , median, terms] = rng.weighted(PURPOSES.map((p) => [p, p[1]] as const));
  const cap = Math.max(1_000, person.employment.annualIncome * (purpose === 'home_improvement' ? 1.2 : 0.8));
  const raw = Math.min(rng.logNormal(median * person.country.incomeScale, 0.5), cap);
  return {
    amount: Math.max(500, Math.round(raw / 50) * 50),
    currency: person.country.currency,
    termMonths: rng.pick(terms),
    purpose,
  };
}

export interface ChannelChoice {
  deviceId?: string;
  ipAddress?: string;
  /** Country the connection appears to come from (geo), when it differs from the address. */
  connection?: { country: CountryProfile; ipAddress: string };
  type?: ChannelType;
}

export function drawChannel(
  rng: Random,
  person: Person,
  choice: ChannelChoice = {},
): ApplicationSubmission['channel'] {
  const type =
    choice.type ??
    rng.weighted([
      ['web', 50],
      ['mobile', 35],
      ['branch', 8],
      ['partner', 7],
    ] as const);
  const connection = choice.connection;
  const channel: ApplicationSubmission['channel'] = {
    type,
    ipAddress: connection?.ipAddress ?? choice.ipAddress ?? person.ipAddress,
    deviceId: choice.deviceId ?? person.deviceId,
  };
  if (type === 'web' || type === 'mobile') {
    channel.userAgent = rng.pick(USER_AGENTS[type]);
    if (connection !== undefined || rng.chance(0.85)) {
      const city = connection ? rng.pick(connection.country.cities) : person.city;
      channel.geo = {
        lat: Math.round((city.lat + rng.normal(0, 0.05)) * 1e4) / 1e4,
        lon: Math.round((city.lon + rng.normal(0, 0.05)) * 1e4) / 1e4,
        country: connection?.country.code ?? person.country.code,
      };
    }
  }
  return channel;
}

/** An application by `person` (event time and id filled in by the caller's stream). */
export function applicationOf(
  rng: Random,
  person: Person,
  channel: ApplicationSubmission['channel'],
  loan: ApplicationSubmission['loan'] = drawLoan(rng, person),
): ApplicationSubmission {
  return {
    applicationId: rng.uuid(),
    submittedAt: new Date(0).toISOString(),
    schemaVersion: SCHEMA_VERSION,
    applicant: {
      customerId: person.customerId,
      firstName: person.firstName,
      lastName: person.lastName,
      dateOfBirth: person.dateOfBirth,
      nationalId: person.nationalId,
      email: person.email,
      phone: person.phone,
      address: { ...person.address },
    },
    employment: { ...person.employment },
    loan,
    credit: { ...person.credit },
    channel,
  };
}
