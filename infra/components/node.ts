/**
 * A real single Kubernetes node beside the control plane: containerd 2.x with runc (its own root,
 * state and socket under .state/node), a bridge CNI, the kubelet, kube-scheduler, kube-proxy
 * (iptables mode), CoreDNS as a Deployment in kube-system and a local volume provisioner. Built by
 * infra/provision/{node-runtime,kube,images}.sh into the cache, started in a few seconds.
 *
 * Pod traffic stays on the machine: the pod network has no default route (routes to the pod and
 * Service ranges only), nothing is masqueraded, and a FORWARD guard drops anything between the pod
 * bridge and another interface. The node is tainted so only the harness's pods run on it.
 * One node per machine (infra/node/guard.ts); `make infra-down` puts the host back (infra/node/host.ts).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { Component } from '../lib/component.ts';
import { cacheDir, kubeToolEnv, repoRoot } from '../lib/paths.ts';
import { freePort, isAlive, progress, readPid, startDaemon, stopDaemon, waitUntil } from '../lib/process.ts';
import type { NodeInfo } from '../lib/state.ts';
import {
  CLUSTER_DNS_IP,
  CLUSTER_DOMAIN,
  CNI_BIN_DIR,
  containerdVersion,
  corednsBuild,
  corednsVersion,
  crictlVersion,
  NODE_BRIDGE,
  NODE_CGROUP,
  NODE_IP,
  NODE_NAME,
  NODE_TAINT,
  nodeBinaries,
  nodePaths,
  POD_CIDR,
  pauseVersion,
  runcVersion,
  SERVICE_CIDR,
} from '../node/config.ts';
import { holdsNodeClaim, nodeEnabled } from '../node/guard.ts';
import {
  cleanupLeftovers,
  ensureGuardFirst,
  prepareNetwork,
  recordHostBefore,
  restoreHost,
} from '../node/host.ts';
import { buildImage, importImage, type NodeImage } from '../node/images.ts';
import { corednsManifests, type Manifest, storageManifests } from '../node/manifests.ts';
import { etcdVersion, helmVersion, kubeBinaries, kubeVersion } from './kube.ts';
import { writeKubeconfig } from './kube-pki.ts';

const DAEMONS = ['containerd', 'kubelet', 'kube-scheduler', 'kube-proxy', 'volume-provisioner'] as const;
/** Images every node start imports; the platform image is built on demand (infra/node/images.ts). */
const START_IMAGES: readonly NodeImage[] = ['pause', 'coredns', 'postgres', 'ferretdb'];

