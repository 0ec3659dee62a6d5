/**
 * `credit-platform ingestion-api`: the HTTP front door. Configuration from the environment
 * (see config.ts: KAFKA_BROKERS, APPLICATIONS_TOPIC, PSEUDONYMIZATION_KEY, HTTP_PORT, HTTP_HOST,
 * OPS_PORT, MAX_BATCH, ...); SIGTERM finishes requests in flight and their Kafka writes, then exits.
 */
import { createLogger } from '../../lib/log.ts';
import { onShutdown } from '../../lib/shutdown.ts';
import { loadIngestionConfig } from './config.ts';
import { startIngestionApi } from './server.ts';

export async function run(argv: string[]): Promise<void> {
  if (argv.includes('--help')) {
    process.stdout.write(
      'usage: credit-platform ingestion-api\n\nConfigured by environment variables; see workloads/ingestion-api/config.ts.\n',
    );
    return;
  }
  const log = createLogger('ingestion-api');
  const config = loadIngestionConfig();
  const api = await startIngestionApi(config, { log });
  onShutdown(log, [() => api.close()]);
}
