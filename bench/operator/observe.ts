/**
 * What the operator benchmark watches besides the operator's own metrics: CPU seconds per process
 * (/proc), the machine's load, and when the Deployment controller has observed every Deployment
 * of a namespace (the gate of READINESS_MODE=applied that the operator does not control).
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { KubeConfig, Watch } from '@kubernetes/client-node';
import type { KubeClient } from '../../operator/kube/client.ts';

const TICKS_PER_SECOND = 100;

/** user + system CPU seconds a process has used so far (NaN once it is gone). */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return Number.NaN;
  }
}

export function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

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

interface DeploymentLike {
  metadata: { name: string; generation?: number };
  status?: { observedGeneration?: number };
}

/**
 * Tracks the Deployments of one namespace through list + watch (re-listed if the watch ends):
 * how many exist and how many the Deployment controller has observed at their current generation,
 * with the time each total was first reached.
 */
export class DeploymentTracker {
  private readonly state = new Map<string, boolean>();
  private controller: AbortController | undefined;
  private stopped = false;
  private readonly milestones: Array<{
    what: 'exist' | 'observed';
    count: number;
    resolve: (ms: number) => void;
  }> = [];

  constructor(
    private readonly kubeconfig: string,
    private readonly client: KubeClient,
    private readonly namespace: string,
    private readonly t0: () => number,
  ) {}

  async start(): Promise<void> {
    const path = `/apis/apps/v1/namespaces/${this.namespace}/deployments`;
    const list = await this.client.list<never>(path);
    for (const d of list.items as unknown as DeploymentLike[]) this.set(d);
    const kc = new KubeConfig();
    kc.loadFromFile(this.kubeconfig);
    this.controller = await new Watch(kc).watch(
      path,
      { resourceVersion: list.metadata?.resourceVersion, allowWatchBookmarks: true },
      (phase, obj: DeploymentLike) => {
        if (phase === 'DELETED') this.state.delete(obj.metadata.name);
        else if (phase !== 'BOOKMARK') this.set(obj);
      },
      () => {
        if (!this.stopped) void this.start();
      },
    );
  }

  private set(d: DeploymentLike): void {
    const observed = (d.status?.observedGeneration ?? 0) >= (d.metadata.generation ?? 1);
    this.state.set(d.metadata.name, observed);
    this.check();
  }

  get exist(): number {
    return this.state.size;
  }

  get observed(): number {
    let n = 0;
    for (const o of this.state.values()) if (o) n++;
    return n;
  }

  private check(): void {
    for (let i = this.milestones.length - 1; i >= 0; i--) {
      const m = this.milestones[i] as (typeof this.milestones)[number];
      if ((m.what === 'exist' ? this.exist : this.observed) >= m.count) {
        this.milestones.splice(i, 1);
        m.resolve(Date.now() - this.t0());
      }
    }
  }

  /** Resolves with the ms since t0 when `count` Deployments exist / are observed. */
  when(what: 'exist' | 'observed', count: number): Promise<number> {
    return new Promise((resolve) => {
      this.milestones.push({ what, count, resolve });
      this.check();
    });
  }

  stop(): void {
    this.stopped = true;
    this.controller?.abort();
  }
}

/**
 * The API server's own count of the requests it served (`apiserver_request_total`), by
 * `VERB resource[/subresource]`, watches left out: everyone's requests (operator, controllers,
 * bench), so the difference between two reads says which writes the bring-up cost the API server.
 */
export function parseApiserverRequests(metrics: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of metrics.split('\n')) {
    if (!line.startsWith('apiserver_request_total{')) continue;
    const m = /^[^{]+\{(.*)\} ([0-9.eE+-]+)$/.exec(line);
    if (m === null) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[1] ?? '').matchAll(/(\w+)="([^"]*)"/g)) labels[l[1] as string] = l[2] as string;
    if (labels.verb === 'WATCH' || labels.verb === 'CONNECT') continue;
    const resource = labels.subresource ? `${labels.resource}/${labels.subresource}` : labels.resource;
    const k = `${labels.verb} ${resource ?? ''}`;
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
