import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitUntil } from '../../../infra/lib/process.ts';
import { addScrapeTarget, instantQuery, removeScrapeTarget } from '../../../infra/lib/prometheus-targets.ts';
import { requireInfra } from '../../../infra/lib/state.ts';

describe('harness Prometheus', () => {
  const info = requireInfra('prometheus');
  const job = `smoke-prom-${randomUUID().slice(0, 8)}`;
  const registry = new Registry();
  const counter = new Counter({
    name: 'smoke_events_total',
    help: 'Events counted by the Prometheus smoke test',
    labelNames: ['kind'],
    registers: [registry],
  });
  let server: Server;
  let target: string;

  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url !== '/metrics') {
        res.writeHead(404).end();
        return;
      }
      void registry.metrics().then((text) => {
        res.writeHead(200, { 'content-type': registry.contentType }).end(text);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    target = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    removeScrapeTarget(job, info);
    await new Promise((resolve) => server.close(resolve));
  });

  it('scrapes a target added through file service discovery and answers PromQL over HTTP', async () => {
    counter.inc({ kind: 'approved' }, 7);
    addScrapeTarget(job, [target], { env: 'smoke' }, info);

    let value: number | undefined;
    await waitUntil(
      `a sample of smoke_events_total from job ${job}`,
      async () => {
        const result = await instantQuery(`smoke_events_total{job="${job}",kind="approved"}`, info);
        value = result[0]?.value;
        return (
          result.length === 1 && result[0]?.metric.env === 'smoke' && result[0].metric.instance === target
        );
      },
      { timeoutMs: 30_000, intervalMs: 500 },
    );
    expect(value).toBe(7);

    const up = await instantQuery(`up{job="${job}"}`, info);
    expect(up.map((s) => s.value)).toEqual([1]);
  });

  it("reports a PromQL syntax error with Prometheus's reason", async () => {
    await expect(instantQuery('sum(', info)).rejects.toThrow(/PromQL query failed .*parse error/);
  });
});
