/**
 * The operational HTTP endpoints every long-running program exposes:
 * `/metrics` (Prometheus text), `/healthz` (process alive) and `/readyz` (dependencies connected).
 * Programs with an API of their own mount these routes on their server through `handleOpsRoute`.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';

export interface OpsOptions {
  registry: Registry;
  /** Returns null when ready, or a reason when not. */
  readiness: () => string | null | Promise<string | null>;
}

/** Answers the ops routes; returns false when the request is for another route. */
export async function handleOpsRoute(
  req: IncomingMessage,
  res: ServerResponse,
  opts: OpsOptions,
): Promise<boolean> {
  const path = (req.url ?? '/').split('?')[0];
  if (req.method !== 'GET') return false;
  if (path === '/healthz') {
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    return true;
  }
  if (path === '/readyz') {
    const reason = await opts.readiness();
    res
      .writeHead(reason === null ? 200 : 503, { 'content-type': 'text/plain' })
      .end(reason === null ? 'ready\n' : `${reason}\n`);
    return true;
  }
  if (path === '/metrics') {
    const body = await opts.registry.metrics();
    res.writeHead(200, { 'content-type': opts.registry.contentType }).end(body);
    return true;
  }
  return false;
}

/** A server with only the ops routes, for workers (detector, loader, scorer, operator). */
export function startOpsServer(port: number, host: string, opts: OpsOptions): Promise<Server> {
  const server = createServer((req, res) => {
    handleOpsRoute(req, res, opts)
      .then((handled) => {
        if (!handled) res.writeHead(404).end();
      })
      .catch(() => res.writeHead(500).end());
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}
