/**
 * The harness node (infra/components/node.ts) as a user of it sees it: pods under Pod Security
 * `restricted` from the platform image, cluster DNS and Service traffic, a store's volume that
 * outlives its pod, no route off the machine, and `infra-down` putting the host back.
 *
 * One file, run in order: the last test stops and restarts the node. On a machine where another
 * checkout runs the node (one node per machine) the suite fails and says so: `make test-node` starts it.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../../infra/lib/paths.ts';
import { readInfraState } from '../../../infra/lib/state.ts';
import { NODE_TOLERATION, POD_CIDR } from '../../../infra/node/config.ts';
import { type HostSnapshot, readHostBefore, takeSnapshot } from '../../../infra/node/host.ts';
import { ensureImages, PLATFORM_IMAGE } from '../../../infra/node/images.ts';
import { restrictedContainer } from '../../../infra/node/manifests.ts';
import { ensureMonitoring, MONITORING_SELECTOR } from '../../../infra/node/monitoring.ts';
import { createTopics, deleteTopics, testKafka, topicEnds, withAdmin } from '../support/kafka.ts';

const state = readInfraState();
const nodeInfo = state.node;
const namespace = `node-${randomBytes(4).toString('hex')}`;

function kubectl(args: readonly string[], input?: string): string {
  const r = spawnSync(state.tools?.kubectl ?? 'kubectl', args, {
    encoding: 'utf8',
    input,
    env: { ...process.env, KUBECONFIG: state.kube?.kubeconfig },
    timeout: 180_000,
  });
  if (r.status !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

function apply(...objects: Record<string, unknown>[]): void {
  kubectl(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }));
}

async function until<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 120_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`timed out waiting for ${what}: ${String(last ?? '')}`);
}

function podPhase(name: string): string {
  return kubectl(['-n', namespace, 'get', 'pod', name, '-o', 'jsonpath={.status.phase}']).trim();
}

let platformImported = false;
/** The platform image, built on demand (only when its sources changed) and imported into the node. */
function platformImage(): string {
  if (!platformImported) ensureImages(['platform']);
  platformImported = true;
  return PLATFORM_IMAGE;
}

async function runToCompletion(name: string, pod: Record<string, unknown>): Promise<string> {
  apply(pod);
  const phase = await until(`pod ${name} to finish`, () => {
    const p = podPhase(name);
    return p === 'Succeeded' || p === 'Failed' ? p : undefined;
  });
  const logs = kubectl(['-n', namespace, 'logs', name]);
  expect(phase, logs).toBe('Succeeded');
  return logs;
}

/** A pod of the platform image running one Node.js script, as restricted as the chart's workloads. */
function scriptPod(
  name: string,
  script: string,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, labels: { app: name } },
    spec: {
      restartPolicy: 'Never',
      tolerations: [NODE_TOLERATION],
      automountServiceAccountToken: false,
      // As the chart's pods (cdk8s/pod.ts): user and group set explicitly. Without runAsGroup the
      // kubelet hands the runtime the image's uid alone, and the group becomes 0 (the image has no
      // /etc/passwd entry for 10001 to take it from).
      securityContext: {
        runAsNonRoot: true,
        runAsUser: 10001,
        runAsGroup: 10001,
        seccompProfile: { type: 'RuntimeDefault' },
      },
      containers: [
        {
          name: 'main',
          image: platformImage(),
          imagePullPolicy: 'Never',
          command: ['node', '-e', script],
          securityContext: restrictedContainer,
          // Small explicit requests: with limits only, the request defaults to the limit (500m), and a
          // few such pods beside the node's other pods leave the scheduler with Insufficient cpu.
          resources: {
            requests: { memory: '64Mi', cpu: '20m' },
            limits: { memory: '128Mi', cpu: '500m' },
          },
          volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
          ...extra,
        },
      ],
      volumes: [{ name: 'tmp', emptyDir: { sizeLimit: '16Mi' } }],
    },
  };
}

