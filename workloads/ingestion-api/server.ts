/**
 * The ingestion API as a library: `startIngestionApi(config)` starts the HTTP server (API, ops routes
 * and /openapi.json on one port, plus an optional ops-only port) and the Kafka sink, and returns a
 * handle whose `close()` shuts down gracefully: stop accepting, finish requests in flight (their Kafka
 * writes included), then disconnect.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger, type Logger } from '../../lib/log.ts';
import { startOpsServer } from '../../lib/ops-server.ts';
import { kafkaConnection } from '../shared/kafka.ts';
import { type BytesProducer, createProducer } from '../shared/kafka-client.ts';
import type { IngestionConfig } from './config.ts';
import { warehouseDecisionLookup } from './decisions.ts';
import { createRequestHandler } from './handler.ts';
import { createIngestionMetrics, type IngestionMetrics } from './metrics.ts';
import { buildOpenApi } from './openapi.ts';
import { ApplicationSink } from './sink.ts';

export interface IngestionApiHandle {
  /** Port the API listens on (the bound one when the config asked for 0). */
  port: number;
  /** http://host:port of the API. */
  url: string;
  /** Port of the ops-only listener, when one was asked for. */
  opsPort?: number;
  metrics: IngestionMetrics;
  /** Resolves when the producer is connected and Kafka answers. */
  waitUntilReady(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export interface StartOptions {
  log?: Logger;
  /** A producer to use instead of one built from the config (closed by the API's `close()`). */
  producer?: BytesProducer;
}

export async function startIngestionApi(
  config: IngestionConfig,
  options: StartOptions = {},
): Promise<IngestionApiHandle> {
  const log = options.log ?? createLogger('ingestion-api');
  const metrics = createIngestionMetrics();
  const producer =
    options.producer ??
    createProducer(
      {
        ...kafkaConnection(config, config.kafkaClientId),
        // Fail a connection attempt quickly: requests wait on it, and the sink retries in the background.
        connectionTimeoutMs: 2_000,
        requestTimeoutMs: Math.max(1_000, config.produceTimeoutMs),
        retry: { retries: 3, initialRetryTime: 200 },
      },
      // A send that cannot land fails after a few retries (the caller answers 503 and the probe takes over).
      { retries: 3 },
    );
  const sink = new ApplicationSink(
    producer,
    { topic: config.applicationsTopic, produceTimeoutMs: config.produceTimeoutMs },
    log,
    metrics,
  );
  let closing = false;
  const decisions =
    config.databaseUrl === undefined ? undefined : warehouseDecisionLookup(config.databaseUrl, log);
  const handler = createRequestHandler({
    config,
    writer: sink,
    ...(decisions === undefined ? {} : { decisions }),
    decisionMaxWaitMs: config.decisionMaxWaitMs,
    metrics,
    log,
    openApi: buildOpenApi(config),
    closing: () => closing,
  });
  const server = createServer(handler);
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;
  server.keepAliveTimeout = 5_000;
  await listen(server, config.httpPort, config.httpHost);
  const port = (server.address() as AddressInfo).port;

  let opsServer: Server | undefined;
  if (config.opsPort !== 0 && config.opsPort !== port)
    opsServer = await startOpsServer(config.opsPort, config.httpHost, {
      registry: metrics.registry,
      readiness: () => sink.readiness(),
    });

  sink.start();
  const host = config.httpHost === '0.0.0.0' || config.httpHost === '::' ? '127.0.0.1' : config.httpHost;
  log.info({ port, topic: config.applicationsTopic, maxBatch: config.maxBatch }, 'ingestion API listening');

  let closed: Promise<void> | undefined;
  const handle: IngestionApiHandle = {
    port,
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    metrics,
    waitUntilReady: (timeoutMs = 60_000) => sink.waitUntilReady(timeoutMs),
    close() {
      closed ??= (async () => {
        closing = true;
        log.info('closing: no new connections, finishing requests in flight');
        const drained = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        await decisions?.close();
        await Promise.race([drained, new Promise((r) => setTimeout(r, 15_000).unref())]);
        server.closeAllConnections();
        await sink.close();
        if (opsServer) await new Promise<void>((resolve) => opsServer?.close(() => resolve()));
        log.info('closed');
      })();
      return closed;
    },
  };
  const opsAddress = opsServer?.address() as AddressInfo | undefined;
  if (opsAddress) handle.opsPort = opsAddress.port;
  return handle;
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