export const node: Component<'node'> = {
  key: 'node',
  daemons: DAEMONS,

  enabled: () => nodeEnabled(),

  async provision() {
    if (!nodeEnabled()) return;
    const runtime = [
      nodeBinaries.containerd,
      nodeBinaries.runc,
      nodeBinaries.crictl,
      nodeBinaries.coredns,
      nodeBinaries.pause,
    ];
    if (!runtime.every((b) => existsSync(b))) {
      progress(
        'node',
        `building containerd ${containerdVersion}, runc ${runcVersion}, crictl, CoreDNS ${corednsVersion} (once)`,
      );
      execFileSync(
        'bash',
        [
          join(repoRoot, 'infra', 'provision', 'node-runtime.sh'),
          cacheDir,
          containerdVersion,
          runcVersion,
          crictlVersion,
          corednsVersion,
          pauseVersion,
          corednsBuild,
        ],
        { stdio: ['ignore', 'inherit', 'inherit'] },
      );
    }
    const kubeNode = [kubeBinaries.kubelet, kubeBinaries.proxy, kubeBinaries.scheduler];
    if (!kubeNode.every((b) => existsSync(b))) {
      progress('node', `building kubelet, kube-proxy and kube-scheduler ${kubeVersion} (once)`);
      execFileSync(
        'bash',
        [join(repoRoot, 'infra', 'provision', 'kube.sh'), cacheDir, kubeVersion, etcdVersion, helmVersion],
        { stdio: ['ignore', 'inherit', 'inherit'] },
      );
    }
    for (const i of START_IMAGES) buildImage(i);
  },

  async start(state) {
    if (!nodeEnabled()) throw new Error('the node is disabled in this checkout');
    const kube = state.kube;
    if (kube === undefined || kube.nodeIp !== NODE_IP)
      throw new Error('the node needs the control plane started for it');
    const t0 = Date.now();
    const phase = (what: string): void =>
      progress('node', `${what} (${((Date.now() - t0) / 1000).toFixed(1)}s)`);
    await stopNodeDaemons();
    cleanupLeftovers();
    recordHostBefore();
    prepareNetwork();
    for (const dir of [
      nodePaths.home,
      nodePaths.cniConfDir,
      nodePaths.cniDataDir,
      nodePaths.kubeletRoot,
      nodePaths.podLogs,
      nodePaths.volumes,
    ])
      mkdirSync(dir, { recursive: true });
    makeCgroupParents();

    const images: Record<string, string> = {};
    const built = START_IMAGES.map((i) => [i, buildImage(i)] as const);
    for (const [i, b] of built) images[i] = b.ref;
    writeContainerdConfig(images.pause ?? '');
    writeCniConfig();
    startDaemon({
      name: 'containerd',
      command: nodeBinaries.containerd,
      args: ['--config', nodePaths.containerdConfig, '--log-level', 'warn'],
      env: { PATH: `${nodeBinaries.containerdBinDir}:/usr/sbin:/usr/bin:/sbin:/bin` },
      cwd: nodePaths.home,
    });
    await waitUntil('containerd to answer', async () => ctrOk(), {
      timeoutMs: 30_000,
      intervalMs: 100,
      logName: 'containerd',
    });
    phase('containerd running');
    for (const [, b] of built) importImage(b);
    phase('images imported');

    const pki = kube.pkiDir;
    const kubeconfigs = writeNodeKubeconfigs(kube.server, pki);
    const kubeletHealthPort = await freePort();
    const kubeletPort = await freePort();
    writeKubeletConfig(pki, kubeletPort, kubeletHealthPort);
    startDaemon({
      name: 'kubelet',
      command: kubeBinaries.kubelet,
      args: [
        `--config=${nodePaths.kubeletConfig}`,
        `--kubeconfig=${kubeconfigs.kubelet}`,
        `--root-dir=${nodePaths.kubeletRoot}`,
        `--hostname-override=${NODE_NAME}`,
        `--node-ip=${NODE_IP}`,
        '--v=1',
      ],
      cwd: nodePaths.home,
    });
    const schedulerPort = await freePort();
    startDaemon({
      name: 'kube-scheduler',
      command: kubeBinaries.scheduler,
      args: [
        `--kubeconfig=${kubeconfigs.scheduler}`,
        `--authentication-kubeconfig=${kubeconfigs.scheduler}`,
        `--authorization-kubeconfig=${kubeconfigs.scheduler}`,
        '--authentication-skip-lookup=true',
        '--bind-address=127.0.0.1',
        `--secure-port=${schedulerPort}`,
        '--leader-elect=false',
        '--profiling=false',
      ],
      cwd: nodePaths.home,
    });
    const proxyHealthPort = await freePort();
    const proxyMetricsPort = await freePort();
    writeFileSync(
      join(nodePaths.home, 'kube-proxy-config.yaml'),
      stringify(kubeProxyConfig(kubeconfigs.proxy, proxyHealthPort, proxyMetricsPort)),
    );
    startDaemon({
      name: 'kube-proxy',
      command: kubeBinaries.proxy,
      args: [`--config=${join(nodePaths.home, 'kube-proxy-config.yaml')}`, '--v=1'],
      cwd: nodePaths.home,
    });
    startDaemon({
      name: 'volume-provisioner',
      command: process.execPath,
      args: ['--import', 'tsx', join(repoRoot, 'infra', 'node', 'volume-provisioner.ts'), kube.kubeconfig],
      cwd: repoRoot,
    });
    const kubelet = `http://127.0.0.1:${kubeletHealthPort}/healthz`;
    await waitUntil('the kubelet to be healthy', () => httpOk(kubelet), {
      timeoutMs: 60_000,
      intervalMs: 100,
      logName: 'kubelet',
    });
    await waitUntil('the node to be Ready', async () => nodeReady(kube.kubeconfig), {
      timeoutMs: 60_000,
      intervalMs: 250,
      logName: 'kubelet',
    });
    phase(`node ${NODE_NAME} Ready`);
    await waitUntil(
      'kube-proxy to program its chains',
      async () => httpOk(`http://127.0.0.1:${proxyHealthPort}/healthz`),
      {
        timeoutMs: 60_000,
        intervalMs: 250,
        logName: 'kube-proxy',
      },
    );
    ensureGuardFirst();
    apply(kube.kubeconfig, [...storageManifests(), ...corednsManifests(images.coredns ?? '')]);
    await waitUntil('CoreDNS to be ready', async () => corednsReady(kube.kubeconfig), {
      timeoutMs: 120_000,
      intervalMs: 250,
      logName: 'kubelet',
    });
    phase('CoreDNS ready');
    const info: NodeInfo = {
      name: NODE_NAME,
      ip: NODE_IP,
      podCidr: POD_CIDR,
      serviceCidr: SERVICE_CIDR,
      clusterDns: CLUSTER_DNS_IP,
      containerdSocket: nodePaths.containerdSocket,
      kubeletHealthz: kubelet,
      kubeletPort,
      images,
      startSeconds: Number(((Date.now() - t0) / 1000).toFixed(1)),
    };
    return info;
  },

  async healthy(info) {
    if (!nodeEnabled()) return false;
    if (!DAEMONS.every((d) => isAlive(readPid(d)))) return false;
    return httpOk(info.kubeletHealthz);
  },

  async stop() {
    // Never touch the machine's node when another checkout holds it.
    if (!existsSync(nodePaths.home) || !holdsNodeClaim()) return;
    for (const n of await stopNodeDaemons()) progress('node', `stopped ${n}`);
    for (const n of restoreHost()) progress('node', n);
  },

  tools() {
    return { crictl: nodeBinaries.crictl, ctr: nodeBinaries.ctr };
  },
};

