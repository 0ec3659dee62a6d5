/**
 * Versioned SQL migrations: `migrations/NNNN_name.sql`, applied in order, each in its own transaction
 * together with its row in `schema_migrations` (version, name, SHA-256 checksum).
 *
 * - Safe to re-run: applied versions are skipped.
 * - Never edits an applied migration: if an applied file's checksum changed, nothing runs and the
 *   error names the file (write a new migration instead).
 * - Concurrent runs (several Job pods, an init container per replica) serialise on a session-level
 *   advisory lock; the second run finds everything applied.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';

export const DEFAULT_MIGRATIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'migrations');
/** Advisory lock key of the migrator (an arbitrary constant: 'credit-warehouse-migrate'). */
export const MIGRATION_LOCK_KEY = 7_301_954_221;

export interface Migration {
  version: number;
  name: string;
  file: string;
  sql: string;
  checksum: string;
}

export interface MigrationReport {
  applied: Array<{ version: number; name: string; durationMs: number }>;
  alreadyApplied: number;
}

export class MigrationError extends Error {
  override name = 'MigrationError';
}

const FILE_PATTERN = /^(\d{4})_([a-z0-9_]+)\.sql$/;

export function readMigrations(dir = DEFAULT_MIGRATIONS_DIR): Migration[] {
  const migrations: Migration[] = [];
  for (const file of readdirSync(dir).sort()) {
    if (!file.endsWith('.sql')) continue;
    const m = FILE_PATTERN.exec(file);
    if (m === null) throw new MigrationError(`${file}: migration files are named NNNN_lower_snake.sql`);
    const sql = readFileSync(join(dir, file), 'utf8');
    migrations.push({
      version: Number(m[1]),
      name: m[2] as string,
      file,
      sql,
      checksum: createHash('sha256').update(sql).digest('hex'),
    });
  }
  for (let i = 1; i < migrations.length; i++) {
    if (migrations[i]?.version === migrations[i - 1]?.version)
      throw new MigrationError(`two migrations have version ${migrations[i]?.version}`);
  }
  return migrations;
}

export async function migrate(
  client: pg.Client | pg.PoolClient,
  migrations: Migration[] = readMigrations(),
): Promise<MigrationReport> {
  await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
  try {
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version     integer PRIMARY KEY,
      name        text NOT NULL,
      checksum    text NOT NULL,
      applied_at  timestamptz NOT NULL DEFAULT now(),
      duration_ms integer NOT NULL
    )`);
    const { rows } = await client.query<{ version: number; name: string; checksum: string }>(
      'SELECT version, name, checksum FROM schema_migrations ORDER BY version',
    );
    const applied = new Map(rows.map((r) => [r.version, r]));
    const known = new Map(migrations.map((m) => [m.version, m]));
    for (const m of migrations) {
      const a = applied.get(m.version);
      if (a !== undefined && a.checksum !== m.checksum)
        throw new MigrationError(
          `migration ${m.file} was changed after it was applied (checksum ${a.checksum.slice(0, 12)}… in the database, ${m.checksum.slice(0, 12)}… on disk); applied migrations never change: add a new migration`,
        );
    }
    for (const version of applied.keys()) {
      if (!known.has(version))
        throw new MigrationError(
          `the database has migration ${version} (${applied.get(version)?.name}) that this build does not know; refusing to run an older build's migrations against a newer schema`,
        );
    }
    const report: MigrationReport = { applied: [], alreadyApplied: applied.size };
    for (const m of migrations) {
      if (applied.has(m.version)) continue;
      const started = performance.now();
      await client.query('BEGIN');
      try {
        await client.query(m.sql);
        const durationMs = Math.round(performance.now() - started);
        await client.query(
          'INSERT INTO schema_migrations (version, name, checksum, duration_ms) VALUES ($1, $2, $3, $4)',
          [m.version, m.name, m.checksum, durationMs],
        );
        await client.query('COMMIT');
        report.applied.push({ version: m.version, name: m.name, durationMs });
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw new MigrationError(
          `migration ${m.file} failed: ${err instanceof Error ? err.message : String(err)}`,
        );
      }
    }
    return report;
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
  }
}
