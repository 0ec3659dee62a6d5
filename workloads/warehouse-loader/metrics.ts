/** The loader's Prometheus metrics (names listed in dashboards/metric-names.ts). */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export interface LoaderMetrics {
  registry: Registry;
  rowsWritten: Counter<'table'>;
  duplicates: Counter<'table'>;
  quarantined: Counter<'topic' | 'reason'>;
  batches: Counter<'topic' | 'outcome'>;
  batchDuration: Histogram<'topic'>;
  consumerLag: Gauge<'topic' | 'partition'>;
}

export function createLoaderMetrics(registry = new Registry()): LoaderMetrics {
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    rowsWritten: new Counter({
      name: 'warehouse_loader_rows_written_total',
      help: 'Rows written to the warehouse, by table',
      labelNames: ['table'],
      registers: [registry],
    }),
    duplicates: new Counter({
      name: 'warehouse_loader_duplicates_total',
      help: 'Messages whose natural key was already in the warehouse (replays, producer retries), by table',
      labelNames: ['table'],
      registers: [registry],
    }),
    quarantined: new Counter({
      name: 'warehouse_loader_quarantined_total',
      help: 'Messages that could not be loaded and went to the quarantine table, by topic and reason',
      labelNames: ['topic', 'reason'],
      registers: [registry],
    }),
    batches: new Counter({
      name: 'warehouse_loader_batches_total',
      help: 'Kafka batches handled, by outcome (written, already_loaded, seek_back, error)',
      labelNames: ['topic', 'outcome'],
      registers: [registry],
    }),
    batchDuration: new Histogram({
      name: 'warehouse_loader_batch_duration_seconds',
      help: 'Seconds to write one batch and its offsets in one transaction',
      labelNames: ['topic'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    consumerLag: new Gauge({
      name: 'warehouse_loader_consumer_lag',
      help: 'Messages behind the partition high watermark after the last batch',
      labelNames: ['topic', 'partition'],
      registers: [registry],
    }),
  };
}
