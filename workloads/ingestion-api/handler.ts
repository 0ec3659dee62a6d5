/**
 * The HTTP request handler of the ingestion API: routing, body limits, validation with every failing
 * field (the schema, then the checks relative to the receipt time: contract/semantics.ts),
 * pseudonymization, the receipt time stamped on each event (`receivedAt`: when the request reached
 * this server, by its clock), and a 202 only after the writer (Kafka) acknowledged. Knows nothing of
 * kafkajs: it talks to an `ApplicationWriter`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../../lib/log.ts';
import { handleOpsRoute } from '../../lib/ops-server.ts';
import type { ApplicationEvent, ApplicationSubmission } from '../contract/application.ts';
import { pseudonymize } from '../contract/pseudonymize.ts';
import { semanticErrors } from '../contract/semantics.ts';
import { type FieldError, submissionValidator, type Validation } from '../contract/validate.ts';
import { readJsonBody } from './body.ts';
import type { IngestionConfig } from './config.ts';
import { DEFAULT_DECISION_MAX_WAIT_MS, type DecisionLookup, type Lookup } from './decisions.ts';
import { DECISION_ROUTE, fieldLabel, type IngestionMetrics, type Route } from './metrics.ts';
import { PROBLEM_TYPES, sendJson, sendProblem } from './problem.ts';
import { KafkaUnavailableError } from './sink.ts';

export interface ApplicationWriter {
  /** Resolves only after every event is durably written; throws KafkaUnavailableError otherwise. */
  write(events: readonly ApplicationEvent[]): Promise<void>;
  /** null when ready, or why not. */
  readiness(): string | null;
}

export interface HandlerDeps {
  config: Pick<
    IngestionConfig,
    | 'maxBatch'
    | 'maxBodyBytes'
    | 'maxBatchBodyBytes'
    | 'pseudonymizationKey'
    | 'retryAfterSeconds'
    | 'maxClockSkewMs'
  >;
  writer: ApplicationWriter;
  /** Where decisions are read (the warehouse); unset: the decision route answers 503. */
  decisions?: DecisionLookup;
  /** Longest wait a decision request may ask for (`?waitMs=`, capped to this). */
  decisionMaxWaitMs?: number;
  metrics: IngestionMetrics;
  log: Logger;
  openApi: unknown;
  /** True once shutdown began: requests already received are still served, on connections that then close. */
  closing: () => boolean;
}

/** Most field errors listed for one batch (each item already caps its own). */
const MAX_BATCH_ERRORS = 200;

