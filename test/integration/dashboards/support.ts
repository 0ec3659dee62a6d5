/**
 * Helpers of the live-data test: the platform's programs as child processes
 * (`node --import tsx cli/main.ts <subcommand>`), scraped by the harness's Prometheus, and the
 * Prometheus HTTP API calls the test makes.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { logDir, repoRoot } from '../../../infra/lib/paths.ts';
import { waitUntil } from '../../../infra/lib/process.ts';
import { addScrapeTarget, removeScrapeTarget } from '../../../infra/lib/prometheus-targets.ts';
import { type PrometheusInfo, requireInfra } from '../../../infra/lib/state.ts';

export interface Workload {
  name: string;
  child: ChildProcess;
  logFile: string;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  /** Sends the signal (SIGTERM by default) unless it already exited; resolves once it has. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts `credit-platform <subcommand>` with `env` on top of this process's environment. */
export function startWorkload(
  name: string,
  subcommand: string,
  env: Record<string, string>,
  args: readonly string[] = [],
): Workload {
  mkdirSync(logDir, { recursive: true });
  const logFile = join(logDir, `${name}.log`);
  const out = createWriteStream(logFile, { flags: 'a' });
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(repoRoot, 'cli', 'main.ts'), subcommand, ...args],
    { cwd: repoRoot, env: { ...process.env, LOG_LEVEL: 'info', ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout?.pipe(out);
  child.stderr?.pipe(out);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    name,
    child,
    logFile,
    exited,
    stop: async (signal: NodeJS.Signals = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** Runs a subcommand to completion; throws with its log file when it exits non-zero. */
export async function runToCompletion(
  name: string,
  subcommand: string,
  env: Record<string, string>,
  args: readonly string[] = [],
): Promise<void> {
  const w = startWorkload(name, subcommand, env, args);
  const code = await w.exited;
  if (code !== 0) throw new Error(`${subcommand} exited with ${code}; see ${w.logFile}`);
}

/** Waits until `http://127.0.0.1:<port><path>` answers 200. */
export async function waitHttpOk(
  what: string,
  port: number,
  path: string,
  timeoutMs = 180_000,
): Promise<void> {
  await waitUntil(
    what,
    async () => (await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(2000) })).ok,
    { timeoutMs, intervalMs: 500 },
  );
}

/**
 * Makes the harness's Prometheus scrape a program the way prometheus-operator would in the cluster:
 * `job` is the Service name (`<pipeline>-<component>`), plus `namespace`, `service` and `pod`.
 */
export function scrape(
  target: string,
  port: number,
  labels: { pipeline: string; component: string; namespace: string },
): () => void {
  const service = `${labels.pipeline}-${labels.component}`;
  addScrapeTarget(target, [`127.0.0.1:${port}`], {
    job: service,
    service,
    namespace: labels.namespace,
    pod: `${service}-0`,
  });
  return () => removeScrapeTarget(target);
}

interface ApiResponse<T> {
  status: 'success' | 'error';
  errorType?: string;
  error?: string;
  data?: T;
}

async function api<T>(info: PrometheusInfo, path: string, params: Record<string, string> = {}): Promise<T> {
  const url = new URL(path, info.url);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  const res = await fetch(url, { signal: AbortSignal.timeout(15_000) });
  const body = (await res.json()) as ApiResponse<T>;
  if (body.status !== 'success' || body.data === undefined) {
    throw new Error(`${body.errorType ?? `HTTP ${res.status}`}: ${body.error ?? 'no data'}`);
  }
  return body.data;
}

export interface QueryResult {
  resultType: 'vector' | 'matrix' | 'scalar' | 'string';
  /** Series (vector, matrix) or a single [time, value] (scalar, string). */
  result: unknown[] | [number, string];
}

/** Evaluates PromQL now (`/api/v1/query`); Prometheus parses it first and reports a bad expression. */
export function query(expr: string, info: PrometheusInfo = requireInfra('prometheus')): Promise<QueryResult> {
  return api<QueryResult>(info, '/api/v1/query', { query: expr });
}

/** Evaluates PromQL over the last `seconds` (`/api/v1/query_range`), as a Grafana time-series panel does. */
export function queryRange(
  expr: string,
  seconds: number,
  stepSeconds: number,
  info: PrometheusInfo = requireInfra('prometheus'),
): Promise<QueryResult> {
  const end = Date.now() / 1000;
  return api<QueryResult>(info, '/api/v1/query_range', {
    query: expr,
    start: String(end - seconds),
    end: String(end),
    step: String(stepSeconds),
  });
}

export function isEmpty(r: QueryResult): boolean {
  return (r.resultType === 'vector' || r.resultType === 'matrix') && r.result.length === 0;
}

export interface ActiveAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: 'pending' | 'firing';
  value: string;
}

/** The alerts Prometheus evaluates as pending or firing right now (`/api/v1/alerts`). */
export async function activeAlerts(
  info: PrometheusInfo = requireInfra('prometheus'),
): Promise<ActiveAlert[]> {
  return (await api<{ alerts: ActiveAlert[] }>(info, '/api/v1/alerts')).alerts;
}

export interface RuleHealth {
  name: string;
  health: string;
  lastError?: string;
  type: string;
}

/** The rules of the rule groups loaded from `file` (`/api/v1/rules`), with their evaluation health. */
export async function rulesOfFile(
  file: string,
  info: PrometheusInfo = requireInfra('prometheus'),
): Promise<RuleHealth[]> {
  const data = await api<{ groups: { file: string; rules: RuleHealth[] }[] }>(info, '/api/v1/rules');
  return data.groups.filter((g) => g.file === file).flatMap((g) => g.rules);
}
