/**
 * The warehouse's read-only role (api/warehouse.ts WAREHOUSE_READER): LOGIN with the given password,
 * CONNECT on the database, USAGE on `public`, SELECT on every table and view there now and on those
 * later migrations create (default privileges of the migrating role). Idempotent; concurrent runs
 * serialise on an advisory lock, and the password follows the Secret on every run.
 */
import type pg from 'pg';

/** Advisory lock key of the role upkeep (an arbitrary constant, distinct from the migrator's). */
const READER_LOCK_KEY = 7_301_954_222;

export async function ensureReaderRole(
  client: pg.Client | pg.PoolClient,
  role: string,
  password: string,
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
      `format('GRANT SELECT ON ALL TABLES IN SCHEMA public TO %I', $1::text)`,
      `format('ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO %I', $1::text)`,
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
