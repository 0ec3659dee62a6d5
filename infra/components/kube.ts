/**
 * A Kubernetes v1.34 control plane on loopback, started the way controller-runtime's envtest starts
 * one, plus the controller-manager so garbage collection, namespace deletion, ServiceAccounts and
 * CronJob → Job → Pod really happen: etcd, kube-apiserver and kube-controller-manager, all built
 * from the Go module proxy by infra/provision/kube.sh (with kubectl and helm). When this checkout
 * runs the machine's node (infra/components/node.ts), the apiserver binds to the node address
 * (the pod bridge's gateway, so pods reach it through the `kubernetes` Service) and authorizes
 * kubelets with the Node authorizer; otherwise it binds to loopback.
 *
 * Every start is a fresh cluster: new certificates (kube-pki.ts), empty etcd, new free ports.
 * Authentication is by client certificate (the admin kubeconfig is O=system:masters) and by
 * service-account tokens (TokenRequest); authorization is RBAC only, so a ServiceAccount can do
 * exactly what its Roles allow.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import type { Component } from '../lib/component.ts';
import { cacheDir, repoRoot, stateDir } from '../lib/paths.ts';
import { freePort, progress, startDaemon, stopDaemon, waitUntil } from '../lib/process.ts';
import { KUBERNETES_SERVICE_IP, NODE_IP, NODE_NAME, SERVICE_CIDR } from '../node/config.ts';
import { nodeEnabled } from '../node/guard.ts';
import { prepareNetwork, recordHostBefore } from '../node/host.ts';
import { generatePki, type KubePki, writeKubeconfig } from './kube-pki.ts';

export const kubeVersion = 'v1.34.4';
/** The etcd version kubeadm v1.34.4 installs (DefaultEtcdVersion 3.6.5-0). */
export const etcdVersion = 'v3.6.5';
export const helmVersion = 'v3.19.5';
/** The manifest checker of the policy check (test/integration/policy/), built like helm. */
export const kubeScoreVersion = 'v1.20.0';

const kubeBin = join(cacheDir, `kube-${kubeVersion}`, 'bin');
/** The node's Kubernetes binaries, built by the same wrapper module (infra/go/kube). */
export const kubeBinaries = {
  kubelet: join(kubeBin, 'kubelet'),
  proxy: join(kubeBin, 'kube-proxy'),
  scheduler: join(kubeBin, 'kube-scheduler'),
  kubectl: join(kubeBin, 'kubectl'),
};
const etcdBin = join(cacheDir, `etcd-${etcdVersion}`, 'bin', 'etcd');
const helmBin = join(cacheDir, `helm-${helmVersion}`, 'bin', 'helm');
const kubeScoreBin = join(cacheDir, `kube-score-${kubeScoreVersion}`, 'bin', 'kube-score');
const binaries = {
  apiserver: join(kubeBin, 'kube-apiserver'),
  controllerManager: join(kubeBin, 'kube-controller-manager'),
  kubectl: join(kubeBin, 'kubectl'),
  etcd: etcdBin,
  helm: helmBin,
};

const home = join(stateDir, 'kube');
export const kubeconfigPath = join(home, 'admin.kubeconfig');
// /16: the operator benchmark and the tests create thousands of Services over a run.
const serviceClusterIpRange = SERVICE_CIDR;
const kubernetesServiceIp = KUBERNETES_SERVICE_IP;
const serviceAccountIssuer = 'https://kubernetes.default.svc.cluster.local';

