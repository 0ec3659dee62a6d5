/**
 * Metrics of the ingestion API. Labels never carry values from a request: routes are a fixed set and
 * validation failures are labelled with the contract's field path (unknown fields collapse to `*`).
 */
import type { TSchema } from '@sinclair/typebox';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { ApplicationSubmission } from '../contract/application.ts';

/** The decision route's label (the id is never a label value). */
export const DECISION_ROUTE = '/v1/applications/{id}/decision';

export const ROUTES = [
  '/v1/applications',
  '/v1/applications:batch',
  DECISION_ROUTE,
  '/openapi.json',
  'ops',
  'other',
] as const;
export type Route = (typeof ROUTES)[number];

export interface IngestionMetrics {
  registry: Registry;
  httpRequests: Counter<'route' | 'method' | 'status'>;
  httpDuration: Histogram<'route'>;
  applications: Counter<'outcome'>;
  validationFailures: Counter<'field'>;
  produceErrors: Counter<'reason'>;
  kafkaConnected: Gauge;
}

export function createIngestionMetrics(registry = new Registry()): IngestionMetrics {
  const metrics: IngestionMetrics = {
    registry,
    httpRequests: new Counter({
      name: 'ingestion_http_requests_total',
      help: 'HTTP requests answered, by route, method and status',
      labelNames: ['route', 'method', 'status'],
      registers: [registry],
    }),
    httpDuration: new Histogram({
      name: 'ingestion_http_request_duration_seconds',
      help: 'Time from request to response, by route',
      labelNames: ['route'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    applications: new Counter({
      name: 'ingestion_applications_total',
      help: 'Applications by outcome: accepted (acknowledged by Kafka), rejected (invalid), unavailable (Kafka down)',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    validationFailures: new Counter({
      name: 'ingestion_validation_failures_total',
      help: 'Failing fields of rejected applications, by contract field path',
      labelNames: ['field'],
      registers: [registry],
    }),
    produceErrors: new Counter({
      name: 'ingestion_produce_errors_total',
      help: 'Failed Kafka writes, by reason (timeout, unavailable, rejected, error)',
      labelNames: ['reason'],
      registers: [registry],
    }),
    kafkaConnected: new Gauge({
      name: 'ingestion_kafka_connected',
      help: '1 when the producer is connected and the last produce or probe succeeded',
      registers: [registry],
    }),
  };
  for (const outcome of ['accepted', 'rejected', 'unavailable']) metrics.applications.inc({ outcome }, 0);
  metrics.kafkaConnected.set(0);
  return metrics;
}

/**
 * The contract field a validation error path points at, safe as a label: segments that exist in the
 * submission schema are kept, the first unknown one becomes `*` and the rest is dropped.
 */
export function fieldLabel(path: string): string {
  if (path === '/' || path === '') return '/';
  let schema: TSchema | undefined = ApplicationSubmission;
  const kept: string[] = [];
  for (const raw of path.split('/').slice(1)) {
    const segment = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    const properties: Record<string, TSchema> | undefined = (
      schema as { properties?: Record<string, TSchema> } | undefined
    )?.properties;
    const next: TSchema | undefined =
      properties !== undefined && Object.hasOwn(properties, segment) ? properties[segment] : undefined;
    if (next === undefined) {
      kept.push('*');
      break;
    }
    kept.push(segment);
    schema = next;
  }
  return `/${kept.join('/')}`;
}
