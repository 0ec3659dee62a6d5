/**
 * `credit-platform cases`: the fraud analysts' case queue (API, page, and the case opener on the
 * alerts topic). Configuration from the environment (config.ts); graceful stop on SIGTERM.
 */
import { createLogger } from '../../lib/log.ts';
import { onShutdown } from '../../lib/shutdown.ts';
import { loadCasesConfig } from './config.ts';
import { startCasesService } from './server.ts';

export async function run(_argv: string[]): Promise<void> {
  const log = createLogger('cases');
  const service = await startCasesService(loadCasesConfig(), { log });
  onShutdown(log, [() => service.close()]);
}