export const kube: Component<'kube'> = {
  key: 'kube',
  daemons: ['etcd', 'kube-apiserver', 'kube-controller-manager'],

  async provision() {
    if (!existsSync(kubeScoreBin)) {
      progress('kube', `building kube-score ${kubeScoreVersion} (once)`);
      execFileSync(
        'bash',
        [join(repoRoot, 'infra', 'provision', 'kube-score.sh'), cacheDir, kubeScoreVersion],
        { stdio: ['ignore', 'inherit', 'inherit'] },
      );
      if (!existsSync(kubeScoreBin)) throw new Error(`kube-score.sh finished but ${kubeScoreBin} is missing`);
    }
    if (Object.values(binaries).every((b) => existsSync(b))) return;
    progress(
      'kube',
      `building Kubernetes ${kubeVersion}, etcd ${etcdVersion} and helm ${helmVersion} (once)`,
    );
    execFileSync(
      'bash',
      [join(repoRoot, 'infra', 'provision', 'kube.sh'), cacheDir, kubeVersion, etcdVersion, helmVersion],
      { stdio: ['ignore', 'inherit', 'inherit'] },
    );
    const missing = Object.values(binaries).filter((b) => !existsSync(b));
    if (missing.length > 0) throw new Error(`kube.sh finished but ${missing.join(', ')} is missing`);
  },

  async start() {
    for (const d of [...kube.daemons].reverse()) await stopDaemon(d);
    rmSync(home, { recursive: true, force: true });
    mkdirSync(home, { recursive: true });
    const t0 = Date.now();
    const phase = (what: string): void =>
      progress('kube', `${what} (${((Date.now() - t0) / 1000).toFixed(1)}s)`);
    const pki = generatePki(join(home, 'pki'), kubernetesServiceIp, { name: NODE_NAME, ip: NODE_IP });
    phase('certificates generated');
    const withNode = nodeEnabled();
    if (withNode) {
      // The node address must exist before the apiserver binds to it.
      mkdirSync(join(stateDir, 'node'), { recursive: true });
      recordHostBefore();
      prepareNetwork();
    }

    const etcdUrl = await startEtcd();
    phase(`etcd healthy at ${etcdUrl}`);
    const server = await startApiserver(pki, etcdUrl, withNode);
    phase(`kube-apiserver ready at ${server}`);
    writeKubeconfig(kubeconfigPath, {
      server,
      caCert: pki.caCert,
      clientCert: pki.adminCert,
      clientKey: pki.adminKey,
      user: 'kubernetes-admin',
    });
    const controllerManagerUrl = await startControllerManager(pki, server);
    phase('kube-controller-manager healthy');

    const admin = { ca: pki.caCert, cert: pki.adminCert, key: pki.adminKey };
    // The controller-manager works once its serviceaccount controller has filled in `default`.
    await waitUntil(
      'the controller-manager to create the default ServiceAccount',
      async () =>
        (await get(`${server}/api/v1/namespaces/default/serviceaccounts/default`, admin)).status === 200,
      { timeoutMs: 60_000, intervalMs: 200, logName: 'kube-controller-manager' },
    );
    phase('controllers running (default ServiceAccount created)');
    const version = JSON.parse((await get(`${server}/version`, admin)).body) as { gitVersion: string };

    return {
      server,
      kubeconfig: kubeconfigPath,
      pkiDir: pki.dir,
      etcdUrl,
      controllerManagerUrl,
      version: version.gitVersion,
      ...(withNode ? { nodeIp: NODE_IP } : {}),
    };
  },

  async healthy(info) {
    const pkiDir = info.pkiDir;
    const admin = {
      ca: join(pkiDir, 'ca.crt'),
      cert: join(pkiDir, 'admin.crt'),
      key: join(pkiDir, 'admin.key'),
    };
    if (info.controllerManagerUrl === undefined) return false;
    // A control plane started for another node setting is restarted with the current one.
    if ((info.nodeIp === NODE_IP) !== nodeEnabled()) return false;
    return (
      (await ok(`${info.server}/readyz`, admin)) &&
      (await ok(`${info.controllerManagerUrl}/healthz`, { ca: admin.ca }))
    );
  },

  tools() {
    return { kubectl: binaries.kubectl, helm: binaries.helm, 'kube-score': kubeScoreBin };
  },
};

async function startEtcd(): Promise<string> {
  const clientPort = await freePort();
  let peerPort = await freePort();
  while (peerPort === clientPort) peerPort = await freePort();
  const clientUrl = `http://127.0.0.1:${clientPort}`;
  const peerUrl = `http://127.0.0.1:${peerPort}`;
  startDaemon({
    name: 'etcd',
    command: binaries.etcd,
    args: [
      '--name=harness',
      `--data-dir=${join(home, 'etcd')}`,
      `--listen-client-urls=${clientUrl}`,
      `--advertise-client-urls=${clientUrl}`,
      `--listen-peer-urls=${peerUrl}`,
      `--initial-advertise-peer-urls=${peerUrl}`,
      `--initial-cluster=harness=${peerUrl}`,
      '--initial-cluster-state=new',
      // As envtest does: the data is thrown away with the cluster, durability buys nothing here.
      '--unsafe-no-fsync',
      '--log-level=warn',
    ],
    cwd: home,
  });
  await waitUntil(
    'etcd to be healthy',
    async () => {
      const res = await fetch(`${clientUrl}/health`, { signal: AbortSignal.timeout(2_000) });
      return res.ok && ((await res.json()) as { health?: string }).health === 'true';
    },
    { timeoutMs: 30_000, intervalMs: 100, logName: 'etcd' },
  );
  return clientUrl;
}

