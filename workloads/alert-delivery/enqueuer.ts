/**
 * The alerts topic → the outbox. Its own consumer group (workloads/shared/alert-stream.ts) picks the
 * endpoints that want each alert, inserts the rows insert-if-absent, and only then commits the
 * offsets. Detection never waits on delivery: the detector writes the topic and moves on; a slow or
 * dead receiver only grows the outbox.
 */
import type { Logger } from '../../lib/log.ts';
import { consumeAlerts, type RunningAlertStream } from '../shared/alert-stream.ts';
import type { KafkaConnection } from '../shared/kafka.ts';
import type { Pool } from '../warehouse/db.ts';
import type { ResolvedEndpoint } from './config.ts';
import type { DeliveryMetrics } from './metrics.ts';
import { enqueue } from './outbox.ts';
import { type AlertPayload, toPayload, wants } from './payload.ts';

export interface EnqueuerOptions {
  connection: KafkaConnection;
  pool: Pool;
  groupId: string;
  alertsTopic: string;
  endpoints: readonly ResolvedEndpoint[];
  metrics: DeliveryMetrics;
  log: Logger;
  onEnqueued: () => void;
}

export type RunningEnqueuer = RunningAlertStream;

export function startEnqueuer(opts: EnqueuerOptions): Promise<RunningEnqueuer> {
  const { pool, metrics } = opts;
  return consumeAlerts({
    connection: opts.connection,
    groupId: opts.groupId,
    alertsTopic: opts.alertsTopic,
    log: opts.log,
    onInvalid: (reason) => metrics.invalidAlerts.inc({ reason }),
    handle: async (alerts) => {
      const items: Array<{ endpoint: string; payload: AlertPayload }> = [];
      for (const a of alerts) {
        const payload = toPayload(a);
        for (const e of opts.endpoints) if (wants(e, payload)) items.push({ endpoint: e.name, payload });
      }
      const inserted = await enqueue(pool, items);
      for (const [endpoint, n] of inserted) metrics.enqueued.inc({ endpoint }, n);
      if (inserted.size > 0) opts.onEnqueued();
    },
  });
}
