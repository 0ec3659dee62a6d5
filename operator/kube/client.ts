/**
 * A thin Kubernetes REST client: the one place the operator sends requests to the API server
 * (informers' watches aside), so every request is counted by verb and resource.
 * Authentication and TLS come from a client-node KubeConfig (kubeconfig file, or in-cluster token).
 */
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest, type RequestOptions } from 'node:https';
import type { KubeConfig, KubernetesListObject, KubernetesObject } from '@kubernetes/client-node';
import type { Counter } from 'prom-client';

/** Kubernetes API verbs as the audit log names them, plus `apply` for server-side apply. */
export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'apply' | 'delete';
/** The verbs that change state on the API server (the idle tests count them). */
export const WRITE_VERBS: ReadonlySet<string> = new Set<Verb>([
  'create',
  'update',
  'patch',
  'apply',
  'delete',
]);

export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly reason: string,
    message: string,
    readonly verb: Verb,
    readonly path: string,
  ) {
    super(`${verb} ${path}: ${statusCode} ${reason}: ${message}`);
    this.name = 'ApiError';
  }
}

export function isNotFound(err: unknown): boolean {
  return err instanceof ApiError && err.statusCode === 404;
}
export function isConflict(err: unknown): boolean {
  return err instanceof ApiError && err.statusCode === 409;
}
export function isAlreadyExists(err: unknown): boolean {
  return err instanceof ApiError && err.statusCode === 409 && err.reason === 'AlreadyExists';
}

export interface RequestParams {
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  contentType?: string;
  /** The Accept header (default `application/json`). */
  accept?: string;
}

/** The resource a path names, for metrics: `/apis/apps/v1/namespaces/x/deployments/y` → `deployments`. */
export function resourceOfPath(path: string): string {
  const parts =
    path
      .split('?')[0]
      ?.split('/')
      .filter((p) => p !== '') ?? [];
  // /api/v1/... or /apis/group/version/...
  let i = parts[0] === 'api' ? 2 : 3;
  if (parts.length <= i) return 'discovery';
  if (parts[i] === 'namespaces' && parts.length > i + 2) i += 2;
  const resource = parts[i] ?? 'unknown';
  const sub = parts[i + 2];
  return sub === undefined ? resource : `${resource}/${sub}`;
}

/** How long credentials read from the kubeconfig (files, token) are reused before being read again. */
const CREDENTIALS_TTL_MS = 60_000;

interface Credentials {
  at: number;
  headers: Record<string, string>;
  auth: string | undefined;
  /** The TLS material the agent was built with, to notice a rotation. */
  tls: string;
}

export class KubeClient {
  private readonly server: URL;
  private agent: HttpAgent | HttpsAgent;
  private credentials: Credentials | undefined;
  private refreshing: Promise<Credentials> | undefined;

  constructor(
    readonly kubeConfig: KubeConfig,
    private readonly requests?: Counter<'verb' | 'resource' | 'code'>,
    /** Connections kept to the API server (HTTP/1.1: one request in flight each). */
    private readonly maxSockets = 64,
  ) {
    const cluster = kubeConfig.getCurrentCluster();
    if (cluster === null) throw new Error('kubeconfig has no current cluster');
    this.server = new URL(cluster.server);
    this.agent = this.newAgent({});
  }

  private newAgent(tls: RequestOptions): HttpAgent | HttpsAgent {
    if (this.server.protocol !== 'https:')
      return new HttpAgent({ keepAlive: true, maxSockets: this.maxSockets });
    return new HttpsAgent({
      keepAlive: true,
      maxSockets: this.maxSockets,
      ca: tls.ca,
      cert: tls.cert,
      key: tls.key,
      rejectUnauthorized: tls.rejectUnauthorized,
      servername: tls.servername,
    });
  }

