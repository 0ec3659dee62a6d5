/** The decision service's Prometheus metrics. No personal data in labels. */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export interface DecisionMetrics {
  registry: Registry;
  /** decision: approve, refer, decline; issued: true for a new record, false for one already standing. */
  decisions: Counter<'decision' | 'issued'>;
  latency: Histogram;
  invalid: Counter<'topic'>;
  pending: Gauge;
  oldestPendingSeconds: Gauge;
  consumerLag: Gauge<'topic' | 'partition'>;
  /** Where the pending gauges read from at scrape time. */
  setPendingSource(read: () => { pending: number; oldestMs: number }): void;
}

export function createDecisionMetrics(registry = new Registry()): DecisionMetrics {
  collectDefaultMetrics({ register: registry });
  const r = [registry];
  let read = () => ({ pending: 0, oldestMs: 0 });
  return {
    registry,
    decisions: new Counter({
      name: 'decision_service_decisions_total',
      help: 'Decisions published, by outcome; issued="true" when this service issued the record, "false" when it re-published one already standing (a replay, a batch run that came first)',
      labelNames: ['decision', 'issued'],
      registers: r,
    }),
    latency: new Histogram({
      name: 'decision_service_latency_seconds',
      help: 'Seconds from the server’s receipt of the application (receivedAt) to its decision written to the warehouse and the decisions topic',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: r,
    }),
    invalid: new Counter({
      name: 'decision_service_invalid_messages_total',
      help: 'Applications and verdict parts skipped because they are not valid (an unreadable verdicts record counts as one), by topic role',
      labelNames: ['topic'],
      registers: r,
    }),
    pending: new Gauge({
      name: 'decision_service_pending_applications',
      help: 'Applications seen and not yet decided (waiting for verdict parts or the application)',
      registers: r,
      collect() {
        this.set(read().pending);
      },
    }),
    oldestPendingSeconds: new Gauge({
      name: 'decision_service_oldest_pending_seconds',
      help: 'Age (since receipt) of the oldest application not yet decided',
      registers: r,
      collect() {
        this.set(read().oldestMs / 1000);
      },
    }),
    consumerLag: new Gauge({
      name: 'decision_service_consumer_lag',
      help: 'Messages behind the partition’s high watermark',
      labelNames: ['topic', 'partition'],
      registers: r,
    }),
    setPendingSource(fn) {
      read = fn;
    },
  };
}
