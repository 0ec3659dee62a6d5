/**
 * `credit-platform fraud-detector`: the streaming fraud detector (see detector.ts). Configuration from
 * the environment (config.ts); /metrics, /healthz, /readyz on OPS_PORT; graceful stop on SIGTERM.
 */
import { createLogger } from '../../lib/log.ts';
import { onShutdown } from '../../lib/shutdown.ts';
import { loadDetectorConfig } from './config.ts';
import { startFraudDetector } from './detector.ts';

export async function run(_argv: string[]): Promise<void> {
  const log = createLogger('fraud-detector');
  const config = loadDetectorConfig();
  const detector = await startFraudDetector(config, { log });
  onShutdown(log, [() => detector.close()]);
}

export { startFraudDetector } from './detector.ts';
