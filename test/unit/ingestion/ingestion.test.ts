import { createServer, type Server } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../lib/config.ts';
import { createLogger } from '../../../lib/log.ts';
import type { ApplicationEvent } from '../../../workloads/contract/application.ts';
import { generateApplications } from '../../../workloads/generator/generate.ts';
import { isJsonContentType } from '../../../workloads/ingestion-api/body.ts';
import { loadIngestionConfig } from '../../../workloads/ingestion-api/config.ts';
import { type ApplicationWriter, createRequestHandler } from '../../../workloads/ingestion-api/handler.ts';
import { createIngestionMetrics, fieldLabel } from '../../../workloads/ingestion-api/metrics.ts';
import { buildOpenApi } from '../../../workloads/ingestion-api/openapi.ts';
import { KafkaUnavailableError, toMessage } from '../../../workloads/ingestion-api/sink.ts';

const KEY = 'unit-test-pseudonymization-key';

describe('ingestion config', () => {
  it('reads the environment with defaults', () => {
    const c = loadIngestionConfig({ KAFKA_BROKERS: '127.0.0.1:9092', PSEUDONYMIZATION_KEY: KEY });
    expect(c).toMatchObject({
      applicationsTopic: 'credit_apps',
      httpPort: 8080,
      maxBatch: 500,
      kafkaTls: false,
    });
    expect(
      loadIngestionConfig({ KAFKA_BROKERS: 'b:1', PSEUDONYMIZATION_KEY: KEY, MAX_BATCH: '20' }).maxBatch,
    ).toBe(20);
  });

  it('names the env variable of a bad or missing setting', () => {
    expect(() => loadIngestionConfig({ KAFKA_BROKERS: 'b:1', PSEUDONYMIZATION_KEY: 'short' })).toThrow(
      /PSEUDONYMIZATION_KEY/,
    );
    expect(() => loadIngestionConfig({ PSEUDONYMIZATION_KEY: KEY })).toThrow(/KAFKA_BROKERS/);
    expect(() =>
      loadIngestionConfig({ KAFKA_BROKERS: 'b:1', PSEUDONYMIZATION_KEY: KEY, MAX_BATCH: '0' }),
    ).toThrow(ConfigError);
  });
});

describe('metric labels', () => {
  it('keeps contract field paths and collapses anything else, so no request value becomes a label', () => {
    expect(fieldLabel('/loan/amount')).toBe('/loan/amount');
    expect(fieldLabel('/applicant/address/country')).toBe('/applicant/address/country');
    expect(fieldLabel('/channel/geo/lat')).toBe('/channel/geo/lat');
    expect(fieldLabel('/')).toBe('/');
    expect(fieldLabel('/loan/jane.doe@example.com')).toBe('/loan/*');
    expect(fieldLabel('/AB123456C/x/y')).toBe('/*');
    expect(fieldLabel('/__proto__')).toBe('/*');
  });
});

describe('content types', () => {
  it.each([
    ['application/json', true],
    ['application/json; charset=utf-8', true],
    ['Application/JSON;charset="UTF-8"', true],
    ['application/vnd.credit+json', true],
    ['application/json; charset=latin1', false],
    ['text/plain', false],
    ['application/jsonx', false],
    [undefined, false],
  ])('%s → %s', (header, ok) => expect(isJsonContentType(header)).toBe(ok));
});

describe('Kafka message of an application', () => {
  it('is keyed by customerId and carries the schema version and id in headers', () => {
    const s = generateApplications({ seed: 2, count: 1 })[0]?.submission;
    const { nationalId: _n, ...applicant } = s?.applicant ?? { nationalId: '' };
    const event = { ...s, applicant: { ...applicant, nationalIdHash: 'a'.repeat(64) } } as ApplicationEvent;
    const m = toMessage(event);
    expect(m.key).toBe(event.applicant.customerId);
    expect(JSON.parse(String(m.value))).toEqual(event);
    expect(m.headers).toMatchObject({
      'schema-version': 'credit.application.v1',
      'application-id': event.applicationId,
    });
  });
});

