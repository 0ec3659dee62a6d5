/**
 * `credit-platform decision-service`: decides every application in the stream (service.ts).
 * Configuration from the environment (config.ts); /metrics, /healthz, /readyz on OPS_PORT; graceful
 * stop on SIGTERM.
 */
import { createLogger } from '../../lib/log.ts';
import { onShutdown } from '../../lib/shutdown.ts';
import { loadDecisionServiceConfig } from './config.ts';
import { startDecisionService } from './service.ts';

export async function run(_argv: string[]): Promise<void> {
  const log = createLogger('decision-service');
  const service = await startDecisionService(loadDecisionServiceConfig(), { log });
  onShutdown(log, [() => service.close()]);
}
