/** RFC 9457 problem details (`application/problem+json`) the API answers errors with. */
import type { ServerResponse } from 'node:http';
import type { FieldError } from '../contract/validate.ts';

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  /** Every failing field (validation problems only). */
  errors?: FieldError[];
}

/** The OpenAPI schema of `Problem`, shared by every API document that answers with problems. */
export const PROBLEM_SCHEMA = {
  type: 'object',
  required: ['type', 'title', 'status', 'detail'],
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    errors: {
      type: 'array',
      description: 'Every failing field (validation problems only)',
      items: {
        type: 'object',
        required: ['path', 'message'],
        properties: {
          path: { type: 'string', description: 'JSON Pointer of the failing field' },
          message: { type: 'string' },
        },
      },
    },
  },
} as const;

export const PROBLEM_TYPES = {
  invalid: '/problems/invalid-application',
  malformed: '/problems/malformed-body',
  tooLarge: '/problems/payload-too-large',
  mediaType: '/problems/unsupported-media-type',
  method: '/problems/method-not-allowed',
  notFound: '/problems/not-found',
  badRequest: '/problems/bad-request',
  decisionsUnavailable: '/problems/decisions-unavailable',
  unavailable: '/problems/kafka-unavailable',
  internal: '/problems/internal-error',
} as const;

export function sendProblem(
  res: ServerResponse,
  problem: Problem,
  headers: Record<string, string | number> = {},
): void {
  const body = JSON.stringify(problem);
  res.writeHead(problem.status, {
    'content-type': 'application/problem+json',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(body);
}

export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
  });
  res.end(body);
}
