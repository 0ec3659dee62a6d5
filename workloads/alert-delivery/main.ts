/**
 * `credit-platform alert-delivery`: delivers fraud alerts to the pipeline's webhooks (service.ts).
 * Configuration from the environment (config.ts); /metrics, /healthz, /readyz on OPS_PORT.
 */
import { createLogger } from '../../lib/log.ts';
import { onShutdown } from '../../lib/shutdown.ts';
import { loadDeliveryConfig } from './config.ts';
import { startAlertDelivery } from './service.ts';

export async function run(_argv: string[]): Promise<void> {
  const log = createLogger('alert-delivery');
  const { config, endpoints } = loadDeliveryConfig();
  const service = await startAlertDelivery(config, endpoints, { log });
  onShutdown(log, [() => service.close()]);
}
