/**
 * The cases HTTP API and page. Every /v1 route needs a bearer token the Kubernetes API server accepts
 * (401 otherwise) and the verb of the `cases` resource its action needs (403 otherwise); the page's
 * files are code without data and are served to anyone, with a Content-Security-Policy that allows
 * only its own script. Bad input gets a problem+json 4xx and changes nothing.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../../lib/log.ts';
import { readJsonBody } from '../ingestion-api/body.ts';
import { PROBLEM_TYPES, sendJson, sendProblem } from '../ingestion-api/problem.ts';
import type { Pool } from '../warehouse/db.ts';
import { type Authenticator, AuthUnavailableError, bearerToken, type Identity } from './auth.ts';
import type { CasesMetrics } from './metrics.ts';
import {
  CASE_STATUSES,
  CASE_VERBS,
  type CaseStatus,
  type CaseVerb,
  checkAssignee,
  checkNote,
  isCaseStatus,
  isSeverity,
  type Severity,
} from './model.ts';
import { buildOpenApi } from './openapi.ts';
import { pageAsset } from './page.ts';
import {
  addNote,
  assignCase,
  CaseError,
  type CaseFilter,
  getCase,
  listCases,
  rulePrecision,
  ruleVolume,
  setStatus,
} from './store.ts';

const BODY_LIMIT = 16 * 1024;
export const MAX_PAGE_SIZE = 200;

export interface HandlerDeps {
  pool: Pool;
  auth: Authenticator;
  metrics: CasesMetrics;
  log: Logger;
}

class BadRequest extends Error {}

type Route =
  | { action: 'whoami' }
  | { action: 'list' }
  | { action: 'precision' }
  | { action: 'get'; caseId: number }
  | { action: 'assign' | 'note' | 'status'; caseId: number };

function route(method: string, path: string): Route | 'method' | null {
  if (path === '/v1/whoami') return method === 'GET' ? { action: 'whoami' } : 'method';
  if (path === '/v1/cases') return method === 'GET' ? { action: 'list' } : 'method';
  if (path === '/v1/rules/precision') return method === 'GET' ? { action: 'precision' } : 'method';
  const m = /^\/v1\/cases\/([^/]+)(?:\/(assignee|notes|status))?$/.exec(path);
  if (m === null) return null;
  const id = m[1] as string;
  const caseId = /^[1-9]\d{0,14}$/.test(id) ? Number(id) : Number.NaN;
  const sub = m[2];
  if (sub === undefined) return method === 'GET' ? { action: 'get', caseId } : 'method';
  if (method !== 'POST') return 'method';
  return { action: sub === 'assignee' ? 'assign' : sub === 'notes' ? 'note' : 'status', caseId };
}

const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

export function createCasesHandler(deps: HandlerDeps) {
  const { pool, auth, metrics, log } = deps;
  const openapi = JSON.stringify(buildOpenApi());

  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v);
    const url = new URL(req.url ?? '/', 'http://cases.local');
    const method = req.method ?? 'GET';
    const asset = method === 'GET' ? pageAsset(url.pathname) : undefined;
    if (asset !== undefined) {
      res.writeHead(200, { ...asset.headers, 'content-length': asset.body.length }).end(asset.body);
      return;
    }
    if (method === 'GET' && url.pathname === '/favicon.ico') {
      res.writeHead(204).end();
      return;
    }
    if (method === 'GET' && url.pathname === '/openapi.json') {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-cache' }).end(openapi);
      return;
    }
    const r = route(method, url.pathname);
    if (r === null) {
      sendProblem(res, {
        type: PROBLEM_TYPES.notFound,
        title: 'Not found',
        status: 404,
        detail: `no route ${url.pathname}`,
      });
      return;
    }
    if (r === 'method') {
      sendProblem(
        res,
        {
          type: PROBLEM_TYPES.method,
          title: 'Method not allowed',
          status: 405,
          detail: `${method} is not allowed on ${url.pathname}`,
        },
        {},
      );
      return;
    }
    const outcome = (o: string) => metrics.actions.inc({ action: r.action, outcome: o });

    // Authentication.
    const token = bearerToken(req.headers.authorization);
    let who: Identity | null = null;
    try {
      who = token === null ? null : await auth.authenticate(token);
    } catch (err) {
      outcome('unavailable');
      log.error({ err: (err as Error).message }, 'authentication unavailable');
      sendProblem(res, unavailable(err), { 'retry-after': 5 });
      return;
    }
    if (who === null) {
      outcome('unauthenticated');
      sendProblem(
        res,
        {
          type: '/problems/unauthenticated',
          title: 'Unauthenticated',
          status: 401,
          detail:
            token === null
              ? 'send a Kubernetes bearer token (Authorization: Bearer …)'
              : 'the token is not accepted by the cluster',
        },
        { 'www-authenticate': 'Bearer realm="cases"' },
      );
      return;
    }
    const identity = who;
    const authorize = (verb: CaseVerb) => auth.authorize(identity, verb);
    const require = async (verb: CaseVerb) => {
      if (!(await authorize(verb)))
        throw new CaseError(403, `this needs the '${verb}' verb on the cases resource`);
    };

    try {
      switch (r.action) {
        case 'whoami': {
          const verbs: Record<string, boolean> = {};
          for (const v of CASE_VERBS) verbs[v] = await authorize(v);
          sendJson(res, 200, { username: identity.username, groups: identity.groups, verbs });
          break;
        }
        case 'list': {
          await require('list');
          const filter = parseFilter(url.searchParams);
          sendJson(res, 200, {
            ...(await listCases(pool, filter)),
            limit: filter.limit,
            offset: filter.offset,
          });
          break;
        }
        case 'precision': {
          await require('list');
          const days = intParam(url.searchParams, 'days', 30, 1, 366);
          const [rules, volume] = await Promise.all([rulePrecision(pool), ruleVolume(pool, days)]);
          sendJson(res, 200, { rules, volume });
          break;
        }
        case 'get': {
          await require('get');
          if (Number.isNaN(r.caseId)) throw new CaseError(404, 'case ids are positive integers');
          sendJson(res, 200, await getCase(pool, r.caseId));
          break;
        }
        default: {
          if (Number.isNaN(r.caseId)) throw new CaseError(404, 'case ids are positive integers');
          const body = await readJsonBody(req, BODY_LIMIT);
          if (!body.ok) {
            outcome('invalid');
            sendProblem(res, {
              type: PROBLEM_TYPES.malformed,
              title: 'Bad request body',
              status: body.status,
              detail: body.detail,
            });
            if (body.drain) req.resume();
            return;
          }
          const value = body.value;
          if (value === null || typeof value !== 'object' || Array.isArray(value))
            throw new BadRequest('the body must be a JSON object');
          const fields = value as Record<string, unknown>;
          const only = (allowed: string[]) => {
            const extra = Object.keys(fields).filter((k) => !allowed.includes(k));
            if (extra.length > 0)
              throw new BadRequest(`unknown field(s): ${extra.join(', ')} (allowed: ${allowed.join(', ')})`);
          };
          let updated: unknown;
          if (r.action === 'assign') {
            only(['assignee']);
            if (!('assignee' in fields)) throw new BadRequest('assignee is required (a user name, or null)');
            const a = checkAssignee(fields.assignee);
            if (!a.ok) throw new BadRequest(a.reason);
            updated = await assignCase(pool, r.caseId, identity.username, a.assignee, authorize);
          } else if (r.action === 'note') {
            only(['text']);
            const n = checkNote(fields.text);
            if (!n.ok) throw new BadRequest(n.reason);
            updated = await addNote(pool, r.caseId, identity.username, n.text, authorize);
          } else {
            only(['status']);
            const s = fields.status;
            if (typeof s !== 'string' || !isCaseStatus(s))
              throw new BadRequest(`status must be one of ${CASE_STATUSES.join(', ')}`);
            updated = await setStatus(pool, r.caseId, identity.username, s, authorize);
          }
          sendJson(res, 200, updated);
          log.info({ action: r.action, caseId: r.caseId, actor: identity.username }, 'case changed');
        }
      }
      outcome('ok');
    } catch (err) {
      if (err instanceof BadRequest) {
        outcome('invalid');
        sendProblem(res, {
          type: '/problems/invalid-request',
          title: 'Invalid request',
          status: 400,
          detail: err.message,
        });
      } else if (err instanceof CaseError) {
        const kind = { 403: 'forbidden', 404: 'not_found', 409: 'conflict' }[err.status];
        outcome(kind);
        if (err.status === 403) log.warn({ action: r.action, actor: identity.username }, 'forbidden');
        sendProblem(res, {
          type: `/problems/${kind.replace('_', '-')}`,
          title: { 403: 'Forbidden', 404: 'Not found', 409: 'Conflict' }[err.status],
          status: err.status,
          detail: err.message,
        });
      } else if (err instanceof AuthUnavailableError) {
        outcome('unavailable');
        sendProblem(res, unavailable(err), { 'retry-after': 5 });
      } else {
        outcome('error');
        log.error({ err, action: r.action }, 'request failed');
        if (!res.headersSent)
          sendProblem(res, {
            type: PROBLEM_TYPES.internal,
            title: 'Internal error',
            status: 500,
            detail: 'the request failed; see the service log',
          });
      }
    }
  };
}

function unavailable(err: unknown) {
  return {
    type: '/problems/auth-unavailable',
    title: 'Authentication unavailable',
    status: 503,
    detail: `the Kubernetes API server could not check the credentials (${(err as Error).message}); retry shortly`,
  };
}

function intParam(q: URLSearchParams, name: string, dflt: number, min: number, max: number): number {
  const v = q.get(name);
  if (v === null || v === '') return dflt;
  if (!/^\d{1,9}$/.test(v) || Number(v) < min || Number(v) > max)
    throw new BadRequest(`${name} must be an integer from ${min} to ${max}`);
  return Number(v);
}

/** `30m`, `4h`, `7d` → seconds. */
export function parseAge(value: string, name: string): number {
  const m = /^(\d{1,6})([smhd])$/.exec(value);
  if (m === null) throw new BadRequest(`${name} must be a duration like 30m, 4h or 7d`);
  return Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86_400 }[m[2] as 's' | 'm' | 'h' | 'd'];
}