async function startApiserver(pki: KubePki, etcdUrl: string, withNode: boolean): Promise<string> {
  const port = await freePort();
  const address = withNode ? NODE_IP : '127.0.0.1';
  const server = `https://${address}:${port}`;
  const nodeArgs = withNode
    ? [
        '--authorization-mode=Node,RBAC',
        // PodTolerationRestriction: a namespace annotated for the node gives its pods the node's
        // toleration (infra/node/cluster-access.ts nodeNamespace).
        '--enable-admission-plugins=NodeRestriction,PodTolerationRestriction',
        `--kubelet-client-certificate=${pki.node.apiserverKubeletClientCert}`,
        `--kubelet-client-key=${pki.node.apiserverKubeletClientKey}`,
        `--kubelet-certificate-authority=${pki.caCert}`,
        '--kubelet-preferred-address-types=InternalIP',
      ]
    : ['--authorization-mode=RBAC'];
  startDaemon({
    name: 'kube-apiserver',
    command: binaries.apiserver,
    args: [
      `--etcd-servers=${etcdUrl}`,
      `--secure-port=${port}`,
      `--bind-address=${address}`,
      `--advertise-address=${address}`,
      `--tls-cert-file=${pki.apiserverCert}`,
      `--tls-private-key-file=${pki.apiserverKey}`,
      `--client-ca-file=${pki.caCert}`,
      `--service-account-issuer=${serviceAccountIssuer}`,
      `--service-account-key-file=${pki.serviceAccountPub}`,
      `--service-account-signing-key-file=${pki.serviceAccountKey}`,
      ...nodeArgs,
      `--service-cluster-ip-range=${serviceClusterIpRange}`,
      '--allow-privileged=true',
      // The default admission chain stays on (ServiceAccount, PodSecurity, NamespaceLifecycle,
      // ResourceQuota, ...): the controller-manager runs the controllers it relies on.
      '--profiling=false',
    ],
    cwd: home,
  });
  const admin = { ca: pki.caCert, cert: pki.adminCert, key: pki.adminKey };
  await waitUntil('kube-apiserver /readyz', () => ok(`${server}/readyz`, admin), {
    timeoutMs: 120_000,
    intervalMs: 250,
    logName: 'kube-apiserver',
  });
  return server;
}

async function startControllerManager(pki: KubePki, server: string): Promise<string> {
  const kubeconfig = join(home, 'controller-manager.kubeconfig');
  writeKubeconfig(kubeconfig, {
    server,
    caCert: pki.caCert,
    clientCert: pki.controllerManagerClientCert,
    clientKey: pki.controllerManagerClientKey,
    user: 'system:kube-controller-manager',
  });
  const port = await freePort();
  const url = `https://127.0.0.1:${port}`;
  startDaemon({
    name: 'kube-controller-manager',
    command: binaries.controllerManager,
    args: [
      `--kubeconfig=${kubeconfig}`,
      `--authentication-kubeconfig=${kubeconfig}`,
      `--authorization-kubeconfig=${kubeconfig}`,
      '--bind-address=127.0.0.1',
      `--secure-port=${port}`,
      `--tls-cert-file=${pki.controllerManagerCert}`,
      `--tls-private-key-file=${pki.controllerManagerKey}`,
      `--client-ca-file=${pki.caCert}`,
      // No front proxy: the client CA above is the whole authentication config, no need to read
      // kube-system/extension-apiserver-authentication for a request-header CA that is not there.
      '--authentication-skip-lookup=true',
      // All controllers that are on by default (garbage collector, namespace, serviceaccount,
      // serviceaccount-token, job, cronjob, deployment, replicaset, ...).
      '--controllers=*',
      // Each controller uses its own ServiceAccount's token, as in a kubeadm cluster.
      '--use-service-account-credentials=true',
      `--service-account-private-key-file=${pki.serviceAccountKey}`,
      `--root-ca-file=${pki.caCert}`,
      `--cluster-signing-cert-file=${pki.caCert}`,
      `--cluster-signing-key-file=${pki.caKey}`,
      `--service-cluster-ip-range=${serviceClusterIpRange}`,
      '--leader-elect=false',
      '--profiling=false',
    ],
    cwd: home,
  });
  await waitUntil('kube-controller-manager /healthz', () => ok(`${url}/healthz`, { ca: pki.caCert }), {
    timeoutMs: 60_000,
    intervalMs: 250,
    logName: 'kube-controller-manager',
  });
  return url;
}

interface TlsFiles {
  ca: string;
  cert?: string;
  key?: string;
}

async function ok(url: string, tls: TlsFiles): Promise<boolean> {
  try {
    return (await get(url, tls)).status === 200;
  } catch {
    return false;
  }
}

/** GET over HTTPS with the harness CA and, when given, a client certificate. */
function get(url: string, tls: TlsFiles): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'GET',
        ca: readFileSync(tls.ca),
        cert: tls.cert === undefined ? undefined : readFileSync(tls.cert),
        key: tls.key === undefined ? undefined : readFileSync(tls.key),
        timeout: 3_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on('error', reject);
    req.end();
  });
}