describe('OpenAPI document', () => {
  it('describes both routes, the documented batch limit and the contract schema', () => {
    const doc = buildOpenApi({
      maxBatch: 123,
      maxBodyBytes: 1000,
      maxBatchBodyBytes: 9000,
      applicationsTopic: 'credit_apps',
      decisionMaxWaitMs: 5000,
    }) as {
      paths: Record<
        string,
        {
          post: {
            requestBody: { content: Record<string, { schema: Record<string, unknown> }> };
            responses: Record<string, unknown>;
          };
        }
      >;
      components: { schemas: Record<string, { properties?: Record<string, unknown>; $id?: string }> };
    };
    const batch = doc.paths['/v1/applications:batch']?.post;
    const items = batch?.requestBody.content['application/json']?.schema as {
      properties: { applications: { maxItems: number } };
    };
    expect(items.properties.applications.maxItems).toBe(123);
    for (const path of ['/v1/applications', '/v1/applications:batch'])
      expect(Object.keys(doc.paths[path]?.post.responses ?? {})).toEqual(['202', '400', '413', '415', '503']);
    const schema = doc.components.schemas.ApplicationSubmission;
    expect(schema?.$id).toBeUndefined();
    expect(Object.keys(schema?.properties ?? {})).toEqual(
      expect.arrayContaining(['applicationId', 'applicant', 'employment', 'loan', 'credit', 'channel']),
    );
  });
});

/**
 * The request handler on a loopback server with an in-memory writer (the handler's own interface;
 * the Kafka-backed writer is covered by test/integration/ingestion).
 */
