/**
 * Kubelet stand-in, part 2: a node named `local-runner` that "schedules" the pods of the watched
 * namespaces onto itself, runs each as local processes (pod-process.ts) or on a harness server
 * (stand-ins.ts), reports pod status (Running, Ready from the readiness probe, Succeeded/Failed,
 * restarts) so Deployments become available and Jobs complete for the real controller-manager, and
 * finishes graceful deletions. No kube-scheduler and no container runtime exist on this machine.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type {
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  V1Pod,
  V1PodCondition,
  V1Service,
} from '@kubernetes/client-node';
import { STRIMZI_GROUP, STRIMZI_VERSION } from '../../api/gvk.ts';
import { logDir } from '../lib/paths.ts';
import { addScrapeTarget, removeScrapeTarget } from '../lib/prometheus-targets.ts';
import type { InfraState } from '../lib/state.ts';
import {
  containerEnv,
  type ObjectReader,
  PodResolutionError,
  type ProcessPlan,
  planPod,
  podDir,
} from './pod-process.ts';
import { ServiceMap } from './service-map.ts';
import { ensureTopics, type KafkaTopicObject, type StandIn, standInFor } from './stand-ins.ts';

export const NODE_NAME = 'local-runner';

interface Running {
  uid: string;
  key: string;
  /** containerPort → loopback port. */
  ports: Map<number, number>;
  procs: ChildProcess[];
  standIn: StandIn | undefined;
  ready: boolean;
  restarts: number;
  exited: { code: number; reason: string } | undefined;
  stopping: boolean;
  readinessUrl: string | undefined;
  startedAt: string;
}

export interface KubeletApis {
  core: CoreV1Api;
  coordination: CoordinationV1Api;
  custom: CustomObjectsApi;
}

export class LocalKubelet {
  readonly services = new ServiceMap();
  private readonly pods = new Map<string, Running>();
  private readonly failures = new Map<string, string>();
  /** Service names per namespace, as last listed. */
  private readonly knownServices = new Map<string, Set<string>>();
  private timer: NodeJS.Timeout | undefined;
  private ticking = false;
  private lastHeartbeat = 0;
  private readonly reader: ObjectReader;

