/** The detector's Prometheus metrics (names listed in dashboards/metric-names.ts). No personal data in labels. */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export interface DetectorMetrics {
  registry: Registry;
  eventsConsumed: Counter;
  alerts: Counter<'rule' | 'severity'>;
  shadowHits: Counter<'rule'>;
  e2eLatency: Histogram;
  consumerLag: Gauge<'topic' | 'partition'>;
  ruleSetInfo: Gauge<'version'>;
  ruleReloads: Counter<'result'>;
  dlq: Counter<'reason'>;
  lateEvents: Counter;
  beyondHorizon: Counter;
  duplicates: Counter;
  forcedEvictions: Counter;
  stateKeys: Gauge;
  stateEntries: Gauge;
  replayedMessages: Counter;
  storeFeatureSkipped: Gauge<'feature'>;
  verdictParts: Counter<'stage'>;
  writeFailures: Counter<'stage'>;
  /** Where the state gauges read from at scrape time (the window stage's partitions). */
  setStateSource(read: () => WindowStateSize): void;
}

/** Keys and applications held in window state. */
export interface WindowStateSize {
  keys: number;
  entries: number;
}

export function createDetectorMetrics(registry = new Registry()): DetectorMetrics {
  collectDefaultMetrics({ register: registry });
  const r = [registry];
  let readState: () => WindowStateSize = () => ({ keys: 0, entries: 0 });
  return {
    registry,
    verdictParts: new Counter({
      name: 'fraud_detector_verdict_parts_total',
      help: 'Verdict parts published (api/verdict.ts), by stage (source: one per valid application; window: one per application and window key)',
      labelNames: ['stage'],
      registers: r,
    }),
    eventsConsumed: new Counter({
      name: 'fraud_detector_events_consumed_total',
      help: 'Application events consumed and evaluated',
      registers: r,
    }),
    alerts: new Counter({
      name: 'fraud_detector_alerts_total',
      help: 'Live fraud alerts raised, by rule and severity',
      labelNames: ['rule', 'severity'],
      registers: r,
    }),
    shadowHits: new Counter({
      name: 'fraud_detector_shadow_hits_total',
      help: 'Hits of shadow rules (recorded, not alerting), by rule',
      labelNames: ['rule'],
      registers: r,
    }),
    e2eLatency: new Histogram({
      name: 'fraud_detector_e2e_latency_seconds',
      help: 'Seconds from the server’s receipt of the application that raised the alert (receivedAt; for a window alert, the one that completed the burst) to the alert being written',
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers: r,
    }),
    consumerLag: new Gauge({
      name: 'fraud_detector_consumer_lag',
      help: 'Messages behind the partition high watermark after the last batch',
      labelNames: ['topic', 'partition'],
      registers: r,
    }),
    ruleSetInfo: new Gauge({
      name: 'fraud_detector_ruleset_info',
      help: 'The rule-set version in force (value 1)',
      labelNames: ['version'],
      registers: r,
    }),
    ruleReloads: new Counter({
      name: 'fraud_detector_rule_reloads_total',
      help: 'Rule-file loads, by result (applied, rejected, unchanged)',
      labelNames: ['result'],
      registers: r,
    }),
    dlq: new Counter({
      name: 'fraud_detector_dlq_messages_total',
      help: 'Events the detector sent to the dead-letter topic, by reason',
      labelNames: ['reason'],
      registers: r,
    }),
    lateEvents: new Counter({
      name: 'fraud_detector_late_events_total',
      help: 'Applications that reached the window stage more than allowedLateness behind their partition’s receipt clock with a window time near the horizon (evaluated against the state left)',
      registers: r,
    }),
    beyondHorizon: new Counter({
      name: 'fraud_detector_beyond_horizon_total',
      help: 'Applications submitted more than the event-time horizon before their receipt: per-application rules only, recorded on the dead-letter topic (reason beyond-horizon)',
      registers: r,
    }),
    duplicates: new Counter({
      name: 'fraud_detector_duplicate_events_total',
      help: 'Re-published applications already in their key’s window state (ignored)',
      registers: r,
    }),
    forcedEvictions: new Counter({
      name: 'fraud_detector_state_forced_evictions_total',
      help: 'Window entries dropped by the per-key or per-partition caps before expiring',
      registers: r,
    }),
    stateKeys: new Gauge({
      name: 'fraud_detector_state_keys',
      help: 'Keys held in window state',
      registers: r,
      collect() {
        this.set(readState().keys);
      },
    }),
    stateEntries: new Gauge({
      name: 'fraud_detector_state_entries',
      help: 'Applications held in window state',
      registers: r,
      collect() {
        this.set(readState().entries);
      },
    }),
    replayedMessages: new Counter({
      name: 'fraud_detector_replayed_messages_total',
      help: 'Repartition messages replayed to rebuild window state after an assignment',
      registers: r,
    }),
    writeFailures: new Counter({
      name: 'fraud_detector_write_failures_total',
      help: 'Times a batch’s writes (Kafka output or alert store) failed, by stage: nothing more of the partition is committed, it is read again from its last commit (the window stage rebuilds its state from the checkpoint)',
      labelNames: ['stage'],
      registers: r,
    }),
    storeFeatureSkipped: new Gauge({
      name: 'fraud_detector_store_feature_skipped',
      help: 'Alert-store features the server does not support and that were skipped (value 1)',
      labelNames: ['feature'],
      registers: r,
    }),
    setStateSource(read) {
      readState = read;
    },
  };
}
