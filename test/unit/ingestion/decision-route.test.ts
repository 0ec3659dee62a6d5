/**
 * GET /v1/applications/{id}/decision on the request handler, with an in-memory DecisionLookup (the
 * handler's own interface; the warehouse-backed lookup is covered by
 * test/integration/ingestion/decision.test.ts): status codes, the bounded wait, no personal data.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IssuedDecision } from '../../../api/decision.ts';
import { createLogger } from '../../../lib/log.ts';
import type { DecisionLookup, Lookup } from '../../../workloads/ingestion-api/decisions.ts';
import { createRequestHandler, parseWaitMs } from '../../../workloads/ingestion-api/handler.ts';
import { createIngestionMetrics } from '../../../workloads/ingestion-api/metrics.ts';
import { buildOpenApi } from '../../../workloads/ingestion-api/openapi.ts';

const DECIDED = '6f1c1c9e-8f3a-4c55-9d7e-0b8e8c2f0a11';
const PENDING = '0b7b3a8e-2a44-4a8f-8a4e-3c6b1f6d9e22';
const decision: IssuedDecision = {
  applicationId: DECIDED,
  decision: 'decline',
  reasons: [{ code: 'P03', text: 'Income insufficient for the amount of credit requested' }],
  model: { key: 'retail-scorecard@1.0.0', checksum: 'abc' },
  source: 'stream',
  issuedAt: '2026-12-03T02:00:00.000Z',
};

describe('parseWaitMs', () => {
  it('reads absent as 0, caps large values, refuses anything but one non-negative integer', () => {
    expect(parseWaitMs('', 5000)).toBe(0);
    expect(parseWaitMs('waitMs=250', 5000)).toBe(250);
    expect(parseWaitMs('waitMs=999999', 5000)).toBe(5000);
    for (const q of ['waitMs=-1', 'waitMs=1.5', 'waitMs=abc', 'waitMs=', 'waitMs=1&waitMs=2', 'waitMs=1e3'])
      expect(parseWaitMs(q, 5000), q).toBeUndefined();
  });
});

describe('decision route', () => {
  let server: Server;
  let url: string;
  const asked: Array<{ id: string; waitMs: number }> = [];
  const lookup: DecisionLookup = {
    async find(id, waitMs): Promise<Lookup> {
      asked.push({ id, waitMs });
      if (id === DECIDED) return { state: 'decided', decision };
      if (id === PENDING) {
        await new Promise((r) => setTimeout(r, waitMs));
        return { state: 'pending' };
      }
      return { state: 'unknown' };
    },
    close: async () => undefined,
  };
  const start = async (decisions: DecisionLookup | undefined) => {
    const handler = createRequestHandler({
      config: {
        maxBatch: 3,
        maxBodyBytes: 64 * 1024,
        maxBatchBodyBytes: 1024 * 1024,
        pseudonymizationKey: 'unit-test-key-0123456789',
        retryAfterSeconds: 7,
        maxClockSkewMs: 300_000,
      },
      writer: { write: async () => undefined, readiness: () => null },
      ...(decisions === undefined ? {} : { decisions }),
      decisionMaxWaitMs: 300,
      metrics: createIngestionMetrics(),
      log: createLogger('test'),
      openApi: {},
      closing: () => false,
    });
    const s = createServer(handler);
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    return { s, u: `http://127.0.0.1:${(s.address() as AddressInfo).port}` };
  };
  beforeAll(async () => {
    ({ s: server, u: url } = await start(lookup));
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('answers 200 with the issued decision and nothing personal', async () => {
    const res = await fetch(`${url}/v1/applications/${DECIDED}/decision`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toEqual(decision);
    expect(Object.keys(body).sort()).toEqual([
      'applicationId',
      'decision',
      'issuedAt',
      'model',
      'reasons',
      'source',
    ]);
  });

  it('answers 202 with Retry-After while pending, after waiting no longer than the cap', async () => {
    const t0 = Date.now();
    const res = await fetch(`${url}/v1/applications/${PENDING}/decision?waitMs=60000`);
    expect(res.status).toBe(202);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(await res.json()).toEqual({ applicationId: PENDING, status: 'pending' });
    expect(asked.at(-1)).toEqual({ id: PENDING, waitMs: 300 });
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  it('answers 404 for an unknown id, 400 for a malformed id or waitMs, 405 for other methods', async () => {
    expect((await fetch(`${url}/v1/applications/${PENDING.replace('0b', 'ff')}/decision`)).status).toBe(404);
    for (const bad of ['not-a-uuid', '%E0%A4%A', "1' OR '1'='1", `${DECIDED}x`]) {
      const res = await fetch(`${url}/v1/applications/${bad}/decision`);
      expect(res.status, bad).toBe(400);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
    }
    expect((await fetch(`${url}/v1/applications/${DECIDED}/decision?waitMs=-5`)).status).toBe(400);
    expect((await fetch(`${url}/v1/applications/${DECIDED}/decision`, { method: 'POST' })).status).toBe(405);
  });

  it('answers 503 when the API has no warehouse to read', async () => {
    const { s, u } = await start(undefined);
    try {
      const res = await fetch(`${u}/v1/applications/${DECIDED}/decision`);
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('7');
    } finally {
      await new Promise<void>((r) => s.close(() => r()));
    }
  });

  it('is in the OpenAPI document with every answer', () => {
    const doc = buildOpenApi({
      maxBatch: 1,
      maxBodyBytes: 1,
      maxBatchBodyBytes: 1,
      applicationsTopic: 't',
      decisionMaxWaitMs: 300,
    }) as {
      paths: Record<string, { get?: { responses: Record<string, unknown> } }>;
      components: { schemas: Record<string, unknown> };
    };
    const route = doc.paths['/v1/applications/{applicationId}/decision']?.get;
    expect(Object.keys(route?.responses ?? {})).toEqual(['200', '202', '400', '404', '503']);
    expect(doc.components.schemas.IssuedDecision).toBeDefined();
  });
});
