/**
 * Helpers shared by the warehouse and risk-scorer integration tests (and the risk-scorer bench):
 * a database of one's own on the harness's PostgreSQL, migrated; synthetic application events.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import { requireInfra } from '../../../infra/lib/state.ts';
import type { ApplicationEvent } from '../../../workloads/contract/application.ts';
import { LOAN_PURPOSES } from '../../../workloads/contract/application.ts';
import { migrate } from '../../../workloads/warehouse/migrate.ts';

/** The harness's PostgreSQL URL (TEST_POSTGRES_URL overrides it, e.g. to run against another server). */
export function postgresUrl(): string {
  return process.env.TEST_POSTGRES_URL ?? requireInfra('postgres').url;
}

export { harnessBrokers as kafkaBrokers } from '../support/kafka.ts';

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

export interface TestDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

/** CREATE DATABASE with a unique name on the shared server; `migrated` applies the warehouse migrations. */
export async function createTestDatabase(prefix: string, migrated = true): Promise<TestDatabase> {
  const name = `${prefix}_${randomBytes(5).toString('hex')}`.toLowerCase().replace(/[^a-z0-9_]/g, '_');
  const admin = new pg.Client({ connectionString: postgresUrl() });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = withDatabase(postgresUrl(), name);
  if (migrated) {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await migrate(client);
    } finally {
      await client.end();
    }
  }
  return {
    name,
    url,
    /** Drops the database; a server process of another role still attached (42501) gets a few retries. */
    async drop() {
      const c = new pg.Client({ connectionString: postgresUrl() });
      await c.connect();
      try {
        for (let attempt = 0; ; attempt++) {
          try {
            await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
            return;
          } catch (err) {
            if ((err as { code?: string }).code !== '42501' || attempt >= 10) throw err;
            await new Promise((r) => setTimeout(r, 500));
          }
        }
      } finally {
        await c.end();
      }
    },
  };
}

/** A small deterministic PRNG (mulberry32), so test data is the same on every run. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PURPOSES = LOAN_PURPOSES;
const STATUSES = [
  'employed',
  'employed',
  'employed',
  'self_employed',
  'retired',
  'student',
  'unemployed',
] as const;

function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)] as T;
}

/** A valid, varied `credit.application.v1` event (already pseudonymized: only nationalIdHash). */
export function syntheticApplication(
  r: () => number,
  overrides: { applicationId?: string; submittedAt?: string } = {},
): ApplicationEvent {
  const income = r() < 0.03 ? 0 : Math.round(15_000 + r() * 150_000);
  const hex = () => Math.floor(r() * 16).toString(16);
  const day = 1 + Math.floor(r() * 28);
  return {
    applicationId: overrides.applicationId ?? randomUUID(),
    submittedAt:
      overrides.submittedAt ??
      `2026-10-${String(day).padStart(2, '0')}T${String(Math.floor(r() * 24)).padStart(2, '0')}:15:00Z`,
    schemaVersion: 'credit.application.v1',
    applicant: {
      customerId: `C${Math.floor(r() * 1e8)}`,
      firstName: 'Test',
      lastName: 'Applicant',
      dateOfBirth: '1980-05-17',
      email: 'test.applicant@example.org',
      phone: '+44 20 7946 0000',
      address: { line1: '1 Test Street', city: 'London', postcode: 'E1 6AN', country: 'GB' },
      nationalIdHash: Array.from({ length: 64 }, hex).join(''),
    },
    employment: {
      status: pick(r, STATUSES),
      monthsInJob: Math.floor(r() * 180),
      annualIncome: income,
    },
    loan: {
      amount: Math.round(1_000 + r() * 60_000),
      currency: 'GBP',
      termMonths: pick(r, [12, 24, 36, 48, 60, 84]),
      purpose: pick(r, PURPOSES),
    },
    credit: {
      ...(r() < 0.1 ? {} : { bureauScore: Math.round(350 + r() * 500) }),
      monthlyDebtPayments: Math.round(r() * 3_000),
      openCreditLines: Math.floor(r() * 12),
      delinquencies24m: r() < 0.7 ? 0 : Math.floor(r() * 6),
      creditHistoryMonths: Math.floor(r() * 300),
      bankruptcies: r() < 0.92 ? 0 : 1 + Math.floor(r() * 2),
    },
    channel: {
      type: 'web',
      ipAddress: '192.0.2.10',
      deviceId: `dev-${Math.floor(r() * 1e6)}`,
      geo: { lat: 51.5, lon: -0.12, country: 'GB' },
    },
  };
}
