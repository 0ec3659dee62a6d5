/**
 * The demo's webhook receiver: what a lender's alerting endpoint does with the platform's deliveries.
 * It listens on the node address (the pipeline's delivery pods reach the host there), verifies
 * every request's HMAC-SHA-256 signature with the key from the Secret the pipeline references
 * (`verifySignature`, the receiver side of workloads/alert-delivery/signature.ts), deduplicates on
 * the Idempotency-Key, and counts what it saw. To show retries it refuses the first attempt of a
 * deterministic share of the alerts with a 503, before processing them.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Worker } from 'node:worker_threads';
import {
  ATTEMPT_HEADER,
  IDEMPOTENCY_HEADER,
  SIGNATURE_HEADER,
  verifySignature,
} from '../workloads/alert-delivery/signature.ts';
import { unitHash } from './fraud-ops-plan.ts';

/** What the receiver saw; `accepted` holds each alert it processed, once per idempotency key. */
export interface ReceiverStats {
  /** Every HTTP request that reached the receiver. */
  requests: number;
  /** Distinct idempotency keys processed (2xx on the first good delivery). */
  accepted: number;
  /** Good deliveries of a key already processed: answered 200 and not processed again. */
  duplicates: number;
  /** Requests whose signature did not verify (wrong key, tampered body, stale or missing header): 401. */
  signatureFailures: number;
  /** First attempts refused on purpose (503) to exercise the sender's retries. */
  refusedOnPurpose: number;
  /** Signed requests that were not a well-formed alert (no key, key ≠ alertId, not JSON): 400. */
  malformed: number;
  /** Processed alerts by rule (the receiver's own tally, for the report). */
  byRule: Record<string, number>;
}

export interface ReceivedAlert {
  alertId: string;
  applicationId: string;
  ruleId: string;
  mode: string;
  /** 2xx answers for this key (1 = exactly once). */
  deliveries: number;
  /** Highest X-Credit-Delivery-Attempt seen (2+ means the sender retried). */
  maxAttempt: number;
}

export interface WebhookReceiver {
  /** http://<host>:<port>/alerts */
  url: string;
  /** The signing key, once the demo has read it from the pipeline's Secret. */
  setKey(key: string): void;
  stats(): ReceiverStats;
  alerts(): ReadonlyMap<string, ReceivedAlert>;
  close(): Promise<void>;
}

const PATH = '/alerts';
const BODY_LIMIT = 1024 * 1024;

export interface ReceiverOptions {
  /** Share of alerts whose first attempt is refused with 503 (chosen by a hash of the alert id). */
  refuseFirstShare: number;
  /** Address to listen on: loopback (default), or the node address when the workloads are pods. */
  host?: string;
}

