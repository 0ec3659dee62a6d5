/** Helpers of the outcome tests: applications seeded through the loader's writer, the CLI as a process. */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { ApplicationEvent } from '../../../workloads/contract/application.ts';
import type { Pool } from '../../../workloads/warehouse/db.ts';
import { parseAlertMessage, parseApplicationMessage } from '../../../workloads/warehouse-loader/rows.ts';
import { writeBatch } from '../../../workloads/warehouse-loader/writer.ts';
import { rng, syntheticApplication } from '../warehouse/support.ts';

const REPO = join(import.meta.dirname, '..', '..', '..');
const PARSERS = { applications: parseApplicationMessage, alerts: parseAlertMessage };

/** A stable application id for index i. */
export const appId = (i: number): string => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;

/** Loads n synthetic applications (ids appId(0..n-1), submitted in October 2026) through the loader's writer. */
export async function seedApplications(pool: Pool, n: number, seed = 42): Promise<ApplicationEvent[]> {
  const r = rng(seed);
  const apps = Array.from({ length: n }, (_, i) => syntheticApplication(r, { applicationId: appId(i) }));
  await writeBatch(
    pool,
    {
      groupId: 'seed',
      topic: 'apps',
      partition: 0,
      kind: 'applications',
      fetchedOffset: '0',
      messages: apps.map((a, i) => ({ offset: String(i), key: null, value: Buffer.from(JSON.stringify(a)) })),
    },
    PARSERS,
  );
  return apps;
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `credit-platform <subcommand> args` as a child process of this checkout. */
export function runCli(subcommand: string, args: string[], env: Record<string, string>): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'cli/main.ts', subcommand, ...args], {
      cwd: REPO,
      env: { ...process.env, LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}
