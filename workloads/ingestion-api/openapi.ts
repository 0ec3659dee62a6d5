/** The OpenAPI 3.1 document served at `/openapi.json`, generated from the contract's schema. */
import { ApplicationSubmission, SCHEMA_VERSION } from '../contract/application.ts';
import { toJsonSchema } from '../contract/json-schema.ts';
import type { IngestionConfig } from './config.ts';
import { PROBLEM_SCHEMA } from './problem.ts';

type Json = Record<string, unknown>;

const problem = (description: string, extraHeaders: Json = {}): Json => ({
  description,
  headers: extraHeaders,
  content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
});

export function buildOpenApi(
  config: Pick<IngestionConfig, 'maxBatch' | 'maxBodyBytes' | 'maxBatchBodyBytes' | 'applicationsTopic'>,
): Json {
  const { $schema: _dialect, $id: _id, ...submission } = toJsonSchema(ApplicationSubmission);
  const errors = {
    '400': problem('Invalid application(s): `errors` lists every failing field path and reason.'),
    '413': problem('Body over the size limit, or a batch over the item limit.'),
    '415': problem('Content-Type is not application/json.'),
    '503': problem('Kafka did not acknowledge the write; nothing is accepted. Retry after the given delay.', {
      'Retry-After': { schema: { type: 'integer' }, description: 'Seconds to wait before retrying' },
    }),
  };
  return {
    openapi: '3.1.0',
    info: {
      title: 'credit-platform ingestion API',
      version: '1.0.0',
      description:
        `Takes loan applications (${SCHEMA_VERSION}), validates them, replaces the national ID by its ` +
        `HMAC and produces them to Kafka topic \`${config.applicationsTopic}\` keyed by customerId ` +
        '(acks=all, idempotent producer). 202 means Kafka acknowledged the write. Re-posting the same ' +
        'applicationId is safe: downstream consumers key on it.',
    },
    paths: {
      '/v1/applications': {
        post: {
          operationId: 'submitApplication',
          summary: 'Submit one application',
          requestBody: {
            required: true,
            description: `At most ${config.maxBodyBytes} bytes.`,
            content: {
              'application/json': { schema: { $ref: '#/components/schemas/ApplicationSubmission' } },
            },
          },
          responses: {
            '202': {
              description: 'Written to Kafka.',
              content: { 'application/json': { schema: { $ref: '#/components/schemas/Accepted' } } },
            },
            ...errors,
          },
        },
      },
      '/v1/applications:batch': {
        post: {
          operationId: 'submitApplications',
          summary: `Submit up to ${config.maxBatch} applications at once`,
          description:
            'All or nothing on validation: one invalid item rejects the batch (paths are prefixed ' +
            '`/applications/<index>`). On 503 some items may have been written; re-post the whole batch.',
          requestBody: {
            required: true,
            description: `At most ${config.maxBatch} applications and ${config.maxBatchBodyBytes} bytes.`,
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  additionalProperties: false,
                  required: ['applications'],
                  properties: {
                    applications: {
                      type: 'array',
                      minItems: 1,
                      maxItems: config.maxBatch,
                      items: { $ref: '#/components/schemas/ApplicationSubmission' },
                    },
                  },
                },
              },
            },
          },
          responses: {
            '202': {
              description: 'All written to Kafka.',
              content: { 'application/json': { schema: { $ref: '#/components/schemas/BatchAccepted' } } },
            },
            ...errors,
          },
        },
      },
      '/healthz': { get: { summary: 'Process alive', responses: { '200': { description: 'ok' } } } },
      '/readyz': {
        get: {
          summary: 'Ready: the Kafka producer is connected and Kafka answers',
          responses: {
            '200': { description: 'ready' },
            '503': { description: 'not ready, with the reason' },
          },
        },
      },
      '/metrics': {
        get: { summary: 'Prometheus metrics', responses: { '200': { description: 'text format' } } },
      },
    },
    components: {
      schemas: {
        ApplicationSubmission: submission,
        Accepted: {
          type: 'object',
          required: ['applicationId'],
          properties: { applicationId: { type: 'string', format: 'uuid' } },
        },
        BatchAccepted: {
          type: 'object',
          required: ['accepted', 'applicationIds'],
          properties: {
            accepted: { type: 'integer' },
            applicationIds: { type: 'array', items: { type: 'string', format: 'uuid' } },
          },
        },
        Problem: PROBLEM_SCHEMA,
      },
    },
  };
}