describe('request handler', () => {
  const written: ApplicationEvent[][] = [];
  let down = false;
  const writer: ApplicationWriter = {
    async write(events) {
      if (down) throw new KafkaUnavailableError('unavailable');
      written.push([...events]);
    },
    readiness: () => (down ? 'Kafka unavailable' : null),
  };
  const metrics = createIngestionMetrics();
  let server: Server;
  let url: string;
  const apps = generateApplications({ seed: 3, count: 5 }).map((a) => a.submission);
  const post = async (path: string, body: unknown) => {
    const res = await fetch(`${url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, headers: res.headers, json: (await res.json()) as Record<string, unknown> };
  };

  beforeAll(async () => {
    const handler = createRequestHandler({
      config: {
        maxBatch: 3,
        maxBodyBytes: 64 * 1024,
        maxBatchBodyBytes: 1024 * 1024,
        pseudonymizationKey: KEY,
        retryAfterSeconds: 7,
        maxClockSkewMs: 300_000,
      },
      writer,
      metrics,
      log: createLogger('test'),
      openApi: {},
      closing: () => false,
    });
    server = createServer(handler);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('hands pseudonymized events to the writer and answers 202 with the id', async () => {
    const res = await post('/v1/applications', apps[0]);
    expect(res).toMatchObject({ status: 202, json: { applicationId: apps[0]?.applicationId } });
    const event = written.at(-1)?.[0];
    expect(event?.applicant.nationalIdHash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(event)).not.toContain(apps[0]?.applicant.nationalId);
  });

  it('writes a batch in one call and enforces the batch limit with 413', async () => {
    const before = written.length;
    const res = await post('/v1/applications:batch', { applications: apps.slice(0, 3) });
    expect(res.status).toBe(202);
    expect(written.length).toBe(before + 1);
    expect(written.at(-1)).toHaveLength(3);
    expect((await post('/v1/applications:batch', { applications: apps.slice(0, 4) })).status).toBe(413);
    expect((await post('/v1/applications:batch', apps.slice(0, 2))).status).toBe(400);
  });

  it('answers 503 with Retry-After when the writer cannot write, and 202 again once it can', async () => {
    down = true;
    const res = await post('/v1/applications', apps[1]);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('7');
    expect((await fetch(`${url}/readyz`)).status).toBe(503);
    down = false;
    expect((await post('/v1/applications', apps[1])).status).toBe(202);
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
  });

  it('counts validation failures by field path only', async () => {
    const bad = structuredClone(apps[2]) as unknown as { applicant: { email: string; secret?: string } };
    bad.applicant.email = 'jane.doe.private@';
    bad.applicant.secret = 'AB123456C';
    expect((await post('/v1/applications', bad)).status).toBe(400);
    const text = await metrics.registry.metrics();
    expect(text).toContain('ingestion_validation_failures_total{field="/applicant/email"} 1');
    expect(text).toContain('ingestion_validation_failures_total{field="/applicant/*"} 1');
    expect(text).not.toContain('jane.doe.private');
    expect(text).not.toContain('AB123456C');
  });

  it('stamps each event with the server receipt time, whatever the client says', async () => {
    const sent = { ...structuredClone(apps[3]), submittedAt: new Date(Date.now() - 3_600_000).toISOString() };
    const before = Date.now();
    expect((await post('/v1/applications', sent)).status).toBe(202);
    const event = written.at(-1)?.[0];
    expect(event?.schemaVersion).toBe('credit.application.v2');
    const received = Date.parse((event as { receivedAt: string }).receivedAt);
    expect(received).toBeGreaterThanOrEqual(before);
    expect(received).toBeLessThanOrEqual(Date.now());
    expect(event?.submittedAt).toBe(sent.submittedAt);
    // A client cannot set it: receivedAt is not part of a submission.
    const forged = { ...structuredClone(apps[3]), receivedAt: '2020-01-01T00:00:00Z' };
    const res = await post('/v1/applications', forged);
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.json)).toContain('/receivedAt');
  });

  it('rejects implausible values with 400 naming the field, and writes nothing', async () => {
    const year = 365 * 86_400_000;
    const cases: Array<[string, (d: MutableDoc) => void]> = [
      ['/submittedAt', (d) => (d.submittedAt = new Date(Date.now() + 3_600_000).toISOString())],
      ['/submittedAt', (d) => (d.submittedAt = '1999-12-31T23:59:59Z')],
      [
        '/applicant/dateOfBirth',
        (d) => (d.applicant.dateOfBirth = new Date(Date.now() + 3 * 86_400_000).toISOString().slice(0, 10)),
      ],
      [
        '/applicant/dateOfBirth',
        (d) => (d.applicant.dateOfBirth = new Date(Date.now() - 130 * year).toISOString().slice(0, 10)),
      ],
      ['/channel/ipAddress', (d) => (d.channel.ipAddress = '10.0.0.256')],
      ['/channel/ipAddress', (d) => (d.channel.ipAddress = 'deadbeef')],
      ['/loan/amount', (d) => (d.loan.amount = 50_000_000)],
      ['/loan/amount', (d) => (d.loan.amount = 1)],
      ['/loan/termMonths', (d) => (d.loan.termMonths = 480)],
      ['/employment/annualIncome', (d) => (d.employment.annualIncome = 5e9)],
    ];
    const before = written.length;
    for (const [field, mutate] of cases) {
      const doc = structuredClone(apps[4]) as unknown as MutableDoc;
      mutate(doc);
      const one = await post('/v1/applications', doc);
      expect(one.status, field).toBe(400);
      expect(
        (one.json.errors as Array<{ path: string }>).map((e) => e.path),
        field,
      ).toContain(field);
      const batch = await post('/v1/applications:batch', { applications: [apps[0], doc] });
      expect(batch.status, field).toBe(400);
      expect(
        (batch.json.errors as Array<{ path: string }>).map((e) => e.path),
        field,
      ).toContain(`/applications/1${field}`);
    }
    expect(written.length).toBe(before);
    // Within the skew is fine.
    const near = { ...structuredClone(apps[4]), submittedAt: new Date(Date.now() + 60_000).toISOString() };
    expect((await post('/v1/applications', near)).status).toBe(202);
  });

  it('answers 413 to a 12 MiB body that a client still sending can read (no reset)', async () => {
    const port = Number(new URL(url).port);
    for (const framing of ['content-length', 'chunked'] as const) {
      const answer = await rawPost(port, 12 * 1024 * 1024, framing);
      expect(answer, framing).toMatch(/^HTTP\/1\.1 413 /);
      expect(answer, framing).toContain('/problems/payload-too-large');
    }
    // The connection was not torn down under other clients: the server still answers.
    expect((await post('/v1/applications', apps[0])).status).toBe(202);
  });
});

interface MutableDoc {
  submittedAt: string;
  applicant: { dateOfBirth: string };
  channel: { ipAddress: string };
  loan: { amount: number; termMonths: number };
  employment: { annualIncome: number };
}

/** Writes a request with a body of `size` bytes in paced 64 KiB writes, reading the answer meanwhile. */
function rawPost(port: number, size: number, framing: 'content-length' | 'chunked'): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    socket.on('data', (d) => {
      answer += d.toString('utf8');
      // The whole problem document arrived: done (the connection may be kept alive).
      if (/\r\n\r\n\{.*\}$/s.test(answer)) {
        socket.destroy();
        resolve(answer);
      }
    });
    socket.on('error', (err) => reject(new Error(`${err.message} after reading ${JSON.stringify(answer)}`)));
    socket.on('end', () => resolve(answer));
    socket.write(
      `POST /v1/applications HTTP/1.1\r\nhost: test\r\ncontent-type: application/json\r\n${
        framing === 'chunked' ? 'transfer-encoding: chunked' : `content-length: ${size}`
      }\r\n\r\n`,
    );
    const part = Buffer.alloc(64 * 1024, 0x78);
    void (async () => {
      for (let sent = 0; sent < size && !socket.destroyed; sent += part.length) {
        const data =
          framing === 'chunked'
            ? Buffer.concat([Buffer.from(`${part.length.toString(16)}\r\n`), part, Buffer.from('\r\n')])
            : part;
        if (!socket.write(data)) await new Promise((r) => socket.once('drain', r));
        // Paced like a client on a real network: the answer arrives while it is still sending.
        await new Promise((r) => setTimeout(r, 1));
      }
      if (framing === 'chunked' && !socket.destroyed) socket.write('0\r\n\r\n');
    })().catch(() => undefined);
  });
}
