/**
 * The alerts topic → cases. A consumer group of its own (workloads/shared/alert-stream.ts) hands each
 * batch of valid alerts to `openCasesFromAlerts`, one transaction per batch, and commits the Kafka
 * offsets only after it: a crash replays the batch, and the natural keys (application_id, alert_id)
 * make the replay change nothing.
 */
import type { Logger } from '../../lib/log.ts';
import { consumeAlerts, type RunningAlertStream } from '../shared/alert-stream.ts';
import type { KafkaConnection } from '../shared/kafka.ts';
import type { Pool } from '../warehouse/db.ts';
import type { CasesMetrics } from './metrics.ts';
import { openCasesFromAlerts } from './store.ts';

export interface OpenerOptions {
  connection: KafkaConnection;
  pool: Pool;
  groupId: string;
  alertsTopic: string;
  log: Logger;
  metrics: CasesMetrics;
  sessionTimeoutMs?: number;
}

export type RunningOpener = RunningAlertStream;

export function startCaseOpener(opts: OpenerOptions): Promise<RunningOpener> {
  const { pool, metrics } = opts;
  return consumeAlerts({
    connection: opts.connection,
    groupId: opts.groupId,
    alertsTopic: opts.alertsTopic,
    log: opts.log,
    ...(opts.sessionTimeoutMs === undefined ? {} : { sessionTimeoutMs: opts.sessionTimeoutMs }),
    onInvalid: (reason) => metrics.invalidAlerts.inc({ reason }),
    handle: async (alerts) => {
      const end = metrics.batchDuration.startTimer();
      const outcome = await openCasesFromAlerts(pool, alerts);
      end();
      metrics.casesOpened.inc(outcome.opened);
      metrics.alertsAdded.inc(outcome.alertsAdded);
      metrics.duplicateAlerts.inc(outcome.duplicates);
      metrics.shadowAlerts.inc(alerts.filter((a) => a.mode === 'shadow').length);
    },
  });
}
