/**
 * The cases service as a library: `startCasesService(config)` starts the API and page server, the ops
 * server (/metrics, /healthz, /readyz on its own port, so the people-facing port carries nothing
 * anonymous but static code) and, unless turned off, the case opener on the alerts topic.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { createLogger, type Logger } from '../../lib/log.ts';
import { startOpsServer } from '../../lib/ops-server.ts';
import { kafkaConnection } from '../shared/kafka.ts';
import { createPool } from '../warehouse/db.ts';
import { type Authenticator, kubernetesAuthenticator } from './auth.ts';
import { type CasesConfig, casesGroupId } from './config.ts';
import { createCasesHandler } from './handler.ts';
import { type CasesMetrics, createCasesMetrics } from './metrics.ts';
import { type RunningOpener, startCaseOpener } from './opener.ts';

export interface CasesHandle {
  url: string;
  port: number;
  opsPort: number;
  metrics: CasesMetrics;
  opener: RunningOpener | null;
  close(): Promise<void>;
}

export interface StartCasesOptions {
  log?: Logger;
  /** An authenticator instead of TokenReview/SubjectAccessReview against the configured cluster. */
  auth?: Authenticator;
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
  });
}

export async function startCasesService(
  config: CasesConfig,
  options: StartCasesOptions = {},
): Promise<CasesHandle> {
  const log = options.log ?? createLogger('cases');
  const pool = createPool(config.databaseUrl, 8, 'cases');
  const metrics = createCasesMetrics(pool);
  let auth = options.auth;
  if (auth === undefined) {
    const kc = new KubeConfig();
    if (config.kubeconfig !== undefined) kc.loadFromFile(config.kubeconfig);
    else kc.loadFromCluster();
    auth = kubernetesAuthenticator(kc, {
      namespace: config.namespace,
      cacheTtlMs: config.authCacheTtlMs,
      ...(config.tokenAudiences === undefined ? {} : { audiences: config.tokenAudiences }),
    });
  }
  const handler = createCasesHandler({ pool, auth, metrics, log });
  const server = createServer((req, res) => {
    handler(req, res).catch((err: unknown) => {
      log.error({ err }, 'unhandled request error');
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  server.requestTimeout = 30_000;
  const port = await listen(server, config.httpPort, config.httpHost);

  let opener: RunningOpener | null = null;
  if (config.openCases) {
    opener = await startCaseOpener({
      connection: kafkaConnection(config, 'cases'),
      pool,
      groupId: casesGroupId(config),
      alertsTopic: config.alertsTopic,
      log,
      metrics,
    });
  }
  const ops = await startOpsServer(config.opsPort, config.opsHost, {
    registry: metrics.registry,
    readiness: async () => {
      if (opener !== null && !opener.joined()) return 'case opener has not joined its consumer group yet';
      try {
        await pool.query('SELECT 1 FROM fraud_case LIMIT 1');
        return null;
      } catch {
        return 'warehouse unreachable or not migrated';
      }
    },
  });
  const opsPort = (ops.address() as AddressInfo).port;
  log.info(
    { port, opsPort, namespace: config.namespace, openCases: config.openCases },
    'cases service started',
  );
  return {
    url: `http://${config.httpHost === '0.0.0.0' ? '127.0.0.1' : config.httpHost}:${port}`,
    port,
    opsPort,
    metrics,
    opener,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await closed;
      await opener?.stop();
      await new Promise<void>((resolve) => ops.close(() => resolve()));
      await pool.end();
    },
  };
}