export function createRequestHandler(deps: HandlerDeps): (req: IncomingMessage, res: ServerResponse) => void {
  const { metrics, log } = deps;
  const openApiBody = JSON.stringify(deps.openApi);

  const route = (path: string): Route =>
    path === '/v1/applications' || path === '/v1/applications:batch' || path === '/openapi.json'
      ? path
      : DECISION_PATH.test(path)
        ? DECISION_ROUTE
        : path === '/healthz' || path === '/readyz' || path === '/metrics'
          ? 'ops'
          : 'other';

  const rejected = (res: ServerResponse, errors: FieldError[], items: number, detail: string) => {
    metrics.applications.inc({ outcome: 'rejected' }, items);
    for (const field of new Set(errors.map((e) => fieldLabel(e.path.replace(/^\/applications\/\d+/, '')))))
      metrics.validationFailures.inc({ field });
    sendProblem(res, {
      type: PROBLEM_TYPES.invalid,
      title: 'Invalid application',
      status: 400,
      detail,
      errors,
    });
  };

  const unavailable = (res: ServerResponse, items: number, detail: string) => {
    metrics.applications.inc({ outcome: 'unavailable' }, items);
    sendProblem(
      res,
      { type: PROBLEM_TYPES.unavailable, title: 'Kafka unavailable', status: 503, detail },
      { 'retry-after': deps.config.retryAfterSeconds },
    );
  };

  const write = async (res: ServerResponse, events: ApplicationEvent[]): Promise<boolean> => {
    try {
      await deps.writer.write(events);
      metrics.applications.inc({ outcome: 'accepted' }, events.length);
      return true;
    } catch (err) {
      if (!(err instanceof KafkaUnavailableError)) throw err;
      unavailable(res, events.length, `${err.message}; nothing was accepted, retry later`);
      return false;
    }
  };

  /** The schema, then what depends on the receipt time. */
  const check = (doc: unknown, receivedAt: Date): Validation<ApplicationSubmission> => {
    const result = submissionValidator.validate(doc);
    if (!result.ok) return result;
    const errors = semanticErrors(result.value, receivedAt, { maxClockSkewMs: deps.config.maxClockSkewMs });
    return errors.length === 0 ? result : { ok: false, errors };
  };

  const submitOne = async (req: IncomingMessage, res: ServerResponse, receivedAt: Date) => {
    const body = await readJsonBody(req, deps.config.maxBodyBytes);
    if (!body.ok) return bodyProblem(res, body);
    const result = check(body.value, receivedAt);
    if (!result.ok)
      return rejected(res, result.errors, 1, `${result.errors.length} field(s) failed validation`);
    const event = pseudonymize(result.value, deps.config.pseudonymizationKey, receivedAt);
    if (await write(res, [event])) sendJson(res, 202, { applicationId: event.applicationId });
  };

  const submitBatch = async (req: IncomingMessage, res: ServerResponse, receivedAt: Date) => {
    const body = await readJsonBody(req, deps.config.maxBatchBodyBytes);
    if (!body.ok) return bodyProblem(res, body);
    const value = body.value;
    const items =
      typeof value === 'object' && value !== null && !Array.isArray(value)
        ? (value as Record<string, unknown>).applications
        : undefined;
    if (!Array.isArray(items) || items.length === 0)
      return rejected(
        res,
        [{ path: '/applications', message: 'Expected a non-empty array of applications' }],
        1,
        'the body must be {"applications": [ ... ]}',
      );
    if (items.length > deps.config.maxBatch)
      return sendProblem(res, {
        type: PROBLEM_TYPES.tooLarge,
        title: 'Batch too large',
        status: 413,
        detail: `a batch holds at most ${deps.config.maxBatch} applications (got ${items.length})`,
      });
    const errors: FieldError[] = [];
    const valid: ApplicationSubmission[] = [];
    let invalidItems = 0;
    items.forEach((item, i) => {
      const result = check(item, receivedAt);
      if (result.ok) {
        valid.push(result.value);
        return;
      }
      invalidItems++;
      for (const e of result.errors) {
        if (errors.length >= MAX_BATCH_ERRORS) break;
        errors.push({ path: `/applications/${i}${e.path === '/' ? '' : e.path}`, message: e.message });
      }
    });
    if (invalidItems > 0)
      return rejected(
        res,
        errors,
        items.length,
        `${invalidItems} of ${items.length} application(s) failed validation; none was accepted`,
      );
    const events = valid.map((s) => pseudonymize(s, deps.config.pseudonymizationKey, receivedAt));
    if (await write(res, events))
      sendJson(res, 202, { accepted: events.length, applicationIds: events.map((e) => e.applicationId) });
  };

  const maxWaitMs = deps.decisionMaxWaitMs ?? DEFAULT_DECISION_MAX_WAIT_MS;

  /** GET /v1/applications/{id}/decision[?waitMs=n]: 200 decided, 202 pending, 404 unknown. */
  const getDecision = async (req: IncomingMessage, res: ServerResponse, id: string, query: string) => {
    if (req.method !== 'GET')
      return sendProblem(
        res,
        { type: PROBLEM_TYPES.method, title: 'Method not allowed', status: 405, detail: 'use GET' },
        { allow: 'GET' },
      );
    if (!UUID.test(id))
      return sendProblem(res, {
        type: PROBLEM_TYPES.badRequest,
        title: 'Malformed application id',
        status: 400,
        detail: 'the application id must be a UUID',
      });
    const wait = parseWaitMs(query, maxWaitMs);
    if (wait === undefined)
      return sendProblem(res, {
        type: PROBLEM_TYPES.badRequest,
        title: 'Malformed waitMs',
        status: 400,
        detail: `waitMs must be an integer from 0 to ${maxWaitMs} (milliseconds)`,
      });
    if (deps.decisions === undefined)
      return sendProblem(
        res,
        {
          type: PROBLEM_TYPES.decisionsUnavailable,
          title: 'Decisions unavailable',
          status: 503,
          detail: 'this API has no warehouse to read decisions from',
        },
        { 'retry-after': deps.config.retryAfterSeconds },
      );
    let found: Lookup;
    try {
      found = await deps.decisions.find(id, wait);
    } catch (err) {
      log.warn({ err: err instanceof Error ? err.message : String(err) }, 'decision lookup failed');
      return sendProblem(
        res,
        {
          type: PROBLEM_TYPES.decisionsUnavailable,
          title: 'Decisions unavailable',
          status: 503,
          detail: 'the warehouse did not answer; retry later',
        },
        { 'retry-after': deps.config.retryAfterSeconds },
      );
    }
    if (found.state === 'decided') return sendJson(res, 200, found.decision);
    if (found.state === 'pending') {
      res.setHeader('retry-after', 1);
      return sendJson(res, 202, { applicationId: id.toLowerCase(), status: 'pending' });
    }
    sendProblem(res, {
      type: PROBLEM_TYPES.notFound,
      title: 'Unknown application',
      status: 404,
      detail:
        'no application with this id is known to the warehouse (yet: one accepted moments ago may take up to a second to appear; use waitMs)',
    });
  };

  const handle = async (
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    query: string,
    receivedAt: Date,
  ) => {
    const decision = DECISION_PATH.exec(path);
    if (decision !== null) return getDecision(req, res, safeDecode(decision[1] ?? ''), query);
    if (path === '/v1/applications' || path === '/v1/applications:batch') {
      if (req.method !== 'POST')
        return sendProblem(
          res,
          { type: PROBLEM_TYPES.method, title: 'Method not allowed', status: 405, detail: 'use POST' },
          { allow: 'POST' },
        );
      return path === '/v1/applications'
        ? submitOne(req, res, receivedAt)
        : submitBatch(req, res, receivedAt);
    }
    if (path === '/openapi.json' && req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(openApiBody);
      return;
    }
    const handled = await handleOpsRoute(req, res, {
      registry: metrics.registry,
      readiness: () => deps.writer.readiness(),
    });
    if (!handled)
      sendProblem(res, {
        type: PROBLEM_TYPES.notFound,
        title: 'Not found',
        status: 404,
        detail: 'no such route',
      });
  };

  return (req, res) => {
    const receivedAt = new Date();
    const [path = '/', query = ''] = (req.url ?? '/').split('?', 2);
    const r = route(path);
    if (deps.closing()) res.setHeader('connection', 'close');
    const end = metrics.httpDuration.startTimer({ route: r });
    res.once('finish', () => {
      end();
      metrics.httpRequests.inc({ route: r, method: methodLabel(req.method), status: String(res.statusCode) });
    });
    handle(req, res, path, query, receivedAt).catch((err: unknown) => {
      log.error({ err: err instanceof Error ? err.message : String(err), route: r }, 'request failed');
      if (!res.headersSent)
        sendProblem(res, {
          type: PROBLEM_TYPES.internal,
          title: 'Internal error',
          status: 500,
          detail: 'unexpected error; nothing was accepted',
        });
      else res.destroy();
    });
  };
}

