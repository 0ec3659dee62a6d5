/**
 * What the operator benchmark watches besides the operator's own metrics: CPU seconds per process
 * (/proc, ../lib/proc.ts), the machine's load, Ready pipelines and Deployments observed by their
 * controller (the gate of READINESS_MODE=applied that the operator does not control) through watches,
 * and the API server's own request counts and latencies.
 */
import { loadavg } from 'node:os';
import { KubeConfig, Watch } from '@kubernetes/client-node';
import type { KubeClient } from '../../operator/kube/client.ts';
import { cpuSeconds } from '../lib/proc.ts';

export function load1(): number {
  return loadavg()[0] as number;
}

/** CPU seconds of named processes between `start` and `read`. */
export class CpuMeter {
  private readonly at: Map<string, number>;

  constructor(private readonly pids: Record<string, number | undefined>) {
    this.at = new Map(Object.entries(pids).map(([n, p]) => [n, p === undefined ? 0 : cpuSeconds(p)]));
  }

  read(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [n, p] of Object.entries(this.pids))
      if (p !== undefined) out[n] = cpuSeconds(p) - (this.at.get(n) ?? 0);
    return out;
  }
}

export function formatCpu(cpu: Record<string, number>): string {
  return Object.entries(cpu)
    .map(([n, s]) => `${n} ${s.toFixed(1)}`)
    .join(', ');
}

interface Named {
  metadata: { name: string; namespace?: string; generation?: number };
}

const keyOf = (o: Named) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;

/**
 * Tracks the objects of one collection (e.g. a namespace's Deployments) through list + watch,
 * re-listed if the watch ends: what each object currently is (`classify`, a small value), how many
 * satisfy a predicate, and when a count was first reached — without asking the API server again
 * (the bench polled LISTs of 500 pipelines every second before: API server and bench CPU that the
 * bring-up figures then included).
 */
export class CollectionTracker<T extends Named, S> {
  private readonly state = new Map<string, S>();
  private controller: AbortController | undefined;
  private stopped = false;
  private readonly milestones: Array<{
    pred: (s: S) => boolean;
    count: number;
    resolve: (ms: number) => void;
  }> = [];

  constructor(
    private readonly kubeconfig: string,
    private readonly client: KubeClient,
    private readonly path: string,
    private readonly classify: (obj: T) => S,
    private readonly t0: () => number,
    /** Which objects of the collection count (e.g. those of some namespaces); all by default. */
    private readonly keep: (obj: T) => boolean = () => true,
  ) {}

