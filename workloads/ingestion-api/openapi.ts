/** The OpenAPI 3.1 document served at `/openapi.json`, generated from the contract's schema. */
import { IssuedDecision } from '../../api/decision.ts';
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
  config: Pick<
    IngestionConfig,
    'maxBatch' | 'maxBodyBytes' | 'maxBatchBodyBytes' | 'applicationsTopic' | 'decisionMaxWaitMs'
  >,
): Json {
  const { $schema: _dialect, $id: _id, ...submission } = toJsonSchema(ApplicationSubmission);
  const { $schema: _d2, $id: _id2, ...issued } = toJsonSchema(IssuedDecision);
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
      '/v1/applications/{applicationId}/decision': {
        get: {
          operationId: 'getDecision',
          summary: 'The credit decision on an application, as issued',
          description:
            'The decision record as first issued (what the applicant is told; a later record that supersedes ' +
            'it, e.g. after a backfill, does not change this answer), with its adverse-action reasons and the ' +
            'model that decided. No personal data beyond the id the caller sent. `waitMs` holds the request ' +
            `until the decision exists or the wait is over (at most ${config.decisionMaxWaitMs} ms; larger values ` +
            'are capped): a channel can post the application, then wait here for the answer. Authentication: as ' +
            'for the posts (none in the API itself; the Service and its NetworkPolicy are the boundary).',
          parameters: [
            {
              name: 'applicationId',
              in: 'path',
              required: true,
              schema: { type: 'string', format: 'uuid' },
              description: 'The applicationId of the posted application',
            },
            {
              name: 'waitMs',
              in: 'query',
              required: false,
              schema: { type: 'integer', minimum: 0, default: 0 },
              description: `How long to wait for the decision, in ms (0: answer at once; capped at ${config.decisionMaxWaitMs})`,
            },
          ],
          responses: {
            '200': {
              description: 'Decided.',
              content: { 'application/json': { schema: { $ref: '#/components/schemas/IssuedDecision' } } },
            },
            '202': {
              description: 'Accepted, not decided yet (still so when the wait ended). Ask again.',
              headers: { 'Retry-After': { schema: { type: 'integer' }, description: 'Seconds' } },
              content: { 'application/json': { schema: { $ref: '#/components/schemas/DecisionPending' } } },
            },
            '400': problem('Malformed application id (not a UUID) or waitMs (not a non-negative integer).'),
            '404': problem(
              'No application with this id is known (one accepted moments ago appears within the warehouse loader’s lag; wait with waitMs).',
            ),
            '503': problem('The warehouse is unreachable or not configured.', {
              'Retry-After': { schema: { type: 'integer' }, description: 'Seconds to wait before retrying' },
            }),
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
        IssuedDecision: issued,
        DecisionPending: {
          type: 'object',
          required: ['applicationId', 'status'],
          properties: {
            applicationId: { type: 'string', format: 'uuid' },
            status: { const: 'pending' },
          },
        },
        Problem: PROBLEM_SCHEMA,
      },
    },
  };
}