export async function startWebhookReceiver(opts: ReceiverOptions): Promise<WebhookReceiver> {
  let key: string | null = null;
  const stats: ReceiverStats = {
    requests: 0,
    accepted: 0,
    duplicates: 0,
    signatureFailures: 0,
    refusedOnPurpose: 0,
    malformed: 0,
    byRule: {},
  };
  const received = new Map<string, ReceivedAlert>();
  const refused = new Set<string>();

  const answer = (res: ServerResponse, status: number, body: Record<string, unknown>, headers = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
  };

  const handle = (req: IncomingMessage, res: ServerResponse, body: string) => {
    stats.requests++;
    if (req.method !== 'POST' || req.url !== PATH) return answer(res, 404, { error: 'not here' });
    if (key === null) return answer(res, 503, { error: 'not ready' }, { 'retry-after': '1' });
    const header = req.headers[SIGNATURE_HEADER];
    const verified = verifySignature(Array.isArray(header) ? header[0] : header, body, key);
    if (!verified.ok) {
      stats.signatureFailures++;
      return answer(res, 401, { error: verified.reason });
    }
    const idem = req.headers[IDEMPOTENCY_HEADER];
    let alert: { alertId?: unknown; applicationId?: unknown; ruleId?: unknown; mode?: unknown };
    try {
      alert = JSON.parse(body) as typeof alert;
    } catch {
      stats.malformed++;
      return answer(res, 400, { error: 'not JSON' });
    }
    if (typeof idem !== 'string' || idem === '' || idem !== alert.alertId) {
      stats.malformed++;
      return answer(res, 400, { error: 'Idempotency-Key missing or not the alert id' });
    }
    const attempt = Number(req.headers[ATTEMPT_HEADER] ?? 1) || 1;
    const seen = received.get(idem);
    if (seen !== undefined) {
      stats.duplicates++;
      seen.deliveries++;
      seen.maxAttempt = Math.max(seen.maxAttempt, attempt);
      return answer(res, 200, { duplicate: true });
    }
    if (!refused.has(idem) && unitHash(`refuse:${idem}`) < opts.refuseFirstShare) {
      refused.add(idem);
      stats.refusedOnPurpose++;
      return answer(res, 503, { error: 'refused on purpose (demo)' }, { 'retry-after': '1' });
    }
    const ruleId = String(alert.ruleId ?? 'unknown');
    received.set(idem, {
      alertId: idem,
      applicationId: String(alert.applicationId ?? ''),
      ruleId,
      mode: String(alert.mode ?? ''),
      deliveries: 1,
      maxAttempt: attempt,
    });
    stats.accepted++;
    stats.byRule[ruleId] = (stats.byRule[ruleId] ?? 0) + 1;
    return answer(res, 200, { accepted: true });
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= BODY_LIMIT) chunks.push(c);
    });
    req.on('end', () => {
      if (size > BODY_LIMIT) {
        stats.requests++;
        stats.malformed++;
        answer(res, 413, { error: 'too large' });
        return;
      }
      handle(req, res, Buffer.concat(chunks).toString('utf8'));
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${opts.host ?? '127.0.0.1'}:${port}${PATH}`,
    setKey: (k) => {
      key = k;
    },
    stats: () => ({ ...stats, byRule: { ...stats.byRule } }),
    alerts: () => received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The receiver as seen from the demo when it runs in a worker thread (`startReceiverThread`). */
export interface ReceiverThread {
  url: string;
  setKey(key: string): Promise<void>;
  stats(): Promise<ReceiverStats>;
  alerts(): Promise<ReadonlyMap<string, ReceivedAlert>>;
  close(): Promise<void>;
}

/**
 * Starts the receiver in a worker thread (demo/fraud-ops-receiver-worker.ts), so the demo's
 * synchronous calls cannot stall it.
 */
export async function startReceiverThread(opts: ReceiverOptions): Promise<ReceiverThread> {
  const worker = new Worker(new URL('./fraud-ops-receiver-worker.ts', import.meta.url), { workerData: opts });
  const waiting = new Map<number, (m: Record<string, unknown>) => void>();
  let failure: Error | null = null;
  worker.on('message', (m: { id: number } & Record<string, unknown>) => {
    waiting.get(m.id)?.(m);
    waiting.delete(m.id);
  });
  const fail = (err: Error) => {
    failure = err;
    for (const [, resolve] of waiting) resolve({ error: err.message });
    waiting.clear();
  };
  worker.on('error', fail);
  worker.on('exit', (code) => fail(new Error(`the receiver thread exited (${code})`)));
  let next = 1;
  const ask = (op: string, extra: Record<string, unknown> = {}) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      if (failure !== null) return reject(failure);
      const id = next++;
      waiting.set(id, (m) => (typeof m.error === 'string' ? reject(new Error(m.error)) : resolve(m)));
      worker.postMessage({ id, op, ...extra });
    });
  const started = await new Promise<Record<string, unknown>>((resolve, reject) => {
    waiting.set(0, (m) => (typeof m.error === 'string' ? reject(new Error(m.error)) : resolve(m)));
  });
  return {
    url: String(started.url),
    setKey: async (key) => {
      await ask('setKey', { key });
    },
    stats: async () => (await ask('stats')).stats as ReceiverStats,
    alerts: async () =>
      new Map(((await ask('alerts')).alerts as ReceivedAlert[]).map((a) => [a.alertId, a] as const)),
    close: async () => {
      if (failure === null) await ask('close').catch(() => undefined);
      await worker.terminate();
    },
  };
}