describe('the harness node', () => {
  beforeAll(async () => {
    // Not a skip: this project runs only through `make test-node`, which starts the node.
    if (nodeInfo === undefined)
      throw new Error(
        'no node runs in this checkout: `make infra-up` says why (CREDIT_NODE=off, not root, or another checkout holds it)',
      );
    kubectl(['create', 'namespace', namespace]);
    kubectl([
      'label',
      'namespace',
      namespace,
      'pod-security.kubernetes.io/enforce=restricted',
      'pod-security.kubernetes.io/enforce-version=latest',
    ]);
    await until(
      'the default ServiceAccount',
      () => kubectl(['-n', namespace, 'get', 'serviceaccount', 'default', '-o', 'name']).trim() || undefined,
    );
  });

  afterAll(() => {
    if (nodeInfo !== undefined)
      spawnSync(state.tools?.kubectl ?? 'kubectl', ['delete', 'namespace', namespace, '--wait=false'], {
        env: { ...process.env, KUBECONFIG: state.kube?.kubeconfig },
      });
  });

  it('runs the platform image as uid 10001 with a read-only root, no capabilities, no new privileges and RuntimeDefault seccomp', {
    timeout: 1_800_000,
  }, async () => {
    const script = `
      const fs = require('node:fs');
      const status = fs.readFileSync('/proc/self/status', 'utf8');
      const field = (k) => status.split('\\n').find((l) => l.startsWith(k + ':')).split(/\\s+/)[1];
      let rootWrite = 'allowed';
      try { fs.writeFileSync('/app/probe', 'x'); } catch (e) { rootWrite = e.code; }
      fs.writeFileSync('/tmp/probe', 'x');
      console.log(JSON.stringify({ uid: process.getuid(), gid: process.getgid(), capEff: field('CapEff'),
        noNewPrivs: field('NoNewPrivs'), seccomp: field('Seccomp'), rootWrite, cwd: process.cwd(),
        memLimit: (() => { for (const f of ['/sys/fs/cgroup/memory/memory.limit_in_bytes', '/sys/fs/cgroup/memory.max']) { try { return fs.readFileSync(f, 'utf8').trim(); } catch {} } })() }));`;
    const out = JSON.parse(
      (await runToCompletion('restricted', scriptPod('restricted', script))).trim(),
    ) as Record<string, unknown>;
    expect(out).toMatchObject({
      uid: 10001,
      gid: 10001,
      capEff: '0000000000000000',
      noNewPrivs: '1',
      seccomp: '2',
      rootWrite: 'EROFS',
      cwd: '/app',
      memLimit: String(128 * 1024 * 1024),
    });
    const node = kubectl(['-n', namespace, 'get', 'pod', 'restricted', '-o', 'jsonpath={.spec.nodeName}']);
    expect(node).toBe(nodeInfo?.name);
  });

  it('refuses a pod that breaks Pod Security restricted in the enforcing namespace', () => {
    const pod = scriptPod('privileged', 'setTimeout(() => {}, 1000)', {
      securityContext: { privileged: true },
    });
    expect(() => apply(pod)).toThrow(/violates PodSecurity "restricted:latest"/);
  });

  it('resolves Service names through CoreDNS and carries pod-to-Service-to-pod traffic', async () => {
    apply(
      scriptPod(
        'echo',
        `require('node:http').createServer((q, s) => s.end('echo from ' + require('node:os').hostname())).listen(8080);`,
        {
          ports: [{ name: 'http', containerPort: 8080 }],
          readinessProbe: { httpGet: { path: '/', port: 8080 }, periodSeconds: 1 },
        },
      ),
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'echo', namespace },
        spec: { selector: { app: 'echo' }, ports: [{ port: 80, targetPort: 'http' }] },
      },
    );
    await until('the echo pod to be ready', () =>
      kubectl([
        '-n',
        namespace,
        'get',
        'pod',
        'echo',
        '-o',
        'jsonpath={.status.containerStatuses[0].ready}',
      ]) === 'true'
        ? true
        : undefined,
    );
    const script = `
      const dns = require('node:dns').promises;
      (async () => {
        const svc = await dns.lookup('echo.${namespace}.svc.cluster.local');
        const short = await dns.lookup('echo');
        const api = await dns.lookup('kubernetes.default');
        const body = await (await fetch('http://echo/')).text();
        // Names outside the cluster's zones: NXDOMAIN (ENOTFOUND) at once, never SERVFAIL or a query off the machine.
        const outside = await dns.resolve4('example.com.').then(() => 'resolved', (e) => e.code);
        const outsideLookup = await dns.lookup('registry.example.com').then(() => 'resolved', (e) => e.code);
        const routes = require('node:fs').readFileSync('/proc/net/route', 'utf8').trim().split('\\n').slice(1)
          .map((l) => l.split('\\t')[1]);
        console.log(JSON.stringify({ svc: svc.address, short: short.address, api: api.address, body, routes, outside, outsideLookup }));
      })().catch((e) => { console.error(e); process.exit(1); });`;
    const out = JSON.parse((await runToCompletion('client', scriptPod('client', script))).trim()) as {
      svc: string;
      short: string;
      api: string;
      body: string;
      routes: string[];
      outside: string;
      outsideLookup: string;
    };
    const clusterIp = kubectl([
      '-n',
      namespace,
      'get',
      'service',
      'echo',
      '-o',
      'jsonpath={.spec.clusterIP}',
    ]);
    expect(out.svc).toBe(clusterIp);
    expect(out.short).toBe(clusterIp);
    expect(out.api).toBe('10.96.0.1');
    expect(out.body).toBe('echo from echo');
    expect(out.outside).toBe('ENOTFOUND');
    expect(out.outsideLookup).toBe('ENOTFOUND');
    // No default route (destination 00000000) in the pod: nothing addressed off the machine can be reached.
    expect(out.routes).not.toContain('00000000');
  });

  it("keeps a managed PostgreSQL store's data across a pod restart on a provisioned local volume", async () => {
    const image = nodeInfo?.images.postgres ?? '';
    const password = randomBytes(12).toString('hex');
    const pod = (): Record<string, unknown> => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'warehouse', namespace, labels: { app: 'warehouse' } },
      spec: {
        tolerations: [NODE_TOLERATION],
        automountServiceAccountToken: false,
        securityContext: {
          runAsNonRoot: true,
          runAsUser: 70,
          runAsGroup: 70,
          fsGroup: 70,
          fsGroupChangePolicy: 'OnRootMismatch',
          seccompProfile: { type: 'RuntimeDefault' },
        },
        containers: [
          {
            name: 'postgres',
            image,
            imagePullPolicy: 'Never',
            env: [
              { name: 'POSTGRES_USER', value: 'owner' },
              { name: 'POSTGRES_PASSWORD', value: password },
              { name: 'POSTGRES_DB', value: 'warehouse' },
              { name: 'PGDATA', value: '/var/lib/postgresql/data/pgdata' },
            ],
            ports: [{ name: 'postgres', containerPort: 5432 }],
            readinessProbe: {
              exec: { command: ['pg_isready', '-h', '127.0.0.1', '-U', 'owner', '-d', 'warehouse'] },
              periodSeconds: 1,
            },
            securityContext: restrictedContainer,
            volumeMounts: [
              { name: 'data', mountPath: '/var/lib/postgresql/data' },
              { name: 'run', mountPath: '/var/run/postgresql' },
              { name: 'tmp', mountPath: '/tmp' },
            ],
          },
        ],
        volumes: [
          { name: 'data', persistentVolumeClaim: { claimName: 'warehouse-data' } },
          { name: 'run', emptyDir: {} },
          { name: 'tmp', emptyDir: {} },
        ],
      },
    });
    apply({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'warehouse-data', namespace },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
    });
    apply(pod());
    const ready = async (): Promise<string> =>
      until(
        'the PostgreSQL pod to be ready',
        () => {
          const [ok, ip] = kubectl([
            '-n',
            namespace,
            'get',
            'pod',
            'warehouse',
            '-o',
            'jsonpath={.status.containerStatuses[0].ready} {.status.podIP}',
          ]).split(' ');
          return ok === 'true' && ip ? ip : undefined;
        },
        180_000,
      );
    const query = async (ip: string, sql: string): Promise<unknown[]> => {
      const client = new pg.Client({ host: ip, port: 5432, user: 'owner', password, database: 'warehouse' });
      await client.connect();
      try {
        return (await client.query(sql)).rows;
      } finally {
        await client.end();
      }
    };
    // The claim binds once the volume provisioner (a harness daemon watching claims) has made its volume.
    const claim = await until('the claim to be bound', () => {
      const c = kubectl([
        '-n',
        namespace,
        'get',
        'pvc',
        'warehouse-data',
        '-o',
        'jsonpath={.status.phase} {.spec.storageClassName}',
      ]);
      return c.startsWith('Bound') ? c : undefined;
    });
    expect(claim).toBe('Bound credit-local');
    const first = await ready();
    expect(first.startsWith(POD_CIDR.split('.').slice(0, 3).join('.'))).toBe(true);
    await query(first, "CREATE TABLE decisions (id text primary key); INSERT INTO decisions VALUES ('d-1')");
    const uidBefore = kubectl(['-n', namespace, 'get', 'pod', 'warehouse', '-o', 'jsonpath={.metadata.uid}']);
    kubectl(['-n', namespace, 'delete', 'pod', 'warehouse', '--wait=true']);
    apply(pod());
    const second = await ready();
    expect(kubectl(['-n', namespace, 'get', 'pod', 'warehouse', '-o', 'jsonpath={.metadata.uid}'])).not.toBe(
      uidBefore,
    );
    expect(await query(second, 'SELECT id FROM decisions')).toEqual([{ id: 'd-1' }]);
    // The second start found the data directory and did not initialise again.
    expect(kubectl(['-n', namespace, 'logs', 'warehouse'])).not.toContain('first start');
  });

  it('runs the managed FerretDB image as uid 1000 with its debug handler, keeping documents across a restart', async () => {
    const pod = (): Record<string, unknown> => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'alerts', namespace },
      spec: {
        tolerations: [NODE_TOLERATION],
        automountServiceAccountToken: false,
        securityContext: {
          runAsNonRoot: true,
          runAsUser: 1000,
          runAsGroup: 1000,
          fsGroup: 1000,
          seccompProfile: { type: 'RuntimeDefault' },
        },
        containers: [
          {
            name: 'ferretdb',
            image: ensureImages(['ferretdb']).ferretdb,
            imagePullPolicy: 'Never',
            env: [
              { name: 'FERRETDB_HANDLER', value: 'sqlite' },
              { name: 'FERRETDB_SQLITE_URL', value: 'file:/state/' },
              { name: 'FERRETDB_LISTEN_ADDR', value: ':27017' },
              { name: 'FERRETDB_DEBUG_ADDR', value: ':8088' },
              { name: 'FERRETDB_TELEMETRY', value: 'disable' },
            ],
            ports: [
              { name: 'mongo', containerPort: 27017 },
              { name: 'metrics', containerPort: 8088 },
            ],
            readinessProbe: { httpGet: { path: '/debug/livez', port: 'metrics' }, periodSeconds: 1 },
            securityContext: restrictedContainer,
            volumeMounts: [
              { name: 'data', mountPath: '/state' },
              { name: 'tmp', mountPath: '/tmp' },
            ],
          },
        ],
        volumes: [
          { name: 'data', persistentVolumeClaim: { claimName: 'alerts-data' } },
          { name: 'tmp', emptyDir: {} },
        ],
      },
    });
    apply({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'alerts-data', namespace },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
    });
    apply(pod());
    const ready = async (): Promise<string> =>
      until(
        'the FerretDB pod to be ready',
        () => {
          const [ok, ip] = kubectl([
            '-n',
            namespace,
            'get',
            'pod',
            'alerts',
            '-o',
            'jsonpath={.status.containerStatuses[0].ready} {.status.podIP}',
          ]).split(' ');
          return ok === 'true' && ip ? ip : undefined;
        },
        180_000,
      );
    const withDb = async <T>(ip: string, f: (c: MongoClient) => Promise<T>): Promise<T> => {
      const client = new MongoClient(`mongodb://${ip}:27017/`, { serverSelectionTimeoutMS: 20_000 });
      await client.connect();
      try {
        return await f(client);
      } finally {
        await client.close();
      }
    };
    const first = await ready();
    // The debug handler listens where FERRETDB_DEBUG_ADDR says (the managed store's probes use it).
    expect((await fetch(`http://${first}:8088/debug/livez`)).status).toBe(200);
    await withDb(first, (c) =>
      c
        .db('alerts')
        .collection('alerts')
        .insertOne({ _id: 'a-1' as never, score: 0.97 }),
    );
    kubectl(['-n', namespace, 'delete', 'pod', 'alerts', '--wait=true']);
    apply(pod());
    const second = await ready();
    const found = await withDb(second, (c) =>
      c
        .db('alerts')
        .collection('alerts')
        .findOne({ _id: 'a-1' as never }),
    );
    expect(found?.score).toBe(0.97);
  });

  it("reaches the harness's Kafka broker from a pod through the node address", async () => {
    const kafkaInfo = state.kafka;
    expect(kafkaInfo?.podBootstrapServers).toMatch(
      new RegExp(`^${nodeInfo?.ip.replaceAll('.', '\\.')}:\\d+$`),
    );
    const topic = `node-test-${randomBytes(4).toString('hex')}`;
    const kafka = testKafka('node-test', kafkaInfo?.bootstrapServers ?? '');
    try {
      await createTopics(kafka, [{ topic, numPartitions: 1 }]);
      // The pod bootstraps on the node address; the broker's metadata must send it back there. It
      // uses the platform's Kafka client, as the workloads in the image do.
      const script = `
        (async () => {
          const { Admin, Producer } = await import('@platformatic/kafka');
          const options = { clientId: 'pod', bootstrapBrokers: ['${kafkaInfo?.podBootstrapServers}'] };
          const admin = new Admin(options);
          const { brokers } = await admin.metadata({ topics: ['${topic}'] });
          await admin.close();
          const producer = new Producer({ ...options, idempotent: true, acks: -1, autocreateTopics: false });
          await producer.send({
            messages: [{ topic: '${topic}', key: Buffer.from('k'), value: Buffer.from('from a pod') }],
          });
          await producer.close();
          console.log(JSON.stringify({ brokers: [...brokers.values()].map((b) => b.host + ':' + b.port) }));
        })().catch((e) => { console.error(e); process.exit(1); });`;
      // The last line: a warning on stderr would interleave with it in the pod's log.
      const logs = (await runToCompletion('kafka-client', scriptPod('kafka-client', script))).trim();
      const out = JSON.parse(logs.split('\n').at(-1) ?? '') as {
        brokers: string[];
      };
      expect(out.brokers).toEqual([kafkaInfo?.podBootstrapServers]);
      const ends = await withAdmin(kafka, (admin) => topicEnds(admin, topic));
      expect([...ends.values()]).toEqual([1n]);
    } finally {
      await deleteTopics(kafka, [topic]);
    }
  });

  it("turns a ServiceMonitor and a PrometheusRule into the operator-managed Prometheus's configuration and scrapes the target", async () => {
    const { prometheusUrl } = await ensureMonitoring();
    apply(
      scriptPod(
        'exporter',
        `require('node:http').createServer((q, s) => { s.setHeader('content-type', 'text/plain; version=0.0.4'); s.end('node_test_up 1\\n'); }).listen(9400);`,
        {
          ports: [{ name: 'metrics', containerPort: 9400 }],
          readinessProbe: { httpGet: { path: '/metrics', port: 9400 }, periodSeconds: 1 },
        },
      ),
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'exporter', namespace, labels: { app: 'exporter' } },
        spec: {
          selector: { app: 'exporter' },
          ports: [{ name: 'metrics', port: 9400, targetPort: 'metrics' }],
        },
      },
      {
        apiVersion: 'monitoring.coreos.com/v1',
        kind: 'ServiceMonitor',
        metadata: { name: 'exporter', namespace, labels: MONITORING_SELECTOR },
        spec: {
          selector: { matchLabels: { app: 'exporter' } },
          endpoints: [{ port: 'metrics', interval: '5s' }],
        },
      },
      {
        apiVersion: 'monitoring.coreos.com/v1',
        kind: 'PrometheusRule',
        metadata: { name: 'exporter', namespace, labels: MONITORING_SELECTOR },
        spec: {
          groups: [{ name: 'node-test', rules: [{ record: 'node_test:up:sum', expr: 'sum(node_test_up)' }] }],
        },
      },
    );
    const api = async <T>(path: string): Promise<T> =>
      ((await (await fetch(`${prometheusUrl}${path}`)).json()) as { data: T }).data;
    // The operator writes the configuration, its reloader sidecar reloads Prometheus, which scrapes.
    const target = await until(
      'the exporter to be scraped through its ServiceMonitor',
      async () => {
        const { activeTargets } = await api<{
          activeTargets: Array<{ labels: Record<string, string>; scrapePool: string; health: string }>;
        }>('/api/v1/targets');
        return activeTargets.find((t) => t.labels.namespace === namespace && t.health === 'up');
      },
      300_000,
    );
    expect(target.scrapePool).toBe(`serviceMonitor/${namespace}/exporter/0`);
    expect(target.labels.service).toBe('exporter');
    const recorded = await until(
      'the PrometheusRule to be evaluated',
      async () => {
        const { result } = await api<{ result: Array<{ value: [number, string] }> }>(
          `/api/v1/query?query=${encodeURIComponent('node_test:up:sum')}`,
        );
        return result[0]?.value[1];
      },
      180_000,
    );
    expect(recorded).toBe('1');
  }, 900_000);

  it('leaves the host as it found it after a stop, and starts again', () => {
    const infra = (script: 'up' | 'down'): void => {
      const r = spawnSync(
        process.execPath,
        ['--import', 'tsx', join(repoRoot, 'infra', `${script}.ts`), 'node'],
        {
          cwd: repoRoot,
          encoding: 'utf8',
          timeout: 600_000,
        },
      );
      expect(r.status, `${script}: ${r.stderr}`).toBe(0);
    };
    // Compare what the node may change; pods of the test namespaces are stopped with the node.
    const comparable = (s: HostSnapshot) => ({
      ...s,
      mounts: s.mounts.filter((m) => !m.startsWith('/run/credit-buildah')),
    });
    // Recorded before the node first changed anything on this host.
    const recorded = readHostBefore();
    expect(recorded).toBeDefined();
    infra('down');
    const without = comparable(takeSnapshot());
    expect(without.sysctls).toEqual(recorded?.sysctls);
    expect(without.links).toEqual(recorded?.links);
    expect(without.iptables).toEqual(recorded?.iptables);
    expect(without.cgroups).toEqual(recorded?.cgroups);
    expect(without.links).not.toContain('credit0');
    expect(JSON.stringify(without.iptables)).not.toMatch(/KUBE-|CREDIT-NODE/);
    expect(without.cgroups).toEqual([]);
    infra('up');
    const running = takeSnapshot();
    expect(running.links).toContain('credit0');
    expect(JSON.stringify(running.iptables)).toMatch(/KUBE-SERVICES/);
    infra('down');
    expect(comparable(takeSnapshot())).toEqual(without);
    // Leave the node running for whatever runs next, as the suite found it.
    infra('up');
    expect(readInfraState().node?.name).toBe(nodeInfo?.name);
  }, 1_200_000);
});
