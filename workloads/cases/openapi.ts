/** The cases API's OpenAPI 3.1 document, served at `/openapi.json`. */
import { PROBLEM_SCHEMA } from '../ingestion-api/problem.ts';
import {
  ASSIGNEE_MAX_CHARS,
  CASE_STATUSES,
  CASE_VERBS,
  NOTE_MAX_CHARS,
  SEVERITIES,
  VERDICTS,
} from './model.ts';

type Json = Record<string, unknown>;

const problem = (description: string): Json => ({
  description,
  content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
});

const caseIdParam = {
  name: 'caseId',
  in: 'path',
  required: true,
  schema: { type: 'integer', minimum: 1 },
};

const commonErrors = {
  '401': problem('No bearer token, or one the cluster does not accept (TokenReview).'),
  '403': problem(
    'The caller lacks the verb of the `cases` resource this action needs (SubjectAccessReview).',
  ),
  '503': problem('The Kubernetes API server could not check the credentials; retry.'),
};

const mutation = (summary: string, verb: string, body: Json, extra: Json = {}): Json => ({
  post: {
    summary,
    description: `Needs verb \`${verb}\` on \`cases\`. Writes an audit event in the same transaction.`,
    parameters: [caseIdParam],
    requestBody: { required: true, content: { 'application/json': { schema: body } } },
    responses: {
      '200': {
        description: 'The case as it is now',
        content: { 'application/json': { schema: { $ref: '#/components/schemas/CaseDetail' } } },
      },
      '400': problem('Invalid body: unknown fields, wrong types, a note over the limit or with markup.'),
      ...commonErrors,
      '404': problem('No such case.'),
      '409': problem('Not allowed in the case’s current status (e.g. the case is resolved).'),
      '415': problem('Content-Type is not application/json.'),
      ...extra,
    },
  },
});