  /**
   * Headers and TLS material from the kubeconfig, read again once a minute (client-go's pace): a
   * projected service-account token is rotated on disk; rotated client certificates get a new agent.
   * Reading them for every request would cost three file reads per request.
   */
  private async currentCredentials(): Promise<Credentials> {
    const c = this.credentials;
    if (c !== undefined && Date.now() - c.at < CREDENTIALS_TTL_MS) return c;
    this.refreshing ??= this.readCredentials().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  private async readCredentials(): Promise<Credentials> {
    const opts: RequestOptions = {};
    await this.kubeConfig.applyToHTTPSOptions(opts);
    const tls = [opts.ca, opts.cert, opts.key, opts.rejectUnauthorized, opts.servername]
      .map((v) => (v === undefined ? '' : String(v)))
      .join('\u0000');
    if (this.credentials !== undefined && this.credentials.tls !== tls) {
      const old = this.agent;
      setTimeout(() => old.destroy(), CREDENTIALS_TTL_MS).unref();
    }
    if (this.credentials === undefined || this.credentials.tls !== tls) this.agent = this.newAgent(opts);
    const fresh: Credentials = {
      at: Date.now(),
      headers: { ...(opts.headers as Record<string, string> | undefined) },
      auth: opts.auth ?? undefined,
      tls,
    };
    this.credentials = fresh;
    return fresh;
  }

  /** Counts a request made elsewhere (informers' watches). */
  count(verb: Verb, resource: string, code: number | string): void {
    this.requests?.inc({ verb, resource, code: String(code) });
  }

  async request<T>(method: string, verb: Verb, path: string, params: RequestParams = {}): Promise<T> {
    const creds = await this.currentCredentials();
    const url = new URL(this.server.toString().replace(/\/$/, '') + path);
    for (const [k, v] of Object.entries(params.query ?? {})) {
      if (v !== undefined) url.searchParams.set(k, String(v));
    }
    const body =
      params.body === undefined
        ? undefined
        : typeof params.body === 'string'
          ? params.body
          : JSON.stringify(params.body);
    const headers: Record<string, string> = {
      accept: params.accept ?? 'application/json',
      ...creds.headers,
    };
    if (body !== undefined) {
      headers['content-type'] = params.contentType ?? 'application/json';
      headers['content-length'] = String(Buffer.byteLength(body));
    }
    const resource = resourceOfPath(path);
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = send(
        url,
        {
          method,
          headers,
          agent: this.agent,
          auth: creds.auth,
          timeout: 60_000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
          );
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${verb} ${path}: timed out`)));
      req.on('error', (err) => {
        this.count(verb, resource, 'error');
        reject(err);
      });
      if (body !== undefined) req.write(body);
      req.end();
    });
    this.count(verb, resource, status);
    const parsed: unknown = text === '' ? undefined : safeJson(text);
    if (status >= 400) {
      const st = (parsed ?? {}) as { reason?: string; message?: string };
      throw new ApiError(status, st.reason ?? 'Unknown', st.message ?? text.slice(0, 500), verb, path);
    }
    return parsed as T;
  }

  get<T>(path: string): Promise<T> {
    return this.request<T>('GET', 'get', path);
  }

  list<T extends KubernetesObject>(
    path: string,
    query: RequestParams['query'] = {},
  ): Promise<KubernetesListObject<T>> {
    return this.request<KubernetesListObject<T>>('GET', 'list', path, { query });
  }

  create<T>(path: string, body: T, dryRun = false, fieldManager?: string): Promise<T> {
    return this.request<T>('POST', 'create', path, {
      body,
      query: {
        ...(dryRun ? { dryRun: 'All' } : {}),
        ...(fieldManager === undefined ? {} : { fieldManager }),
      },
    });
  }

  replace<T>(path: string, body: T): Promise<T> {
    return this.request<T>('PUT', 'update', path, { body });
  }

  /** Server-side apply under `fieldManager`, taking ownership of conflicting fields. */
  apply<T>(path: string, body: T, fieldManager: string): Promise<T> {
    return this.request<T>('PATCH', 'apply', path, {
      body,
      contentType: 'application/apply-patch+yaml',
      query: { fieldManager, force: true },
    });
  }

  mergePatch<T>(path: string, patch: unknown, fieldManager: string): Promise<T> {
    return this.request<T>('PATCH', 'patch', path, {
      body: patch,
      contentType: 'application/merge-patch+json',
      query: { fieldManager },
    });
  }

  jsonPatch<T>(path: string, ops: unknown[], fieldManager: string): Promise<T> {
    return this.request<T>('PATCH', 'patch', path, {
      body: ops,
      contentType: 'application/json-patch+json',
      query: { fieldManager },
    });
  }

  delete(path: string, body?: unknown): Promise<unknown> {
    return this.request<unknown>('DELETE', 'delete', path, body === undefined ? {} : { body });
  }

  close(): void {
    this.agent.destroy();
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return { message: text.slice(0, 500) };
  }
}
