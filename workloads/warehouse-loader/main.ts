/**
 * `credit-platform warehouse-loader`: Kafka (applications and fraud alerts) → PostgreSQL with an
 * exactly-once effect (see consumer.ts and writer.ts). Serves /metrics, /healthz, /readyz on OPS_PORT,
 * including the scoring-run metrics read from the warehouse (warehouse/scoring-run-metrics.ts).
 */
import { Type } from '@sinclair/typebox';
import { LOADER_ENV, PORTS } from '../../api/env.ts';
import { loadConfig } from '../../lib/config.ts';
import { createLogger } from '../../lib/log.ts';
import { startOpsServer } from '../../lib/ops-server.ts';
import { onShutdown } from '../../lib/shutdown.ts';
import { KafkaSettings, kafkaConnection, TopicSettings } from '../shared/kafka.ts';
import { createPool } from '../warehouse/db.ts';
import { registerScoringRunMetrics } from '../warehouse/scoring-run-metrics.ts';
import { startLoader } from './consumer.ts';
import { createLoaderMetrics } from './metrics.ts';

export const LoaderConfig = Type.Object({
  databaseUrl: Type.String({ pattern: '^postgres(ql)?://' }),
  ...KafkaSettings,
  ...TopicSettings,
  groupPrefix: Type.String({ default: '' }),
  sessionTimeoutMs: Type.Integer({ default: 30_000, minimum: 6_000, maximum: 300_000 }),
  opsPort: Type.Integer({ default: PORTS.ops, minimum: 0, maximum: 65535 }),
  opsHost: Type.String({ default: '0.0.0.0' }),
});

export async function run(_argv: string[]): Promise<void> {
  const log = createLogger('warehouse-loader');
  const config = loadConfig(LoaderConfig, LOADER_ENV);
  const metrics = createLoaderMetrics();
  const pool = createPool(config.databaseUrl, 4, 'warehouse-loader');
  registerScoringRunMetrics(metrics.registry, pool);
  const groupId = config.groupPrefix === '' ? 'warehouse-loader' : `${config.groupPrefix}.warehouse-loader`;
  const loader = await startLoader({
    connection: kafkaConnection(config, 'warehouse-loader'),
    pool,
    groupId,
    applicationsTopic: config.applicationsTopic,
    alertsTopic: config.alertsTopic,
    log,
    metrics,
    sessionTimeoutMs: config.sessionTimeoutMs,
  });
  const ops = await startOpsServer(config.opsPort, config.opsHost, {
    registry: metrics.registry,
    readiness: async () => {
      if (!loader.joined()) return 'consumer has not joined its group yet';
      try {
        await pool.query('SELECT 1');
        return null;
      } catch {
        return 'warehouse unreachable';
      }
    },
  });
  log.info(
    { groupId, topics: [config.applicationsTopic, config.alertsTopic], opsPort: config.opsPort },
    'loader started',
  );
  onShutdown(log, [
    () => loader.stop(),
    () => new Promise<void>((resolve) => ops.close(() => resolve())),
    () => pool.end(),
  ]);
}
