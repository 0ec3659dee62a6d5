/**
 * Shared query factories: every panel's query is made here, so the datasource reference,
 * the query format and the PromQL idioms (rates, quantiles) are written once.
 */
import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import type * as common from '@grafana/grafana-foundation-sdk/common';
import {
  DatasourceVariableBuilder,
  QueryVariableBuilder,
  VariableRefresh,
} from '@grafana/grafana-foundation-sdk/dashboard';
import { DataqueryBuilder as PromQueryBuilder } from '@grafana/grafana-foundation-sdk/prometheus';
import { GRAFANA_POSTGRES_PLUGIN } from '../api/warehouse.ts';

/** The datasource plugin ids the dashboards use. */
export const PROMETHEUS_PLUGIN = 'prometheus';
export const POSTGRES_PLUGIN = GRAFANA_POSTGRES_PLUGIN;

/** Every panel and query points at the dashboard's `$datasource` variable. */
export const DATASOURCE_VARIABLE = 'datasource';
/** A second, PostgreSQL, variable for the warehouse panels of a Prometheus dashboard. */
export const WAREHOUSE_VARIABLE = 'warehouse';

export function datasourceRef(plugin: string, variable = DATASOURCE_VARIABLE): common.DataSourceRef {
  return { type: plugin, uid: `\${${variable}}` };
}

/** A datasource variable (`$datasource` unless named): a picker over the datasources of a plugin. */
export function datasourceVariable(
  plugin: string,
  label: string,
  variable = DATASOURCE_VARIABLE,
): DatasourceVariableBuilder {
  return new DatasourceVariableBuilder(variable).label(label).type(plugin);
}

// ---------------------------------------------------------------------------------------------
// PromQL

/** A range query (time series) with a legend. */
export function prom(expr: string, legend = '__auto'): PromQueryBuilder {
  return new PromQueryBuilder()
    .datasource(datasourceRef(PROMETHEUS_PLUGIN))
    .expr(expr)
    .legendFormat(legend)
    .range();
}

/** An instant query (stat panels, tables of the current state). */
export function promInstant(expr: string, legend = '__auto'): PromQueryBuilder {
  return new PromQueryBuilder()
    .datasource(datasourceRef(PROMETHEUS_PLUGIN))
    .expr(expr)
    .legendFormat(legend)
    .instant();
}

/** Grafana's rate window, which adapts to the scrape interval and the zoom level. */
export const RATE_WINDOW = '$__rate_interval';

/**
 * The `$namespace` variable: the Kubernetes namespaces (one per CreditPipeline, plus the operator's)
 * whose series the Prometheus panels show; "All" matches every series, labelled or not.
 */
export const NAMESPACE_VARIABLE = 'namespace';

export function namespaceVariable(): QueryVariableBuilder {
  return new QueryVariableBuilder(NAMESPACE_VARIABLE)
    .label('Namespace')
    .datasource(datasourceRef(PROMETHEUS_PLUGIN))
    .query('label_values(up, namespace)')
    .definition('label_values(up, namespace)')
    .refresh(VariableRefresh.OnTimeRangeChanged)
    .multi(true)
    .includeAll(true)
    .allValue('.*')
    .current({ text: 'All', value: '$__all' });
}

/** `metric{namespace=~"$namespace",<extra>}`: every Prometheus panel selector is scoped by `$namespace`. */
export function sel(metric: string, extra = ''): string {
  return `${metric}{namespace=~"$${NAMESPACE_VARIABLE}"${extra === '' ? '' : `,${extra}`}}`;
}

/** Per-second rate of a counter summed by the given labels (none: one series). */
export function rateBy(metric: string, by: readonly string[] = [], extra = ''): string {
  const grouping = by.length === 0 ? '' : ` by (${by.join(', ')})`;
  return `sum${grouping} (rate(${sel(metric, extra)}[${RATE_WINDOW}]))`;
}

/** A quantile of a prom-client histogram, aggregated over every instance. */
export function histogramQuantile(q: number, histogram: string, by: readonly string[] = []): string {
  const grouping = ['le', ...by].join(', ');
  return `histogram_quantile(${q}, sum by (${grouping}) (rate(${sel(`${histogram}_bucket`)}[${RATE_WINDOW}])))`;
}

// ---------------------------------------------------------------------------------------------
// SQL (grafana-postgresql-datasource); the SDK ships no builder for it, so this is the
// custom Dataquery variant its README describes.

export type SqlFormat = 'table' | 'time_series';

export interface SqlQuery {
  refId?: string;
  hide?: boolean;
  datasource?: common.DataSourceRef;
  rawSql: string;
  format: SqlFormat;
  rawQuery: true;
  editorMode: 'code';
  _implementsDataqueryVariant(): void;
}

export class SqlQueryBuilder implements cog.Builder<cog.Dataquery> {
  private readonly internal: SqlQuery;

  constructor(rawSql: string, format: SqlFormat, variable = DATASOURCE_VARIABLE) {
    this.internal = {
      datasource: datasourceRef(POSTGRES_PLUGIN, variable),
      rawSql,
      format,
      rawQuery: true,
      editorMode: 'code',
      _implementsDataqueryVariant() {},
    };
  }

  refId(refId: string): this {
    this.internal.refId = refId;
    return this;
  }

  build(): SqlQuery {
    return this.internal;
  }
}

/** A SQL query whose rows a table, bar or pie panel shows as they are. */
export function sqlTable(rawSql: string, variable = DATASOURCE_VARIABLE): SqlQueryBuilder {
  return new SqlQueryBuilder(rawSql, 'table', variable);
}

/** A SQL query returning `time`, `metric` and `value` columns, drawn as time series. */
export function sqlTimeSeries(rawSql: string, variable = DATASOURCE_VARIABLE): SqlQueryBuilder {
  return new SqlQueryBuilder(rawSql, 'time_series', variable);
}