export function buildOpenApi(): Json {
  const caseSummary = {
    type: 'object',
    properties: {
      caseId: { type: 'integer' },
      applicationId: { type: 'string', format: 'uuid' },
      status: { enum: [...CASE_STATUSES] },
      severity: { enum: [...SEVERITIES] },
      assignee: { type: ['string', 'null'] },
      openedAt: { type: 'string', format: 'date-time' },
      updatedAt: { type: 'string', format: 'date-time' },
      firstEventAt: { type: 'string', format: 'date-time' },
      resolvedAt: { type: ['string', 'null'], format: 'date-time' },
      resolvedBy: { type: ['string', 'null'] },
      version: { type: 'integer' },
      rules: { type: 'array', items: { type: 'string' } },
      alertCount: { type: 'integer' },
    },
  };
  return {
    openapi: '3.1.0',
    info: {
      title: 'credit-platform cases API',
      version: '1.0.0',
      description:
        'The fraud analysts’ case queue. One case per application with live fraud alerts, opened from the ' +
        'alerts topic (a replay never opens a second one). Status: open → investigating → confirmed_fraud | ' +
        'legitimate | inconclusive (a verdict is final and labels every alert of the case in ' +
        '`fact_alert_outcome`). Authentication: a Kubernetes bearer token (TokenReview). Authorisation: a ' +
        `SubjectAccessReview on verbs of resource \`cases\` in group \`creditplatform.dev\` (${CASE_VERBS.join(', ')}). ` +
        'Identifiers are pseudonymous (application ids, national-ID hashes); no names or contact details.',
    },
    security: [{ kubernetesToken: [] }],
    paths: {
      '/v1/whoami': {
        get: {
          summary: 'The caller and the verbs they hold',
          responses: { '200': { description: 'username, groups, verbs: {verb: allowed}' }, ...commonErrors },
        },
      },
      '/v1/cases': {
        get: {
          summary: 'The queue: highest severity first, then the oldest (verb `list`)',
          parameters: [
            {
              name: 'status',
              in: 'query',
              description: 'Comma-separated statuses',
              schema: { type: 'string' },
            },
            {
              name: 'severity',
              in: 'query',
              description: 'Comma-separated severities',
              schema: { type: 'string' },
            },
            {
              name: 'rule',
              in: 'query',
              description: 'Cases with an alert of this rule',
              schema: { type: 'string' },
            },
            { name: 'assignee', in: 'query', schema: { type: 'string' } },
            {
              name: 'olderThan',
              in: 'query',
              description: 'Opened at least this long ago: 30m, 4h, 7d',
              schema: { type: 'string', pattern: '^\\d+[smhd]$' },
            },
            {
              name: 'newerThan',
              in: 'query',
              description: 'Opened at most this long ago',
              schema: { type: 'string', pattern: '^\\d+[smhd]$' },
            },
            {
              name: 'limit',
              in: 'query',
              schema: { type: 'integer', minimum: 1, maximum: 200, default: 50 },
            },
            { name: 'offset', in: 'query', schema: { type: 'integer', minimum: 0, default: 0 } },
          ],
          responses: {
            '200': {
              description: 'A page of the queue and the total matching',
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    properties: {
                      total: { type: 'integer' },
                      limit: { type: 'integer' },
                      offset: { type: 'integer' },
                      cases: { type: 'array', items: { $ref: '#/components/schemas/CaseSummary' } },
                    },
                  },
                },
              },
            },
            '400': problem('Unknown parameter, status or severity, or a malformed age.'),
            ...commonErrors,
          },
        },
      },
      '/v1/cases/{caseId}': {
        get: {
          summary:
            'A case with its evidence, pseudonymised application facts, linked applications and audit trail (verb `get`)',
          parameters: [caseIdParam],
          responses: {
            '200': {
              description: 'The case',
              content: { 'application/json': { schema: { $ref: '#/components/schemas/CaseDetail' } } },
            },
            ...commonErrors,
            '404': problem('No such case.'),
          },
        },
      },
      '/v1/cases/{caseId}/assignee': mutation(
        'Assign the case (taking it oneself or dropping one’s own needs `update`; anyone else, `assign`)',
        'update | assign',
        {
          type: 'object',
          required: ['assignee'],
          additionalProperties: false,
          properties: {
            assignee: {
              type: ['string', 'null'],
              maxLength: ASSIGNEE_MAX_CHARS,
              pattern: '^[A-Za-z0-9@._:+-]+$',
            },
          },
        },
      ),
      '/v1/cases/{caseId}/notes': mutation('Add a note (plain text)', 'update', {
        type: 'object',
        required: ['text'],
        additionalProperties: false,
        properties: {
          text: {
            type: 'string',
            minLength: 1,
            maxLength: NOTE_MAX_CHARS,
            description: 'No HTML tags, no javascript: URLs',
          },
        },
      }),
      '/v1/cases/{caseId}/status': mutation(
        'Move the case on: investigating (`update`) or a verdict (`resolve`), which labels its alerts',
        'update | resolve',
        {
          type: 'object',
          required: ['status'],
          additionalProperties: false,
          properties: { status: { enum: ['investigating', ...VERDICTS] } },
        },
      ),
      '/v1/rules/precision': {
        get: {
          summary:
            'Per-rule precision from verdicts (rpt_rule_precision) and daily volume (rpt_case_volume) (verb `list`)',
          parameters: [
            { name: 'days', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 366, default: 30 } },
          ],
          responses: { '200': { description: '{rules: [...], volume: [...]}' }, ...commonErrors },
        },
      },
    },
    components: {
      securitySchemes: {
        kubernetesToken: {
          type: 'http',
          scheme: 'bearer',
          description:
            'A token the cluster accepts: a ServiceAccount token (kubectl create token) or an OIDC id token',
        },
      },
      schemas: {
        Problem: PROBLEM_SCHEMA,
        CaseSummary: caseSummary,
        CaseDetail: {
          allOf: [
            { $ref: '#/components/schemas/CaseSummary' },
            {
              type: 'object',
              properties: {
                alerts: {
                  type: 'array',
                  items: { type: 'object' },
                  description:
                    'rule, version, severity, reason, event/detection time, evidence (window, counts)',
                },
                decision: {
                  type: ['object', 'null'],
                  description:
                    'The credit decision beside the case, read only: issued (as first given to the applicant: recordId, revision, decision, reasonCodes, modelKey, source, issuedAt), current (a later superseding record, or null), alertsAfterIssue (alerts of the case detected after it was issued) and reviewApproval (an approval with later live alerts); null while undecided. The case never changes the decision record.',
                },
                facts: {
                  type: ['object', 'null'],
                  description:
                    'The application as the warehouse holds it (hashes, loan and employment fields); null until loaded',
                },
                linked: {
                  type: 'array',
                  items: { type: 'object' },
                  description:
                    'Applications sharing a device, IP, national-ID hash, … (via), with their case if any',
                },
                events: {
                  type: 'array',
                  items: { type: 'object' },
                  description: 'The audit trail: at, actor, action, detail',
                },
              },
            },
          ],
        },
      },
    },
  };
}
