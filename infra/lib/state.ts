import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { infraFile } from './paths.ts';

/** Connection details of every server `make infra-up` started; written to `.state/infra.json`. */
export interface InfraState {
  postgres?: PostgresInfo;
  kafka?: KafkaInfo;
  mongo?: MongoInfo;
  prometheus?: PrometheusInfo;
  kube?: KubeInfo;
  /** The real node (absent when another checkout on this machine runs it, or CREDIT_NODE=off). */
  node?: NodeInfo;
  /** Absolute paths of client tools (kubectl, helm, promtool) and the folder holding links to them. */
  tools?: ToolsInfo;
}

export interface PostgresInfo {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
  /** postgres://user:password@host:port/database */
  url: string;
  version: string;
}

export interface KafkaInfo {
  /** host:port of the PLAINTEXT listener. */
  bootstrapServers: string;
  port: number;
  controllerPort: number;
  /**
   * host:port of the listener on the node address (the pod bridge's gateway) that pods on the node
   * use; the broker advertises that address to them. Only when this checkout runs the node.
   */
  podBootstrapServers?: string;
  version: string;
}

export interface MongoInfo {
  /** mongodb:// connection string. */
  url: string;
  port: number;
  /** Which server speaks the wire protocol (see README: what it lacks). */
  flavor: 'ferretdb' | 'mongod';
  version: string;
}

export interface PrometheusInfo {
  url: string;
  port: number;
  /** Folder of file-based service-discovery JSON files; add `<name>.json` to scrape more targets. */
  fileSdDir: string;
  /** Folder whose *.yml rule files Prometheus loads (reload with POST /-/reload). */
  rulesDir: string;
  version: string;
}

export interface KubeInfo {
  /** https://127.0.0.1:port of kube-apiserver. */
  server: string;
  /** Admin kubeconfig (system:masters). */
  kubeconfig: string;
  /** Folder with ca.crt, ca.key and the service-account signing key. */
  pkiDir: string;
  etcdUrl: string;
  /** https://127.0.0.1:port of kube-controller-manager (serving /healthz, /metrics). */
  controllerManagerUrl: string;
  version: string;
  /** The node address the apiserver binds to when a node runs here (the pod bridge's gateway). */
  nodeIp?: string;
}

export interface NodeInfo {
  name: string;
  /** The node address: the pod bridge's gateway, where pods reach the apiserver and the harness. */
  ip: string;
  podCidr: string;
  serviceCidr: string;
  clusterDns: string;
  containerdSocket: string;
  kubeletHealthz: string;
  kubeletPort: number;
  /** References of the images imported at start (pause, coredns, postgres, ferretdb). */
  images: Record<string, string>;
  /** Seconds from the node's start to CoreDNS ready. */
  startSeconds: number;
}

export interface ToolsInfo {
  binDir: string;
  kubectl: string;
  helm: string;
  promtool: string;
  /** kube-score, the manifest checker of the policy check. */
  kubeScore: string;
}

export function readInfraState(): InfraState {
  if (!existsSync(infraFile)) return {};
  return JSON.parse(readFileSync(infraFile, 'utf8')) as InfraState;
}

export function writeInfraState(state: InfraState): void {
  mkdirSync(dirname(infraFile), { recursive: true });
  const tmp = `${infraFile}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(tmp, infraFile);
}

/** The infra state, or an error that tells the reader to run `make infra-up`. */
export function requireInfra<K extends keyof InfraState>(key: K): NonNullable<InfraState[K]> {
  const value = readInfraState()[key];
  if (value === undefined)
    throw new Error(`${key} is not running: start it with 'make infra-up' (${infraFile})`);
  return value as NonNullable<InfraState[K]>;
}
