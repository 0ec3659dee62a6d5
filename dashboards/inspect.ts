/**
 * Reads the queries back out of built dashboards and rule groups, and expands the Grafana macros
 * they use, so tests (and people) can run them against Prometheus and the warehouse directly.
 */
import type { RuleGroup } from './alerts/rules.ts';
import { type DashboardJson, panelsOf } from './index.ts';
import { NAMESPACE_VARIABLE } from './queries.ts';

export interface PanelQuery {
  dashboard: string;
  panel: string;
  refId: string;
  /** PromQL or SQL, exactly as in the dashboard JSON. */
  query: string;
  /** Instant (Prometheus) or table (SQL) query. */
  instant: boolean;
}

export function promQueries(dashboards: Record<string, DashboardJson>): PanelQuery[] {
  return collect(
    dashboards,
    (t) => t.expr,
    (t) => t.instant === true,
  );
}

export function sqlQueries(dashboards: Record<string, DashboardJson>): PanelQuery[] {
  return collect(
    dashboards,
    (t) => t.rawSql,
    (t) => t.format === 'table',
  );
}

function collect(
  dashboards: Record<string, DashboardJson>,
  text: (t: { expr?: string; rawSql?: string }) => string | undefined,
  instant: (t: { instant?: boolean; format?: string }) => boolean,
): PanelQuery[] {
  const out: PanelQuery[] = [];
  for (const [name, dashboard] of Object.entries(dashboards)) {
    for (const panel of panelsOf(dashboard)) {
      for (const target of panel.targets ?? []) {
        const query = text(target);
        if (query === undefined) continue;
        out.push({
          dashboard: name,
          panel: panel.title ?? `#${panel.id}`,
          refId: target.refId,
          query,
          instant: instant(target),
        });
      }
    }
  }
  return out;
}

export interface AlertExpression {
  group: string;
  alert: string;
  expr: string;
}

export function alertExpressions(groups: readonly RuleGroup[]): AlertExpression[] {
  return groups.flatMap((g) => g.rules.map((r) => ({ group: g.name, alert: r.alert, expr: r.expr })));
}

/**
 * Replaces Grafana's PromQL interval macros with a fixed window, and the `$namespace` variable with a
 * regular expression (`.*` is Grafana's "All").
 */
export function expandPromMacros(expr: string, window: string, namespace = '.*'): string {
  const quoted = namespace.replaceAll('\\', '\\\\').replaceAll('"', '\\"');
  return expr
    .replaceAll('$__rate_interval', window)
    .replaceAll('$__interval', window)
    .replaceAll('$__range', window)
    .replaceAll(`$${NAMESPACE_VARIABLE}`, quoted);
}

/**
 * Replaces the Grafana PostgreSQL macros the SQL panels use with the literal SQL Grafana sends for
 * a time range ending now and starting `lookback` earlier (a PostgreSQL interval, e.g. `30 days`).
 */
export function expandSqlMacros(sql: string, lookback: string): string {
  const from = `(now() - interval '${lookback.replaceAll("'", "''")}')`;
  return sql
    .replaceAll(
      /\$__timeFilter\(([^)]+)\)/g,
      (_m, column: string) => `${column.trim()} BETWEEN ${from} AND now()`,
    )
    .replaceAll('$__timeFrom()', from)
    .replaceAll('$__timeTo()', 'now()');
}

/** Any Grafana macro or variable left after expansion (none may remain before running a query). */
export function unexpandedMacros(query: string): string[] {
  return query.match(/\$\{?\w+/g) ?? [];
}
