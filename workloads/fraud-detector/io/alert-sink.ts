/**
 * Writing alerts: MongoDB (insert-if-absent on the alert key) and the alerts topic (keyed by
 * applicationId, the JSON the warehouse loader reads), concurrently, each group-committed
 * (io/group-commit.ts: the alerts of every batch waiting share one insert and one produce request).
 * Callers commit their offsets only after `write` resolves, so an alert is never lost; a crash before
 * the commit replays the input and re-writes the same alerts, which the store's natural key and the
 * loader's alert key absorb.
 */
import type { FraudAlert } from '../../../api/alert.ts';
import type { DetectorMetrics } from '../metrics.ts';
import type { AlertStore } from './alert-store.ts';
import { type GroupCommit, groupCommit } from './group-commit.ts';
import type { OutMessage, OutputWriter } from './output-writer.ts';

export interface AlertSink {
  /**
   * `receipts[i]`: the receipt time (ms) of the application whose processing raised `alerts[i]` (for
   * a window alert, the one that completed the burst); the latency histogram measures from it.
   */
  write(alerts: readonly FraudAlert[], receipts: readonly number[]): Promise<void>;
}

/** The store's inserts, group-committed (one insertMany in flight; at most 2,000 alerts each). */
export function groupStoreWrites(store: AlertStore): GroupCommit<FraudAlert> {
  return groupCommit<FraudAlert>(
    async (alerts) => {
      await store.write(alerts);
    },
    { maxWeight: 2000 },
  );
}

export function createAlertSink(options: {
  store: GroupCommit<FraudAlert>;
  writer: OutputWriter;
  alertsTopic: string;
  metrics: DetectorMetrics;
}): AlertSink {
  const { store, writer, alertsTopic, metrics } = options;
  return {
    async write(alerts, receipts) {
      if (alerts.length === 0) return;
      const messages: OutMessage[] = alerts.map((a) => ({
        topic: alertsTopic,
        message: {
          key: a.applicationId,
          value: JSON.stringify(a),
          headers: { 'content-type': 'application/json', 'alert-mode': a.mode },
        },
      }));
      // Both must land before the caller commits; neither depends on the other.
      await Promise.all([store.add(alerts), writer.add(messages)]);
      const now = Date.now();
      alerts.forEach((a, i) => {
        if (a.mode === 'live') metrics.alerts.inc({ rule: a.ruleId, severity: a.severity });
        else metrics.shadowHits.inc({ rule: a.ruleId });
        const t = receipts[i];
        if (t !== undefined && Number.isFinite(t)) metrics.e2eLatency.observe(Math.max(0, (now - t) / 1000));
      });
    },
  };
}
