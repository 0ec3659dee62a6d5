/**
 * The warehouse's login roles besides its owner, kept by the migration Job (migrate-main.ts):
 *
 * - the read-only role (api/warehouse.ts WAREHOUSE_READER, dashboards): CONNECT, USAGE on `public`,
 *   SELECT on every table and view there now and on those later migrations create (default privileges
 *   of the migrating role);
 * - the decision reader (WAREHOUSE_DECISION_READER, the ingestion API's decision route): CONNECT, USAGE
 *   on `public`, and SELECT on the columns the route reads (DECISION_READER_COLUMNS), nothing else — no
 *   applicant data, no other table, no write.
 *
 * LOGIN with the given password. Idempotent; concurrent runs serialise on an advisory lock, and the
 * password follows the Secret on every run.
 */
import type pg from 'pg';

/** Advisory lock key of the role upkeep (an arbitrary constant, distinct from the migrator's). */
const READER_LOCK_KEY = 7_301_954_222;

/**
 * What GET /v1/applications/{id}/decision reads (workloads/ingestion-api/decisions.ts): the issued
 * record, its reason texts, and whether the application is known. The decision reader may SELECT these
 * columns and no others.
 */
export const DECISION_READER_COLUMNS = {
  decision_record: [
    'application_id',
    'revision',
    'decision',
    'reason_codes',
    'model_key',
    'model_checksum',
    'source',
    'issued_at',
  ],
  dim_reason_code: ['code', 'text'],
  fact_application: ['application_id'],
} as const;

/** Keeps `role` able to read the whole warehouse, and nothing more. */
export async function ensureReaderRole(
  client: pg.Client | pg.PoolClient,
  role: string,
  password: string,
): Promise<void> {
  await ensureLoginRole(client, role, password, [
    `format('GRANT SELECT ON ALL TABLES IN SCHEMA public TO %I', $1::text)`,
    `format('ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO %I', $1::text)`,
  ]);
}

/** Keeps `role` able to read what the decision route reads (DECISION_READER_COLUMNS), and nothing more. */
export async function ensureDecisionReaderRole(
  client: pg.Client | pg.PoolClient,
  role: string,
  password: string,
): Promise<void> {
  const grants = Object.entries(DECISION_READER_COLUMNS).map(
    ([table, columns]) =>
      `format('GRANT SELECT (${columns.map(() => '%I').join(', ')}) ON TABLE %I TO %I', ${columns
        .map((c) => `'${c}'`)
        .join(', ')}, '${table}', $1::text)`,
  );
  // Exactly these columns: whatever an earlier version granted goes first (in the same transaction).
  await ensureLoginRole(client, role, password, [
    `format('REVOKE ALL ON ALL TABLES IN SCHEMA public FROM %I', $1::text)`,
    ...grants,
  ]);
}

/** CREATE or ALTER the login role, CONNECT and USAGE on `public`, then `grants` (format() expressions of $1 = role). */
async function ensureLoginRole(
  client: pg.Client | pg.PoolClient,
  role: string,
  password: string,
  grants: readonly string[],
): Promise<void> {
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1)', [READER_LOCK_KEY]);
    const exists = (await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role])).rowCount === 1;
    const statements = [
      // A new role has no privileges but these grants; ALTER changes only what this function owns
      // (a role without SUPERUSER may not name superuser attributes in ALTER ROLE).
      exists
        ? `format('ALTER ROLE %I LOGIN PASSWORD %L', $1::text, $2::text)`
        : `format('CREATE ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD %L', $1::text, $2::text)`,
      `format('GRANT CONNECT ON DATABASE %I TO %I', current_database(), $1::text)`,
      `format('GRANT USAGE ON SCHEMA public TO %I', $1::text)`,
      ...grants,
    ];
    for (const statement of statements) {
      const params = statement.includes('$2') ? [role, password] : [role];
      const sql = (await client.query<{ sql: string }>(`SELECT ${statement} AS sql`, params)).rows[0]?.sql;
      if (sql !== undefined) await client.query(sql);
    }
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}
