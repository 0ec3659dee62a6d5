/**
 * The cases service's Prometheus metrics. Per-rule precision and the queue's backlog are read from the
 * warehouse at scrape time (one query per scrape), so every replica reports the same truth and the
 * figures survive restarts. Labels carry rule ids, statuses and actions, never people or applications.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { Pool } from '../warehouse/db.ts';

export interface CasesMetrics {
  registry: Registry;
  casesOpened: Counter;
  alertsAdded: Counter;
  duplicateAlerts: Counter;
  shadowAlerts: Counter;
  invalidAlerts: Counter<'reason'>;
  batchDuration: Histogram;
  /** action: list, get, assign, note, status, precision; outcome: ok, unauthenticated, forbidden, invalid, not_found, conflict, unavailable, error. */
  actions: Counter<'action' | 'outcome'>;
}

export function createCasesMetrics(pool: Pool | null, registry = new Registry()): CasesMetrics {
  collectDefaultMetrics({ register: registry });
  if (pool !== null) registerWarehouseGauges(registry, pool);
  return {
    registry,
    casesOpened: new Counter({
      name: 'cases_opened_total',
      help: 'Cases opened from live alerts',
      registers: [registry],
    }),
    alertsAdded: new Counter({
      name: 'cases_alerts_added_total',
      help: 'Live alerts added to cases as evidence',
      registers: [registry],
    }),
    duplicateAlerts: new Counter({
      name: 'cases_duplicate_alerts_total',
      help: 'Live alerts already held by a case (replays, redeliveries): nothing written',
      registers: [registry],
    }),
    shadowAlerts: new Counter({
      name: 'cases_shadow_alerts_ignored_total',
      help: 'Shadow-mode alerts on the topic: they never open cases',
      registers: [registry],
    }),
    invalidAlerts: new Counter({
      name: 'cases_invalid_alerts_total',
      help: 'Messages on the alerts topic that are not valid alerts, by reason',
      labelNames: ['reason'],
      registers: [registry],
    }),
    batchDuration: new Histogram({
      name: 'cases_open_batch_duration_seconds',
      help: 'Seconds to open cases and add evidence for one batch of alerts (one transaction)',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    actions: new Counter({
      name: 'cases_api_requests_total',
      help: 'API requests by action and outcome',
      labelNames: ['action', 'outcome'],
      registers: [registry],
    }),
  };
}

interface PrecisionRow {
  rule_id: string;
  rule_version: string;
  precision: number | null;
  resolved: string;
}

function registerWarehouseGauges(registry: Registry, pool: Pool): void {
  let cache:
    | {
        at: number;
        rows: Promise<{ precision: PrecisionRow[]; status: Array<{ status: string; n: string }> }>;
      }
    | undefined;
  const rows = () => {
    const now = Date.now();
    if (cache === undefined || now - cache.at > 1000) {
      cache = {
        at: now,
        rows: Promise.all([
          pool.query<PrecisionRow>(
            'SELECT rule_id, rule_version, precision, resolved FROM rpt_rule_precision',
          ),
          pool.query<{ status: string; n: string }>(
            'SELECT status, count(*) AS n FROM fraud_case GROUP BY status',
          ),
        ]).then(
          ([p, s]) => ({ precision: p.rows, status: s.rows }),
          () => ({ precision: [], status: [] }),
        ),
      };
    }
    return cache.rows;
  };
  new Gauge({
    name: 'cases_rule_precision',
    help: 'Share of resolved alerts of the rule that analysts confirmed as fraud (from rpt_rule_precision); absent until one is resolved',
    labelNames: ['rule', 'rule_version'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const r of (await rows()).precision)
        if (r.precision !== null) this.set({ rule: r.rule_id, rule_version: r.rule_version }, r.precision);
    },
  });
  new Gauge({
    name: 'cases_rule_resolved_alerts',
    help: 'Alerts of the rule whose case has a verdict (the sample behind cases_rule_precision)',
    labelNames: ['rule', 'rule_version'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const r of (await rows()).precision)
        this.set({ rule: r.rule_id, rule_version: r.rule_version }, Number(r.resolved));
    },
  });
  new Gauge({
    name: 'cases_by_status',
    help: 'Cases in the warehouse by status (open + investigating is the backlog)',
    labelNames: ['status'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const s of ['open', 'investigating', 'confirmed_fraud', 'legitimate', 'inconclusive'])
        this.set({ status: s }, 0);
      for (const r of (await rows()).status) this.set({ status: r.status }, Number(r.n));
    },
  });
}
