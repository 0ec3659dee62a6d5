/**
 * Shared panel factories: the few panel shapes the dashboards use, with their defaults in one place.
 * Each takes the panel's title, a description for the reader and its queries.
 */
import { PanelBuilder as BarChartBuilder } from '@grafana/grafana-foundation-sdk/barchart';
import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import {
  GraphThresholdsStyleConfigBuilder,
  GraphThresholdsStyleMode,
  LegendDisplayMode,
  LegendPlacement,
  StackingConfigBuilder,
  StackingMode,
  VizLegendOptionsBuilder,
} from '@grafana/grafana-foundation-sdk/common';
import { ThresholdsConfigBuilder, ThresholdsMode } from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as StatBuilder } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as TableBuilder } from '@grafana/grafana-foundation-sdk/table';
import { PanelBuilder as TimeSeriesBuilder } from '@grafana/grafana-foundation-sdk/timeseries';

type Query = cog.Builder<cog.Dataquery>;

export interface PanelSpec {
  title: string;
  description: string;
  queries: readonly Query[];
  /** Grafana unit id, e.g. `reqps`, `s`, `short`, `percentunit`, `bytes`. */
  unit?: string;
  /** Width in grid columns (24 is the whole row). */
  width?: number;
  height?: number;
}

/** Queries get refIds A, B, C… in the order given. */
function withRefIds(queries: readonly Query[]): Query[] {
  return queries.map((q, i) => ({ build: () => ({ ...q.build(), refId: String.fromCharCode(65 + i) }) }));
}

function legendBottom(): VizLegendOptionsBuilder {
  return new VizLegendOptionsBuilder()
    .displayMode(LegendDisplayMode.List)
    .placement(LegendPlacement.Bottom)
    .showLegend(true);
}

/** What every panel builder has: the settings each factory sets the same way. */
interface PanelBase<B> {
  title(title: string): B;
  description(description: string): B;
  targets(targets: Query[]): B;
  unit(unit: string): B;
  span(span: number): B;
  height(height: number): B;
}

/** Title, description, queries, unit and size, with the shape's default size. */
function common<B extends PanelBase<B>>(panel: B, spec: PanelSpec, width: number, height: number): B {
  return panel
    .title(spec.title)
    .description(spec.description)
    .targets(withRefIds(spec.queries))
    .unit(spec.unit ?? 'short')
    .span(spec.width ?? width)
    .height(spec.height ?? height);
}

/** Green below `value`, red from it; time series draw it as a dashed line. */
function thresholds(value: number): ThresholdsConfigBuilder {
  return new ThresholdsConfigBuilder().mode(ThresholdsMode.Absolute).steps([
    { value: null, color: 'green' },
    { value, color: 'red' },
  ]);
}

export function timeSeries(spec: PanelSpec & { stacked?: boolean; threshold?: number }): TimeSeriesBuilder {
  const panel = common(new TimeSeriesBuilder(), spec, 12, 8).fillOpacity(10).legend(legendBottom());
  if (spec.stacked === true) panel.stacking(new StackingConfigBuilder().mode(StackingMode.Normal));
  if (spec.threshold !== undefined) {
    panel
      .thresholds(thresholds(spec.threshold))
      .thresholdsStyle(new GraphThresholdsStyleConfigBuilder().mode(GraphThresholdsStyleMode.Dashed));
  }
  return panel;
}

export function stat(spec: PanelSpec): StatBuilder {
  return common(new StatBuilder(), spec, 6, 4);
}

export function table(spec: PanelSpec): TableBuilder {
  return common(new TableBuilder(), spec, 12, 8);
}

export function barChart(spec: PanelSpec & { xField: string; stacked?: boolean }): BarChartBuilder {
  const panel = common(new BarChartBuilder(), spec, 12, 8).xField(spec.xField).legend(legendBottom());
  if (spec.stacked === true) panel.stacking(StackingMode.Normal);
  return panel;
}