/** Stops the node in the order that leaves nothing running: kubelet, pods, proxy, containerd. */
async function stopNodeDaemons(): Promise<string[]> {
  const stopped: string[] = [];
  for (const d of ['volume-provisioner', 'kube-scheduler', 'kubelet'])
    if (await stopDaemon(d)) stopped.push(d);
  if (isAlive(readPid('containerd'))) {
    // Every pod sandbox stopped and removed: containers killed, CNI DEL (veth, IP), netns unmounted.
    const r = spawnSync(
      nodeBinaries.crictl,
      [
        '--runtime-endpoint',
        `unix://${nodePaths.containerdSocket}`,
        '--timeout',
        '60s',
        'rmp',
        '--all',
        '--force',
      ],
      {
        encoding: 'utf8',
        timeout: 120_000,
      },
    );
    if (r.status !== 0) progress('node', `crictl rmp: ${r.stderr.trim()}`);
  }
  if (await stopDaemon('kube-proxy')) stopped.push('kube-proxy');
  if (await stopDaemon('containerd')) stopped.push('containerd');
  // Shims outlive containerd by design; those of this node's socket go too.
  for (const pid of processesMentioning(nodePaths.containerdSocket)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  return stopped;
}

function processesMentioning(text: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(text)) found.push(Number(entry));
    } catch {
      /* exited */
    }
  }
  return found.filter((p) => p !== process.pid);
}

function makeCgroupParents(): void {
  for (const h of readdirSync('/sys/fs/cgroup')) {
    const dir = join('/sys/fs/cgroup', h);
    if (!existsSync(join(dir, 'cgroup.procs'))) continue;
    try {
      mkdirSync(join(dir, NODE_CGROUP), { recursive: true });
    } catch {
      /* a hierarchy the kubelet does not use */
    }
  }
}

