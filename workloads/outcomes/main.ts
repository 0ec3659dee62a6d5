/**
 * `credit-platform load-outcomes --file outcomes.csv`: loads loan performance outcomes into the
 * warehouse (`fact_loan_outcome`), all or nothing; see README.md.
 *
 *   --file PATH     the CSV (header application_id,outcome,horizon_months,observed_date; any order)
 *   --dry-run       check everything and count what would change, write nothing
 *   --source NAME   what `source_file` records (default: the file's base name)
 *   --json          print the report as JSON (default: lines of text)
 *
 * Env: DATABASE_URL. Exit status: 0 loaded (or a clean dry run), 1 the file was rejected (every bad
 * line printed on stderr as `FILE:LINE: reason`), 2 usage.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { Type } from '@sinclair/typebox';
import { LOAD_OUTCOMES_ENV } from '../../api/env.ts';
import { loadConfig } from '../../lib/config.ts';
import { createPool } from '../warehouse/db.ts';
import { type LoadReport, loadOutcomes } from './load.ts';
import { checkOutcomeFile } from './outcome-file.ts';

const USAGE = `usage: credit-platform load-outcomes --file outcomes.csv [--dry-run] [--source NAME] [--json]
  env DATABASE_URL: the warehouse`;

const LoadOutcomesConfig = Type.Object({
  databaseUrl: Type.String({ pattern: '^postgres(ql)?://' }),
});

export interface LoadOutcomesArgs {
  file: string;
  dryRun: boolean;
  source: string;
  json: boolean;
}

export class UsageError extends Error {}

export function parseLoadOutcomesArgs(argv: string[]): LoadOutcomesArgs {
  let values: { file?: string; 'dry-run'?: boolean; source?: string; json?: boolean; help?: boolean };
  try {
    values = parseArgs({
      args: argv,
      strict: true,
      options: {
        file: { type: 'string' },
        'dry-run': { type: 'boolean' },
        source: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean' },
      },
    }).values;
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  if (values.help) throw new UsageError('');
  if (values.file === undefined || values.file === '') throw new UsageError('--file is required');
  return {
    file: values.file,
    dryRun: values['dry-run'] ?? false,
    source: values.source ?? basename(values.file),
    json: values.json ?? false,
  };
}

/** The report as the terminal shows it: one line of counts, then what happened. */
export function formatReport(r: LoadReport): string {
  const counts = `${r.sourceFile}: ${r.rowsRead} rows read, ${r.valid} valid, ${r.rejected} rejected`;
  if (r.rejected > 0) return `${counts}; nothing written: fix the lines above and load the file again`;
  const changes = `${r.inserted} inserted, ${r.updated} updated, ${r.unchanged} unchanged`;
  return r.dryRun ? `${counts}; dry run, would write: ${changes}` : `${counts}; ${changes}`;
}

export async function run(argv: string[]): Promise<void> {
  let args: LoadOutcomesArgs;
  try {
    args = parseLoadOutcomesArgs(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`${err.message === '' ? '' : `${err.message}\n\n`}${USAGE}\n`);
    process.exitCode = err.message === '' ? 0 : 2;
    return;
  }
  const config = loadConfig(LoadOutcomesConfig, LOAD_OUTCOMES_ENV);
  let text: string;
  try {
    text = readFileSync(args.file, 'utf8');
  } catch (err) {
    process.stderr.write(`cannot read ${args.file}: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 2;
    return;
  }
  const checked = checkOutcomeFile(text, { today: new Date().toISOString().slice(0, 10) });
  const pool = createPool(config.databaseUrl, 1, 'credit-load-outcomes');
  try {
    const report = await loadOutcomes(pool, checked, { sourceFile: args.source, dryRun: args.dryRun });
    for (const e of report.errors) process.stderr.write(`${args.file}:${e.line}: ${e.reason}\n`);
    process.stdout.write(`${args.json ? JSON.stringify(report) : formatReport(report)}\n`);
    if (report.rejected > 0) process.exitCode = 1;
  } finally {
    await pool.end();
  }
}
