/**
 * Fraud operations: is traffic coming in, is the detector keeping up, what is it finding.
 * For the on-call engineer and the fraud operations team.
 */
import { BigValueTextMode } from '@grafana/grafana-foundation-sdk/common';
import { DashboardBuilder, RowBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { cases, detector, ingestion, loader } from './metric-names.ts';
import { stat, table, timeSeries } from './panels.ts';
import {
  datasourceVariable,
  histogramQuantile,
  namespaceVariable,
  PROMETHEUS_PLUGIN,
  prom,
  promInstant,
  rateBy,
  sel,
} from './queries.ts';

export const FRAUD_OPERATIONS_UID = 'credit-fraud-operations';

export function fraudOperationsDashboard(): DashboardBuilder {
  return new DashboardBuilder('Credit platform / Fraud operations')
    .uid(FRAUD_OPERATIONS_UID)
    .description('Ingestion, fraud detection throughput and latency, consumer lag, alerts and dead letters.')
    .tags(['credit-platform', 'fraud'])
    .time({ from: 'now-1h', to: 'now' })
    .refresh('30s')
    .timezone('utc')
    .readonly()
    .withVariable(datasourceVariable(PROMETHEUS_PLUGIN, 'Prometheus'))
    .withVariable(namespaceVariable())

    .withRow(new RowBuilder('Ingestion'))
    .withPanel(
      timeSeries({
        title: 'Ingestion rate by outcome',
        description: 'Applications per second the ingestion API accepted (produced to Kafka) or rejected.',
        queries: [prom(rateBy(ingestion.applications, ['outcome']), '{{outcome}}')],
        unit: 'reqps',
        width: 8,
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Ingestion HTTP responses by status',
        description: 'Responses per second by HTTP status; 4xx are invalid submissions, 5xx are errors.',
        queries: [prom(rateBy(ingestion.httpRequests, ['status']), '{{status}}')],
        unit: 'reqps',
        width: 8,
        stacked: true,
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Rejected submissions by field',
        description:
          'Contract fields failing validation per second in submissions the API rejected (400), by field path.',
        queries: [prom(rateBy(ingestion.validationFailures, ['field']), '{{field}}')],
        unit: 'reqps',
        width: 8,
      }),
    )

    .withRow(new RowBuilder('Detection'))
    .withPanel(
      timeSeries({
        title: 'Detector throughput',
        description: 'Application events per second the fraud detector consumed and evaluated.',
        queries: [prom(rateBy(detector.eventsConsumed), 'events/s')],
        unit: 'reqps',
        width: 8,
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Dead-letter rate by reason',
        description:
          'Events per second on the applications topic that fail the contract (unparseable, schema-invalid), sent by the detector to the dead-letter topic with the reason.',
        queries: [prom(rateBy(detector.dlq, ['reason']), '{{reason}}')],
        unit: 'reqps',
        width: 8,
      }),
    )
    .withPanel(
      timeSeries({
        title: 'End-to-end latency',
        description:
          "Seconds from an application's submission (event time) to its fraud alert being written.",
        queries: [
          prom(histogramQuantile(0.5, detector.e2eLatency), 'p50'),
          prom(histogramQuantile(0.95, detector.e2eLatency), 'p95'),
          prom(histogramQuantile(0.99, detector.e2eLatency), 'p99'),
        ],
        unit: 's',
        width: 8,
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Consumer lag per partition',
        description:
          'Messages each partition is behind its high watermark, for the fraud detector and the warehouse loader.',
        queries: [
          prom(
            `max by (topic, partition) (${sel(detector.consumerLag)})`,
            'detector {{topic}}/{{partition}}',
          ),
          prom(`max by (topic, partition) (${sel(loader.consumerLag)})`, 'loader {{topic}}/{{partition}}'),
        ],
        unit: 'short',
        width: 8,
      }),
    )

    .withRow(new RowBuilder('Alerts'))
    .withPanel(
      timeSeries({
        title: 'Fraud alerts by rule and severity',
        description: 'Alerts per second raised by each active rule.',
        queries: [prom(rateBy(detector.alerts, ['rule', 'severity']), '{{rule}} ({{severity}})')],
        unit: 'reqps',
        width: 12,
        stacked: true,
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Shadow-rule hits',
        description: 'Hits per second of rules in shadow mode: evaluated on live traffic, raising no alert.',
        queries: [prom(rateBy(detector.shadowHits, ['rule']), '{{rule}}')],
        unit: 'reqps',
        width: 12,
      }),
    )
    .withPanel(
      table({
        title: 'Alerts in the last hour by severity',
        description: 'Count of fraud alerts raised in the last hour, per severity.',
        queries: [promInstant(`sum by (severity) (increase(${sel(detector.alerts)}[1h]))`, '{{severity}}')],
        width: 12,
        height: 6,
      }),
    )
    .withPanel(
      stat({
        title: 'Rule-set version',
        description: 'The fraud rule-set version each detector instance runs (should be one value).',
        queries: [promInstant(`count by (version) (${sel(detector.ruleSetInfo)})`, '{{version}}')],
        width: 12,
        height: 6,
      }).textMode(BigValueTextMode.Name),
    )
    .withPanel(
      timeSeries({
        title: 'Case queue by status',
        description:
          'Cases in the warehouse by status (open + investigating is the analysts’ backlog), read by the cases service at scrape time.',
        queries: [prom(`max by (status) (${sel(cases.byStatus)})`, '{{status}}')],
        unit: 'short',
        width: 12,
      }),
    );
}
