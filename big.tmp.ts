import { requireInfra } from './infra/lib/state.ts';
import { generateApplications } from './workloads/generator/generate.ts';
import { loadIngestionConfig } from './workloads/ingestion-api/config.ts';
import { startIngestionApi } from './workloads/ingestion-api/server.ts';
import { createKafka, ensureTopic } from './workloads/shared/kafka.ts';
const brokers = requireInfra('kafka').bootstrapServers;
const topic = `big_${Date.now()}`;
await ensureTopic(createKafka({ brokers: [brokers], clientId: 'x' }), topic, { partitions: 3 });
const api = await startIngestionApi(loadIngestionConfig({ KAFKA_BROKERS: brokers, APPLICATIONS_TOPIC: topic, PSEUDONYMIZATION_KEY: 'k'.repeat(20), HTTP_PORT: '0', HTTP_HOST: '127.0.0.1', LOG_LEVEL: 'warn' }));
await api.waitUntilReady(30000);
const e = '€';
const apps = generateApplications({ seed: 1, count: 500 }).map(({ submission: s }) => ({
  ...s,
  applicant: { ...s.applicant, customerId: 'same-customer', firstName: e.repeat(100), lastName: e.repeat(100), address: { ...s.applicant.address, line1: e.repeat(200), city: e.repeat(100) } },
  employment: { ...s.employment, employer: e.repeat(200) },
  channel: { ...s.channel, deviceId: e.repeat(128), userAgent: e.repeat(512) },
}));
const body = JSON.stringify({ applications: apps });
console.log('body bytes', Buffer.byteLength(body));
const r = await fetch(`${api.url}/v1/applications:batch`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
console.log(r.status, (await r.text()).slice(0, 300));
const r2 = await fetch(`${api.url}/v1/applications`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(generateApplications({ seed: 2, count: 1 })[0]?.submission) });
console.log('small post after:', r2.status, (await fetch(`${api.url}/readyz`)).status);
await api.close();
process.exit(0);