const FILTER_PARAMS = ['status', 'severity', 'rule', 'assignee', 'olderThan', 'newerThan', 'limit', 'offset'];

export function parseFilter(q: URLSearchParams): CaseFilter {
  for (const k of q.keys())
    if (!FILTER_PARAMS.includes(k))
      throw new BadRequest(`unknown query parameter ${k} (allowed: ${FILTER_PARAMS.join(', ')})`);
  const list = (name: string) => {
    const v = q.get(name);
    return v === null || v === '' ? undefined : v.split(',').map((s) => s.trim());
  };
  const filter: CaseFilter = {
    limit: intParam(q, 'limit', 50, 1, MAX_PAGE_SIZE),
    offset: intParam(q, 'offset', 0, 0, 1_000_000),
  };
  const statuses = list('status');
  if (statuses !== undefined) {
    const bad = statuses.filter((s) => !isCaseStatus(s));
    if (bad.length > 0)
      throw new BadRequest(`unknown status ${bad.join(', ')} (known: ${CASE_STATUSES.join(', ')})`);
    filter.statuses = statuses as CaseStatus[];
  }
  const severities = list('severity');
  if (severities !== undefined) {
    const bad = severities.filter((s) => !isSeverity(s));
    if (bad.length > 0) throw new BadRequest(`unknown severity ${bad.join(', ')}`);
    filter.severities = severities as Severity[];
  }
  const rule = q.get('rule');
  if (rule !== null && rule !== '') {
    if (!/^[A-Za-z0-9._-]{1,100}$/.test(rule)) throw new BadRequest('rule must be a rule id');
    filter.ruleId = rule;
  }
  const assignee = q.get('assignee');
  if (assignee !== null && assignee !== '') filter.assignee = assignee;
  const older = q.get('olderThan');
  if (older !== null && older !== '') filter.minAgeSeconds = parseAge(older, 'olderThan');
  const newer = q.get('newerThan');
  if (newer !== null && newer !== '') filter.maxAgeSeconds = parseAge(newer, 'newerThan');
  return filter;
}
