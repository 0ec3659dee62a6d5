/**
 * Platform health: the operator's reconcile loop, the scoring runs and what every pod uses.
 * For the platform team.
 */
import { DashboardBuilder, RowBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { anyPrefix, operator, process_, scoring } from './metric-names.ts';
import { table, timeSeries } from './panels.ts';
import {
  datasourceVariable,
  histogramQuantile,
  NAMESPACE_VARIABLE,
  namespaceVariable,
  POSTGRES_PLUGIN,
  PROMETHEUS_PLUGIN,
  prom,
  promInstant,
  RATE_WINDOW,
  rateBy,
  sel,
  sqlTable,
  sqlTimeSeries,
  WAREHOUSE_VARIABLE,
} from './queries.ts';

export const PLATFORM_HEALTH_UID = 'credit-platform-health';

/** The labels that name one pod: `pod` in Kubernetes, `instance` on a plain host. */
const POD = ['job', 'pod', 'instance'];
const POD_LEGEND = '{{job}} {{pod}} {{instance}}';

export function platformHealthDashboard(): DashboardBuilder {
  return new DashboardBuilder('Credit platform / Platform health')
    .uid(PLATFORM_HEALTH_UID)
    .description('Operator reconciles and work queue, scoring runs, and per-pod resource use.')
    .tags(['credit-platform', 'platform'])
    .time({ from: 'now-3h', to: 'now' })
    .refresh('1m')
    .timezone('utc')
    .readonly()
    .withVariable(datasourceVariable(PROMETHEUS_PLUGIN, 'Prometheus'))
    .withVariable(namespaceVariable())
    .withVariable(datasourceVariable(POSTGRES_PLUGIN, 'Warehouse', WAREHOUSE_VARIABLE))

    .withRow(new RowBuilder('Operator'))
    .withPanel(
      timeSeries({
        title: 'Reconciles by result',
        description: 'CreditPipeline reconciles per second, by result.',
        queries: [prom(rateBy(operator.reconciles, ['result']), '{{result}}')],
        unit: 'ops',
        width: 6,
        stacked: true,
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Reconcile errors',
        description:
          'Reconciles per second that ended in an error (retried with back-off), by the step that failed.',
        queries: [prom(rateBy(operator.reconcileErrors, ['step']), '{{step}}')],
        unit: 'ops',
        width: 6,
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Reconcile duration p99',
        description: '99th percentile of the time one reconcile takes.',
        queries: [prom(histogramQuantile(0.99, operator.reconcileDuration), 'p99')],
        unit: 's',
        width: 6,
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Work queue depth',
        description: 'CreditPipeline keys waiting in the operator work queue.',
        queries: [prom(`max(${sel(operator.queueDepth)})`, 'depth')],
        unit: 'short',
        width: 6,
      }),
    )
    .withPanel(
      table({
        title: 'CreditPipeline conditions',
        description:
          'Every condition of the CreditPipelines in the selected namespaces, as the operator reports them (status and reason); `kubectl describe creditpipeline` has the messages.',
        queries: [
          promInstant(
            `max by (pipeline_namespace, pipeline, type, status, reason) (${operator.pipelineCondition}{pipeline_namespace=~"$${NAMESPACE_VARIABLE}"})`,
          ),
        ],
        width: 24,
        height: 8,
      }),
    )

    .withRow(new RowBuilder('Scoring runs'))
    .withPanel(
      timeSeries({
        title: 'Scoring run duration',
        description:
          'Wall time of each scoring run (all partitions of the Indexed Job, per model), from the warehouse table scoring_run.',
        queries: [
          sqlTimeSeries(
            `SELECT max(finished_at) AS "time", model_key AS "metric",
       extract(epoch FROM max(finished_at) - min(started_at)) AS "value"
FROM scoring_run
WHERE finished_at IS NOT NULL AND $__timeFilter(finished_at)
GROUP BY run_id, model_key
ORDER BY 1`,
            WAREHOUSE_VARIABLE,
          ),
        ],
        unit: 's',
        width: 8,
      }),
    )
    .withPanel(
      table({
        title: 'Scoring runs by outcome',
        description:
          'Scoring runs in the time range by model and outcome (a run failed when any partition failed), from scoring_run.',
        queries: [
          sqlTable(
            `WITH runs AS (
  SELECT run_id, model_key,
         CASE WHEN bool_or(status = 'failed') THEN 'failed'
              WHEN bool_or(status = 'running') THEN 'running'
              ELSE 'succeeded' END AS outcome
  FROM scoring_run
  WHERE $__timeFilter(started_at)
  GROUP BY run_id, model_key
)
SELECT model_key, outcome, count(*) AS runs
FROM runs
GROUP BY model_key, outcome
ORDER BY model_key, outcome`,
            WAREHOUSE_VARIABLE,
          ),
        ],
        width: 8,
      }),
    )
    .withPanel(
      table({
        title: 'Since the last successful scoring run',
        description:
          'Per model: time since its last run finished with every partition succeeded (exported by the warehouse loader).',
        queries: [
          promInstant(`max by (model, role) (time() - ${sel(scoring.lastSuccess)})`, '{{model}} ({{role}})'),
        ],
        unit: 's',
        width: 8,
      }),
    )

    .withRow(new RowBuilder('Resources per pod'))
    .withPanel(
      timeSeries({
        title: 'CPU per pod',
        description: 'CPU cores each program uses (process CPU seconds per second).',
        queries: [
          prom(
            `sum by (${POD.join(', ')}) (rate(${sel('', anyPrefix(process_.cpuSeconds))}[${RATE_WINDOW}]))`,
            POD_LEGEND,
          ),
        ],
        unit: 'short',
        width: 8,
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Resident memory per pod',
        description: 'Resident set size of each program.',
        queries: [
          prom(`sum by (${POD.join(', ')}) (${sel('', anyPrefix(process_.residentMemory))})`, POD_LEGEND),
        ],
        unit: 'bytes',
        width: 8,
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Event-loop lag p99 per pod',
        description: 'How long the Node.js event loop was blocked (99th percentile); high means CPU-starved.',
        queries: [
          prom(`max by (${POD.join(', ')}) (${sel('', anyPrefix(process_.eventLoopLagP99))})`, POD_LEGEND),
        ],
        unit: 's',
        width: 8,
      }),
    );
}
