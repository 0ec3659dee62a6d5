/**
 * Property-based robustness of the ingestion API (fast-check) against real Kafka: malformed JSON,
 * wrong types, huge strings, odd Unicode, invalid UTF-8, nested junk and implausible values (future
 * or pre-2000 submission times, impossible birth dates, addresses that only look like IPs, amounts,
 * terms and incomes outside the business limits) always get a 4xx with a reason, never a 5xx or a
 * crash, and nothing reaches the topic.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { submissionValidator } from '../../../workloads/contract/validate.ts';
import { generateApplications } from '../../../workloads/generator/generate.ts';
import type { IngestionApiHandle } from '../../../workloads/ingestion-api/server.ts';
import type { KafkaConnection } from '../support/kafka.ts';
import { harnessBrokers, messageCount, startApi, testKafka, uniqueTopic } from './support.ts';

const brokers = harnessBrokers();
const topic = uniqueTopic('ingest_fuzz');
let api: IngestionApiHandle;
let kafka: KafkaConnection;
const seeds = generateApplications({ seed: 5, count: 20 }).map((a) => a.submission);

beforeAll(async () => {
  kafka = testKafka(brokers);
  api = await startApi(brokers, topic);
});
afterAll(async () => {
  await api?.close();
});

/** Posts raw bytes; returns status and parsed problem. */
async function send(path: string, body: string | Uint8Array, contentType = 'application/json') {
  const res = await fetch(`${api.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': contentType },
    body,
  });
  const text = await res.text();
  return { status: res.status, contentType: res.headers.get('content-type'), text };
}

async function expectRejected(path: string, body: string | Uint8Array, contentType?: string) {
  const r = await send(path, body, contentType);
  expect(r.status, r.text.slice(0, 300)).toBeGreaterThanOrEqual(400);
  expect(r.status, r.text.slice(0, 300)).toBeLessThan(500);
  expect(r.contentType).toBe('application/problem+json');
  const problem = JSON.parse(r.text) as {
    detail?: string;
    errors?: Array<{ path: string; message: string }>;
  };
  expect(problem.detail?.length ?? 0).toBeGreaterThan(0);
  if (r.status === 400 && problem.errors)
    for (const e of problem.errors) expect(e.path.startsWith('/') && e.message.length > 0).toBe(true);
  return problem;
}

const route = fc.constantFrom('/v1/applications', '/v1/applications:batch');
const wrap = (path: string, doc: unknown) =>
  JSON.stringify(path.endsWith(':batch') ? { applications: [seeds[1], doc] } : doc);

/** Leaf paths of a document, with their values. */
function leaves(doc: unknown, prefix: string[] = []): Array<[string[], unknown]> {
  if (typeof doc !== 'object' || doc === null) return [[prefix, doc]];
  return Object.entries(doc).flatMap(([k, v]) => leaves(v, [...prefix, k]));
}
function setAt(doc: unknown, path: string[], value: unknown): unknown {
  const copy = structuredClone(doc) as Record<string, unknown>;
  let node = copy;
  for (const k of path.slice(0, -1)) node = node[k] as Record<string, unknown>;
  node[path[path.length - 1] as string] = value;
  return copy;
}
const seedDoc = fc.constantFrom(...seeds);
const leafOf = (doc: unknown) => fc.constantFrom(...leaves(doc));
const params = { numRuns: 60, endOnFailure: true } as const;

describe('ingestion API robustness (fast-check)', () => {
  it('malformed JSON gets 400', async () => {
    const truncated = seedDoc.chain((d) => {
      const text = JSON.stringify(d);
      return fc.integer({ min: 0, max: text.length - 1 }).map((n) => text.slice(0, n));
    });
    const garbage = fc.string({ unit: 'binary', maxLength: 200 }).filter((s) => {
      try {
        JSON.parse(s);
        return false;
      } catch {
        return true;
      }
    });
    await fc.assert(
      fc.asyncProperty(route, fc.oneof(truncated, garbage), async (path, body) => {
        await expectRejected(path, body);
      }),
      params,
    );
  });

  it('wrong types in any field get 400 naming the field', async () => {
    const wrongType = (v: unknown) =>
      typeof v === 'string'
        ? fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.string(), { maxLength: 3 }))
        : typeof v === 'number'
          ? fc.oneof(
              fc.string({ maxLength: 10 }),
              fc.boolean(),
              fc.constant(null),
              fc.object({ maxDepth: 1 }),
            )
          : fc.oneof(fc.string(), fc.integer());
    const mutated = seedDoc.chain((d) =>
      leafOf(d).chain(([path, value]) => wrongType(value).map((bad) => ({ doc: setAt(d, path, bad), path }))),
    );
    await fc.assert(
      fc.asyncProperty(route, mutated, async (route, { doc, path }) => {
        fc.pre(!submissionValidator.validate(doc).ok);
        const problem = await expectRejected(route, wrap(route, doc));
        const field = `${route.endsWith(':batch') ? '/applications/1' : ''}/${path.join('/')}`;
        expect(problem.errors?.map((e) => e.path)).toContain(field);
      }),
      params,
    );
  });

  it('huge strings and odd Unicode in constrained fields get 4xx', async () => {
    const odd = fc.oneof(
      fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }),
      fc.constantFrom(
        '\u0000',
        '\ud800',
        'ＧＢ',
        'G\u0301B',
        '🇬🇧',
        '\u202eGB',
        'e\u0301ur',
        '１９９０-01-01',
      ),
      fc.integer({ min: 1_000, max: 200_000 }).map((n) => 'é'.repeat(n)),
    );
    const constrained = [
      ['applicationId'],
      ['submittedAt'],
      ['applicant', 'dateOfBirth'],
      ['applicant', 'address', 'country'],
      ['loan', 'currency'],
      ['channel', 'ipAddress'],
      ['applicant', 'phone'],
    ];
    await fc.assert(
      fc.asyncProperty(
        route,
        seedDoc,
        fc.constantFrom(...constrained),
        odd,
        async (path, d, field, value) => {
          const doc = setAt(d, field, value);
          fc.pre(!submissionValidator.validate(doc).ok);
          await expectRejected(path, wrap(path, doc));
        },
      ),
      params,
    );
  });

  it('nested junk, extra fields and non-object bodies get 400', async () => {
    const deep = fc.integer({ min: 1, max: 20_000 }).map((n) => `${'['.repeat(n)}${']'.repeat(n)}`);
    const junkDoc = fc.oneof(
      fc.anything({ maxDepth: 4 }).map((v) => JSON.stringify(v) ?? 'null'),
      seedDoc.chain((d) =>
        fc
          .tuple(fc.string({ minLength: 1, maxLength: 20 }), fc.jsonValue({ maxDepth: 6 }))
          .filter(([k]) => !(k in (d.loan as object)))
          .map(([k, v]) => JSON.stringify({ ...d, loan: { ...d.loan, [k]: v } })),
      ),
      deep,
    );
    await fc.assert(
      fc.asyncProperty(route, junkDoc, async (path, body) => {
        let parsed: unknown;
        try {
          parsed = JSON.parse(body);
        } catch {
          parsed = undefined;
        }
        fc.pre(parsed === undefined || !submissionValidator.validate(parsed).ok);
        await expectRejected(path, body);
      }),
      params,
    );
  });

  it('invalid UTF-8, wrong content types and oversized bodies get 4xx', async () => {
    const bytes = fc.uint8Array({ minLength: 1, maxLength: 300 }).map((b) => {
      const out = new Uint8Array(b.length + 2);
      out.set(b);
      out.set([0xc3, 0x28], b.length); // an invalid 2-byte sequence, always present
      return out;
    });
    await fc.assert(
      fc.asyncProperty(route, bytes, async (path, body) => {
        await expectRejected(path, body);
      }),
      { numRuns: 30 },
    );
    const types = fc.constantFrom(
      'text/plain',
      'application/xml',
      'multipart/form-data',
      'application/json; charset=latin1',
      '',
    );
    await fc.assert(
      fc.asyncProperty(route, types, async (path, type) => {
        await expectRejected(path, JSON.stringify(seeds[0]), type);
      }),
      { numRuns: 20 },
    );
    await expectRejected('/v1/applications', JSON.stringify({ ...seeds[0], pad: 'x'.repeat(100_000) }));
    await expectRejected('/v1/applications:batch', 'x'.repeat(5 * 1024 * 1024));
  });

  it('implausible values (time, birth date, IP, business limits) get 400 naming the field', async () => {
    const DAY = 86_400_000;
    const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);
    const implausible = fc.oneof(
      // submittedAt beyond the allowed clock skew (5 min), or before the floor (2000-01-01).
      fc
        .integer({ min: 6 * 60_000, max: 100 * 365 * DAY })
        .map((ahead) => ({ path: ['submittedAt'], value: new Date(Date.now() + ahead).toISOString() })),
      fc
        .date({
          min: new Date('1900-01-01T00:00:00Z'),
          max: new Date('1999-12-31T23:59:59Z'),
          noInvalidDate: true,
        })
        .map((d) => ({ path: ['submittedAt'], value: d.toISOString().replace(/\.\d{3}Z$/, 'Z') })),
      // Born in the future, or more than 120 years ago.
      fc
        .integer({ min: 2, max: 3650 })
        .map((days) => ({ path: ['applicant', 'dateOfBirth'], value: isoDay(Date.now() + days * DAY) })),
      fc
        .integer({ min: 121 * 366, max: 200 * 366 })
        .map((days) => ({ path: ['applicant', 'dateOfBirth'], value: isoDay(Date.now() - days * DAY) })),
      // IPv4 with an octet over 255, leading zeros, or an address that only looks like one.
      fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 256, max: 999 })).map(([i, big]) => ({
        path: ['channel', 'ipAddress'],
        value: [10, 20, 30, 40].map((o, k) => (k === i ? big : o)).join('.'),
      })),
      fc
        .constantFrom('01.2.3.4', 'deadbeef', '1::2::3', ':::', '999.999.999.999', 'abc:', 'ff')
        .map((value) => ({
          path: ['channel', 'ipAddress'],
          value,
        })),
      // Outside the business limits of the contract.
      fc
        .oneof(
          fc.double({ min: 1_000_000.01, max: 1e9, noNaN: true }),
          fc.double({ min: 0.01, max: 99.99, noNaN: true }),
        )
        .map((value) => ({ path: ['loan', 'amount'], value })),
      fc
        .oneof(fc.integer({ min: 361, max: 10_000 }), fc.integer({ min: 0, max: 2 }))
        .map((value) => ({ path: ['loan', 'termMonths'], value })),
      fc
        .double({ min: 10_000_000.01, max: 1e12, noNaN: true })
        .map((value) => ({ path: ['employment', 'annualIncome'], value })),
    );
    await fc.assert(
      fc.asyncProperty(route, seedDoc, implausible, async (route, d, { path, value }) => {
        const problem = await expectRejected(route, wrap(route, setAt(d, path, value)));
        const field = `${route.endsWith(':batch') ? '/applications/1' : ''}/${path.join('/')}`;
        expect(problem.errors?.map((e) => e.path)).toContain(field);
      }),
      params,
    );
  });

  it('a 12 MiB body gets a 413 the client reads (not a reset)', async () => {
    for (const path of ['/v1/applications', '/v1/applications:batch']) {
      const r = await send(path, new Uint8Array(12 * 1024 * 1024).fill(0x20));
      expect(r.status).toBe(413);
      expect(r.contentType).toBe('application/problem+json');
    }
  });

  it('left the topic empty and the server healthy', async () => {
    expect(await messageCount(kafka, topic)).toBe(0);
    expect((await fetch(`${api.url}/readyz`)).status).toBe(200);
    const metrics = await (await fetch(`${api.url}/metrics`)).text();
    expect(metrics).not.toMatch(/status="5\d\d"/);
    expect(metrics).toMatch(/ingestion_applications_total\{outcome="accepted"\} 0/);
  });
});
