/**
 * Cluster DNS stand-in. Pods here are processes on loopback, so a Service name such as
 * `credit-demo-postgres.credit.svc:5432` has to become the loopback address of whatever backs it:
 * a process the runner started, or a harness server standing in for an image it cannot run.
 */

export interface Endpoint {
  host: string;
  port: number;
}

export class ServiceMap {
  private readonly byServicePort = new Map<string, Endpoint[]>();

  /** Registers a backend of `<service>.<namespace>` on a service port. */
  add(namespace: string, service: string, port: number, endpoint: Endpoint): void {
    const key = `${service}.${namespace}:${port}`;
    const list = this.byServicePort.get(key) ?? [];
    if (!list.some((e) => e.host === endpoint.host && e.port === endpoint.port)) list.push(endpoint);
    this.byServicePort.set(key, list);
  }

  remove(endpoint: Endpoint): void {
    for (const [key, list] of this.byServicePort) {
      const kept = list.filter((e) => !(e.host === endpoint.host && e.port === endpoint.port));
      if (kept.length === 0) this.byServicePort.delete(key);
      else this.byServicePort.set(key, kept);
    }
  }

  /** `service.namespace:port` → loopback backends, for tools outside the runner (the demo). */
  snapshot(): Record<string, string[]> {
    return Object.fromEntries(
      [...this.byServicePort].map(([key, list]) => [key, list.map((e) => `${e.host}:${e.port}`)]),
    );
  }

  /** The inverse of `snapshot()`: a map rebuilt from the table the runner publishes. */
  static fromSnapshot(table: Readonly<Record<string, readonly string[]>>): ServiceMap {
    const map = new ServiceMap();
    for (const [key, endpoints] of Object.entries(table)) {
      const m = /^([^.]+)\.([^:]+):(\d+)$/.exec(key);
      if (m === null) continue;
      for (const e of endpoints) {
        const i = e.lastIndexOf(':');
        map.add(m[2] as string, m[1] as string, Number(m[3]), {
          host: e.slice(0, i),
          port: Number(e.slice(i + 1)),
        });
      }
    }
    return map;
  }

  /** The backends of a host:port, when the host is a cluster Service name this map knows. */
  resolve(host: string, port: number, podNamespace: string): Endpoint[] | undefined {
    const svc = serviceOf(host, podNamespace);
    return svc === undefined ? undefined : this.byServicePort.get(`${svc.service}.${svc.namespace}:${port}`);
  }

  /**
   * Services of `podNamespace` named in `value` (host:port) that exist (`known`) but have no
   * loopback endpoint yet: in a cluster such a name resolves as soon as the Service exists.
   */
  unresolved(value: string, podNamespace: string, known: ReadonlySet<string>): string[] {
    const missing: string[] = [];
    for (const m of value.matchAll(HOST_PORT)) {
      const svc = serviceOf(m[1] ?? '', podNamespace);
      if (svc === undefined || svc.namespace !== podNamespace || !known.has(svc.service)) continue;
      if (this.resolve(m[1] ?? '', Number(m[2]), podNamespace) === undefined) missing.push(svc.service);
    }
    return missing;
  }

  /**
   * Rewrites every `host:port` that names a known Service inside a configuration value
   * (comma-separated broker lists and URLs included) to its loopback backends.
   */
  rewrite(value: string, podNamespace: string): string {
    return value.replace(/([a-z0-9][a-z0-9.-]*):(\d{1,5})(?:,([a-z0-9][a-z0-9.-]*):(\d{1,5}))*/g, (match) =>
      match
        .split(',')
        .map((hp) => {
          const i = hp.lastIndexOf(':');
          const endpoints = this.resolve(hp.slice(0, i), Number(hp.slice(i + 1)), podNamespace);
          return endpoints === undefined ? hp : endpoints.map((e) => `${e.host}:${e.port}`).join(',');
        })
        .join(','),
    );
  }
}

/** A host:port inside a configuration value. */
const HOST_PORT = /([a-z0-9][a-z0-9.-]*):(\d{1,5})/g;

/** `svc`, `svc.ns`, `svc.ns.svc` or `svc.ns.svc.cluster.local`: the Service it names, if any. */
function serviceOf(host: string, podNamespace: string): { service: string; namespace: string } | undefined {
  const m = /^([a-z0-9-]+)(?:\.([a-z0-9-]+))?(?:\.svc(?:\.cluster\.local)?)?\.?$/.exec(host);
  if (m === null || m[1] === undefined) return undefined;
  return { service: m[1], namespace: m[2] ?? podNamespace };
}
