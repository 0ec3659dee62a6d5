/**
 * Run-time control of the harness's Prometheus (see infra/components/prometheus.ts): scrape targets
 * through file-based service discovery, rule files, reload, and instant PromQL queries.
 * Names must be unique per test file or demo run: each name is one file under the shared folders.
 */
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type PrometheusInfo, requireInfra } from './state.ts';

const namePattern = /^[A-Za-z0-9_.-]+$/;

function checkName(name: string): void {
  if (!namePattern.test(name)) throw new Error(`invalid name '${name}': use letters, digits, '_', '.', '-'`);
}

/** Writes a file so that Prometheus never reads it half-written (its glob does not match `.tmp`). */
function writeAtomically(path: string, text: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

/**
 * Scrapes `targets` (host:port, path /metrics) from the next service-discovery refresh (≤ 2 s) on.
 * The series get `job="<name>"` unless `labels` sets `job`; `__metrics_path__` and `__scheme__`
 * in `labels` change the path and scheme.
 */
export function addScrapeTarget(
  name: string,
  targets: readonly string[],
  labels: Readonly<Record<string, string>> = {},
  info: PrometheusInfo = requireInfra('prometheus'),
): void {
  checkName(name);
  if (targets.length === 0) throw new Error(`addScrapeTarget('${name}'): no targets`);
  const group = [{ targets: [...targets], labels: { job: name, ...labels } }];
  writeAtomically(join(info.fileSdDir, `${name}.json`), `${JSON.stringify(group, null, 2)}\n`);
}

/** Stops scraping what `addScrapeTarget(name, …)` added; no error if it is absent. */
export function removeScrapeTarget(name: string, info: PrometheusInfo = requireInfra('prometheus')): void {
  checkName(name);
  rmSync(join(info.fileSdDir, `${name}.json`), { force: true });
}

/** Installs a rule file (Prometheus rule-group YAML) and reloads Prometheus so it takes effect. */
export async function addRuleFile(
  name: string,
  yamlText: string,
  info: PrometheusInfo = requireInfra('prometheus'),
): Promise<void> {
  checkName(name);
  writeAtomically(join(info.rulesDir, `${name}.yml`), yamlText);
  await reloadPrometheus(info);
}

/** Removes a rule file added by `addRuleFile` and reloads Prometheus. */
export async function removeRuleFile(
  name: string,
  info: PrometheusInfo = requireInfra('prometheus'),
): Promise<void> {
  checkName(name);
  rmSync(join(info.rulesDir, `${name}.yml`), { force: true });
  await reloadPrometheus(info);
}

/** POST /-/reload: re-reads the configuration and rule files; throws with Prometheus's reason on failure. */
export async function reloadPrometheus(info: PrometheusInfo = requireInfra('prometheus')): Promise<void> {
  const res = await fetch(`${info.url}/-/reload`, { method: 'POST', signal: AbortSignal.timeout(10_000) });
  if (!res.ok) throw new Error(`Prometheus reload failed (HTTP ${res.status}): ${(await res.text()).trim()}`);
}

export interface InstantSample {
  metric: Record<string, string>;
  /** Sample value as a number (Prometheus sends it as a string). */
  value: number;
  /** Evaluation time, Unix seconds. */
  timestamp: number;
}

interface QueryResponse {
  status: 'success' | 'error';
  error?: string;
  data?: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] };
}

/** Evaluates an instant-vector PromQL query now (GET /api/v1/query). */
export async function instantQuery(
  promql: string,
  info: PrometheusInfo = requireInfra('prometheus'),
): Promise<InstantSample[]> {
  const url = `${info.url}/api/v1/query?query=${encodeURIComponent(promql)}`;
  const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  const body = (await res.json()) as QueryResponse;
  if (body.status !== 'success' || body.data === undefined)
    throw new Error(`PromQL query failed (HTTP ${res.status}): ${body.error ?? 'no data'}: ${promql}`);
  if (body.data.resultType !== 'vector')
    throw new Error(`expected an instant vector, got ${body.data.resultType}: ${promql}`);
  return body.data.result.map((r) => ({
    metric: r.metric,
    value: Number(r.value[1]),
    timestamp: r.value[0],
  }));
}