  constructor(
    private readonly api: KubeletApis,
    private readonly namespaces: readonly string[],
    private readonly readInfra: () => InfraState,
    private readonly log: (msg: string) => void,
  ) {
    this.reader = {
      configMap: async (ns, name) => {
        try {
          return (await api.core.readNamespacedConfigMap({ name, namespace: ns })).data ?? {};
        } catch {
          return undefined;
        }
      },
      secret: async (ns, name) => {
        try {
          const s = await api.core.readNamespacedSecret({ name, namespace: ns });
          return Object.fromEntries(
            Object.entries(s.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]),
          );
        } catch {
          return undefined;
        }
      },
      serviceAccountKubeconfig: async (ns, sa, dir) => {
        const kube = readInfra().kube;
        if (kube === undefined)
          throw new PodResolutionError('no Kubernetes control plane in .state/infra.json');
        const tr = await api.core.createNamespacedServiceAccountToken({
          name: sa,
          namespace: ns,
          body: { spec: { audiences: [], expirationSeconds: 24 * 3600 } },
        });
        const file = join(dir, 'serviceaccount.kubeconfig');
        mkdirSync(dir, { recursive: true });
        const kc = {
          apiVersion: 'v1',
          kind: 'Config',
          clusters: [
            {
              name: 'local',
              cluster: { server: kube.server, 'certificate-authority': join(kube.pkiDir, 'ca.crt') },
            },
          ],
          users: [{ name: `system:serviceaccount:${ns}:${sa}`, user: { token: tr.status?.token ?? '' } }],
          contexts: [
            {
              name: 'local',
              context: { cluster: 'local', user: `system:serviceaccount:${ns}:${sa}`, namespace: ns },
            },
          ],
          'current-context': 'local',
        };
        writeFileSync(file, JSON.stringify(kc), { mode: 0o600 });
        return file;
      },
    };
  }

  /** The harness servers as .state/infra.json says now (they may be restarted on new ports). */
  private infra(): InfraState {
    return this.readInfra();
  }

  async start(): Promise<void> {
    await this.registerNode().catch((e: unknown) => this.log(`node registration: ${String(e)}`));
    this.timer = setInterval(() => void this.tick(), 1000);
    await this.tick();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await Promise.all([...this.pods.values()].map((r) => this.kill(r)));
  }

  /** Loopback endpoints of a Service port (e.g. to reach the ingestion API from the demo). */
  endpoints(namespace: string, service: string, port: number): string[] {
    return (this.services.resolve(`${service}.${namespace}`, port, namespace) ?? []).map(
      (e) => `${e.host}:${e.port}`,
    );
  }

  private async registerNode(): Promise<void> {
    const body = {
      metadata: {
        name: NODE_NAME,
        labels: { 'kubernetes.io/hostname': NODE_NAME, 'kubernetes.io/os': 'linux' },
      },
      spec: {},
    };
    try {
      await this.api.core.createNode({ body });
    } catch {
      /* exists */
    }
    await this.heartbeat();
  }

  private async heartbeat(): Promise<void> {
    const now = new Date();
    const leaseName = NODE_NAME;
    const lease = {
      metadata: { name: leaseName, namespace: 'kube-node-lease' },
      spec: { holderIdentity: NODE_NAME, leaseDurationSeconds: 40, renewTime: now as unknown as Date },
    };
    try {
      const cur = await this.api.coordination.readNamespacedLease({
        name: leaseName,
        namespace: 'kube-node-lease',
      });
      cur.spec = { ...cur.spec, holderIdentity: NODE_NAME, leaseDurationSeconds: 40, renewTime: now };
      await this.api.coordination.replaceNamespacedLease({
        name: leaseName,
        namespace: 'kube-node-lease',
        body: cur,
      });
    } catch {
      await this.api.coordination
        .createNamespacedLease({ namespace: 'kube-node-lease', body: lease })
        .catch(() => {});
    }
    if (Date.now() - this.lastHeartbeat < 20_000) return;
    for (let attempt = 0; ; attempt++) {
      const node = await this.api.core.readNode({ name: NODE_NAME });
      node.status = {
        ...node.status,
        capacity: { cpu: '64', memory: '256Gi', pods: '500' },
        allocatable: { cpu: '64', memory: '256Gi', pods: '500' },
        conditions: [
          {
            type: 'Ready',
            status: 'True',
            reason: 'LocalRunnerReady',
            message: 'local runner (kubelet stand-in) is running pods as processes',
            lastHeartbeatTime: now,
            lastTransitionTime:
              node.status?.conditions?.find((c) => c.type === 'Ready')?.lastTransitionTime ?? now,
          },
        ],
        addresses: [{ type: 'InternalIP', address: '127.0.0.1' }],
        nodeInfo: {
          architecture: 'amd64',
          bootID: '',
          containerRuntimeVersion: 'local-runner://processes',
          kernelVersion: '',
          kubeProxyVersion: '',
          kubeletVersion: this.infra().kube?.version ?? 'v1.34.4',
          machineID: '',
          operatingSystem: 'linux',
          osImage: 'local-runner',
          systemUUID: '',
        },
      };
      try {
        await this.api.core.replaceNodeStatus({ name: NODE_NAME, body: node });
        break;
      } catch (e) {
        if (attempt >= 5 || !String(e).includes('409')) throw e;
      }
    }
    this.lastHeartbeat = Date.now();
  }

  private async tick(): Promise<void> {
    if (this.ticking) return;
    this.ticking = true;
    try {
      await this.heartbeat().catch((e: unknown) => this.log(`node heartbeat failed: ${String(e)}`));
      for (const ns of this.namespaces) {
        await this.syncStrimziStandIn(ns).catch((e: unknown) => this.log(`topics: ${String(e)}`));
        const pods = (await this.api.core.listNamespacedPod({ namespace: ns })).items;
        const services = (await this.api.core.listNamespacedService({ namespace: ns })).items;
        this.knownServices.set(ns, new Set(services.map((svc) => svc.metadata?.name ?? '')));
        const seen = new Set<string>();
        for (const pod of pods) {
          const key = `${ns}/${pod.metadata?.name}`;
          seen.add(key);
          await this.syncPod(pod, key).catch((e: unknown) => this.log(`${key}: ${String(e)}`));
        }
        for (const [key, r] of this.pods) {
          if (key.startsWith(`${ns}/`) && !seen.has(key)) {
            await this.kill(r);
            this.pods.delete(key);
          }
        }
        this.refreshServices(ns, pods, services);
      }
    } catch (e) {
      this.log(`sync failed: ${String(e)}`);
    } finally {
      this.ticking = false;
    }
  }

  private async syncPod(pod: V1Pod, key: string): Promise<void> {
    const ns = pod.metadata?.namespace ?? 'default';
    const name = pod.metadata?.name ?? '';
    const running = this.pods.get(key);
    if (running && running.uid !== pod.metadata?.uid) {
      await this.kill(running);
      this.pods.delete(key);
    }
    if (pod.metadata?.deletionTimestamp) {
      const r = this.pods.get(key);
      if (r) {
        await this.kill(r);
        this.pods.delete(key);
      }
      if (pod.spec?.nodeName === NODE_NAME) {
        await this.api.core
          .deleteNamespacedPod({ name, namespace: ns, gracePeriodSeconds: 0 })
          .catch(() => {});
      }
      return;
    }
    if (!pod.spec?.nodeName) {
      await this.api.core.createNamespacedPodBinding({
        name,
        namespace: ns,
        body: {
          metadata: { name, namespace: ns },
          target: { apiVersion: 'v1', kind: 'Node', name: NODE_NAME },
        },
      });
      this.log(`scheduled ${key} on ${NODE_NAME}`);
      return;
    }
    if (pod.spec.nodeName !== NODE_NAME) return;
    const phase = pod.status?.phase;
    if (phase === 'Succeeded' || phase === 'Failed') return;
    const r = this.pods.get(key);
    if (r === undefined) {
      await this.startPod(pod, key);
      return;
    }
    await this.observe(pod, r);
  }

  /** Logs why a pod cannot start (once per distinct reason); rethrows all but a PodResolutionError. */
  private cannotStartYet(key: string, e: unknown): void {
    const msg = e instanceof Error ? e.message : String(e);
    if (this.failures.get(key) !== msg) this.log(`${key} cannot start yet: ${msg}`);
    this.failures.set(key, msg);
    if (!(e instanceof PodResolutionError)) throw e;
  }

  private async startPod(pod: V1Pod, key: string): Promise<void> {
    const containers = pod.spec?.containers ?? [];
    const first = containers[0];
    const standIn = first === undefined ? undefined : standInFor(first, this.infra());
    const r: Running = {
      uid: pod.metadata?.uid ?? '',
      key,
      ports: new Map(),
      procs: [],
      standIn,
      ready: false,
      restarts: 0,
      exited: undefined,
      stopping: false,
      readinessUrl: undefined,
      startedAt: new Date().toISOString(),
    };
    if (standIn) {
      let env: Record<string, string>;
      try {
        env = await containerEnv(pod, first ?? {}, this.reader);
      } catch (e) {
        this.cannotStartYet(key, e);
        return;
      }
      await standIn.prepare(env);
      for (const p of first?.ports ?? []) r.ports.set(p.containerPort, standIn.localPortFor(p.containerPort));
      r.ready = true;
      this.pods.set(key, r);
      this.log(`${key} runs on the ${standIn.describe}`);
      await this.writeStatus(pod, r);
      return;
    }
    let plans: { init: ProcessPlan[]; main: ProcessPlan[] };
    try {
      plans = await planPod(pod, this.reader, this.services);
    } catch (e) {
      this.cannotStartYet(key, e);
      return;
    }
    const waitingFor = unresolvedServices(
      plans,
      this.knownServices.get(pod.metadata?.namespace ?? '') ?? new Set(),
      this.services,
      pod.metadata?.namespace ?? '',
    );
    if (waitingFor.length > 0) {
      const msg = `waiting for endpoints of Service ${waitingFor.join(', ')}`;
      if (this.failures.get(key) !== msg) this.log(`${key} ${msg}`);
      this.failures.set(key, msg);
      return;
    }
    this.failures.delete(key);
    this.pods.set(key, r);
    for (const init of plans.init) {
      const code = await new Promise<number>((resolve) => {
        const child = this.spawnPlan(pod, init);
        child.on('exit', (c) => resolve(c ?? 1));
      });
      if (code !== 0) {
        r.exited = { code, reason: `init container ${init.container} exited ${code}` };
        await this.writeStatus(pod, r);
        return;
      }
    }
    for (const plan of plans.main) {
      for (const p of plan.ports) r.ports.set(p.containerPort, p.localPort);
      r.readinessUrl ??= plan.readinessUrl;
      const child = this.spawnPlan(pod, plan);
      r.procs.push(child);
      child.on('exit', (code, signal) => {
        if (r.stopping) return;
        r.exited = { code: code ?? 137, reason: signal ? `killed by ${signal}` : `exited with code ${code}` };
        this.log(`${key} container ${plan.container} ${r.exited.reason}`);
      });
    }
    this.log(`${key} started (${plans.main.map((p) => p.argv.slice(4).join(' ')).join('; ')})`);
    await this.writeStatus(pod, r);
  }

  private spawnPlan(pod: V1Pod, plan: ProcessPlan): ChildProcess {
    mkdirSync(logDir, { recursive: true });
    mkdirSync(podDir(pod), { recursive: true });
    const fd = openSync(
      join(logDir, `pod-${pod.metadata?.namespace}-${pod.metadata?.name}-${plan.container}.log`),
      'a',
    );
    const child = spawn(plan.argv[0] ?? process.execPath, plan.argv.slice(1), {
      cwd: plan.cwd,
      env: { PATH: process.env.PATH ?? '', HOME: podDir(pod), ...plan.env },
      stdio: ['ignore', fd, fd],
      detached: true,
    });
    closeSync(fd);
    return child;
  }

  private async observe(pod: V1Pod, r: Running): Promise<void> {
    if (r.exited) {
      const policy = pod.spec?.restartPolicy ?? 'Always';
      const restart = policy === 'Always' || (policy === 'OnFailure' && r.exited.code !== 0);
      if (restart) {
        const key = r.key;
        await this.kill(r);
        this.pods.delete(key);
        const backoffMs = Math.min(30_000, 1000 * 2 ** Math.min(r.restarts, 5));
        await new Promise((res) => setTimeout(res, Math.min(backoffMs, 5000)));
        await this.startPod(pod, key);
        const again = this.pods.get(key);
        if (again) again.restarts = r.restarts + 1;
        return;
      }
      await this.writeStatus(pod, r);
      return;
    }
    if (r.readinessUrl && !r.standIn) {
      const ok = await fetch(r.readinessUrl, { signal: AbortSignal.timeout(1000) })
        .then((res) => res.ok)
        .catch(() => false);
      if (ok !== r.ready) {
        r.ready = ok;
        await this.writeStatus(pod, r);
        return;
      }
    } else if (!r.ready && !r.standIn) {
      r.ready = true;
    }
    if (pod.status?.phase !== 'Running' || podReady(pod) !== r.ready) await this.writeStatus(pod, r);
  }

  private async writeStatus(pod: V1Pod, r: Running): Promise<void> {
    const now = new Date();
    const policy = pod.spec?.restartPolicy ?? 'Always';
    const terminal =
      r.exited !== undefined && policy !== 'Always' && !(policy === 'OnFailure' && r.exited.code !== 0);
    const phase = terminal ? (r.exited?.code === 0 ? 'Succeeded' : 'Failed') : 'Running';
    const ready = !terminal && r.ready && r.exited === undefined;
    const cond = (type: string, status: boolean): V1PodCondition => ({
      type,
      status: status ? 'True' : 'False',
      lastTransitionTime:
        pod.status?.conditions?.find((c) => c.type === type && c.status === (status ? 'True' : 'False'))
          ?.lastTransitionTime ?? now,
    });
    for (let attempt = 0; attempt < 5; attempt++) {
      const cur = await this.api.core.readNamespacedPod({
        name: pod.metadata?.name ?? '',
        namespace: pod.metadata?.namespace ?? '',
      });
      cur.status = {
        ...cur.status,
        phase,
        hostIP: '127.0.0.1',
        podIP: '127.0.0.1',
        podIPs: [{ ip: '127.0.0.1' }],
        startTime: cur.status?.startTime ?? new Date(r.startedAt),
        conditions: [
          cond('PodScheduled', true),
          cond('Initialized', true),
          cond('ContainersReady', ready),
          cond('Ready', ready),
        ],
        containerStatuses: (cur.spec?.containers ?? []).map((c) => ({
          name: c.name,
          image: c.image ?? '',
          imageID: '',
          ready,
          started: !terminal,
          restartCount: r.restarts,
          state: terminal
            ? {
                terminated: {
                  exitCode: r.exited?.code ?? 0,
                  reason: r.exited?.code === 0 ? 'Completed' : 'Error',
                  message: r.exited?.reason,
                  finishedAt: now,
                  startedAt: new Date(r.startedAt),
                },
              }
            : { running: { startedAt: new Date(r.startedAt) } },
        })),
      };
      try {
        await this.api.core.replaceNamespacedPodStatus({
          name: cur.metadata?.name ?? '',
          namespace: cur.metadata?.namespace ?? '',
          body: cur,
        });
        return;
      } catch (e) {
        if (!String(e).includes('409')) throw e;
      }
    }
  }

  private async kill(r: Running): Promise<void> {
    r.stopping = true;
    await Promise.all(
      r.procs.map(
        (p) =>
          new Promise<void>((resolve) => {
            if (p.exitCode !== null || p.signalCode !== null || p.pid === undefined) return resolve();
            const t = setTimeout(() => {
              try {
                process.kill(-(p.pid as number), 'SIGKILL');
              } catch {
                /* gone */
              }
            }, 10_000);
            p.once('exit', () => {
              clearTimeout(t);
              resolve();
            });
            try {
              process.kill(-(p.pid as number), 'SIGTERM');
            } catch {
              resolve();
            }
          }),
      ),
    );
  }

  /**
   * Services whose selector matches a ready pod resolve to that pod's loopback ports. A Service port
   * named `metrics` also makes Prometheus scrape the pod (the ServiceMonitor stand-in; labels as the
   * prometheus-operator sets them: job = Service name, namespace, service, pod, endpoint).
   */
  private refreshServices(ns: string, pods: V1Pod[], services: V1Service[]): void {
    for (const r of this.pods.values()) {
      if (!r.key.startsWith(`${ns}/`)) continue;
      for (const port of r.ports.values()) this.services.remove({ host: '127.0.0.1', port });
    }
    const scrape = new Map<string, { target: string; labels: Record<string, string> }>();
    for (const svc of services) {
      const selector = svc.spec?.selector;
      if (!selector || Object.keys(selector).length === 0) continue;
      for (const pod of pods) {
        const r = this.pods.get(`${ns}/${pod.metadata?.name}`);
        if (!r || r.exited || !r.ready) continue;
        const labels = pod.metadata?.labels ?? {};
        if (!Object.entries(selector).every(([k, v]) => labels[k] === v)) continue;
        for (const sp of svc.spec?.ports ?? []) {
          const target = sp.targetPort ?? sp.port;
          const containerPort =
            typeof target === 'number' || /^\d+$/.test(String(target))
              ? Number(target)
              : pod.spec?.containers.flatMap((c) => c.ports ?? []).find((p) => p.name === target)
                  ?.containerPort;
          const local = containerPort === undefined ? undefined : r.ports.get(containerPort);
          if (local === undefined) continue;
          this.services.add(ns, svc.metadata?.name ?? '', sp.port, { host: '127.0.0.1', port: local });
          if (sp.name === 'metrics' && this.infra().prometheus && !r.standIn) {
            const service = svc.metadata?.name ?? '';
            const podName = pod.metadata?.name ?? '';
            scrape.set(scrapeName(ns, podName), {
              target: `127.0.0.1:${local}`,
              labels: { job: service, namespace: ns, service, pod: podName, endpoint: 'metrics' },
            });
          }
        }
      }
    }
    this.syncScrapeTargets(ns, scrape);
  }

  /** Scrape-target name → what was written, so unchanged targets are not rewritten every tick. */
  private readonly scraped = new Map<string, string>();

  private syncScrapeTargets(
    ns: string,
    wanted: Map<string, { target: string; labels: Record<string, string> }>,
  ): void {
    const info = this.infra().prometheus;
    if (info === undefined) return;
    for (const [name, t] of wanted) {
      const written = JSON.stringify(t);
      if (this.scraped.get(name) === written) continue;
      addScrapeTarget(name, [t.target], t.labels, info);
      this.scraped.set(name, written);
    }
    for (const name of [...this.scraped.keys()]) {
      if (name.startsWith(scrapeName(ns, '')) && !wanted.has(name)) {
        removeScrapeTarget(name, info);
        this.scraped.delete(name);
      }
    }
  }

  /** Strimzi stand-in: each Kafka object resolves to the harness broker; KafkaTopics are created in it. */
  private async syncStrimziStandIn(ns: string): Promise<void> {
    const kafka = this.infra().kafka;
    if (kafka === undefined) return;
    const [host, port] = kafka.bootstrapServers.split(':');
    let clusters: Array<{ metadata: { name: string } }> = [];
    try {
      const list = (await this.api.custom.listNamespacedCustomObject({
        group: STRIMZI_GROUP,
        version: STRIMZI_VERSION,
        namespace: ns,
        plural: 'kafkas',
      })) as { items: Array<{ metadata: { name: string } }> };
      clusters = list.items;
    } catch {
      return; // Strimzi CRDs not installed: nothing to stand in for
    }
    for (const c of clusters) {
      this.services.add(ns, `${c.metadata.name}-kafka-bootstrap`, 9092, {
        host: host ?? '127.0.0.1',
        port: Number(port),
      });
    }
    const topics = (await this.api.custom.listNamespacedCustomObject({
      group: STRIMZI_GROUP,
      version: STRIMZI_VERSION,
      namespace: ns,
      plural: 'kafkatopics',
    })) as {
      items: Array<KafkaTopicObject & { status?: { conditions?: Array<{ type: string; status: string }> } }>;
    };
    const pending = topics.items.filter(
      (t) => !t.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
    );
    if (pending.length === 0) return;
    const created = await ensureTopics(kafka.bootstrapServers, pending);
    for (const t of pending) {
      const name = t.spec?.topicName ?? t.metadata.name;
      await this.api.custom
        .patchNamespacedCustomObjectStatus({
          group: STRIMZI_GROUP,
          version: STRIMZI_VERSION,
          namespace: ns,
          plural: 'kafkatopics',
          name: t.metadata.name,
          body: [
            {
              op: 'add',
              path: '/status',
              value: {
                topicName: name,
                conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: new Date().toISOString() }],
              },
            },
          ],
        })
        .catch((e: unknown) => this.log(`KafkaTopic ${t.metadata.name} status: ${String(e)}`));
    }
    if (created.length > 0)
      this.log(`created topics ${created.join(', ')} in the harness broker (Topic Operator stand-in)`);
  }
}

/**
 * Service names the plans still reference unresolved. In a cluster such a name resolves as soon as
 * the Service exists; here its loopback endpoint exists only once a backend runs, so the pod waits.
 */
function unresolvedServices(
  plans: { init: ProcessPlan[]; main: ProcessPlan[] },
  known: ReadonlySet<string>,
  services: ServiceMap,
  ns: string,
): string[] {
  const values = [...plans.init, ...plans.main].flatMap((p) => [...Object.values(p.env), ...p.argv]);
  return [...new Set(values.flatMap((v) => services.unresolved(v, ns, known)))];
}

function scrapeName(ns: string, pod: string): string {
  return `local-runner.${ns}.${pod}`;
}

function podReady(pod: V1Pod): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}
