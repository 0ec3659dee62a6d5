/** The ingestion API against the harness's real Kafka broker. */
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApplicationEvent } from '../../../workloads/contract/application.ts';
import { hashNationalId } from '../../../workloads/contract/pseudonymize.ts';
import { eventValidator } from '../../../workloads/contract/validate.ts';
import { partitionOfKey } from '../../../workloads/fraud-detector/core/repartition.ts';
import { generateApplications } from '../../../workloads/generator/generate.ts';
import { generate, parseGeneratorArgs } from '../../../workloads/generator/main.ts';
import type { IngestionApiHandle } from '../../../workloads/ingestion-api/server.ts';
import type { KafkaConnection } from '../support/kafka.ts';
import {
  harnessBrokers,
  messageCount,
  post,
  readTopic,
  startApi,
  TEST_KEY,
  testKafka,
  uniqueTopic,
} from './support.ts';

const brokers = harnessBrokers();
const topic = uniqueTopic('ingest_api');
let api: IngestionApiHandle;
let kafka: KafkaConnection;

beforeAll(async () => {
  kafka = testKafka(brokers);
  api = await startApi(brokers, topic, { MAX_BATCH: '50' });
});
afterAll(async () => {
  await api?.close();
});

describe('ingestion API on real Kafka', () => {
  const apps = generateApplications({ seed: 101, count: 80 });
  const single = apps.slice(0, 20);
  const batch = apps.slice(20, 70);

  it('accepts single and batch posts, and each lands on the topic once, pseudonymized and keyed by customerId', async () => {
    for (const { submission } of single) {
      const res = await post(`${api.url}/v1/applications`, submission);
      expect(res.status).toBe(202);
      expect(res.json).toEqual({ applicationId: submission.applicationId });
    }
    const res = await post(`${api.url}/v1/applications:batch`, {
      applications: batch.map((a) => a.submission),
    });
    expect(res.status).toBe(202);
    expect(res.json).toEqual({ accepted: 50, applicationIds: batch.map((a) => a.submission.applicationId) });

    const messages = await readTopic(kafka, topic);
    expect(messages).toHaveLength(70);
    const byId = new Map<string, ApplicationEvent>();
    for (const m of messages) {
      const event = JSON.parse(m.value) as ApplicationEvent;
      expect(eventValidator.validate(event).ok).toBe(true);
      expect(m.key).toBe(event.applicant.customerId);
      expect(m.headers['schema-version']).toBe('credit.application.v2');
      expect(event.schemaVersion).toBe('credit.application.v2');
      expect(Number.isFinite(Date.parse((event as { receivedAt: string }).receivedAt))).toBe(true);
      expect(m.headers['application-id']).toBe(event.applicationId);
      expect(byId.has(event.applicationId)).toBe(false);
      byId.set(event.applicationId, event);
    }
    for (const { submission } of [...single, ...batch]) {
      const event = byId.get(submission.applicationId);
      expect(event).toBeDefined();
      const raw = messages.find((m) => m.value.includes(submission.applicationId))?.value ?? '';
      expect(raw).not.toContain(submission.applicant.nationalId);
      expect(event?.applicant.nationalIdHash).toBe(hashNationalId(submission.applicant.nationalId, TEST_KEY));
      const { nationalId: _n, ...rest } = submission.applicant;
      expect(event?.applicant).toEqual({ ...rest, nationalIdHash: event?.applicant.nationalIdHash });
    }
    // Same key, same partition: all applications of one customer are on one partition, the one the
    // Java client's murmur2 gives (every other writer and reader of the topic places keys that way).
    const partitions = new Map<string, Set<number>>();
    for (const m of messages) partitions.set(m.key, (partitions.get(m.key) ?? new Set()).add(m.partition));
    expect([...partitions.values()].every((p) => p.size === 1)).toBe(true);
    for (const m of messages) expect(m.partition, m.key).toBe(partitionOfKey(m.key, 3));
    expect(new Set(messages.map((m) => m.partition)).size).toBeGreaterThan(1);
  });

  it('rejects bad requests with a reason and writes nothing', async () => {
    const before = await messageCount(kafka, topic);
    const good = apps[75]?.submission;
    const bad = structuredClone(good) as Record<string, unknown>;
    (bad.loan as Record<string, unknown>).amount = -1;
    (bad.channel as Record<string, unknown>).type = 'fax';
    delete (bad.applicant as Record<string, unknown>).email;

    const invalid = await post(`${api.url}/v1/applications`, bad);
    expect(invalid.status).toBe(400);
    expect(invalid.headers.get('content-type')).toBe('application/problem+json');
    const paths = (invalid.json.errors as Array<{ path: string }>).map((e) => e.path);
    expect(paths).toEqual(expect.arrayContaining(['/loan/amount', '/channel/type', '/applicant/email']));

    const badBatch = await post(`${api.url}/v1/applications:batch`, { applications: [good, bad] });
    expect(badBatch.status).toBe(400);
    expect((badBatch.json.errors as Array<{ path: string }>).map((e) => e.path)).toContain(
      '/applications/1/loan/amount',
    );

    expect((await post(`${api.url}/v1/applications`, good, 'text/plain')).status).toBe(415);
    expect((await post(`${api.url}/v1/applications`, '{"applicationId": ')).status).toBe(400);
    expect((await post(`${api.url}/v1/applications`, 'x'.repeat(70 * 1024))).status).toBe(413);
    const tooMany = await post(`${api.url}/v1/applications:batch`, {
      applications: Array.from({ length: 51 }, () => good),
    });
    expect(tooMany.status).toBe(413);
    expect(String(tooMany.json.detail)).toContain('50');
    expect((await post(`${api.url}/v1/applications:batch`, { applications: [] })).status).toBe(400);
    const get = await fetch(`${api.url}/v1/applications`);
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    expect((await fetch(`${api.url}/nope`)).status).toBe(404);

    expect(await messageCount(kafka, topic)).toBe(before);
    const metrics = await (await fetch(`${api.url}/metrics`)).text();
    expect(metrics).toMatch(/ingestion_validation_failures_total\{field="\/loan\/amount"\} [1-9]/);
    expect(metrics).toMatch(
      /ingestion_http_requests_total\{route="\/v1\/applications",method="POST",status="400"\}/,
    );
    expect(metrics).toMatch(/ingestion_applications_total\{outcome="accepted"\} 70/);
    expect(metrics).not.toContain(String((good as { applicant: { email: string } }).applicant.email));
  });

  it('accepts a re-post of the same application (downstream keys on applicationId)', async () => {
    const again = single[0]?.submission;
    expect((await post(`${api.url}/v1/applications`, again)).status).toBe(202);
  });

  it('accepts a UTF-8 body that starts with a byte-order mark, and refuses one that is not UTF-8', async () => {
    const s = apps[70]?.submission;
    const json = Buffer.from(JSON.stringify(s), 'utf8');
    const withBom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), json]);
    const res = await post(`${api.url}/v1/applications`, new Uint8Array(withBom));
    expect(res.status, JSON.stringify(res.json)).toBe(202);
    expect(res.json).toEqual({ applicationId: s?.applicationId });
    const broken = Buffer.concat([json.subarray(0, 20), Buffer.from([0xc3, 0x28]), json.subarray(20)]);
    const bad = await post(`${api.url}/v1/applications`, new Uint8Array(broken));
    expect(bad.status).toBe(400);
    expect(bad.json.detail).toBe('body is not valid UTF-8');
  });

  it('serves health, readiness and an OpenAPI document built from the contract', async () => {
    expect((await fetch(`${api.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${api.url}/readyz`)).status).toBe(200);
    const doc = (await (await fetch(`${api.url}/openapi.json`)).json()) as {
      openapi: string;
      paths: Record<string, unknown>;
      components: { schemas: { ApplicationSubmission: { properties: Record<string, unknown> } } };
    };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/v1/applications', '/v1/applications:batch']),
    );
    expect(Object.keys(doc.components.schemas.ApplicationSubmission.properties)).toEqual(
      expect.arrayContaining(['applicant', 'loan', 'credit', 'channel']),
    );
  });

  it('coalesces concurrent posts into shared sends, and each caller still gets its own 202 after the ack', async () => {
    const t = uniqueTopic('ingest_conc');
    const concApi = await startApi(brokers, t);
    try {
      const many = generateApplications({ seed: 55, count: 300 }).map((a) => a.submission);
      const results = await Promise.all(many.map((s) => post(`${concApi.url}/v1/applications`, s)));
      expect(results.map((r) => r.status)).toEqual(many.map(() => 202));
      const ids = (await readTopic(kafka, t)).map(
        (m) => (JSON.parse(m.value) as ApplicationEvent).applicationId,
      );
      expect(ids).toHaveLength(300);
      expect(new Set(ids)).toEqual(new Set(many.map((s) => s.applicationId)));
    } finally {
      await concApi.close();
    }
  });

  it('takes a valid batch larger than one produce request (multi-byte text, ~2.4 MB) and stays ready for others', async () => {
    // Every text field at its longest in a 3-byte character: valid, under MAX_BATCH_BODY_BYTES, and
    // several times the broker's 1 MiB per-partition record batch, all on one key (one partition).
    const t = uniqueTopic('ingest_big');
    const bigApi = await startApi(brokers, t);
    try {
      const wide = (n: number) => '€'.repeat(n);
      const big = generateApplications({ seed: 88, count: 500 }).map(({ submission: s }) => ({
        ...s,
        applicant: {
          ...s.applicant,
          customerId: 'one-customer-for-the-whole-batch',
          firstName: wide(100),
          lastName: wide(100),
          address: { ...s.applicant.address, line1: wide(200), city: wide(100) },
        },
        employment: { ...s.employment, employer: wide(200) },
        channel: { ...s.channel, deviceId: wide(128), userAgent: wide(512) },
      }));
      const body = JSON.stringify({ applications: big });
      expect(Buffer.byteLength(body)).toBeGreaterThan(2 * 1024 * 1024);
      const small = generateApplications({ seed: 89, count: 20 }).map((a) => a.submission);
      const [batchRes, ...smallRes] = await Promise.all([
        post(`${bigApi.url}/v1/applications:batch`, body),
        ...small.map((s) => post(`${bigApi.url}/v1/applications`, s)),
      ]);
      expect(batchRes?.status, JSON.stringify(batchRes?.json)).toBe(202);
      expect(smallRes.map((r) => r.status)).toEqual(small.map(() => 202));
      expect((await fetch(`${bigApi.url}/readyz`)).status).toBe(200);
      const ids = (await readTopic(kafka, t, 60_000)).map(
        (m) => (JSON.parse(m.value) as ApplicationEvent).applicationId,
      );
      expect(ids).toHaveLength(520);
      expect(new Set(ids)).toEqual(new Set([...big, ...small].map((s) => s.applicationId)));
    } finally {
      await bigApi.close();
    }
  });

  it('shuts down gracefully: requests in flight finish and every 202 is on the topic', async () => {
    const t = uniqueTopic('ingest_close');
    const closing = await startApi(brokers, t);
    const many = generateApplications({ seed: 66, count: 150 }).map((a) => a.submission);
    const posts = many.map((s) =>
      post(`${closing.url}/v1/applications`, s).then(
        (r) => ({ id: s.applicationId, status: r.status }),
        () => ({ id: s.applicationId, status: 0 }),
      ),
    );
    await new Promise((r) => setTimeout(r, 300));
    await closing.close();
    const results = await Promise.all(posts);
    const accepted = results.filter((r) => r.status === 202).map((r) => r.id);
    // Requests the server had taken are served to the end (202); ones arriving after close are refused.
    for (const r of results) expect([0, 202]).toContain(r.status);
    expect(accepted.length).toBeGreaterThan(0);
    const ids = (await readTopic(kafka, t)).map(
      (m) => (JSON.parse(m.value) as ApplicationEvent).applicationId,
    );
    for (const id of accepted) expect(ids).toContain(id);
  });

  it('takes the generator CLI traffic (api target, batches) and its labels match the topic', async () => {
    const t = uniqueTopic('ingest_gen');
    const genApi = await startApi(brokers, t);
    const labels = join(tmpdir(), `${t}.labels.jsonl`);
    try {
      const report = await generate(
        parseGeneratorArgs(
          [
            '--seed',
            '9',
            '--count',
            '120',
            '--target',
            'api',
            '--batch',
            '10',
            '--labels',
            labels,
            '--quiet',
          ],
          { INGESTION_URL: genApi.url },
        ),
      );
      expect(report).toMatchObject({ sent: 120, accepted: 120, rejected: 0 });
      const ids = readFileSync(labels, 'utf8')
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { applicationId: string }).applicationId);
      const onTopic = (await readTopic(kafka, t)).map(
        (m) => (JSON.parse(m.value) as ApplicationEvent).applicationId,
      );
      expect(new Set(onTopic)).toEqual(new Set(ids));
      expect(onTopic).toHaveLength(120);
    } finally {
      rmSync(labels, { force: true });
      await genApi.close();
    }
  });

  it('writes straight to Kafka with the generator (kafka target): pseudonymized, x-scenario header', async () => {
    const t = uniqueTopic('ingest_genk');
    const { ensureTopic } = await import('../../../workloads/shared/kafka-client.ts');
    await ensureTopic(kafka, t);
    process.env.PSEUDONYMIZATION_KEY = TEST_KEY;
    const report = await generate(
      parseGeneratorArgs(['--seed', '4', '--count', '300', '--target', 'kafka', '--topic', t, '--quiet'], {
        KAFKA_BROKERS: brokers,
      }),
    );
    expect(report.accepted).toBe(300);
    const expected = generateApplications({ seed: 4, count: 300, start: 0 });
    const scenarioOf = new Map(expected.map((a) => [a.submission.applicationId, a.label.scenario]));
    const messages = await readTopic(kafka, t);
    expect(messages).toHaveLength(300);
    for (const m of messages) {
      const event = JSON.parse(m.value) as ApplicationEvent;
      expect(eventValidator.validate(event).ok).toBe(true);
      expect(m.headers['x-scenario']).toBe(scenarioOf.get(event.applicationId));
      expect(m.key).toBe(event.applicant.customerId);
      expect(m.partition).toBe(partitionOfKey(m.key, 3));
    }
    expect(new Set(messages.map((m) => m.headers['x-scenario'])).size).toBeGreaterThan(3);
  });
});