  async start(): Promise<void> {
    for (;;) {
      try {
        const list = await this.client.list<never>(this.path);
        for (const o of list.items as unknown as T[]) this.set(o);
        const kc = new KubeConfig();
        kc.loadFromFile(this.kubeconfig);
        this.controller = await new Watch(kc).watch(
          this.path,
          { resourceVersion: list.metadata?.resourceVersion, allowWatchBookmarks: true },
          (phase, obj: T) => {
            if (phase === 'DELETED') this.state.delete(keyOf(obj));
            else if (phase !== 'BOOKMARK') this.set(obj);
          },
          () => {
            if (!this.stopped) void this.start();
          },
        );
        return;
      } catch {
        // A saturated API server can refuse the list or the watch: ask again.
        if (this.stopped) return;
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  }

  private set(o: T): void {
    if (!this.keep(o)) return;
    this.state.set(keyOf(o), this.classify(o));
    this.check();
  }

  get size(): number {
    return this.state.size;
  }

  count(pred: (s: S) => boolean): number {
    let n = 0;
    for (const s of this.state.values()) if (pred(s)) n++;
    return n;
  }

  private check(): void {
    for (let i = this.milestones.length - 1; i >= 0; i--) {
      const m = this.milestones[i] as (typeof this.milestones)[number];
      if (this.count(m.pred) >= m.count) {
        this.milestones.splice(i, 1);
        m.resolve(Date.now() - this.t0());
      }
    }
  }

  /** Resolves with the ms since t0 when `count` objects satisfy `pred`. */
  when(pred: (s: S) => boolean, count: number): Promise<number> {
    return new Promise((resolve) => {
      this.milestones.push({ pred, count, resolve });
      this.check();
    });
  }

  stop(): void {
    this.stopped = true;
    this.controller?.abort();
  }
}

/** A Deployment's state for the trackers: has its controller observed its current generation? */
export function deploymentObserved(d: Named & { status?: { observedGeneration?: number } }): boolean {
  return (d.status?.observedGeneration ?? 0) >= (d.metadata.generation ?? 1);
}

/** A CreditPipeline's state for the trackers: Ready for its current generation? */
export function pipelineReady(
  p: Named & {
    status?: { conditions?: Array<{ type: string; status: string; observedGeneration?: number }> };
  },
): boolean {
  const r = p.status?.conditions?.find((c) => c.type === 'Ready');
  return r?.status === 'True' && r.observedGeneration === p.metadata.generation;
}

/** Mean latency per `VERB resource[/subresource]` from `apiserver_request_duration_seconds`. */
export interface LatencyRow {
  key: string;
  count: number;
  meanMs: number;
}

type SumCount = Map<string, { sum: number; count: number }>;

function histogramTotals(
  metrics: string,
  name: string,
  keyOf: (l: Record<string, string>) => string | undefined,
): SumCount {
  const out: SumCount = new Map();
  for (const line of metrics.split('\n')) {
    if (!line.startsWith(`${name}_sum{`) && !line.startsWith(`${name}_count{`)) continue;
    const m = /^[^{]+_(sum|count)\{(.*)\} ([0-9.eE+-]+)$/.exec(line);
    if (m === null) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)) labels[l[1] as string] = l[2] as string;
    const k = keyOf(labels);
    if (k === undefined) continue;
    const e = out.get(k) ?? { sum: 0, count: 0 };
    e[m[1] as 'sum' | 'count'] += Number(m[3]);
    out.set(k, e);
  }
  return out;
}

/**
 * The API server's request latencies (apiserver_request_duration_seconds, watches aside) and its
 * etcd request latencies (etcd_request_duration_seconds, by operation and type), from /metrics.
 */
export function parseLatencies(metrics: string): { api: SumCount; etcd: SumCount } {
  return {
    api: histogramTotals(metrics, 'apiserver_request_duration_seconds', (l) =>
      l.verb === 'WATCH' || l.verb === 'CONNECT'
        ? undefined
        : `${l.verb} ${l.resource}${l.subresource ? `/${l.subresource}` : ''}`,
    ),
    etcd: histogramTotals(metrics, 'etcd_request_duration_seconds', (l) => `${l.operation} ${l.type}`),
  };
}

/** `after − before` of latency totals: count and mean per key, most requests first. */
export function latencyDelta(before: SumCount, after: SumCount, top = 12): LatencyRow[] {
  return [...after.entries()]
    .map(([key, v]) => {
      const b = before.get(key) ?? { sum: 0, count: 0 };
      const count = v.count - b.count;
      return { key, count, meanMs: count > 0 ? ((v.sum - b.sum) / count) * 1000 : 0 };
    })
    .filter((r) => r.count > 0)
    .sort((a, b) => b.count - a.count)
    .slice(0, top);
}

export function formatLatencies(rows: LatencyRow[]): string {
  return rows.map((r) => `${r.key} ${r.count} × ${r.meanMs.toFixed(1)} ms`).join(', ');
}

/**
 * The API server's own count of the requests it served (`apiserver_request_total`), by
 * `VERB resource[/subresource]`, watches left out: everyone's requests (operator, controllers,
 * bench), so the difference between two reads says which writes the bring-up cost the API server.
 * `errorsOnly`: only the answers ≥ 400, keyed `VERB resource code` (a retry storm shows here).
 */
export function parseApiserverRequests(metrics: string, errorsOnly = false): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of metrics.split('\n')) {
    if (!line.startsWith('apiserver_request_total{')) continue;
    const m = /^[^{]+\{(.*)\} ([0-9.eE+-]+)$/.exec(line);
    if (m === null) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[1] ?? '').matchAll(/(\w+)="([^"]*)"/g)) labels[l[1] as string] = l[2] as string;
    if (labels.verb === 'WATCH' || labels.verb === 'CONNECT') continue;
    if (errorsOnly && Number(labels.code) < 400) continue;
    const resource = labels.subresource ? `${labels.resource}/${labels.subresource}` : labels.resource;
    const k = `${labels.verb} ${resource ?? ''}${errorsOnly ? ` ${labels.code}` : ''}`;
    out.set(k, (out.get(k) ?? 0) + Number(m[2]));
  }
  return out;
}

/** `after − before`, largest first, as `VERB resource n` (at most `top` entries, the rest summed). */
export function requestDelta(
  before: Map<string, number>,
  after: Map<string, number>,
  top = 14,
): { total: number; writes: number; text: string } {
  const delta = [...after.entries()]
    .map(([k, v]) => [k, v - (before.get(k) ?? 0)] as const)
    .filter(([, v]) => v > 0)
    .sort((a, b) => b[1] - a[1]);
  const total = delta.reduce((n, [, v]) => n + v, 0);
  const writes = delta
    .filter(([k]) => /^(POST|PUT|PATCH|APPLY|DELETE) /.test(k))
    .reduce((n, [, v]) => n + v, 0);
  const shown = delta.slice(0, top).map(([k, v]) => `${k} ${v}`);
  const rest = delta.slice(top).reduce((n, [, v]) => n + v, 0);
  return { total, writes, text: [...shown, ...(rest > 0 ? [`others ${rest}`] : [])].join(', ') };
}
