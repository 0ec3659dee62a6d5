/**
 * The delivery process's metrics: deliveries by outcome, attempts by result, attempt duration,
 * latency from detection to delivery, and the backlog and dead letters read from the outbox at
 * scrape time (so they survive restarts and agree across replicas). Labels: endpoint names only.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { Pool } from '../warehouse/db.ts';
import { backlog } from './outbox.ts';

export interface DeliveryMetrics {
  registry: Registry;
  enqueued: Counter<'endpoint'>;
  /** outcome: delivered, dead. */
  deliveries: Counter<'endpoint' | 'outcome'>;
  /** result: success, http_error, timeout, network_error. */
  attempts: Counter<'endpoint' | 'result'>;
  attemptDuration: Histogram<'endpoint'>;
  latency: Histogram<'endpoint'>;
  invalidAlerts: Counter<'reason'>;
}

export function createDeliveryMetrics(
  pool: Pool,
  endpoints: readonly string[],
  registry = new Registry(),
): DeliveryMetrics {
  collectDefaultMetrics({ register: registry });
  const m: DeliveryMetrics = {
    registry,
    enqueued: new Counter({
      name: 'alert_delivery_enqueued_total',
      help: 'Alerts queued for delivery (new outbox rows), by endpoint',
      labelNames: ['endpoint'],
      registers: [registry],
    }),
    deliveries: new Counter({
      name: 'alert_delivery_deliveries_total',
      help: 'Finished deliveries by endpoint and outcome (delivered, dead = attempts exhausted)',
      labelNames: ['endpoint', 'outcome'],
      registers: [registry],
    }),
    attempts: new Counter({
      name: 'alert_delivery_attempts_total',
      help: 'HTTP attempts by endpoint and result (success, http_error, timeout, network_error)',
      labelNames: ['endpoint', 'result'],
      registers: [registry],
    }),
    attemptDuration: new Histogram({
      name: 'alert_delivery_attempt_duration_seconds',
      help: 'Seconds one HTTP attempt took',
      labelNames: ['endpoint'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    latency: new Histogram({
      name: 'alert_delivery_latency_seconds',
      help: 'Seconds from the alert’s detection to its successful delivery',
      labelNames: ['endpoint'],
      buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800],
      registers: [registry],
    }),
    invalidAlerts: new Counter({
      name: 'alert_delivery_invalid_alerts_total',
      help: 'Messages on the alerts topic that are not valid alerts (skipped; the warehouse loader quarantines them)',
      labelNames: ['reason'],
      registers: [registry],
    }),
  };
  for (const e of endpoints) {
    for (const outcome of ['delivered', 'dead']) m.deliveries.inc({ endpoint: e, outcome }, 0);
    m.enqueued.inc({ endpoint: e }, 0);
  }
  let cache: { at: number; rows: ReturnType<typeof backlog> } | undefined;
  const rows = () => {
    if (cache === undefined || Date.now() - cache.at > 1000)
      cache = { at: Date.now(), rows: backlog(pool).catch(() => []) };
    return cache.rows;
  };
  const byStatus = (status: string) =>
    async function collect(this: Gauge<'endpoint'>) {
      this.reset();
      for (const e of endpoints) this.set({ endpoint: e }, 0);
      for (const r of await rows()) if (r.status === status) this.set({ endpoint: r.endpoint }, r.n);
    };
  new Gauge({
    name: 'alert_delivery_backlog',
    help: 'Alerts waiting for delivery (pending outbox rows, retries included), by endpoint',
    labelNames: ['endpoint'],
    registers: [registry],
    collect: byStatus('pending'),
  });
  new Gauge({
    name: 'alert_delivery_dead_letters',
    help: 'Alerts whose delivery gave up after the last attempt (dead outbox rows, with the last error), by endpoint',
    labelNames: ['endpoint'],
    registers: [registry],
    collect: byStatus('dead'),
  });
  return m;
}