function writeContainerdConfig(pauseImage: string): void {
  mkdirSync(join(nodePaths.home, 'containerd', 'certs.d', '_default'), { recursive: true });
  // No registry is ever contacted: every host resolves to a closed loopback port.
  writeFileSync(
    join(nodePaths.home, 'containerd', 'certs.d', '_default', 'hosts.toml'),
    'server = "http://127.0.0.1:9"\n',
  );
  const toml = `version = 3
root = ${JSON.stringify(nodePaths.containerdRoot)}
state = ${JSON.stringify(nodePaths.containerdState)}
disabled_plugins = ["io.containerd.nri.v1.nri", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.blockfile", "io.containerd.snapshotter.v1.erofs", "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]

[grpc]
  address = ${JSON.stringify(nodePaths.containerdSocket)}

[ttrpc]
  address = ${JSON.stringify(`${nodePaths.containerdSocket}.ttrpc`)}

[debug]
  address = ""

[plugins."io.containerd.internal.v1.opt"]
  path = ${JSON.stringify(join(nodePaths.home, 'containerd', 'opt'))}

[plugins."io.containerd.cri.v1.images"]
  snapshotter = "overlayfs"
  [plugins."io.containerd.cri.v1.images".pinned_images]
    sandbox = ${JSON.stringify(pauseImage)}
  [plugins."io.containerd.cri.v1.images".registry]
    config_path = ${JSON.stringify(join(nodePaths.home, 'containerd', 'certs.d'))}

[plugins."io.containerd.cri.v1.runtime"]
  enable_cdi = false
  # This VM withholds CAP_SYS_RESOURCE: runc cannot lower a container's oom_score_adj below its own.
  restrict_oom_score_adj = true
  netns_mounts_under_state_dir = true
  [plugins."io.containerd.cri.v1.runtime".cni]
    bin_dirs = [${JSON.stringify(CNI_BIN_DIR)}]
    conf_dir = ${JSON.stringify(nodePaths.cniConfDir)}
  [plugins."io.containerd.cri.v1.runtime".containerd]
    default_runtime_name = "runc"
    [plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runc.options]
        BinaryName = ${JSON.stringify(nodeBinaries.runc)}
        Root = ${JSON.stringify(nodePaths.runcRoot)}
        SystemdCgroup = false

[plugins."io.containerd.grpc.v1.cri"]
  disable_tcp_service = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
`;
  mkdirSync(join(nodePaths.home, 'containerd'), { recursive: true });
  writeFileSync(nodePaths.containerdConfig, toml);
}

function writeCniConfig(): void {
  const conf = {
    cniVersion: '1.0.0',
    name: 'credit-pods',
    plugins: [
      {
        type: 'bridge',
        bridge: NODE_BRIDGE,
        isGateway: true,
        isDefaultGateway: false,
        ipMasq: false,
        hairpinMode: true,
        ipam: {
          type: 'host-local',
          dataDir: nodePaths.cniDataDir,
          ranges: [[{ subnet: POD_CIDR, gateway: NODE_IP }]],
          // Pods reach their own range on the bridge and the Service range through the node; no default route.
          routes: [{ dst: SERVICE_CIDR, gw: NODE_IP }],
        },
      },
      { type: 'loopback' },
    ],
  };
  writeFileSync(join(nodePaths.cniConfDir, '10-credit-pods.conflist'), `${JSON.stringify(conf, null, 2)}\n`);
}

function writeNodeKubeconfigs(
  server: string,
  pkiDir: string,
): { kubelet: string; scheduler: string; proxy: string } {
  const ca = join(pkiDir, 'ca.crt');
  const out = {
    kubelet: join(nodePaths.home, 'kubelet.kubeconfig'),
    scheduler: join(nodePaths.home, 'scheduler.kubeconfig'),
    proxy: join(nodePaths.home, 'proxy.kubeconfig'),
  };
  writeKubeconfig(out.kubelet, {
    server,
    caCert: ca,
    clientCert: join(pkiDir, 'kubelet-client.crt'),
    clientKey: join(pkiDir, 'kubelet-client.key'),
    user: `system:node:${NODE_NAME}`,
  });
  writeKubeconfig(out.scheduler, {
    server,
    caCert: ca,
    clientCert: join(pkiDir, 'scheduler-client.crt'),
    clientKey: join(pkiDir, 'scheduler-client.key'),
    user: 'system:kube-scheduler',
  });
  writeKubeconfig(out.proxy, {
    server,
    caCert: ca,
    clientCert: join(pkiDir, 'proxy-client.crt'),
    clientKey: join(pkiDir, 'proxy-client.key'),
    user: 'system:kube-proxy',
  });
  return out;
}

