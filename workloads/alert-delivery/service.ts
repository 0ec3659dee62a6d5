/**
 * The delivery process as a library: the enqueuer (alerts topic → outbox), the sender (outbox →
 * webhooks) and the ops server. `close()` stops consuming, lets requests in flight finish and be
 * recorded, then disconnects; anything still pending stays in the outbox for the next process.
 */
import type { AddressInfo } from 'node:net';
import { createLogger, type Logger } from '../../lib/log.ts';
import { startOpsServer } from '../../lib/ops-server.ts';
import { kafkaConnection } from '../shared/kafka.ts';
import { createPool } from '../warehouse/db.ts';
import { type DeliveryConfig, deliveryGroupId, type ResolvedEndpoint } from './config.ts';
import { startEnqueuer } from './enqueuer.ts';
import { createDeliveryMetrics, type DeliveryMetrics } from './metrics.ts';
import { startSender } from './sender.ts';

export interface DeliveryHandle {
  opsPort: number;
  metrics: DeliveryMetrics;
  close(): Promise<void>;
}

export async function startAlertDelivery(
  config: DeliveryConfig,
  endpoints: readonly ResolvedEndpoint[],
  options: { log?: Logger } = {},
): Promise<DeliveryHandle> {
  const log = options.log ?? createLogger('alert-delivery');
  const pool = createPool(config.databaseUrl, Math.min(20, config.concurrency + 2), 'alert-delivery');
  const metrics = createDeliveryMetrics(
    pool,
    endpoints.map((e) => e.name),
  );
  const sender = startSender({
    pool,
    endpoints,
    maxAttempts: config.maxAttempts,
    initialBackoffMs: config.initialBackoffMs,
    maxBackoffMs: config.maxBackoffMs,
    concurrency: config.concurrency,
    pollMs: config.pollMs,
    metrics,
    log,
  });
  const enqueuer = await startEnqueuer({
    connection: kafkaConnection(config, 'alert-delivery'),
    pool,
    groupId: deliveryGroupId(config),
    alertsTopic: config.alertsTopic,
    endpoints,
    metrics,
    log,
    onEnqueued: () => sender.wake(),
  });
  const ops = await startOpsServer(config.opsPort, config.opsHost, {
    registry: metrics.registry,
    readiness: async () => {
      if (!enqueuer.joined()) return 'consumer has not joined its group yet';
      try {
        await pool.query('SELECT 1 FROM alert_delivery LIMIT 1');
        return null;
      } catch {
        return 'warehouse unreachable or not migrated';
      }
    },
  });
  log.info(
    {
      endpoints: endpoints.map((e) => ({ name: e.name, format: e.format })),
      opsPort: (ops.address() as AddressInfo).port,
    },
    'alert delivery started',
  );
  return {
    opsPort: (ops.address() as AddressInfo).port,
    metrics,
    async close() {
      await enqueuer.stop();
      await sender.stop();
      await new Promise<void>((resolve) => ops.close(() => resolve()));
      await pool.end();
    },
  };
}
