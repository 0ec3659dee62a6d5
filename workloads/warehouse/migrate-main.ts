/**
 * `credit-platform migrate`: applies the warehouse migrations and exits (run it as a Job, a Helm
 * hook or an init container; safe to run many times and concurrently).
 * Env: DATABASE_URL (required), MIGRATIONS_DIR (optional, default: the migrations shipped with the build),
 * WAREHOUSE_READER_PASSWORD (optional: then the read-only role is kept too, reader-role.ts),
 * WAREHOUSE_DECISION_READER_PASSWORD (optional: then the ingestion API's decision reader role is kept).
 */
import { Type } from '@sinclair/typebox';
import pg from 'pg';
import { MIGRATE_ENV } from '../../api/env.ts';
import { WAREHOUSE_DECISION_READER, WAREHOUSE_READER } from '../../api/warehouse.ts';
import { loadConfig } from '../../lib/config.ts';
import { createLogger } from '../../lib/log.ts';
import { DEFAULT_MIGRATIONS_DIR, migrate, readMigrations } from './migrate.ts';
import { ensureDecisionReaderRole, ensureReaderRole } from './reader-role.ts';

const MigrateConfig = Type.Object({
  databaseUrl: Type.String({ pattern: '^postgres(ql)?://' }),
  migrationsDir: Type.String({ default: DEFAULT_MIGRATIONS_DIR }),
  readerPassword: Type.Optional(Type.String({ minLength: 16 })),
  decisionReaderPassword: Type.Optional(Type.String({ minLength: 16 })),
});

export async function run(argv: string[]): Promise<void> {
  const log = createLogger('migrate');
  const config = loadConfig(MigrateConfig, MIGRATE_ENV);
  const dryRun = argv.includes('--list');
  const migrations = readMigrations(config.migrationsDir);
  if (dryRun) {
    for (const m of migrations) process.stdout.write(`${m.file}\t${m.checksum}\n`);
    return;
  }
  const client = new pg.Client({ connectionString: config.databaseUrl, application_name: 'credit-migrate' });
  await client.connect();
  try {
    const report = await migrate(client, migrations);
    for (const a of report.applied)
      log.info({ version: a.version, name: a.name, durationMs: a.durationMs }, 'applied migration');
    log.info(
      { applied: report.applied.length, alreadyApplied: report.alreadyApplied },
      'warehouse schema up to date',
    );
    if (config.readerPassword !== undefined) {
      await ensureReaderRole(client, WAREHOUSE_READER, config.readerPassword);
      log.info({ role: WAREHOUSE_READER }, 'read-only role up to date');
    }
    if (config.decisionReaderPassword !== undefined) {
      await ensureDecisionReaderRole(client, WAREHOUSE_DECISION_READER, config.decisionReaderPassword);
      log.info({ role: WAREHOUSE_DECISION_READER }, 'decision reader role up to date');
    }
  } finally {
    await client.end();
  }
}
