/**
 * The harness node's fixed facts: its name and address, the pod and Service ranges, where its
 * binaries are cached and where its state lives. One definition, read by the node component, the
 * control plane (which binds to the node address when a node runs) and the tests.
 *
 * Addresses: only loopback and the project's own ranges are ever used. The node address is the
 * gateway address of the pod bridge, so the apiserver, the kubelet API and (later) Kafka are
 * reachable from pods without any route off the machine.
 */
import { join } from 'node:path';
import { cacheDir, stateDir } from '../lib/paths.ts';

export const NODE_NAME = 'credit-node';
/** The pod bridge; its address is the node address and the pods' gateway to the Service range. */
export const NODE_BRIDGE = 'credit0';
export const POD_CIDR = '10.244.0.0/24';
export const NODE_IP = '10.244.0.1';
export const SERVICE_CIDR = '10.96.0.0/16';
/** First address of the Service range: the `kubernetes` Service's ClusterIP. */
export const KUBERNETES_SERVICE_IP = '10.96.0.1';
export const CLUSTER_DNS_IP = '10.96.0.10';
export const CLUSTER_DOMAIN = 'cluster.local';
/** Every node cgroup (kubepods and below) lives under this parent in each hierarchy. */
export const NODE_CGROUP = 'credit-node';
/** iptables chain holding the node's guard rules (pod traffic stays on the bridge). */
export const GUARD_CHAIN = 'CREDIT-NODE-GUARD';

/**
 * The node is tainted: only pods that tolerate this run on it (the harness's own pods), so the
 * Deployments other tests create in the apiserver never start containers of images that are not here.
 */
export const NODE_TAINT = {
  key: 'credit-platform.local/harness-node',
  value: 'true',
  effect: 'NoSchedule',
} as const;
export const NODE_TOLERATION = {
  key: NODE_TAINT.key,
  operator: 'Equal',
  value: NODE_TAINT.value,
  effect: NODE_TAINT.effect,
} as const;

export const containerdVersion = 'v2.2.9';
export const runcVersion = 'v1.3.6';
export const crictlVersion = 'v1.34.0';
export const corednsVersion = 'v1.12.1';
/**
 * The cached CoreDNS build: its version and a revision of the plugin set in infra/go/coredns. Bump the
 * revision when that set changes, so a warm cache builds the new binary (r2: the template plugin, for
 * NXDOMAIN outside the cluster's zones).
 */
export const corednsBuild = `${corednsVersion}-r2`;
export const pauseVersion = '1';
export const prometheusOperatorVersion = 'v0.85.0';
/** Prometheus run by the operator (3.5 LTS, a version prometheus-operator v0.85.0 supports). */
export const prometheusVersion = 'v3.5.0';

export const nodeBinaries = {
  containerd: join(cacheDir, `containerd-${containerdVersion}`, 'bin', 'containerd'),
  containerdBinDir: join(cacheDir, `containerd-${containerdVersion}`, 'bin'),
  ctr: join(cacheDir, `containerd-${containerdVersion}`, 'bin', 'ctr'),
  runc: join(cacheDir, `runc-${runcVersion}`, 'bin', 'runc'),
  crictl: join(cacheDir, `crictl-${crictlVersion}`, 'bin', 'crictl'),
  coredns: join(cacheDir, `coredns-${corednsBuild}`, 'bin', 'coredns'),
  pause: join(cacheDir, `pause-${pauseVersion}`, 'pause'),
};

/** Debian's CNI plugins (containernetworking-plugins). */
export const CNI_BIN_DIR = '/usr/lib/cni';

export const nodeHome = join(stateDir, 'node');
export const nodePaths = {
  home: nodeHome,
  containerdRoot: join(nodeHome, 'containerd', 'root'),
  containerdState: join(nodeHome, 'containerd', 'state'),
  containerdSocket: join(nodeHome, 'containerd', 'containerd.sock'),
  containerdConfig: join(nodeHome, 'containerd', 'config.toml'),
  runcRoot: join(nodeHome, 'containerd', 'runc'),
  cniConfDir: join(nodeHome, 'cni', 'net.d'),
  cniDataDir: join(nodeHome, 'cni', 'ipam'),
  kubeletRoot: join(nodeHome, 'kubelet'),
  kubeletConfig: join(nodeHome, 'kubelet-config.yaml'),
  podLogs: join(nodeHome, 'pod-logs'),
  resolvConf: join(nodeHome, 'resolv.conf'),
  volumes: join(nodeHome, 'volumes'),
  /** The host as it was before the node changed it; restored by `make infra-down`. */
  hostBefore: join(nodeHome, 'host-before.json'),
};