function bodyProblem(
  res: ServerResponse,
  body: { status: 400 | 413 | 415; detail: string; drain: boolean },
): void {
  const kind =
    body.status === 413
      ? { type: PROBLEM_TYPES.tooLarge, title: 'Payload too large' }
      : body.status === 415
        ? { type: PROBLEM_TYPES.mediaType, title: 'Unsupported media type' }
        : { type: PROBLEM_TYPES.malformed, title: 'Malformed body' };
  sendProblem(
    res,
    { ...kind, status: body.status, detail: body.detail },
    body.drain ? {} : { connection: 'close' },
  );
}

/** `/v1/applications/{id}/decision` (the id is checked by the handler, so a bad one gets a 400). */
const DECISION_PATH = /^\/v1\/applications\/([^/]+)\/decision$/;
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** A path segment decoded; malformed escapes give '' (then a 400, not a 500). */
function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return '';
  }
}

/** `waitMs` from the query: absent = 0; above the cap = the cap; anything else malformed = undefined. */
export function parseWaitMs(query: string, maxWaitMs: number): number | undefined {
  const values = new URLSearchParams(query).getAll('waitMs');
  if (values.length === 0) return 0;
  const [v] = values;
  if (values.length > 1 || v === undefined || !/^\d{1,9}$/.test(v)) return undefined;
  return Math.min(Number(v), maxWaitMs);
}

const METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']);
const methodLabel = (m: string | undefined) => (m !== undefined && METHODS.has(m) ? m : 'OTHER');