function writeKubeletConfig(pkiDir: string, port: number, healthPort: number): void {
  writeFileSync(nodePaths.resolvConf, `nameserver ${CLUSTER_DNS_IP}\nsearch ${CLUSTER_DOMAIN}\n`);
  const config = {
    apiVersion: 'kubelet.config.k8s.io/v1beta1',
    kind: 'KubeletConfiguration',
    address: NODE_IP,
    port,
    readOnlyPort: 0,
    healthzBindAddress: '127.0.0.1',
    healthzPort: healthPort,
    authentication: {
      anonymous: { enabled: false },
      webhook: { enabled: true },
      x509: { clientCAFile: join(pkiDir, 'ca.crt') },
    },
    authorization: { mode: 'Webhook' },
    tlsCertFile: join(pkiDir, 'kubelet-serving.crt'),
    tlsPrivateKeyFile: join(pkiDir, 'kubelet-serving.key'),
    containerRuntimeEndpoint: `unix://${nodePaths.containerdSocket}`,
    cgroupDriver: 'cgroupfs',
    cgroupRoot: `/${NODE_CGROUP}`,
    failCgroupV1: false,
    failSwapOn: false,
    // The VM withholds CAP_SYS_RESOURCE: the kubelet cannot lower its own OOM score.
    oomScoreAdj: 0,
    clusterDNS: [CLUSTER_DNS_IP],
    clusterDomain: CLUSTER_DOMAIN,
    resolvConf: nodePaths.resolvConf,
    podLogsDir: nodePaths.podLogs,
    registerWithTaints: [NODE_TAINT],
    // Images are imported, never pulled: garbage collection must not delete them.
    imageGCHighThresholdPercent: 100,
    imageGCLowThresholdPercent: 99,
    evictionHard: { 'memory.available': '50Mi', 'nodefs.available': '1%', 'imagefs.available': '1%' },
    maxPods: 110,
    serializeImagePulls: false,
    syncFrequency: '10s',
    fileCheckFrequency: '5s',
    nodeStatusUpdateFrequency: '5s',
    staticPodPath: '',
    rotateCertificates: false,
    serverTLSBootstrap: false,
    localStorageCapacityIsolation: true,
    shutdownGracePeriod: '0s',
  };
  writeFileSync(nodePaths.kubeletConfig, stringify(config));
}

function kubeProxyConfig(
  kubeconfig: string,
  healthPort: number,
  metricsPort: number,
): Record<string, unknown> {
  return {
    apiVersion: 'kubeproxy.config.k8s.io/v1alpha1',
    kind: 'KubeProxyConfiguration',
    clientConnection: { kubeconfig },
    hostnameOverride: NODE_NAME,
    bindAddress: NODE_IP,
    healthzBindAddress: `127.0.0.1:${healthPort}`,
    metricsBindAddress: `127.0.0.1:${metricsPort}`,
    mode: 'iptables',
    clusterCIDR: POD_CIDR,
    detectLocalMode: 'ClusterCIDR',
    // NodePorts only on the node address, never on the machine's own interfaces or loopback.
    nodePortAddresses: [`${NODE_IP}/32`],
    iptables: { localhostNodePorts: false, masqueradeAll: false, syncPeriod: '30s', minSyncPeriod: '0s' },
    // Leave the host's conntrack sysctls alone.
    conntrack: { maxPerCore: 0, min: 0, tcpEstablishedTimeout: '0s', tcpCloseWaitTimeout: '0s' },
    oomScoreAdj: 0,
  };
}

async function ctrOk(): Promise<boolean> {
  return (
    spawnSync(nodeBinaries.ctr, ['--address', nodePaths.containerdSocket, 'version'], {
      stdio: 'ignore',
      timeout: 5_000,
    }).status === 0
  );
}

async function httpOk(url: string): Promise<boolean> {
  try {
    return (await fetch(url, { signal: AbortSignal.timeout(2_000) })).ok;
  } catch {
    return false;
  }
}

function kubectl(kubeconfig: string, args: readonly string[], input?: string): string {
  return execFileSync(kubeBinaries.kubectl, args, {
    env: kubeToolEnv(kubeconfig),
    input,
    encoding: 'utf8',
    stdio: ['pipe', 'pipe', 'pipe'],
    timeout: 60_000,
  });
}

function nodeReady(kubeconfig: string): boolean {
  try {
    const out = kubectl(kubeconfig, [
      'get',
      'node',
      NODE_NAME,
      '-o',
      'jsonpath={.status.conditions[?(@.type=="Ready")].status}',
    ]);
    return out.trim() === 'True';
  } catch {
    return false;
  }
}

function corednsReady(kubeconfig: string): boolean {
  try {
    return (
      kubectl(kubeconfig, [
        '-n',
        'kube-system',
        'get',
        'deployment',
        'coredns',
        '-o',
        'jsonpath={.status.readyReplicas}',
      ]).trim() === '1'
    );
  } catch {
    return false;
  }
}

function apply(kubeconfig: string, manifests: Manifest[]): void {
  kubectl(
    kubeconfig,
    ['apply', '-f', '-'],
    JSON.stringify({ apiVersion: 'v1', kind: 'List', items: manifests }),
  );
}
